CREATE TABLE "dz_authors" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" varchar(120) NOT NULL,
	"age" integer,
	"karma" bigint NOT NULL,
	"balance" numeric(12, 2),
	"active" boolean DEFAULT true NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"profile" jsonb,
	CONSTRAINT "dz_authors_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "dz_posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"author_id" integer NOT NULL,
	"title" varchar(200) NOT NULL,
	"body" text,
	"views" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dz_posts" ADD CONSTRAINT "dz_posts_author_id_dz_authors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."dz_authors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dz_posts_author_idx" ON "dz_posts" USING btree ("author_id");