ALTER TABLE "cash_drawer_sessions" ADD COLUMN "close_note" text;--> statement-breakpoint
CREATE INDEX "payment_refunds_merchant_idx" ON "payment_refunds" USING btree ("merchant_id","created_at");