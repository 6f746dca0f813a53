CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`location` text DEFAULT '' NOT NULL,
	`logo_url` text,
	`client_info` text DEFAULT '' NOT NULL,
	`client_info_by_status` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `effects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`order_id` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text NOT NULL,
	`claimed_by` text,
	`claimed_until` text,
	`last_error` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `effects_key_idx` ON `effects` (`key`);--> statement-breakpoint
CREATE INDEX `effects_due_idx` ON `effects` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`event` text NOT NULL,
	`source` text NOT NULL,
	`applied` integer NOT NULL,
	`at` text NOT NULL,
	`payload` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order_idx` ON `order_events` (`order_id`,`id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`product_id` text NOT NULL,
	`product_name` text NOT NULL,
	`size` text NOT NULL,
	`price_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`provider` text NOT NULL,
	`provider_payment_id` text,
	`confirmation_url` text,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`payment_started_at` text,
	`next_check_at` text,
	`last_check_at` text,
	`check_attempts` integer DEFAULT 0 NOT NULL,
	`failed_presentation_desc` text,
	`snapshot` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `orders_due_idx` ON `orders` (`status`,`next_check_at`,`expires_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_provider_payment_idx` ON `orders` (`provider`,`provider_payment_id`);--> statement-breakpoint
CREATE INDEX `orders_device_idx` ON `orders` (`device_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_inbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`raw_body` text NOT NULL,
	`received_at` text NOT NULL,
	`outcome` text DEFAULT 'received' NOT NULL,
	`processed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_inbox_dedupe_idx` ON `webhook_inbox` (`provider`,`dedupe_key`);