ALTER TABLE `cash_drawer_sessions` ADD `close_note` text;--> statement-breakpoint
CREATE INDEX `payment_refunds_merchant_idx` ON `payment_refunds` (`merchant_id`,`created_at`);