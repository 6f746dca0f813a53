ALTER TABLE "orders" ADD COLUMN "recheck_at" text;--> statement-breakpoint
CREATE INDEX "orders_recheck_idx" ON "orders" USING btree ("recheck_at");