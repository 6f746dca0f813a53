CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scope" text NOT NULL,
	"merchant_id" text,
	"device_id" text,
	"label" text NOT NULL,
	"created_at" text NOT NULL,
	"last_used_at" text,
	"revoked_at" text
);
--> statement-breakpoint
CREATE TABLE "merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" text NOT NULL,
	"updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provider_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"provider_code" text NOT NULL,
	"label" text NOT NULL,
	"key_id" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" text NOT NULL,
	"updated_at" text NOT NULL
);
--> statement-breakpoint
DROP INDEX "cash_drawer_open_idx";--> statement-breakpoint
ALTER TABLE "cash_drawer_sessions" ADD COLUMN "till_id" text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "merchant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "merchant_id" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "provider_account_id" text;--> statement-breakpoint
ALTER TABLE "payment_methods" ADD COLUMN "account_id" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "provider_account_id" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_accounts" ADD CONSTRAINT "provider_accounts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_idx" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "api_keys_merchant_idx" ON "api_keys" USING btree ("merchant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_accounts_merchant_label_idx" ON "provider_accounts" USING btree ("merchant_id","label");--> statement-breakpoint
CREATE UNIQUE INDEX "cash_drawer_open_idx" ON "cash_drawer_sessions" USING btree ("merchant_id","till_id") WHERE closed_at is null;--> statement-breakpoint
-- Existing rows belong to the `default` merchant; POS merchant ids already in use become merchants of their own.
INSERT INTO "merchants" ("id", "name", "status", "created_at", "updated_at")
SELECT "ids"."id", "ids"."id", 'active', "now"."t", "now"."t"
FROM (SELECT 'default' AS "id" UNION SELECT "merchant_id" FROM "payment_methods" UNION SELECT "merchant_id" FROM "payments" UNION SELECT "merchant_id" FROM "cash_drawer_sessions") AS "ids",
     (SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "t") AS "now";
