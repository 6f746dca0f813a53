CREATE TABLE "tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"event_id" text NOT NULL,
	"ticket_type" text NOT NULL,
	"holder_email" text,
	"issued_at" text NOT NULL,
	"mailed_at" text,
	CONSTRAINT "tickets_order_idx" UNIQUE("order_id")
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;