ALTER TABLE `orders` ADD `poll_claimed_by` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `poll_claimed_until` text;