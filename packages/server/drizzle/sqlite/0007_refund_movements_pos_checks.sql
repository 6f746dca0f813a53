ALTER TABLE `payment_refunds` ADD `sent_at` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `next_check_at` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `expires_at` text;--> statement-breakpoint
ALTER TABLE `payments` ADD `failed_checks` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `payments_next_check_idx` ON `payments` (`next_check_at`);