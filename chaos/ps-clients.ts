// The clients of `chaos --mode primary-standby`: writers that follow whichever node is primary
// (read / write / cas of a map of registers), readers on whichever nodes are standbys, and the
// poll of every node's role and epoch that both steer by (and the checkers read).

import type pg from 'pg';
import type { Random } from '../src/testing/random.js';
import type { History, Op } from './history.js';
import type { RoleReport } from './leader-checkers.js';
import type { PsCluster } from './ps-cluster.js';
import { ChaosClient, sleep } from './runner.js';
import { type OpContext, randInt, recorded } from './workloads.js';

/** Registers of the workload (few, so that operations on one key overlap). */
export const psKeys = 3;
/** A standby reader's pause between reads (standby reads are cheap; unpaced they crowd the history). */
export const standbyReadPauseMs = 20;
/** How often every node is asked its role and epoch. */
export const rolePollMs = 250;
/** Process ids of standby readers start here (writers count from 0): the checkers tell them apart. */
export const readerProcessBase = 1_000_000;
export const psTable = 'chaos_ps';

let nextValue = 1;

export async function readKey(client: pg.Client, key: number): Promise<number | null> {
  const r = await client.query(`SELECT v FROM ${psTable} WHERE k = $1`, [key]);
  return r.rows.length === 0 ? null : Number(r.rows[0].v);
}

/**
 * One operation of a writer on the primary: read, write or cas (from the value it last saw); only
 * write or cas when `reads` is false.
 */
function primaryOp(ctx: OpContext, seen: Map<number, number>, reads: boolean): Promise<Op> {
  const key = 1 + randInt(ctx.rng, psKeys);
  const roll = ctx.rng();
  const dice = reads ? roll : 0.4 + 0.6 * roll;
  if (dice < 0.4)
    return recorded(ctx, 'read', { key }, async () => {
      const value = await readKey(ctx.client, key);
      if (value !== null) seen.set(key, value);
      return { key, value };
    });
  const value = nextValue++;
  if (dice < 0.75)
    return recorded(ctx, 'write', { key, value }, async () => {
      await ctx.client.query(`UPDATE ${psTable} SET v = $1 WHERE k = $2`, [value, key]);
      seen.set(key, value);
    });
  const from = seen.get(key) ?? 0;
  return recorded(ctx, 'cas', { key, from, to: value }, async () => {
    const r = await ctx.client.query(`UPDATE ${psTable} SET v = $1 WHERE k = $2 AND v = $3`, [
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

/** The latest role report of every node (from the poll), which the clients steer by. */
export class RoleBoard {
  readonly latest: (RoleReport | null)[];
  /** Epochs in which some node reported being the writable primary. */
  readonly primaryEpochs = new Set<number>();

  constructor(nodes: number) {
    this.latest = new Array<RoleReport | null>(nodes).fill(null);
  }

  note(node: number, r: RoleReport | null): void {
    this.latest[node] = r;
    if (r && r.role === 'primary' && !r.readOnly) this.primaryEpochs.add(r.epoch ?? 0);
  }

  /** The writable primary of the newest epoch reported, or null. */
  primary(): number | null {
    let best: number | null = null;
    for (const [i, r] of this.latest.entries())
      if (
        r &&
        r.role === 'primary' &&
        !r.readOnly &&
        (best === null || (r.epoch ?? 0) > (this.latest[best]!.epoch ?? 0))
      )
        best = i;
    return best;
  }

  standbys(): number[] {
    return this.latest.flatMap((r, i) => (r?.role === 'standby' ? [i] : []));
  }

  /** Failovers seen so far: epochs with a writable primary, beyond the first. */
  get failovers(): number {
    return Math.max(0, this.primaryEpochs.size - 1);
  }
}

/** A primary's own epoch and whether it holds its lease, from its metrics (chorus_ha_*). */
async function primaryMetrics(httpUrl: string): Promise<{ epoch: number | null; lease: boolean }> {
  const text = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(1_000) })).text();
  const epoch = /^chorus_ha_epoch(?:\{[^}]*\})? (\d+)$/m.exec(text);
  const lease = /^chorus_ha_lease_held(?:\{[^}]*\})? (\d+)$/m.exec(text);
  // No lease gauge: no automatic failover, the primary needs none.
  return { epoch: epoch ? Number(epoch[1]) : null, lease: lease ? lease[1] === '1' : true };
}

/** Every node's role and epoch, polled until !running() (process -2 - node in the history). */
export async function pollRoles(
  cluster: PsCluster,
  history: History,
  board: RoleBoard,
  running: () => boolean,
): Promise<void> {
  await Promise.all(
    cluster.nodes.map(async (node, i) => {
      const client = new ChaosClient(() => node.connectionString, 1_000);
      while (running()) {
        const inv = history.invoke(-2 - i, i, 'role', null);
        try {
          const c = await client.get();
          const s = (await c.query('SELECT role, is_read_only FROM pg_replication_status')).rows[0];
          const role = String(s?.role);
          // A standby reports its primary's fencing token; a primary its own epoch and lease
          // (metrics): without its lease it takes no commit — a restarted primary that has not
          // yet heard of its successor, or one that lost its voters — so it counts as read-only.
          let token: unknown;
          let lease = true;
          if (role === 'primary') ({ epoch: token, lease } = await primaryMetrics(node.httpUrl));
          else
            token = (await c.query('SELECT fencing_token FROM pg_replication_primary')).rows[0]
              ?.fencing_token;
          const report: RoleReport = {
            role,
            readOnly: s?.is_read_only === true || !lease,
            epoch: token === null || token === undefined ? null : Number(token),
          };
          board.note(i, report);
          history.complete(inv, 'ok', report);
        } catch (e) {
          client.drop();
          board.note(i, null);
          history.complete(inv, 'info', null, (e as Error).message);
        }
        await sleep(rolePollMs);
      }
      client.drop();
    }),
  );
}

interface LoopParams {
  cluster: PsCluster;
  history: History;
  board: RoleBoard;
  running: () => boolean;
  opTimeoutMs: number;
  rng: Random;
  /** A fresh process id (a client continues as a new process after an indeterminate outcome). */
  nextProcess: () => number;
  /** Writers read too (false: only write and cas, so no writer waits on a read while a fault lasts). */
  writerReads: boolean;
}

/**
 * A writer: connects to the node the poll says is primary, checks that it answers as one
 * (pg_is_in_recovery() false: a write sent to a standby would be routed), runs operations there;
 * after any error it drops the connection and looks for the primary again. Nothing is invoked while
 * no primary is known (unavailability is no violation).
 */
export async function writerLoop(p: LoopParams): Promise<void> {
  const seen = new Map<number, number>();
  let proc = p.nextProcess();
  let node = -1;
  const client = new ChaosClient(() => p.cluster.nodes[node]!.connectionString, p.opTimeoutMs);
  while (p.running()) {
    const target = p.board.primary();
    if (target === null) {
      await sleep(50);
      continue;
    }
    let conn: pg.Client;
    try {
      if (target !== node) client.drop();
      node = target;
      conn = await client.get();
      const r = await conn.query('SELECT pg_is_in_recovery() AS r');
      if (r.rows[0]?.r !== false) throw new Error('not the primary');
    } catch {
      client.drop();
      await sleep(50);
      continue;
    }
    const op = await primaryOp(
      { client: conn, history: p.history, process: proc, node, rng: p.rng },
      seen,
      p.writerReads,
    );
    if (op.type !== 'ok') {
      // 25006 (no lease yet, or deposed) or a broken link: look for the primary again, unhurried.
      client.drop();
      await sleep(50);
    }
    if (op.type === 'info') proc = p.nextProcess();
  }
  client.drop();
}

/**
 * A standby reader: reads from one node the poll says is a standby (chosen at random) until an
 * error, then picks again — as a new process, since monotonic reads hold per session only.
 */
export async function readerLoop(p: LoopParams): Promise<void> {
  let node = -1;
  const client = new ChaosClient(() => p.cluster.nodes[node]!.connectionString, p.opTimeoutMs);
  let proc = p.nextProcess();
  let connected = false;
  while (p.running()) {
    if (!connected) {
      const standbys = p.board.standbys();
      if (standbys.length === 0) {
        await sleep(50);
        continue;
      }
      node = standbys[Math.floor(p.rng() * standbys.length)]!;
      proc = p.nextProcess();
    }
    let conn: pg.Client;
    try {
      conn = await client.get();
      connected = true;
    } catch {
      client.drop();
      connected = false;
      await sleep(50);
      continue;
    }
    const op = await standbyRead({ client: conn, history: p.history, process: proc, node, rng: p.rng });
    if (op.type !== 'ok') {
      client.drop();
      connected = false;
    }
  }
  client.drop();
}
