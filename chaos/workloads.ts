// Chaos workloads: the schema each one needs, the operations its clients issue (recorded in the
// history with their outcome), the final read of a node and the checkers that judge the run.

import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  checkBank,
  checkCounter,
  checkForeignKeys,
  checkRegister,
  checkSet,
  checkTruncate,
  type ForeignKeyRead,
  type RegisterLogEntry,
} from './checkers.js';
import { ddlUniqueWorkload, ddlWorkload } from './ddl-workload.js';
import type { Op } from './history.js';
import { type OpContext, randInt, recorded, type Workload } from './workload-ops.js';

export { type OpContext, outcomeOf, randInt, recorded, type Workload } from './workload-ops.js';

export const workloadNames = [
  'set',
  'append',
  'truncate',
  'counter',
  'register',
  'bank',
  'delta-bank',
  'foreign-key',
  'ddl',
  'ddl-unique',
] as const;
export type WorkloadName = (typeof workloadNames)[number];
/**
 * What `--workload all`, `chaos:long` and `npm test` run: every workload but `ddl-unique`, which
 * still finds a known divergence (a DROP of the UNIQUE constraint or index racing a duplicate,
 * test/pending/unique-drop-race.test.ts) and so runs only by name until that is fixed.
 */
export const suiteWorkloads: WorkloadName[] = workloadNames.filter((w) => w !== 'ddl-unique');

/** Keys of the register workload (few, so that writes collide). */
export const registerKeys = 5;
/** Accounts of the bank workload and each one's opening balance. */
export const bankAccounts = 8;
export const bankOpeningBalance = 100;
/** Parents of the foreign-key workload (deleted and made again while children are added under them). */
export const fkParents = 6;
/** One operation in this many of the truncate workload is a TRUNCATE (the rest insert). */
export const truncateOneInOps = 25;

let nextElement = 1;

const setWorkload: Workload = {
  name: 'set',
  tables: ['chaos_set'],
  setup: ['CREATE TABLE chaos_set (id INTEGER PRIMARY KEY, node INTEGER NOT NULL)'],
  op(ctx) {
    const id = nextElement++;
    return recorded(ctx, 'add', id, async () => {
      await ctx.client.query('INSERT INTO chaos_set (id, node) VALUES ($1, $2)', [id, ctx.node]);
    });
  },
  async finalRead(client) {
    return (await client.query('SELECT id FROM chaos_set')).rows.map((r: { id: number }) => Number(r.id));
  },
  check: (ops, finals) => [checkSet(ops, finals as (number[] | null)[])],
};

/** `append`: the set workload on a table without a primary key (insert-only replication). */
const appendWorkload: Workload = {
  name: 'append',
  tables: ['chaos_append'],
  setup: ['CREATE TABLE chaos_append (id INTEGER NOT NULL, node INTEGER NOT NULL)'],
  op(ctx) {
    const id = nextElement++;
    return recorded(ctx, 'append', id, async () => {
      await ctx.client.query('INSERT INTO chaos_append (id, node) VALUES ($1, $2)', [id, ctx.node]);
    });
  },
  async finalRead(client) {
    return (await client.query('SELECT id FROM chaos_append')).rows.map((r: { id: number }) => Number(r.id));
  },
  check: (ops, finals) => [checkSet(ops, finals as (number[] | null)[], 'append', 'append')],
};

/**
 * `truncate`: the append workload with TRUNCATEs from every node. A TRUNCATE of a table without a
 * primary key removes the rows its node had seen, never a row inserted concurrently elsewhere.
 */
const truncateWorkload: Workload = {
  name: 'truncate',
  tables: ['chaos_truncate'],
  setup: ['CREATE TABLE chaos_truncate (id INTEGER NOT NULL, node INTEGER NOT NULL)'],
  op(ctx) {
    if (randInt(ctx.rng, truncateOneInOps) === 0)
      return recorded(ctx, 'truncate', null, async () => {
        await ctx.client.query('TRUNCATE chaos_truncate');
      });
    const id = nextElement++;
    return recorded(ctx, 'truncate-add', id, async () => {
      await ctx.client.query('INSERT INTO chaos_truncate (id, node) VALUES ($1, $2)', [id, ctx.node]);
    });
  },
  async finalRead(client) {
    return (await client.query('SELECT id FROM chaos_truncate')).rows.map((r: { id: number }) =>
      Number(r.id),
    );
  },
  check: (ops, finals) => [checkTruncate(ops, finals as (number[] | null)[])],
};

/**
 * `foreign-key`: children added under parents while other nodes delete a parent (with the children
 * they see) or make it again. A child written concurrently with its parent's delete goes on every
 * node; every other acknowledged child stays; no node keeps an orphan.
 */
const foreignKeyWorkload: Workload = {
  name: 'foreign-key',
  tables: ['chaos_fk_parents', 'chaos_fk_children'],
  setup: [
    'CREATE TABLE chaos_fk_parents (id INTEGER PRIMARY KEY)',
    `INSERT INTO chaos_fk_parents SELECT g FROM generate_series(1, ${fkParents}) AS g`,
    'CREATE TABLE chaos_fk_children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES chaos_fk_parents, node INTEGER NOT NULL)',
  ],
  op(ctx) {
    const parent = 1 + randInt(ctx.rng, fkParents);
    const r = randInt(ctx.rng, 20);
    if (r === 0)
      return recorded(ctx, 'delete-parent', parent, async () => {
        await ctx.client.query('BEGIN');
        try {
          await ctx.client.query('DELETE FROM chaos_fk_children WHERE parent_id = $1', [parent]);
          await ctx.client.query('DELETE FROM chaos_fk_parents WHERE id = $1', [parent]);
          await ctx.client.query('COMMIT');
        } catch (err) {
          await ctx.client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    if (r <= 2)
      return recorded(ctx, 'create-parent', parent, async () => {
        await ctx.client.query('INSERT INTO chaos_fk_parents VALUES ($1) ON CONFLICT (id) DO NOTHING', [
          parent,
        ]);
      });
    const id = nextElement++;
    return recorded(ctx, 'add-child', { id, parent }, async () => {
      await ctx.client.query('INSERT INTO chaos_fk_children (id, parent_id, node) VALUES ($1, $2, $3)', [
        id,
        parent,
        ctx.node,
      ]);
    });
  },
  async finalRead(client): Promise<ForeignKeyRead> {
    const parents = (await client.query('SELECT id FROM chaos_fk_parents')).rows.map((r: { id: number }) =>
      Number(r.id),
    );
    const children = (await client.query('SELECT id, parent_id FROM chaos_fk_children')).rows.map(
      (r: { id: number; parent_id: number }) => ({ id: Number(r.id), parent: Number(r.parent_id) }),
    );
    return { parents, children };
  },
  check: (ops, finals) => [checkForeignKeys(ops, finals as (ForeignKeyRead | null)[])],
};

const counterWorkload: Workload = {
  name: 'counter',
  tables: ['chaos_counter'],
  setup: [
    'CREATE TABLE chaos_counter (id INTEGER PRIMARY KEY, n CRDT_COUNTER)',
    'INSERT INTO chaos_counter VALUES (1, CRDT_COUNTER(0))',
  ],
  op(ctx) {
    return recorded(ctx, 'incr', 1, async () => {
      const r = await ctx.client.query('UPDATE chaos_counter SET n = crdt_increment(n, 1) WHERE id = 1');
      if (r.rowCount !== 1) throw Object.assign(new Error('counter row missing'), { code: 'P0002' });
    });
  },
  async finalRead(client) {
    const r = await client.query('SELECT n FROM chaos_counter WHERE id = 1');
    return r.rows.length === 1 ? Number(r.rows[0].n) : null;
  },
  check: (ops, finals) => [checkCounter(ops, finals as (number | null)[])],
};

let nextRegisterValue = 1;

interface RegisterNodeRead {
  values: Map<number, number>;
  log: RegisterLogEntry[];
  conflicts: { key: number; values: number[] }[];
}

function registerValueOf(json: unknown): number | null {
  const o = (typeof json === 'string' ? JSON.parse(json) : json) as { v?: unknown } | null;
  return o && typeof o === 'object' && o.v !== undefined && o.v !== null ? Number(o.v) : null;
}

const registerWorkload: Workload = {
  name: 'register',
  tables: ['chaos_register'],
  setup: [
    'CREATE TABLE chaos_register (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)',
    `INSERT INTO chaos_register (k, v) SELECT g, 0 FROM generate_series(1, ${registerKeys}) AS g`,
  ],
  op(ctx) {
    const key = 1 + randInt(ctx.rng, registerKeys);
    const value = nextRegisterValue++;
    return recorded(ctx, 'write', { key, value }, async () => {
      const r = await ctx.client.query('UPDATE chaos_register SET v = $1 WHERE k = $2', [value, key]);
      if (r.rowCount !== 1) throw Object.assign(new Error('register row missing'), { code: 'P0002' });
    });
  },
  async finalRead(client): Promise<RegisterNodeRead> {
    const values = new Map<number, number>(
      (await client.query('SELECT k, v FROM chaos_register')).rows.map((r: { k: number; v: number }) => [
        Number(r.k),
        Number(r.v),
      ]),
    );
    const log = (
      await client.query(
        `SELECT lsn, origin, hlc_wall, hlc_logical, primary_key, columns FROM replicate.log
          WHERE table_name = 'chaos_register' AND operation IN ('INSERT', 'UPDATE') ORDER BY lsn`,
      )
    ).rows.flatMap((r: Record<string, unknown>) => {
      const value = registerValueOf(r.columns);
      if (value === null) return [];
      const pk = (typeof r.primary_key === 'string' ? JSON.parse(r.primary_key) : r.primary_key) as number[];
      return [
        {
          lsn: Number(r.lsn),
          origin: String(r.origin),
          hlcWall: Number(r.hlc_wall),
          hlcLogical: Number(r.hlc_logical),
          key: Number(pk[0]),
          value,
        },
      ];
    });
    const conflicts = (
      await client.query(
        "SELECT row_id, master_1_value, master_2_value, resolved_value FROM replicate.conflicts WHERE table_name = 'chaos_register'",
      )
    ).rows.map((r: Record<string, unknown>) => ({
      key: Number((JSON.parse(String(r.row_id)) as number[])[0]),
      values: [r.master_1_value, r.master_2_value, r.resolved_value].flatMap((j) => {
        const v = j === null ? null : registerValueOf(j);
        return v === null ? [] : [v];
      }),
    }));
    return { values, log, conflicts };
  },
  check(ops, finals, nodeIds) {
    const reads = finals as (RegisterNodeRead | null)[];
    return [
      checkRegister(ops, {
        values: reads.map((r) => r?.values ?? null),
        logs: reads.map((r) => r?.log ?? null),
        nodeOf: new Map(nodeIds.map((id, i) => [id, i])),
        conflicts: reads.flatMap((r) => r?.conflicts ?? []),
        initial: 0,
      }),
    ];
  },
};

async function readBalances(client: pg.Client, table = 'chaos_bank'): Promise<Map<number, number>> {
  const rows = (await client.query(`SELECT id, balance FROM ${table}`)).rows as {
    id: number;
    balance: number;
  }[];
  return new Map(rows.map((r) => [Number(r.id), Number(r.balance)]));
}

/**
 * One operation of a bank workload on `table`: a read of every balance (one in four), or a transfer
 * in one transaction, `debit` / `credit` the new balance's SQL over `$1` (the amount). Operation
 * names carry the workload's `prefix`.
 */
function bankOp(ctx: OpContext, table: string, prefix: string, debit: string, credit: string): Promise<Op> {
  if (randInt(ctx.rng, 4) === 0)
    return recorded(ctx, `${prefix}read`, null, async () =>
      Object.fromEntries(await readBalances(ctx.client, table)),
    );
  const from = 1 + randInt(ctx.rng, bankAccounts);
  const to = 1 + ((from + randInt(ctx.rng, bankAccounts - 1)) % bankAccounts);
  const amount = 1 + randInt(ctx.rng, 10);
  return recorded(ctx, `${prefix}transfer`, { from, to, amount }, async () => {
    await ctx.client.query('BEGIN');
    try {
      await ctx.client.query(`UPDATE ${table} SET balance = ${debit} WHERE id = $2`, [amount, from]);
      await ctx.client.query(`UPDATE ${table} SET balance = ${credit} WHERE id = $2`, [amount, to]);
      await ctx.client.query('COMMIT');
    } catch (err) {
      await ctx.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

const bankWorkload: Workload = {
  name: 'bank',
  tables: ['chaos_bank'],
  setup: [
    'CREATE TABLE chaos_bank (id INTEGER PRIMARY KEY, balance CRDT_COUNTER)',
    `INSERT INTO chaos_bank (id, balance) SELECT g, CRDT_COUNTER(${bankOpeningBalance}) FROM generate_series(1, ${bankAccounts}) AS g`,
  ],
  op: (ctx) => bankOp(ctx, 'chaos_bank', '', 'crdt_decrement(balance, $1)', 'crdt_increment(balance, $1)'),
  finalRead: (client) => readBalances(client),
  check: (ops, finals) => [
    checkBank(ops, finals as (Map<number, number> | null)[], bankAccounts * bankOpeningBalance),
  ],
};

/**
 * `delta-bank`: the bank on a plain bigint column made a delta column (issue 18): transfers write
 * `balance = balance - $1` and `+ $1`, concurrent ones on different nodes add up, and the total is
 * conserved on every node at every moment.
 */
const deltaBankWorkload: Workload = {
  name: 'delta-bank',
  tables: ['chaos_delta_bank'],
  setup: [
    'CREATE TABLE chaos_delta_bank (id INTEGER PRIMARY KEY, balance BIGINT NOT NULL)',
    `INSERT INTO chaos_delta_bank (id, balance) SELECT g, ${bankOpeningBalance} FROM generate_series(1, ${bankAccounts}) AS g`,
    "ALTER TABLE chaos_delta_bank ALTER COLUMN balance SET REPLICATION CONFLICT_RESOLVER = 'delta'",
  ],
  op: (ctx) => bankOp(ctx, 'chaos_delta_bank', 'delta-', 'balance - $1', 'balance + $1'),
  finalRead: (client) => readBalances(client, 'chaos_delta_bank'),
  check: (ops, finals) => [
    checkBank(
      ops,
      finals as (Map<number, number> | null)[],
      bankAccounts * bankOpeningBalance,
      'delta-bank',
      'delta-',
    ),
  ],
};

export const workloads: Record<WorkloadName, Workload> = {
  set: setWorkload,
  append: appendWorkload,
  counter: counterWorkload,
  register: registerWorkload,
  bank: bankWorkload,
  'delta-bank': deltaBankWorkload,
  'foreign-key': foreignKeyWorkload,
  truncate: truncateWorkload,
  ddl: ddlWorkload,
  'ddl-unique': ddlUniqueWorkload,
};

/** A digest of a table's rows in primary-key order (for the convergence check). */
export async function tableDigest(client: pg.Client, table: string): Promise<string> {
  const rows = (await client.query({ text: `SELECT * FROM ${table} ORDER BY 1`, rowMode: 'array' })).rows;
  return createHash('sha256')
    .update(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex');
}
