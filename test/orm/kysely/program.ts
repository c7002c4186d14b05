// The kysely program: kysely's Migrator over two migrations written with its schema builder (serial and
// identity keys, a foreign key, a unique constraint, an index, defaults; then ADD COLUMN and ALTER COLUMN),
// db.introspection.getTables(), then an application's CRUD, joins, nested JSON relations
// (jsonArrayFrom), transactions and savepoints, types, upserts, a unique violation, aggregates and
// pagination; the down-migration is migrateTo(NO_MIGRATIONS).
import {
  type ColumnType,
  type Generated,
  Kysely,
  type Migration,
  Migrator,
  NO_MIGRATIONS,
  PostgresDialect,
  sql,
} from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import pg from 'pg';
import { check, type DbConfig, describeError, jsTypes, type OrmProgram, Recorder } from '../record.js';

interface UsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  score: Generated<number>;
  big: string | number | bigint | null;
  balance: string | null;
  is_admin: Generated<boolean>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  meta: unknown;
  nickname: string | null;
}

interface PetsTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  species: string;
  weight: number | null;
  born: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

interface Db {
  ky_users: UsersTable;
  ky_pets: PetsTable;
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped database, as kysely recommends
type AnyDb = Kysely<any>;

const migrations: Record<string, Migration> = {
  '2024_01_01_init': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('ky_users')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('email', 'varchar(120)', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('score', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('big', 'bigint')
        .addColumn('balance', 'numeric(10, 2)')
        .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('meta', 'jsonb')
        .execute();
      await db.schema
        .createTable('ky_pets')
        .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('owner_id', 'integer', (c) => c.notNull().references('ky_users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(50)', (c) => c.notNull())
        .addColumn('species', 'text', (c) => c.notNull())
        .addColumn('weight', 'real')
        .addUniqueConstraint('ky_pets_owner_name_uq', ['owner_id', 'name'])
        .execute();
      await db.schema.createIndex('ky_pets_species_idx').on('ky_pets').column('species').execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('ky_pets').execute();
      await db.schema.dropTable('ky_users').execute();
    },
  },
  '2024_02_01_nickname_and_birthdays': {
    async up(db: AnyDb) {
      await db.schema.alterTable('ky_users').addColumn('nickname', 'varchar(30)').execute();
      await db.schema
        .alterTable('ky_users')
        .alterColumn('score', (c) => c.setDefault(10))
        .execute();
      await db.schema.alterTable('ky_pets').addColumn('born', 'timestamptz').execute();
    },
    async down(db: AnyDb) {
      await db.schema.alterTable('ky_pets').dropColumn('born').execute();
      await db.schema
        .alterTable('ky_users')
        .alterColumn('score', (c) => c.setDefault(0))
        .execute();
      await db.schema.alterTable('ky_users').dropColumn('nickname').execute();
    },
  },
};

async function withDb<T>(cfg: DbConfig, fn: (db: Kysely<Db>) => Promise<T>): Promise<T> {
  const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool: new pg.Pool({ ...cfg, max: 2 }) }) });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

function migrator(db: Kysely<Db>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** A migration result set as recorded: each migration's name, direction and status, and the error. */
function resultSet(rs: Awaited<ReturnType<Migrator['migrateToLatest']>>): unknown {
  if (rs.error) throw rs.error;
  return (rs.results ?? []).map((m) => ({ name: m.migrationName, direction: m.direction, status: m.status }));
}

async function ourTables(db: Kysely<Db>): Promise<unknown> {
  const tables = await db.introspection.getTables();
  return tables
    .filter((t) => t.name.startsWith('ky_'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({
      name: t.name,
      schema: t.schema,
      isView: t.isView,
      columns: t.columns.map((c) => ({
        name: c.name,
        dataType: c.dataType,
        isNullable: c.isNullable,
        isAutoIncrementing: c.isAutoIncrementing,
        hasDefaultValue: c.hasDefaultValue,
      })),
    }));
}

async function migratePhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    await r.step('migrateToLatest', async () => resultSet(await migrator(db).migrateToLatest()));
    await r.step('migrateToLatestAgainIsNoop', async () => resultSet(await migrator(db).migrateToLatest()));
    await r.step('getMigrations', async () =>
      (await migrator(db).getMigrations()).map((m) => ({
        name: m.name,
        executed: m.executedAt instanceof Date,
      })),
    );
    await r.step('introspectionGetTables', () => ourTables(db));
  });
  return r.record;
}

const created = new Date('2023-12-31T23:59:59.999Z');

async function appPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    // Generated keys are recorded by label (record.ts KeyLabels), their raw values in generatedKeys:
    // every INSERT that takes one comes before the upserts, unique violations and rollbacks
    // (PostgreSQL's sequence skips the values they take). Foreign keys come from RETURNING.
    const userId = new Map<string, number>();
    await r.step('insertReturningAll', async () => {
      const rows = await db
        .insertInto('ky_users')
        .values([
          {
            email: 'kim@example.com',
            name: 'Kim',
            big: '9223372036854775807',
            balance: '1234.50',
            created_at: created,
            meta: JSON.stringify({ theme: 'dark', langs: ['ts', 'sql'] }),
          },
          {
            email: 'lee@example.com',
            name: 'Lee',
            score: 7,
            is_admin: true,
            created_at: created,
            meta: null,
          },
          { email: 'max@example.com', name: 'Max', big: -1, nickname: 'mx' },
        ])
        .returningAll()
        .execute();
      r.keys.created('user', ...rows.map((u) => u.id));
      for (const u of rows) userId.set(u.name, u.id);
      return rows.map(({ created_at, ...rest }) => ({
        ...r.keys.row(rest, { id: 'user' }),
        created_at: rest.name === 'Max' ? Math.abs(created_at.getTime() - Date.now()) < 600_000 : created_at,
      }));
    });
    await r.step('insertPets', async () => {
      const kim = userId.get('Kim')!;
      const lee = userId.get('Lee')!;
      const rows = await db
        .insertInto('ky_pets')
        .values([
          { owner_id: kim, name: 'Rex', species: 'dog', weight: 30.5, born: '2020-05-01T10:00:00+02:00' },
          { owner_id: kim, name: 'Tom', species: 'cat', weight: 4.25 },
          { owner_id: lee, name: 'Nemo', species: 'fish', weight: null },
          { owner_id: lee, name: 'Kitty', species: 'cat', weight: 3.5 },
        ])
        .returning(['id', 'owner_id', 'name', 'born'])
        .execute();
      r.keys.created('pet', ...rows.map((p) => p.id));
      return rows.map((p) => r.keys.row(p, { id: 'pet', owner_id: 'user' }));
    });
    await r.step('selectWhere', () =>
      db
        .selectFrom('ky_users')
        .select(['name', 'score', 'is_admin'])
        .where('score', '>=', 0)
        .where((eb) => eb.or([eb('is_admin', '=', true), eb('name', 'like', 'K%')]))
        .orderBy('name')
        .execute(),
    );
    await r.step('update', () =>
      db
        .updateTable('ky_users')
        .set((eb) => ({ score: eb('score', '+', 5), nickname: 'kimmy' }))
        .where('email', '=', 'kim@example.com')
        .returning(['name', 'score', 'nickname'])
        .executeTakeFirstOrThrow(),
    );
    await r.step('delete', async () => {
      const res = await db.deleteFrom('ky_pets').where('name', '=', 'Nemo').executeTakeFirst();
      return { numDeletedRows: res.numDeletedRows };
    });
    await r.step('innerJoin', () =>
      db
        .selectFrom('ky_pets')
        .innerJoin('ky_users', 'ky_users.id', 'ky_pets.owner_id')
        .select(['ky_users.name as owner', 'ky_pets.name as pet'])
        .orderBy('ky_users.name')
        .orderBy('ky_pets.name')
        .execute(),
    );
    await r.step('leftJoinWithNull', () =>
      db
        .selectFrom('ky_users as u')
        .leftJoin('ky_pets as p', 'p.owner_id', 'u.id')
        .select(['u.name', 'p.name as pet'])
        .orderBy('u.id')
        .orderBy('p.name')
        .execute(),
    );
    await r.step('nestedJsonArrayFrom', () =>
      db
        .selectFrom('ky_users')
        .select((eb) => [
          'name',
          jsonArrayFrom(
            eb
              .selectFrom('ky_pets')
              .select(['ky_pets.name', 'ky_pets.weight'])
              .whereRef('ky_pets.owner_id', '=', 'ky_users.id')
              .orderBy('ky_pets.name'),
          ).as('pets'),
        ])
        .orderBy('id')
        .execute(),
    );
    await r.step('nestedJsonObjectFrom', () =>
      db
        .selectFrom('ky_pets')
        .select((eb) => [
          'name',
          jsonObjectFrom(
            eb
              .selectFrom('ky_users')
              .select(['ky_users.name', 'ky_users.meta'])
              .whereRef('ky_users.id', '=', 'ky_pets.owner_id'),
          ).as('owner'),
        ])
        .orderBy('name')
        .execute(),
    );
    await r.step('typesRoundTrip', async () => {
      const row = await db
        .selectFrom('ky_users')
        .selectAll()
        .where('email', '=', 'kim@example.com')
        .executeTakeFirstOrThrow();
      check(row.big === '9223372036854775807', 'int8 comes back as the exact string');
      check(row.created_at.getTime() === created.getTime(), 'timestamptz to the millisecond');
      const pet = await db
        .selectFrom('ky_pets')
        .selectAll()
        .where('name', '=', 'Rex')
        .executeTakeFirstOrThrow();
      return {
        user: r.keys.row(row, { id: 'user' }),
        userTypes: jsTypes(row),
        pet: r.keys.row(pet, { id: 'pet', owner_id: 'user' }),
        petTypes: jsTypes(pet),
      };
    });
    await r.step('upsertInserts', async () => {
      const rows = await db
        .insertInto('ky_users')
        .values({ email: 'ned@example.com', name: 'Ned', created_at: created })
        .onConflict((oc) => oc.column('email').doUpdateSet((eb) => ({ name: eb.ref('excluded.name') })))
        .returning(['id', 'name', 'score'])
        .execute();
      r.keys.created('user', ...rows.map((u) => u.id));
      return rows.map((u) => r.keys.row(u, { id: 'user' }));
    });
    await r.step('upsertUpdates', async () =>
      (
        await db
          .insertInto('ky_users')
          .values({ email: 'lee@example.com', name: 'Lee Two', created_at: created })
          .onConflict((oc) =>
            oc
              .column('email')
              .doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), score: eb('ky_users.score', '*', 2) })),
          )
          .returning(['id', 'name', 'score'])
          .execute()
      ).map((u) => r.keys.row(u, { id: 'user' })),
    );
    await r.step('upsertOnConstraintDoNothing', () =>
      db
        .insertInto('ky_pets')
        .values({ owner_id: userId.get('Kim')!, name: 'Rex', species: 'wolf' })
        .onConflict((oc) => oc.constraint('ky_pets_owner_name_uq').doNothing())
        .returning('id')
        .execute(),
    );
    await r.step('uniqueViolation', async () => {
      try {
        await db.insertInto('ky_users').values({ email: 'kim@example.com', name: 'Kim 2' }).execute();
        return 'no error';
      } catch (err) {
        return { isPgDatabaseError: err instanceof pg.DatabaseError, ...describeError(err) };
      }
    });
    await r.step('notNullViolation', async () => {
      try {
        await db
          .updateTable('ky_pets')
          .set({ species: null as unknown as string })
          .where('name', '=', 'Rex')
          .execute();
        return 'no error';
      } catch (err) {
        // The failing row PostgreSQL shows starts with the pet's key and its owner's.
        return r.keys.failingRow(describeError(err), { 0: 'pet', 1: 'user' });
      }
    });
    await r.step('transactionCommits', async () => {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('ky_pets').set({ weight: 31 }).where('name', '=', 'Rex').execute();
        await trx.updateTable('ky_users').set({ score: 100 }).where('name', '=', 'Max').execute();
      });
      return db.selectFrom('ky_pets').select(['name', 'weight']).where('name', '=', 'Rex').execute();
    });
    await r.step('transactionRollsBack', async () => {
      let caught: string | undefined;
      try {
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('ky_pets').set({ weight: 0 }).where('name', '=', 'Rex').execute();
          await trx.deleteFrom('ky_pets').where('name', '=', 'Tom').execute();
          throw new Error('abort');
        });
      } catch (err) {
        caught = (err as Error).message;
      }
      return {
        caught,
        pets: await db.selectFrom('ky_pets').select(['name', 'weight']).orderBy('name').execute(),
      };
    });
    await r.step('controlledTransactionSavepoint', async () => {
      const trx = await db.startTransaction().execute();
      try {
        await trx.updateTable('ky_users').set({ nickname: 'kept' }).where('name', '=', 'Max').execute();
        const sp = await trx.savepoint('before_risky').execute();
        await sp.updateTable('ky_users').set({ nickname: 'undone' }).where('name', '=', 'Max').execute();
        const back = await sp.rollbackToSavepoint('before_risky').execute();
        await back.commit().execute();
      } finally {
        // Gives the connection back to the pool if a statement above failed.
        if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute();
      }
      return db.selectFrom('ky_users').select(['nickname']).where('name', '=', 'Max').execute();
    });
    await r.step('aggregatesGroupBy', () =>
      db
        .selectFrom('ky_pets')
        .select((eb) => [
          'species',
          eb.fn.countAll().as('n'),
          eb.fn.sum('weight').as('total'),
          eb.fn.avg('weight').as('mean'),
          eb.fn.min('name').as('first'),
        ])
        .groupBy('species')
        .having((eb) => eb.fn.countAll(), '>=', 1)
        .orderBy('species')
        .execute(),
    );
    await r.step('countAndSumNumeric', () =>
      db
        .selectFrom('ky_users')
        .select((eb) => [
          eb.fn.count<string>('id').as('n'),
          eb.fn.sum<string>('balance').as('balance'),
          eb.fn.avg<string>('score').as('avgScore'),
          eb.fn.max('big').as('maxBig'),
        ])
        .executeTakeFirstOrThrow(),
    );
    await r.step('pagination', async () => {
      const page = (n: number) =>
        db
          .selectFrom('ky_users')
          .select('name')
          .orderBy('name', 'desc')
          .limit(2)
          .offset(n * 2)
          .execute();
      return [await page(0), await page(1), await page(2)];
    });
  });
  return r.record;
}

async function downPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withDb(cfg, async (db) => {
    await r.step('migrateDownOne', async () => resultSet(await migrator(db).migrateDown()));
    await r.step('introspectionAfterDown', () => ourTables(db));
    await r.step('migrateToNoMigrations', async () => resultSet(await migrator(db).migrateTo(NO_MIGRATIONS)));
    await r.step('introspectionEmpty', () => ourTables(db));
  });
  return r.record;
}

export const kyselyProgram: OrmProgram = {
  name: 'kysely',
  tables: ['ky_users', 'ky_pets'],
  migrate: migratePhase,
  app: appPhase,
  down: downPhase,
};
