ALTER TABLE "idempotency_keys" RENAME COLUMN "merchant_id" TO "scope";--> statement-breakpoint
DROP INDEX "idempotency_keys_merchant_key_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "idempotency_keys_scope_key_idx" ON "idempotency_keys" USING btree ("scope","key");