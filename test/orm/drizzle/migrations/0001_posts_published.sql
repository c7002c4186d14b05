ALTER TABLE "dz_posts" ADD COLUMN "published" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "dz_posts" ADD COLUMN "rating" numeric(3, 1);--> statement-breakpoint
ALTER TABLE "dz_posts" ADD CONSTRAINT "dz_posts_author_title_uq" UNIQUE("author_id","title");