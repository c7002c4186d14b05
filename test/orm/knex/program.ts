// The knex program: two migrations written with knex's schema builder (increments and uuid keys, a
// foreign key, unique, index, defaults; then ADD COLUMN, a column widened with .alter() and a CHECK),
// run with knex.migrate.latest and rolled back with knex.migrate.rollback; hasTable / hasColumn /
// columnInfo, then an application's CRUD, joins, transactions and savepoints, types, upserts, a unique
// violation, aggregates and pagination.
import knexFactory, { type Knex } from 'knex';
import {
  check,
  type DbConfig,
  describeError,
  jsTypes,
  type OrmProgram,
  Recorder,
  uuidPattern,
} from '../record.js';

interface InlineMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: InlineMigration[] = [
  {
    name: '20240101000000_init',
    async up(knex) {
      await knex.schema.createTable('kx_accounts', (t) => {
        t.increments('id');
        t.string('handle', 40).notNullable().unique();
        t.text('bio');
        t.integer('level').notNullable().defaultTo(1);
        t.bigInteger('points');
        t.decimal('credit', 12, 3);
        t.boolean('verified').notNullable().defaultTo(false);
        t.timestamp('signed_up', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.jsonb('settings');
      });
      await knex.schema.createTable('kx_orders', (t) => {
        t.uuid('id').primary().defaultTo(knex.fn.uuid());
        t.integer('account_id').notNullable().references('id').inTable('kx_accounts').onDelete('CASCADE');
        t.string('item', 100).notNullable();
        t.integer('qty').notNullable();
        t.decimal('price', 8, 2).notNullable();
        t.timestamp('placed_at', { useTz: true }).notNullable();
        t.index(['account_id', 'placed_at'], 'kx_orders_account_placed_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTable('kx_orders');
      await knex.schema.dropTable('kx_accounts');
    },
  },
  {
    name: '20240201000000_country_and_checks',
    async up(knex) {
      await knex.schema.alterTable('kx_accounts', (t) => {
        t.string('country', 2);
        t.string('handle', 60).notNullable().alter();
      });
      await knex.schema.alterTable('kx_orders', (t) => {
        t.check('qty > 0', [], 'kx_orders_qty_positive');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('kx_orders', (t) => {
        t.dropChecks('kx_orders_qty_positive');
      });
      await knex.schema.alterTable('kx_accounts', (t) => {
        t.string('handle', 40).notNullable().alter();
        t.dropColumn('country');
      });
    },
  },
];

const migrationSource: Knex.MigrationSource<InlineMigration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

async function withKnex<T>(cfg: DbConfig, fn: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = knexFactory({
    client: 'pg',
    connection: cfg,
    pool: { min: 0, max: 2 },
    acquireConnectionTimeout: 10_000,
  });
  try {
    return await fn(knex);
  } finally {
    await knex.destroy();
  }
}

async function schemaFacts(knex: Knex): Promise<unknown> {
  return {
    hasAccounts: await knex.schema.hasTable('kx_accounts'),
    hasOrders: await knex.schema.hasTable('kx_orders'),
    hasCountry: await knex.schema.hasColumn('kx_accounts', 'country'),
  };
}

async function migratePhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withKnex(cfg, async (knex) => {
    await r.step('migrateLatest', () => knex.migrate.latest({ migrationSource }));
    await r.step('migrateLatestAgainIsNoop', () => knex.migrate.latest({ migrationSource }));
    await r.step('migrateStatus', async () => ({
      currentVersion: await knex.migrate.currentVersion({ migrationSource }),
      list: await knex.migrate.list({ migrationSource }),
    }));
    await r.step('hasTableHasColumn', () => schemaFacts(knex));
    await r.step('columnInfo', async () => ({
      accounts: await knex('kx_accounts').columnInfo(),
      orders: await knex('kx_orders').columnInfo(),
    }));
  });
  return r.record;
}

const placed = new Date('2024-06-30T18:45:00.125Z');

async function appPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withKnex(cfg, async (knex) => {
    // Serial keys are recorded by label (record.ts KeyLabels), their raw values in generatedKeys: every
    // INSERT into kx_accounts that takes one comes before the upserts, unique violations and rollbacks
    // (PostgreSQL's sequence skips the values they take). Foreign keys come from RETURNING.
    const accountId = new Map<string, number>();
    await r.step('insertReturning', async () => {
      const rows = await knex('kx_accounts')
        .insert([
          {
            handle: 'olga',
            bio: 'Line one\nline two',
            points: '-9223372036854775808',
            credit: '123456789.125',
            settings: { notify: true, quiet: [22, 7] },
            signed_up: placed,
            country: 'NO',
          },
          { handle: 'pat', level: 3, verified: true, signed_up: placed },
          { handle: 'quinn', points: 42, settings: JSON.stringify([1, 'two', null]) },
        ])
        .returning('*');
      r.keys.created('account', ...rows.map((a: { id: number }) => a.id));
      for (const a of rows) accountId.set(a.handle, a.id);
      return rows.map(({ signed_up, ...rest }: Record<string, unknown>) => ({
        ...r.keys.row(rest, { id: 'account' }),
        signed_up:
          rest.handle === 'quinn'
            ? Math.abs((signed_up as Date).getTime() - Date.now()) < 600_000
            : signed_up,
      }));
    });
    await r.step('insertOrders', async () => {
      const [olga, pat, quinn] = ['olga', 'pat', 'quinn'].map((h) => accountId.get(h));
      const rows = await knex('kx_orders')
        .insert([
          { account_id: olga, item: 'book', qty: 2, price: '12.50', placed_at: placed },
          { account_id: olga, item: 'pen', qty: 10, price: '0.99', placed_at: '2024-07-01 09:00:00+02' },
          { account_id: pat, item: 'lamp', qty: 1, price: '45.00', placed_at: placed },
          { account_id: quinn, item: 'book', qty: 1, price: '12.50', placed_at: placed },
        ])
        .returning(['id', 'account_id', 'item', 'placed_at']);
      return rows.map(({ id, ...rest }: { id: string }) => ({
        idIsUuid: uuidPattern.test(id),
        ...r.keys.row(rest, { account_id: 'account' }),
      }));
    });
    await r.step('selectWhere', () =>
      knex('kx_accounts')
        .select('handle', 'level')
        .whereIn('handle', ['olga', 'pat', 'nobody'])
        .whereNotNull('signed_up')
        .orderBy('handle'),
    );
    await r.step('first', () => knex('kx_accounts').where({ handle: 'pat' }).first('handle', 'verified'));
    await r.step('update', async () => ({
      updated: await knex('kx_accounts')
        .where('handle', 'quinn')
        .update({ bio: 'hi', level: knex.raw('?? + 1', ['level']) }),
      incremented: await knex('kx_accounts')
        .where('handle', 'olga')
        .increment('level', 5)
        .returning(['handle', 'level']),
    }));
    await r.step('delete', () => knex('kx_orders').where({ item: 'lamp' }).del().returning(['item', 'qty']));
    await r.step('innerJoin', () =>
      knex('kx_orders as o')
        .join('kx_accounts as a', 'a.id', 'o.account_id')
        .select('a.handle', 'o.item', 'o.qty')
        .orderBy([{ column: 'a.handle' }, { column: 'o.item' }]),
    );
    await r.step('leftJoinWhereNull', () =>
      knex('kx_accounts as a')
        .leftJoin('kx_orders as o', 'o.account_id', 'a.id')
        .whereNull('o.id')
        .select('a.handle'),
    );
    await r.step('subqueryWhereExists', () =>
      knex('kx_accounts as a')
        .whereExists(knex('kx_orders as o').whereRaw('o.account_id = a.id').where('o.qty', '>', 5))
        .select('a.handle'),
    );
    await r.step('typesRoundTrip', async () => {
      const row = await knex('kx_accounts').where({ handle: 'olga' }).first();
      check(row.points === '-9223372036854775808', 'int8 minimum exactly');
      check((row.signed_up as Date).getTime() === placed.getTime(), 'timestamptz to the millisecond');
      const order = await knex('kx_orders').where({ item: 'pen' }).first();
      const { id, ...rest } = order;
      return {
        account: r.keys.row(row, { id: 'account' }),
        accountTypes: jsTypes(row),
        order: r.keys.row(rest, { account_id: 'account' }),
        orderTypes: jsTypes(order),
        idIsUuid: uuidPattern.test(id),
      };
    });
    await r.step(
      'raw',
      async () => (await knex.raw('select ?::int + 1 as x, ?::text as y', [41, 'ok'])).rows,
    );
    await r.step('upsertMergeInserts', async () => {
      const rows = await knex('kx_accounts')
        .insert({ handle: 'rosa', bio: 'new', signed_up: placed })
        .onConflict('handle')
        .merge(['bio'])
        .returning(['id', 'handle', 'bio']);
      r.keys.created('account', ...rows.map((a: { id: number }) => a.id));
      return rows.map((a: object) => r.keys.row(a, { id: 'account' }));
    });
    await r.step('upsertMergeUpdates', async () =>
      (
        await knex('kx_accounts')
          .insert({ handle: 'pat', bio: 'merged', level: 99, signed_up: placed })
          .onConflict('handle')
          .merge(['bio', 'level'])
          .returning(['id', 'handle', 'bio', 'level'])
      ).map((a: object) => r.keys.row(a, { id: 'account' })),
    );
    await r.step('upsertIgnore', () =>
      knex('kx_accounts').insert({ handle: 'olga' }).onConflict('handle').ignore().returning('id'),
    );
    await r.step('uniqueViolation', async () => {
      try {
        await knex('kx_accounts').insert({ handle: 'olga' });
        return 'no error';
      } catch (err) {
        return describeError(err);
      }
    });
    await r.step('checkViolation', async () => {
      const olga = accountId.get('olga');
      try {
        await knex('kx_orders').insert({
          id: '00000000-0000-4000-8000-000000000001',
          account_id: olga,
          item: 'free sample',
          qty: 0,
          price: '0',
          placed_at: placed,
        });
        return 'no error';
      } catch (err) {
        // The failing row PostgreSQL shows holds the account's key (its second value).
        return r.keys.failingRow(describeError(err), { 1: 'account' });
      }
    });
    await r.step('transactionCommits', async () => {
      await knex.transaction(async (trx) => {
        await trx('kx_orders').where({ item: 'pen' }).update({ qty: 11 });
        await trx('kx_accounts').where({ handle: 'quinn' }).update({ verified: true });
      });
      return knex('kx_orders').where({ item: 'pen' }).select('qty');
    });
    await r.step('transactionRollsBackOnThrow', async () => {
      let caught: string | undefined;
      try {
        await knex.transaction(async (trx) => {
          await trx('kx_orders').where({ item: 'pen' }).update({ qty: 500 });
          throw new Error('abort');
        });
      } catch (err) {
        caught = (err as Error).message;
      }
      return { caught, qty: await knex('kx_orders').where({ item: 'pen' }).select('qty') };
    });
    await r.step('transactionExplicitRollback', async () => {
      const trx = await knex.transaction();
      try {
        await trx('kx_orders').where({ item: 'book' }).del();
      } finally {
        await trx.rollback();
      }
      return knex('kx_orders').where({ item: 'book' }).count({ n: '*' });
    });
    await r.step('nestedTransactionSavepoint', async () => {
      await knex.transaction(async (trx) => {
        await trx('kx_accounts').where({ handle: 'pat' }).update({ bio: 'outer' });
        await trx
          .transaction(async (inner) => {
            await inner('kx_accounts').where({ handle: 'pat' }).update({ bio: 'inner' });
            throw new Error('inner fails');
          })
          .catch(() => undefined);
      });
      return knex('kx_accounts').where({ handle: 'pat' }).select('bio');
    });
    await r.step('aggregatesGroupBy', async () =>
      (
        await knex('kx_orders')
          .select('account_id')
          .count({ n: '*' })
          .sum({ qty: 'qty' })
          .avg({ avgPrice: 'price' })
          .max({ last: 'placed_at' })
          .groupBy('account_id')
          .orderBy('account_id')
      ).map((g: object) => r.keys.row(g, { account_id: 'account' })),
    );
    await r.step('countDistinct', () => knex('kx_orders').countDistinct({ items: 'item' }).first());
    await r.step('pagination', async () => {
      const page = (n: number) =>
        knex('kx_accounts')
          .select('handle')
          .orderBy('handle')
          .limit(2)
          .offset(n * 2);
      return [
        await page(0),
        await page(1),
        await page(2),
        await knex('kx_accounts').select('handle').orderBy('handle').offset(3),
      ];
    });
  });
  return r.record;
}

async function downPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  const r = new Recorder();
  await withKnex(cfg, async (knex) => {
    await r.step('rollbackLastBatchStep', () => knex.migrate.down({ migrationSource }));
    await r.step('schemaAfterOneDown', () => schemaFacts(knex));
    await r.step('rollbackAll', () => knex.migrate.rollback({ migrationSource }, true));
    await r.step('schemaAfterRollback', () => schemaFacts(knex));
  });
  return r.record;
}

export const knexProgram: OrmProgram = {
  name: 'knex',
  tables: ['kx_accounts', 'kx_orders'],
  migrate: migratePhase,
  app: appPhase,
  down: downPhase,
};
