// `chaos --mode primary-standby`: a primary and two standbys, a register-map workload (writes, cas
// and reads on the primary; reads on the standbys), the roles every node reports polled throughout,
// faults from PsNemesis; then heal, wait until the standbys hold the primary's values, and check:
// linearizability on the primary, standby reads, no acknowledged write lost, one primary per epoch.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { type Random, seededRandom } from '../src/testing/random.js';
import type { CheckResult } from './checkers.js';
import { History, type Op } from './history.js';
import {
  type CommitOrder,
  checkLinearizability,
  checkNoLostWrite,
  checkOnePrimaryPerEpoch,
  checkStandbyReads,
  type RoleReport,
} from './leader-checkers.js';
import {
  type PsCluster,
  PsNemesis,
  type PsNemesisName,
  type SyncMode,
  startPsCluster,
} from './ps-cluster.js';
import { between, ChaosClient, sleep, withClient } from './runner.js';
import { type OpContext, randInt, recorded } from './workloads.js';

export interface PsOptions {
  syncMode: SyncMode;
  nemesis: PsNemesisName;
  timeLimitS: number;
  seed: number;
  /** Clients on the primary (each writes, cas-es and reads); every standby gets readersPerStandby. */
  writers: number;
  readersPerStandby: number;
  outDir: string;
  faultMs: [number, number];
  quietMs: [number, number];
  opTimeoutMs: number;
  convergenceTimeoutS: number;
  log: (line: string) => void;
}

export interface PsSummary {
  valid: boolean;
  mode: 'primary-standby';
  syncMode: SyncMode;
  seed: number;
  nemesis: PsNemesisName;
  timeLimitS: number;
  ops: Record<string, number>;
  /** Operations by node (0 = primary) and outcome. */
  opsByNode: Record<string, Record<string, number>>;
  faults: string[];
  convergenceMs: number | null;
  checks: CheckResult[];
  outDir: string;
}

/** Registers of the workload (few, so that operations on one key overlap). */
export const psKeys = 3;
/** A standby reader's pause between reads (standby reads are cheap; unpaced they crowd the history). */
export const standbyReadPauseMs = 20;
/** How often every node is asked its role and epoch. */
export const rolePollMs = 250;
const table = 'chaos_ps';

let nextValue = 1;

function loggedValue(json: unknown): number | null {
  const o = (typeof json === 'string' ? JSON.parse(json) : json) as { v?: unknown } | null;
  return o && typeof o === 'object' && o.v !== undefined && o.v !== null ? Number(o.v) : null;
}

async function readKey(client: pg.Client, key: number): Promise<number | null> {
  const r = await client.query(`SELECT v FROM ${table} WHERE k = $1`, [key]);
  return r.rows.length === 0 ? null : Number(r.rows[0].v);
}

/** One operation of a client on the primary: read, write or cas (from the value it last saw). */
function primaryOp(ctx: OpContext, seen: Map<number, number>): Promise<Op> {
  const key = 1 + randInt(ctx.rng, psKeys);
  const dice = ctx.rng();
  if (dice < 0.4)
    return recorded(ctx, 'read', { key }, async () => {
      const value = await readKey(ctx.client, key);
      if (value !== null) seen.set(key, value);
      return { key, value };
    });
  const value = nextValue++;
  if (dice < 0.75)
    return recorded(ctx, 'write', { key, value }, async () => {
      await ctx.client.query(`UPDATE ${table} SET v = $1 WHERE k = $2`, [value, key]);
      seen.set(key, value);
    });
  const from = seen.get(key) ?? 0;
  return recorded(ctx, 'cas', { key, from, to: value }, async () => {
    const r = await ctx.client.query(`UPDATE ${table} SET v = $1 WHERE k = $2 AND v = $3`, [
      value,
      key,
      from,
    ]);
    if (r.rowCount === 1) seen.set(key, value);
    return { key, from, to: value, swapped: r.rowCount === 1 };
  });
}

async function standbyRead(ctx: OpContext): Promise<Op> {
  const key = 1 + randInt(ctx.rng, psKeys);
  const op = await recorded(ctx, 'read', { key }, async () => ({
    key,
    value: await readKey(ctx.client, key),
  }));
  await sleep(standbyReadPauseMs);
  return op;
}

/** A node's final values; the primary's commit order of every key from its log. */
async function finalValues(client: pg.Client): Promise<Map<number, number | null>> {
  const rows = (await client.query(`SELECT k, v FROM ${table}`)).rows as { k: unknown; v: unknown }[];
  return new Map(rows.map((r) => [Number(r.k), r.v === null ? null : Number(r.v)]));
}

async function commitOrder(client: pg.Client): Promise<CommitOrder> {
  const rows = (
    await client.query(
      `SELECT primary_key, columns FROM replicate.log
        WHERE table_name = '${table}' AND operation IN ('INSERT', 'UPDATE') ORDER BY lsn`,
    )
  ).rows as { primary_key: unknown; columns: unknown }[];
  const order: CommitOrder = new Map();
  for (const r of rows) {
    const v = loggedValue(r.columns);
    if (v === null) continue;
    const pk = (typeof r.primary_key === 'string' ? JSON.parse(r.primary_key) : r.primary_key) as number[];
    const key = Number(pk[0]);
    order.set(key, [...(order.get(key) ?? []), v]);
  }
  return order;
}

/** Waits until every node holds the primary's values (ms taken, or null at the deadline). */
async function waitSame(cluster: PsCluster, timeoutMs: number): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const dumps = await Promise.all(
      cluster.nodes.map((n) =>
        withClient(n.connectionString, 5_000, async (c) =>
          JSON.stringify([...(await finalValues(c))].sort()),
        ).catch((e: Error) => `error ${e.message}`),
      ),
    );
    if (!dumps[0]!.startsWith('error') && dumps.every((d) => d === dumps[0])) return performance.now() - t0;
    await sleep(200);
  }
  return null;
}

export async function runPrimaryStandby(opts: PsOptions): Promise<PsSummary> {
  mkdirSync(opts.outDir, { recursive: true });
  const standbys = 2;
  const offsetFiles = Array.from({ length: standbys + 1 }, (_, i) =>
    path.join(opts.outDir, `clock-offset-${i}.txt`),
  );
  for (const f of offsetFiles) writeFileSync(f, '0');
  opts.log(
    `chaos: primary + ${standbys} standbys (${opts.syncMode}), nemesis ${opts.nemesis}, ${opts.timeLimitS}s, seed ${opts.seed}`,
  );
  const history = new History(path.join(opts.outDir, 'history.jsonl'));
  const cluster = await startPsCluster({ standbys, syncMode: opts.syncMode, offsetFiles });
  const rng = seededRandom(opts.seed);
  const nemesis = new PsNemesis(cluster, offsetFiles, rng, opts.nemesis);
  try {
    await withClient(cluster.nodes[0]!.connectionString, 10_000, async (c) => {
      await c.query(`CREATE TABLE ${table} (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)`);
      await c.query(`INSERT INTO ${table} (k, v) SELECT g, 0 FROM generate_series(1, ${psKeys}) AS g`);
    });
    if ((await waitSame(cluster, 30_000)) === null)
      throw new Error('the standbys did not get the schema within 30 s');

    const started = performance.now();
    const deadline = started + opts.timeLimitS * 1000;
    const running = (): boolean => performance.now() < deadline && !history.full;
    let nextProcess = 0;
    const loops: Promise<void>[] = [];
    const clientLoop = (node: number, run: (ctx: OpContext) => Promise<Op>, clientRng: Random): void => {
      const client = new ChaosClient(() => cluster.nodes[node]!.connectionString, opts.opTimeoutMs);
      let proc = nextProcess++;
      loops.push(
        (async () => {
          while (running()) {
            let conn: pg.Client;
            try {
              conn = await client.get();
            } catch {
              await sleep(100); // node down: unavailable, nothing invoked
              continue;
            }
            const op = await run({ client: conn, history, process: proc, node, rng: clientRng });
            if (op.type === 'info') {
              client.drop();
              proc = nextProcess++;
            }
          }
          client.drop();
        })(),
      );
    };
    let k = 0;
    const clientRng = (): Random => seededRandom((opts.seed ^ (0x9e3779b9 * ++k)) >>> 0);
    for (let i = 0; i < opts.writers; i++) {
      const seen = new Map<number, number>();
      clientLoop(0, (ctx) => primaryOp(ctx, seen), clientRng());
    }
    for (let s = 1; s <= standbys; s++)
      for (let i = 0; i < opts.readersPerStandby; i++) clientLoop(s, standbyRead, clientRng());

    // Every node's role and epoch, polled (process -2 - node in the history).
    const pollers = cluster.nodes.map(async (node, i) => {
      const client = new ChaosClient(() => node.connectionString, 1_000);
      while (running()) {
        const inv = history.invoke(-2 - i, i, 'role', null);
        try {
          const c = await client.get();
          const s = (await c.query('SELECT role, is_read_only FROM pg_replication_status')).rows[0];
          const p = (await c.query('SELECT fencing_token FROM pg_replication_primary')).rows[0];
          const token = p?.fencing_token;
          const report: RoleReport = {
            role: String(s?.role),
            readOnly: s?.is_read_only === true,
            epoch: token === null || token === undefined ? null : Number(token),
          };
          history.complete(inv, 'ok', report);
        } catch (e) {
          client.drop();
          history.complete(inv, 'info', null, (e as Error).message);
        }
        await sleep(rolePollMs);
      }
      client.drop();
    });

    const faults: string[] = [];
    while (running() && !nemesis.idle) {
      await sleep(Math.min(between(rng, opts.quietMs), Math.max(0, deadline - performance.now())));
      if (!running()) break;
      const fault = await nemesis.inject();
      if (!fault) break;
      const at = history.invoke(-1, -1, 'nemesis', fault.description);
      faults.push(fault.description);
      opts.log(`  fault: ${fault.description}`);
      await sleep(Math.min(between(rng, opts.faultMs), Math.max(0, deadline - performance.now())));
      await fault.heal();
      history.complete(at, 'ok');
    }
    await Promise.all([...loops, ...pollers]);
    await nemesis.healAll();
    const convergenceMs = await waitSame(cluster, opts.convergenceTimeoutS * 1000);
    opts.log(
      convergenceMs === null
        ? `  standbys did not reach the primary's values within ${opts.convergenceTimeoutS}s`
        : `  converged ${Math.round(convergenceMs)} ms after heal`,
    );
    const finals = await Promise.all(
      cluster.nodes.map((n) => withClient(n.connectionString, 10_000, finalValues).catch(() => null)),
    );
    const order = await withClient(cluster.nodes[0]!.connectionString, 10_000, commitOrder).catch(() => null);
    writeFileSync(
      path.join(opts.outDir, 'final-reads.json'),
      JSON.stringify({
        finals: finals.map((f) => (f ? Object.fromEntries(f) : null)),
        order: order && Object.fromEntries(order),
      }),
    );
    const ops = history.ops;
    const checks: CheckResult[] = [
      checkLinearizability(ops, (node) => node === 0, 0),
      checkNoLostWrite(ops, finals, order),
      checkStandbyReads(ops, (node) => node > 0, order),
      checkOnePrimaryPerEpoch(ops, opts.syncMode !== 'async'),
    ];
    if (convergenceMs === null)
      checks.push({
        checker: 'convergence-time',
        valid: false,
        problems: [
          `standbys did not reach the primary's values within ${opts.convergenceTimeoutS} s after heal`,
        ],
        stats: {},
      });
    const counts: Record<string, number> = {};
    const byNode: Record<string, Record<string, number>> = {};
    for (const op of ops)
      if (op.process >= 0 && op.type !== 'invoke') {
        counts[op.type] = (counts[op.type] ?? 0) + 1;
        const n = byNode[String(op.node)] ?? {};
        byNode[String(op.node)] = n;
        n[`${op.f}:${op.type}`] = (n[`${op.f}:${op.type}`] ?? 0) + 1;
      }
    const summary: PsSummary = {
      valid: checks.every((c) => c.valid),
      mode: 'primary-standby',
      syncMode: opts.syncMode,
      seed: opts.seed,
      nemesis: opts.nemesis,
      timeLimitS: opts.timeLimitS,
      ops: counts,
      opsByNode: byNode,
      faults,
      convergenceMs: convergenceMs === null ? null : Math.round(convergenceMs),
      checks,
      outDir: opts.outDir,
    };
    writeFileSync(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await nemesis.healAll().catch(() => undefined);
    await history.close();
    await cluster.stop();
  }
}
