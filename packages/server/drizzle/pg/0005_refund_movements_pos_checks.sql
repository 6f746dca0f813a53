ALTER TABLE "payment_refunds" ADD COLUMN "sent_at" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "next_check_at" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "expires_at" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "failed_checks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "payments_next_check_idx" ON "payments" USING btree ("next_check_at");