// The drizzle-orm program: drizzle's migrator over the checked-in migration files and drizzle-kit's push
// API (a second push must find nothing to change), then an application's CRUD, relational queries,
// joins, transactions, types, upserts, a mapped unique violation, aggregates and pagination; the
// down-migration is a push of an empty schema (drizzle-kit drops what it no longer finds).
import path from 'node:path';
import { pushSchema } from 'drizzle-kit/api';
import { and, asc, avg, count, desc, eq, gt, max, sql, sum } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { repoRoot } from '../../support/launcher.js';
import {
  check,
  type DbConfig,
  describeError,
  jsTypes,
  type OrmProgram,
  Recorder,
  uuidPattern,
} from '../record.js';
import { authors, migrated, posts, pushed, schema, tagAliases, tags } from './schema.js';

const migrationsFolder = path.join(repoRoot, 'test/orm/drizzle/migrations');
/** drizzle-kit push manages only this program's tables (the database is shared with the other programs). */
const tablesFilter = ['dz_*'];

type Db = NodePgDatabase<typeof schema>;

async function withDb<T>(cfg: DbConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ ...cfg, max: 2 });
  try {
    return await fn(drizzle({ client: pool, schema }));
  } finally {
    await pool.end();
  }
}

/**
 * drizzle-kit push's plan for a schema; applies it when asked. drizzle-kit ends the process
 * (process.exit(1), the error unprinted) when a query of its introspection fails: here that is
 * turned into an error of the step, whose failed statements the tracer has. Its spinner, drawn on
 * stdout with terminal escapes, is kept out of the test runner's output.
 */
/** A statement's kind, in the order drizzle-kit emits kinds (tables before types, ...). */
function kindRank(statement: string): number {
  const kinds = ['CREATE TYPE', 'CREATE TABLE', 'ALTER TABLE', 'CREATE INDEX', 'DROP TABLE', 'DROP TYPE'];
  const i = kinds.findIndex((k) => statement.startsWith(k));
  return i < 0 ? kinds.length : i;
}

async function push(db: Db, imports: Record<string, unknown>, apply: boolean): Promise<unknown> {
  const exit = process.exit;
  const write = process.stdout.write;
  process.exit = ((code?: number) => {
    throw new Error(`drizzle-kit called process.exit(${code}) (a query of its introspection failed)`);
  }) as typeof process.exit;
  process.stdout.write = ((_chunk: unknown, ...rest: unknown[]) => {
    const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    // pushSchema's type wants its own copy of PgDatabase; ours is the same class.
    const res = await pushSchema(imports, db as never, ['public'], tablesFilter);
    if (apply) await res.apply();
    // drizzle-kit lists tables in the order its catalog queries return them, and those queries have
    // no ORDER BY: PostgreSQL's order is its heap's (an ALTER moves a pg_class row), which no other
    // database reproduces. Statements of one kind commute (each DROP ... CASCADE), so they are
    // compared as a set within each kind, in drizzle's own kind order.
    const byKind = (list: string[]): string[] =>
      [...list].sort((a, b) => kindRank(a) - kindRank(b) || a.localeCompare(b));
    return {
      statements: byKind(res.statementsToExecute),
      hasDataLoss: res.hasDataLoss,
      warnings: [...res.warnings].sort(),
    };
  } finally {
    process.exit = exit;
    process.stdout.write = write;
  }
}

async function migratePhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    await r.step('migrator', async () => {
      await migrate(db, { migrationsFolder });
      const rows = await db.execute<{ hash: string; created_at: string }>(
        sql`SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id`,
      );
      return rows.rows;
    });
    await r.step('migratorAgainIsNoop', async () => {
      await migrate(db, { migrationsFolder });
      const rows = await db.execute(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
      return rows.rows;
    });
    await r.step('pushAfterMigrationsFindsNothing', () => push(db, migrated, false));
    await r.step('pushNewTableAndEnum', () => push(db, pushed, true));
    await r.step('pushAgainFindsNothing', () => push(db, pushed, false));
  });
  return r.record;
}

const joined = new Date('2024-01-02T03:04:05.678Z');

async function appPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    // Serial keys are recorded, so every INSERT into dz_authors that takes a key comes before the
    // upserts, unique violations and rollbacks (PostgreSQL's sequence skips the values they take).
    await r.step('insertReturning', async () => {
      const rows = await db
        .insert(authors)
        .values([
          {
            name: 'Ada',
            email: 'ada@example.com',
            age: 36,
            karma: 9007199254740993n,
            balance: '12345.67',
            joinedAt: joined,
            profile: { city: 'London', tags: ['math', 'code'], score: 1.5 },
          },
          { name: 'Brian', email: 'brian@example.com', karma: -5n, balance: '0.1', active: false },
          {
            name: 'Chen 陈',
            email: 'chen@example.com',
            age: 29,
            karma: 0n,
            joinedAt: joined,
            profile: { tags: [] },
          },
        ])
        .returning();
      r.keys.created('author', ...rows.map((a) => a.id));
      return rows.map(({ joinedAt, ...rest }) => ({
        ...r.keys.row(rest, { id: 'author' }),
        joinedAt: rest.name === 'Brian' ? Math.abs(joinedAt.getTime() - Date.now()) < 600_000 : joinedAt,
      }));
    });
    await r.step('insertPosts', async () => {
      const ids = await db
        .select({ id: authors.id, name: authors.name })
        .from(authors)
        .orderBy(asc(authors.id));
      const byName = Object.fromEntries(ids.map((a) => [a.name, a.id]));
      const rows = await db
        .insert(posts)
        .values([
          {
            authorId: byName.Ada!,
            title: 'Notes on the engine',
            body: 'long',
            views: 120,
            createdAt: joined,
          },
          { authorId: byName.Ada!, title: 'Loops', views: 30, createdAt: new Date('2024-02-01T00:00:00Z') },
          {
            authorId: byName['Chen 陈']!,
            title: 'Hello',
            body: null,
            createdAt: new Date('2024-03-01T12:00:00Z'),
            rating: '4.5',
          },
          { authorId: byName.Brian!, title: 'Draft', createdAt: new Date('2024-04-01T00:00:00Z') },
        ])
        .returning();
      return rows.map(({ id, ...rest }) => ({
        idIsUuid: uuidPattern.test(id),
        ...r.keys.row(rest, { authorId: 'author' }),
      }));
    });
    await r.step('selectWhere', () =>
      db
        .select({ name: authors.name, age: authors.age })
        .from(authors)
        .where(and(eq(authors.active, true), gt(authors.age, 30))),
    );
    await r.step('update', () =>
      db
        .update(authors)
        .set({ age: sql`${authors.age} + 1`, balance: '99.99' })
        .where(eq(authors.email, 'chen@example.com'))
        .returning({ name: authors.name, age: authors.age, balance: authors.balance }),
    );
    await r.step('delete', () =>
      db.delete(posts).where(eq(posts.title, 'Draft')).returning({ title: posts.title }),
    );
    await r.step('relationalFindMany', () =>
      db.query.authors.findMany({
        columns: { name: true, email: true },
        with: { posts: { columns: { title: true, views: true }, orderBy: [asc(posts.title)] } },
        orderBy: [asc(authors.id)],
      }),
    );
    await r.step('relationalFindFirstNested', () =>
      db.query.posts.findFirst({
        columns: { title: true },
        where: eq(posts.title, 'Hello'),
        with: { author: { columns: { name: true, profile: true } } },
      }),
    );
    await r.step('innerJoin', () =>
      db
        .select({ name: authors.name, title: posts.title })
        .from(posts)
        .innerJoin(authors, eq(posts.authorId, authors.id))
        .orderBy(asc(authors.name), asc(posts.title)),
    );
    await r.step('leftJoin', () =>
      db
        .select({ name: authors.name, title: posts.title })
        .from(authors)
        .leftJoin(posts, eq(posts.authorId, authors.id))
        .orderBy(asc(authors.id), asc(posts.title)),
    );
    await r.step('typesRoundTrip', async () => {
      const [row] = await db.select().from(authors).where(eq(authors.email, 'ada@example.com'));
      check(row !== undefined, 'Ada is there');
      check(row!.karma === 9007199254740993n, 'bigint read back exactly');
      check(row!.joinedAt.getTime() === joined.getTime(), 'timestamptz read back to the millisecond');
      const [post] = await db.select().from(posts).where(eq(posts.title, 'Hello'));
      const { id, ...rest } = post!;
      return {
        author: r.keys.row(row!, { id: 'author' }),
        authorTypes: jsTypes(row!),
        post: r.keys.row(rest, { authorId: 'author' }),
        postTypes: jsTypes(post!),
        idIsUuid: uuidPattern.test(id),
      };
    });
    await r.step('upsertInserts', async () => {
      const rows = await db
        .insert(authors)
        .values({ name: 'Dana', email: 'dana@example.com', karma: 1n, joinedAt: joined })
        .onConflictDoUpdate({ target: authors.email, set: { name: sql`excluded.name` } })
        .returning({ id: authors.id, name: authors.name });
      r.keys.created('author', ...rows.map((a) => a.id));
      return rows.map((a) => r.keys.row(a, { id: 'author' }));
    });
    await r.step('upsertUpdates', async () =>
      (
        await db
          .insert(authors)
          .values({ name: 'Ada L.', email: 'ada@example.com', karma: 0n, joinedAt: joined })
          .onConflictDoUpdate({
            target: authors.email,
            set: { name: sql`excluded.name`, karma: sql`${authors.karma} + 1` },
          })
          .returning({ id: authors.id, name: authors.name, karma: authors.karma })
      ).map((a) => r.keys.row(a, { id: 'author' })),
    );
    await r.step('insertOnConflictDoNothing', () =>
      db
        .insert(authors)
        .values({ name: 'Nobody', email: 'brian@example.com', karma: 0n })
        .onConflictDoNothing()
        .returning({ id: authors.id }),
    );
    await r.step('uniqueViolation', async () => {
      try {
        await db.insert(authors).values({ name: 'Brian 2', email: 'brian@example.com', karma: 0n });
        return 'no error';
      } catch (err) {
        return describeError(err);
      }
    });
    await r.step('uniqueViolationCompositeConstraint', async () => {
      try {
        const [ada] = await db
          .select({ id: authors.id })
          .from(authors)
          .where(eq(authors.email, 'ada@example.com'));
        await db.insert(posts).values({ authorId: ada!.id, title: 'Loops', createdAt: joined });
        return 'no error';
      } catch (err) {
        // Ada's key is in the detail and in the parameters drizzle's message lists (the first).
        const e = r.keys.keyDetail(describeError(err), { author_id: 'author' });
        const message = String(e.message).replace(
          /\nparams: (\d+),/,
          (_, id: string) => `\nparams: ${r.keys.of('author', id)},`,
        );
        return { ...e, message };
      }
    });
    await r.step('foreignKeyViolation', async () => {
      try {
        await db.insert(posts).values({ authorId: 999_999, title: 'Orphan', createdAt: joined });
        return 'no error';
      } catch (err) {
        return describeError(err);
      }
    });
    await r.step('transactionCommits', async () => {
      await db.transaction(async (tx) => {
        await tx
          .update(posts)
          .set({ views: sql`${posts.views} + 10` })
          .where(eq(posts.title, 'Loops'));
        await tx.update(authors).set({ active: true }).where(eq(authors.email, 'brian@example.com'));
      });
      return {
        views: await db.select({ views: posts.views }).from(posts).where(eq(posts.title, 'Loops')),
        active: await db
          .select({ active: authors.active })
          .from(authors)
          .where(eq(authors.email, 'brian@example.com')),
      };
    });
    await r.step('transactionRollsBack', async () => {
      let caught: unknown;
      try {
        await db.transaction(async (tx) => {
          await tx.update(posts).set({ views: 0 }).where(eq(posts.title, 'Loops'));
          await tx.insert(authors).values({ name: 'Eve', email: 'eve@example.com', karma: 0n });
          tx.rollback();
        });
      } catch (err) {
        caught = (err as Error).constructor.name;
      }
      return {
        caught,
        views: await db.select({ views: posts.views }).from(posts).where(eq(posts.title, 'Loops')),
        eve: await db.select({ n: count() }).from(authors).where(eq(authors.email, 'eve@example.com')),
      };
    });
    await r.step('nestedTransactionSavepoint', async () => {
      await db.transaction(async (tx) => {
        await tx.update(posts).set({ body: 'edited' }).where(eq(posts.title, 'Hello'));
        try {
          await tx.transaction(async (inner) => {
            await inner.update(posts).set({ body: 'lost' }).where(eq(posts.title, 'Hello'));
            throw new Error('inner fails');
          });
        } catch {
          // the savepoint was rolled back; the outer transaction goes on
        }
      });
      return db.select({ body: posts.body }).from(posts).where(eq(posts.title, 'Hello'));
    });
    await r.step('aggregatesGroupBy', () =>
      db
        .select({
          name: authors.name,
          posts: count(posts.id),
          totalViews: sum(posts.views),
          avgViews: avg(posts.views),
          latest: max(posts.createdAt),
        })
        .from(authors)
        .leftJoin(posts, eq(posts.authorId, authors.id))
        .groupBy(authors.id, authors.name)
        .orderBy(asc(authors.id)),
    );
    await r.step('count', async () => ({
      posts: await db.$count(posts),
      activeAuthors: await db.$count(authors, eq(authors.active, true)),
    }));
    await r.step('pagination', async () => {
      const page = (n: number) =>
        db
          .select({ name: authors.name })
          .from(authors)
          .orderBy(desc(authors.name))
          .limit(2)
          .offset(n * 2);
      return [await page(0), await page(1), await page(2)];
    });
    await r.step('identityAndEnumTable', async () => {
      const rows = await db
        .insert(tags)
        .values([{ name: 'sql' }, { name: 'orm', color: 'blue', mood: 'busy' }])
        .returning();
      r.keys.created('tag', ...rows.map((t) => t.id));
      return rows.map((t) => r.keys.row(t, { id: 'tag' }));
    });
    await r.step('identityForeignKeyAndExpressionIndex', async () => {
      const [sqlTag] = await db.select({ id: tags.id }).from(tags).where(eq(tags.name, 'sql'));
      const rows = await db
        .insert(tagAliases)
        .values([
          { tagId: sqlTag!.id, alias: 'SQL' },
          { tagId: sqlTag!.id, alias: 'structured query language' },
        ])
        .returning();
      r.keys.created('alias', ...rows.map((a) => a.id));
      let duplicate: unknown = 'no error';
      try {
        // The unique index is on lower(alias): another case of the same alias is a duplicate.
        await db.insert(tagAliases).values({ tagId: sqlTag!.id, alias: 'sql' });
      } catch (err) {
        // drizzle's message lists the parameters: the tag's key first. The detail PostgreSQL gives
        // for an expression index (`Key (lower(alias))=(sql) already exists.`) ChorusDB does not
        // (docs/sql.md, Known differences): left out.
        const { detail: _detail, ...e } = describeError(err);
        const message = String(e.message).replace(
          /\nparams: (\d+),/,
          (_, id: string) => `\nparams: ${r.keys.of('tag', id)},`,
        );
        duplicate = { ...e, message };
      }
      await db.delete(tags).where(eq(tags.name, 'sql'));
      return {
        inserted: rows.map((a) => r.keys.row(a, { id: 'alias', tagId: 'tag' })),
        duplicate,
        afterCascade: await db.select({ alias: tagAliases.alias }).from(tagAliases),
      };
    });
  });
  return r.record;
}

async function downPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    await r.step('pushEmptySchemaDropsAll', () => push(db, {}, true));
    await r.step('dropMigrationsSchema', async () => {
      await db.execute(sql`DROP SCHEMA drizzle CASCADE`);
      return 'ok';
    });
    await r.step('pushAgainFindsNothing', () => push(db, {}, false));
  });
  return r.record;
}

export const drizzleProgram: OrmProgram = {
  name: 'drizzle',
  tables: ['dz_authors', 'dz_posts', 'dz_tags', 'dz_tag_aliases'],
  migrate: migratePhase,
  app: appPhase,
  down: downPhase,
};
