CREATE TABLE `cash_drawer_movements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`direction` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`payment_id` text,
	`refund_id` text,
	`note` text,
	`at` text NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `cash_drawer_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cash_drawer_movements_session_idx` ON `cash_drawer_movements` (`session_id`,`id`);--> statement-breakpoint
CREATE TABLE `cash_drawer_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`currency` text NOT NULL,
	`opening_minor` integer NOT NULL,
	`cash_in_minor` integer DEFAULT 0 NOT NULL,
	`cash_out_minor` integer DEFAULT 0 NOT NULL,
	`counted_minor` integer,
	`opened_at` text NOT NULL,
	`opened_by` text,
	`closed_at` text,
	`closed_by` text,
	`version` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cash_drawer_open_idx` ON `cash_drawer_sessions` (`merchant_id`) WHERE closed_at is null;--> statement-breakpoint
CREATE INDEX `cash_drawer_merchant_idx` ON `cash_drawer_sessions` (`merchant_id`,`opened_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`merchant_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`response_content_type` text,
	`locked_until` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_keys_merchant_key_idx` ON `idempotency_keys` (`merchant_id`,`key`);--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `payment_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`provider_code` text NOT NULL,
	`display_name` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`public_config` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_methods_merchant_provider_idx` ON `payment_methods` (`merchant_id`,`provider_code`);--> statement-breakpoint
CREATE TABLE `payment_refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`merchant_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`last_error` text,
	`drawer_session_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payment_refunds_payment_idx` ON `payment_refunds` (`payment_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`method_code` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`provider_payment_id` text,
	`confirmation_url` text,
	`failure_reason` text,
	`drawer_session_id` text,
	`snapshot` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payments_merchant_idx` ON `payments` (`merchant_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_provider_payment_idx` ON `payments` (`method_code`,`provider_payment_id`);