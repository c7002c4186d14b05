// The drizzle program's schema: tables created by the checked-in migrations (authors, posts), tables
// and an enum created by drizzle-kit push only (tags, tag aliases), and the relations drizzle's
// relational queries use.
import { relations, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgEnum,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';

export const authors = pgTable('dz_authors', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  email: varchar('email', { length: 120 }).notNull().unique(),
  age: integer('age'),
  karma: bigint('karma', { mode: 'bigint' }).notNull(),
  balance: numeric('balance', { precision: 12, scale: 2 }),
  active: boolean('active').notNull().default(true),
  joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  profile: jsonb('profile').$type<{ city?: string; tags?: string[]; score?: number }>(),
});

export const posts = pgTable(
  'dz_posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    authorId: integer('author_id')
      .notNull()
      .references(() => authors.id, { onDelete: 'cascade' }),
    title: varchar('title', { length: 200 }).notNull(),
    body: text('body'),
    views: integer('views').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    published: boolean('published').notNull().default(false),
    rating: numeric('rating', { precision: 3, scale: 1 }),
  },
  (t) => [
    index('dz_posts_author_idx').on(t.authorId),
    unique('dz_posts_author_title_uq').on(t.authorId, t.title),
  ],
);

export const mood = pgEnum('dz_mood', ['calm', 'busy', 'away']);

export const tags = pgTable('dz_tags', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: varchar('name', { length: 40 }).notNull().unique(),
  color: text('color').notNull().default('gray'),
  mood: mood('mood').notNull().default('calm'),
});

/**
 * An identity key plus a foreign key (drizzle-kit adds it with ALTER TABLE after creating the table)
 * and a unique expression index: a second push must find both unchanged.
 */
export const tagAliases = pgTable(
  'dz_tag_aliases',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    tagId: integer('tag_id')
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    alias: text('alias').notNull(),
  },
  (t) => [uniqueIndex('dz_tag_aliases_lower_uq').on(sql`lower(${t.alias})`)],
);

export const authorsRelations = relations(authors, ({ many }) => ({ posts: many(posts) }));
export const postsRelations = relations(posts, ({ one }) => ({
  author: one(authors, { fields: [posts.authorId], references: [authors.id] }),
}));

/** The tables the migrations create (what drizzle-kit push must find unchanged). */
export const migrated = { authors, posts };
/** The schema drizzle-kit push applies: the migrated tables plus tags, its enum and its aliases. */
export const pushed = { authors, posts, mood, tags, tagAliases };
/** What drizzle() is given: every table and the relations. */
export const schema = { authors, posts, tags, tagAliases, authorsRelations, postsRelations };
