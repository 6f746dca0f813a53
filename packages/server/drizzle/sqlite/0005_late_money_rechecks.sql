ALTER TABLE `orders` ADD `recheck_at` text;--> statement-breakpoint
CREATE INDEX `orders_recheck_idx` ON `orders` (`recheck_at`);