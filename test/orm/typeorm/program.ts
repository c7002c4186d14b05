// The typeorm program: entities defined with EntitySchema (the project compiles without decorators),
// `synchronize: true` (a second schema sync must find nothing to do), a migration written with the
// QueryRunner API (createTable with an index and a foreign key, addColumn), then an application's
// repositories and query builder: CRUD, relations, transactions, types, upsert, QueryFailedError for a
// unique violation, aggregates and skip/take pagination; the down phase undoes the migration and drops
// the tables with the QueryRunner.
import 'reflect-metadata';
import pg from 'pg';
import {
  DataSource,
  EntitySchema,
  type MigrationInterface,
  QueryFailedError,
  type QueryRunner,
  Table,
  TableColumn,
  TableIndex,
} from 'typeorm';
import {
  check,
  type DbConfig,
  describeError,
  jsTypes,
  type KeyLabels,
  type OrmProgram,
  Recorder,
  uuidPattern,
} from '../record.js';

interface Customer {
  id: string;
  email: string;
  name: string;
  loyalty: number;
  lifetime: string | null;
  discount: string | null;
  vip: boolean;
  tier: 'basic' | 'gold';
  createdAt: Date;
  prefs: unknown;
  invoices?: Invoice[];
}

interface Invoice {
  id: number;
  number: string;
  amount: string;
  paid: boolean;
  issuedAt: Date;
  customer?: Customer;
}

const CustomerEntity = new EntitySchema<Customer>({
  name: 'Customer',
  tableName: 'to_customers',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    email: { type: 'varchar', length: 120, unique: true },
    name: { type: 'text' },
    loyalty: { type: 'integer', default: 0 },
    lifetime: { type: 'bigint', nullable: true },
    discount: { type: 'numeric', precision: 5, scale: 2, nullable: true },
    vip: { type: 'boolean', default: false },
    // An enum column: synchronize reads its type back through a regtype cast of its name.
    tier: { type: 'enum', enum: ['basic', 'gold'], default: 'basic' },
    createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
    prefs: { type: 'jsonb', nullable: true },
  },
  relations: {
    invoices: { type: 'one-to-many', target: 'Invoice', inverseSide: 'customer' },
  },
});

const InvoiceEntity = new EntitySchema<Invoice>({
  name: 'Invoice',
  tableName: 'to_invoices',
  columns: {
    id: { type: 'integer', primary: true, generated: 'increment' },
    number: { type: 'varchar', length: 20, unique: true },
    amount: { type: 'numeric', precision: 10, scale: 2 },
    paid: { type: 'boolean', default: false },
    issuedAt: { name: 'issued_at', type: 'timestamptz' },
  },
  relations: {
    customer: {
      type: 'many-to-one',
      target: 'Customer',
      inverseSide: 'invoices',
      joinColumn: { name: 'customer_id' },
      nullable: false,
      onDelete: 'CASCADE',
    },
  },
  indices: [{ name: 'to_invoices_issued_idx', columns: ['issuedAt'] }],
});

class AuditAndNotes1717000000000 implements MigrationInterface {
  name = 'AuditAndNotes1717000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'to_audit',
        columns: [
          { name: 'id', type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'customer_id', type: 'uuid', isNullable: false },
          { name: 'action', type: 'varchar', length: '30', isNullable: false },
          { name: 'at', type: 'timestamptz', default: 'now()' },
        ],
        foreignKeys: [
          {
            columnNames: ['customer_id'],
            referencedTableName: 'to_customers',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
      true,
    );
    await q.createIndex('to_audit', new TableIndex({ name: 'to_audit_action_idx', columnNames: ['action'] }));
    await q.addColumn('to_invoices', new TableColumn({ name: 'note', type: 'text', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('to_invoices', 'note');
    await q.dropIndex('to_audit', 'to_audit_action_idx');
    await q.dropTable('to_audit');
  }
}

function dataSource(cfg: DbConfig, synchronize: boolean): DataSource {
  return new DataSource({
    type: 'postgres',
    host: cfg.host,
    port: cfg.port,
    username: cfg.user,
    database: cfg.database,
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    // gen_random_uuid() (built into PostgreSQL 13+) instead of uuid-ossp's uuid_generate_v4().
    uuidExtension: 'pgcrypto',
    entities: [CustomerEntity, InvoiceEntity],
    migrations: [AuditAndNotes1717000000000],
    migrationsTableName: 'to_migrations',
    synchronize,
    logging: false,
    poolSize: 2,
  });
}

/** Connects a DataSource (with `synchronize: true`, this creates the schema) and runs a phase's steps. */
async function phase(
  cfg: DbConfig,
  synchronize: boolean,
  steps: (r: Recorder, ds: DataSource) => Promise<void>,
): Promise<Record<string, unknown>> {
  const r = new Recorder();
  const ds = dataSource(cfg, synchronize);
  await r.step('initialize', async () => {
    await ds.initialize();
    return 'ok';
  });
  if (ds.isInitialized) {
    try {
      await steps(r, ds);
    } finally {
      await ds.destroy();
    }
  }
  return r.record;
}

async function tableFacts(ds: DataSource): Promise<unknown> {
  const q = ds.createQueryRunner();
  try {
    return {
      customers: await q.hasTable('to_customers'),
      invoices: await q.hasTable('to_invoices'),
      audit: await q.hasTable('to_audit'),
      note: await q.hasColumn('to_invoices', 'note'),
    };
  } finally {
    await q.release();
  }
}

async function migratePhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  return phase(cfg, true, async (r, ds) => {
    await r.step('syncAgainFindsNothing', async () =>
      (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query),
    );
    await r.step('runMigrations', async () =>
      (await ds.runMigrations({ transaction: 'all' })).map((m) => m.name),
    );
    await r.step('runMigrationsAgainIsNoop', async () => (await ds.runMigrations()).map((m) => m.name));
    await r.step('tables', () => tableFacts(ds));
    await r.step('loadTable', async () => {
      const q = ds.createQueryRunner();
      try {
        const t = await q.getTable('to_invoices');
        check(t !== undefined, 'to_invoices is found');
        return {
          columns: t!.columns.map((c) => ({
            name: c.name,
            type: c.type,
            nullable: c.isNullable,
            default: c.default ?? null,
          })),
          indices: t!.indices.map((i) => ({ name: i.name, columns: i.columnNames, unique: i.isUnique })),
          uniques: t!.uniques.map((u) => u.columnNames),
          foreignKeys: t!.foreignKeys.map((f) => ({
            columns: f.columnNames,
            table: f.referencedTableName,
            onDelete: f.onDelete,
          })),
        };
      } finally {
        await q.release();
      }
    });
  });
}

const issued = new Date('2024-03-15T08:30:00.500Z');

/**
 * A customer as recorded: its random uuid key and its creation time (now()) replaced by checks of them,
 * its invoices' serial keys by their labels.
 */
function customerOut(keys: KeyLabels, c: Customer): unknown {
  const { id, invoices, createdAt, ...rest } = c;
  return {
    ...(id !== undefined ? { idIsUuid: uuidPattern.test(id) } : {}),
    ...rest,
    ...(createdAt !== undefined
      ? {
          createdAtIsRecent:
            createdAt instanceof Date && Math.abs(createdAt.getTime() - Date.now()) < 600_000,
        }
      : {}),
    ...(invoices ? { invoices: invoices.map((i) => keys.row(i, { id: 'invoice' })) } : {}),
  };
}

async function appPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  return phase(cfg, false, async (r, ds) => {
    const customers = ds.getRepository(CustomerEntity);
    const invoices = ds.getRepository(InvoiceEntity);
    // Serial keys are recorded by label (record.ts KeyLabels), their raw values in generatedKeys: every
    // INSERT into to_invoices comes before the upserts, unique violations and rollbacks (PostgreSQL's
    // sequence skips the values they take).
    const customerOf = (c: Customer) => customerOut(r.keys, c);
    await r.step('saveCustomers', async () => {
      const saved = await customers.save([
        {
          email: 'una@example.com',
          name: 'Una',
          lifetime: '4611686018427387904',
          discount: '12.50',
          prefs: { lang: 'ga', pages: [1, 2] },
        },
        { email: 'vic@example.com', name: 'Vic', vip: true, loyalty: 40, tier: 'gold' },
        {
          email: 'wen@example.com',
          name: 'Wen',
          discount: '0.05',
          prefs: { nested: { deep: [true, null] } },
        },
      ]);
      return (saved as Customer[]).map(customerOf);
    });
    await r.step('saveInvoicesWithRelation', async () => {
      const byEmail = async (email: string) => (await customers.findOneByOrFail({ email })) as Customer;
      const una = await byEmail('una@example.com');
      const vic = await byEmail('vic@example.com');
      const saved = await invoices.save([
        { number: 'INV-1', amount: '100.00', issuedAt: issued, customer: una },
        {
          number: 'INV-2',
          amount: '250.75',
          issuedAt: new Date('2024-04-01T00:00:00Z'),
          paid: true,
          customer: una,
        },
        { number: 'INV-3', amount: '9.99', issuedAt: issued, customer: vic },
        { number: 'INV-4', amount: '1.00', issuedAt: issued, customer: vic },
      ]);
      r.keys.created('invoice', ...saved.map((i) => i.id));
      return saved.map(({ customer, ...rest }) => ({
        ...r.keys.row(rest, { id: 'invoice' }),
        customer: customer?.email,
      }));
    });
    await r.step('findWhereOrder', async () =>
      (await customers.find({ where: { vip: false }, order: { email: 'DESC' } })).map(customerOf),
    );
    await r.step('update', async () => {
      await customers.update({ email: 'wen@example.com' }, { loyalty: () => 'loyalty + 5', name: 'Wen W.' });
      const wen = await customers.findOneByOrFail({ email: 'wen@example.com' });
      wen.discount = '1.00';
      await customers.save(wen);
      return customerOf(await customers.findOneByOrFail({ email: 'wen@example.com' }));
    });
    await r.step('delete', async () => {
      const res = await invoices.delete({ number: 'INV-4' });
      return { affected: res.affected };
    });
    await r.step('findWithRelations', async () =>
      (
        await customers.find({
          relations: { invoices: true },
          order: { email: 'ASC', invoices: { number: 'ASC' } },
        })
      ).map(customerOf),
    );
    await r.step('findManyToOne', async () =>
      (await invoices.find({ relations: { customer: true }, order: { number: 'ASC' } })).map(
        ({ customer, ...rest }) => ({
          ...r.keys.row(rest, { id: 'invoice' }),
          customer: customer?.name,
        }),
      ),
    );
    await r.step('queryBuilderJoin', async () =>
      (
        await customers
          .createQueryBuilder('c')
          .innerJoinAndSelect('c.invoices', 'i', 'i.amount > :min', { min: 50 })
          .where('c.name LIKE :p', { p: 'U%' })
          .orderBy('i.number', 'ASC')
          .getMany()
      ).map(customerOf),
    );
    await r.step('typesRoundTrip', async () => {
      const una = await customers.findOneByOrFail({ email: 'una@example.com' });
      check(una.lifetime === '4611686018427387904', 'bigint as the exact string');
      const inv = await invoices.findOneByOrFail({ number: 'INV-1' });
      check(inv.issuedAt.getTime() === issued.getTime(), 'timestamptz to the millisecond');
      return {
        customer: customerOf(una),
        customerTypes: jsTypes(una as unknown as Record<string, unknown>),
        invoice: r.keys.row(inv, { id: 'invoice' }),
        invoiceTypes: jsTypes(inv as unknown as Record<string, unknown>),
      };
    });
    await r.step('upsert', async () => {
      await customers.upsert(
        [
          { email: 'vic@example.com', name: 'Victor', loyalty: 41 },
          { email: 'xia@example.com', name: 'Xia' },
        ],
        ['email'],
      );
      return (
        await customers.find({ order: { email: 'ASC' }, select: { email: true, name: true, loyalty: true } })
      ).map(customerOf);
    });
    await r.step('uniqueViolationQueryFailedError', async () => {
      try {
        await customers.insert({ email: 'una@example.com', name: 'Una again' });
        return 'no error';
      } catch (err) {
        return {
          isQueryFailedError: err instanceof QueryFailedError,
          isPgDatabaseError: (err as QueryFailedError).driverError instanceof pg.DatabaseError,
          ...describeError(err),
        };
      }
    });
    await r.step('transactionCommits', async () => {
      await ds.transaction(async (m) => {
        await m.getRepository(InvoiceEntity).update({ number: 'INV-3' }, { paid: true });
        await m.getRepository(CustomerEntity).increment({ email: 'una@example.com' }, 'loyalty', 3);
      });
      return (await invoices.findOneByOrFail({ number: 'INV-3' })).paid;
    });
    await r.step('transactionRollsBack', async () => {
      let caught: string | undefined;
      try {
        await ds.transaction(async (m) => {
          await m.getRepository(InvoiceEntity).update({ number: 'INV-1' }, { amount: '0.01' });
          throw new Error('abort');
        });
      } catch (err) {
        caught = (err as Error).message;
      }
      return { caught, amount: (await invoices.findOneByOrFail({ number: 'INV-1' })).amount };
    });
    await r.step('queryRunnerRollback', async () => {
      const q = ds.createQueryRunner();
      await q.connect();
      await q.startTransaction();
      try {
        await q.manager.getRepository(InvoiceEntity).delete({ number: 'INV-2' });
      } finally {
        await q.rollbackTransaction();
        await q.release();
      }
      return invoices.countBy({ number: 'INV-2' });
    });
    await r.step('aggregates', async () => ({
      count: await invoices.count(),
      sum: await invoices.sum('amount' as never),
      average: await invoices.average('amount' as never),
      max: await invoices.maximum('amount' as never),
      grouped: await invoices
        .createQueryBuilder('i')
        .innerJoin('i.customer', 'c')
        .select('c.email', 'email')
        .addSelect('COUNT(*)', 'n')
        .addSelect('SUM(i.amount)', 'total')
        .addSelect('AVG(i.amount)', 'mean')
        .groupBy('c.email')
        .having('COUNT(*) >= :n', { n: 1 })
        .orderBy('c.email')
        .getRawMany(),
    }));
    await r.step('paginationSkipTake', async () => {
      const [page, total] = await customers.findAndCount({ order: { email: 'ASC' }, skip: 1, take: 2 });
      return { page: page.map(customerOf), total };
    });
    await r.step('paginationWithRelations', async () =>
      (
        await customers.find({ relations: { invoices: true }, order: { email: 'ASC' }, skip: 0, take: 1 })
      ).map(customerOf),
    );
  });
}

async function downPhase(cfg: DbConfig): Promise<Record<string, unknown>> {
  return phase(cfg, false, async (r, ds) => {
    await r.step('undoLastMigration', async () => {
      await ds.undoLastMigration({ transaction: 'all' });
      return tableFacts(ds);
    });
    await r.step('dropTables', async () => {
      const q = ds.createQueryRunner();
      try {
        await q.dropTable('to_invoices', true, true, true);
        await q.dropTable('to_customers', true, true, true);
        await q.dropTable('to_migrations', true);
      } finally {
        await q.release();
      }
      return tableFacts(ds);
    });
  });
}

export const typeormProgram: OrmProgram = {
  name: 'typeorm',
  tables: ['to_customers', 'to_invoices', 'to_audit'],
  migrate: migratePhase,
  app: appPhase,
  down: downPhase,
};
