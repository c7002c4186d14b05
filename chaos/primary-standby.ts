// `chaos --mode primary-standby`: a primary, two standbys and an observer with automatic failover,
// a register-map workload (writers follow whichever node is primary: writes, cas and reads; readers
// on the standbys), the roles every node reports polled throughout, faults from PsNemesis that move
// the primary; then heal, wait until every node holds the final primary's values, and check:
// linearizability across failovers, standby reads, no acknowledged write lost (async mode: none
// lost unrecorded in replicate.rewound_rows), one primary per epoch.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { type Random, seededRandom } from '../src/testing/random.js';
import type { CheckResult } from './checkers.js';
import { History } from './history.js';
import {
  type CommitOrder,
  checkLinearizability,
  checkNoLostWrite,
  checkOnePrimaryPerEpoch,
  checkStandbyReads,
  type RewoundValues,
} from './leader-checkers.js';
import {
  pollRoles,
  psKeys,
  psTable,
  RoleBoard,
  readerLoop,
  readerProcessBase,
  writerLoop,
} from './ps-clients.js';
import {
  answersPrimary,
  type PsCluster,
  PsNemesis,
  type PsNemesisName,
  type SyncMode,
  startPsCluster,
} from './ps-cluster.js';
import { between, sleep, withClient } from './runner.js';

export interface PsOptions {
  syncMode: SyncMode;
  nemesis: PsNemesisName;
  /** Seconds of workload and faults at most. */
  timeLimitS: number;
  /** Stop earlier, once this many failovers were seen (the role poll saw that many new epochs). */
  untilFailovers?: number;
  seed: number;
  /** Writers (each follows the primary: writes, cas and reads); readers on the standbys. */
  writers: number;
  /**
   * Writers also read (default true). False: only write and cas — a read on a primary cut off from
   * its standbys waits for them, so a writer reading when a fault starts acknowledges nothing in it.
   */
  writerReads?: boolean;
  readersPerStandby: number;
  outDir: string;
  faultMs: [number, number];
  quietMs: [number, number];
  opTimeoutMs: number;
  convergenceTimeoutS: number;
  /** CHORUS_TEST_FAILPOINTS of every node (planted bugs the checkers must catch). */
  failpoints?: string;
  /** Each fault waits until one primary answers and every other node follows it again. */
  settle?: boolean;
  log: (line: string) => void;
}

export interface PsSummary {
  valid: boolean;
  mode: 'primary-standby';
  syncMode: SyncMode;
  seed: number;
  nemesis: PsNemesisName;
  timeLimitS: number;
  /** Seconds the workload ran (less than timeLimitS when untilFailovers was reached). */
  ranS: number;
  ops: Record<string, number>;
  /** Operations by node and outcome. */
  opsByNode: Record<string, Record<string, number>>;
  faults: string[];
  /** Failovers the role poll saw (epochs with a writable primary, beyond the first). */
  failovers: number;
  /** Automatic failovers in replicate.failover_history, summed over the nodes. */
  failoverHistory: number;
  /** The node that was primary at the end. */
  finalPrimary: number | null;
  convergenceMs: number | null;
  checks: CheckResult[];
  outDir: string;
  /**
   * Per node, at the end: its election gauges (chorus_ha_*) and its last election log lines —
   * what says why a failover did or did not happen. Also in ha-diagnostics.txt.
   */
  haDiagnostics: string[];
}

/** Election log lines kept per node in the diagnostics. */
const diagnosticLogLines = 25;
/** Log lines that say why a failover did or did not happen: elections, role changes, errors. */
const electionLogPattern =
  /election|won the election|fenced|following the new primary|not running for primary|promoted|restarting the node|"level":(50|60)/;

/** A node's chorus_ha_* gauges and its last election log lines. */
async function haDiagnostics(node: PsCluster['nodes'][number], i: number): Promise<string> {
  let metrics: string;
  try {
    const text = await (
      await fetch(`${node.httpUrl}/metrics`, { signal: AbortSignal.timeout(3_000) })
    ).text();
    metrics = text
      .split('\n')
      .filter((l) => l.startsWith('chorus_ha_'))
      .join('; ');
  } catch (e) {
    metrics = `no metrics: ${(e as Error).message}`;
  }
  const lines = node
    .logs()
    .split('\n')
    .filter((l) => electionLogPattern.test(l))
    .slice(-diagnosticLogLines);
  return [`node ${i} (${node.nodeId}): ${metrics}`, ...lines.map((l) => `  ${l}`)].join('\n');
}

function parsed(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

function loggedValue(json: unknown): number | null {
  const o = parsed(json) as { v?: unknown } | null;
  return o && typeof o === 'object' && o.v !== undefined && o.v !== null ? Number(o.v) : null;
}

function loggedKey(json: unknown): number | null {
  const k = parsed(json);
  const first = Array.isArray(k) ? k[0] : k && typeof k === 'object' ? (k as { k?: unknown }).k : k;
  const n = Number(first);
  return Number.isFinite(n) ? n : null;
}

async function finalValues(client: pg.Client): Promise<Map<number, number | null>> {
  const rows = (await client.query(`SELECT k, v FROM ${psTable}`)).rows as { k: unknown; v: unknown }[];
  return new Map(rows.map((r) => [Number(r.k), r.v === null ? null : Number(r.v)]));
}

/** The commit order of every key: the final primary's log holds every epoch's surviving history. */
async function commitOrder(client: pg.Client): Promise<CommitOrder> {
  const rows = (
    await client.query(
      `SELECT primary_key, columns FROM replicate.log
        WHERE table_name = '${psTable}' AND operation IN ('INSERT', 'UPDATE') ORDER BY lsn`,
    )
  ).rows as { primary_key: unknown; columns: unknown }[];
  const order: CommitOrder = new Map();
  for (const r of rows) {
    const v = loggedValue(r.columns);
    const key = loggedKey(r.primary_key);
    if (v === null || key === null) continue;
    order.set(key, [...(order.get(key) ?? []), v]);
  }
  return order;
}

/** The values a node rewound when it rejoined as a standby after being deposed. */
async function rewoundValues(client: pg.Client, node: number, into: RewoundValues): Promise<unknown[]> {
  const rows = (
    await client.query(
      `SELECT epoch, origin, origin_seq, op, row_key, lost_values FROM replicate.rewound_rows WHERE table_name = '${psTable}'`,
    )
  ).rows as { row_key: unknown; lost_values: unknown }[];
  for (const r of rows) {
    const key = loggedKey(r.row_key);
    const v = loggedValue(r.lost_values);
    if (key === null || v === null) continue;
    const values = into.get(key) ?? new Map<number, Set<number>>();
    into.set(key, values);
    const nodes = values.get(v) ?? new Set<number>();
    values.set(v, nodes);
    nodes.add(node);
  }
  return rows;
}

/**
 * Waits until exactly one node answers as primary and every node holds its values; the time taken
 * and that node, or null at the deadline.
 */
async function waitSame(
  cluster: PsCluster,
  timeoutMs: number,
  last: { roles: (boolean | null)[] } = { roles: [] },
): Promise<{ ms: number; primary: number } | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const roles = await Promise.all(cluster.nodes.map((n) => answersPrimary(n, 5_000)));
    last.roles = roles;
    const primary = roles.indexOf(true);
    if (primary >= 0 && roles.filter((r) => r === true).length === 1 && !roles.includes(null)) {
      const dumps = await Promise.all(
        cluster.nodes.map((n) =>
          withClient(n.connectionString, 5_000, async (c) =>
            JSON.stringify([...(await finalValues(c))].sort()),
          ).catch((e: Error) => `error ${e.message}`),
        ),
      );
      const first = dumps[primary]!;
      if (!first.startsWith('error') && dumps.every((d) => d === first))
        return { ms: performance.now() - t0, primary };
    }
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
    `chaos: primary + ${standbys} standbys + observer (${opts.syncMode}, automatic failover), nemesis ${opts.nemesis}, ` +
      `${opts.timeLimitS}s${opts.untilFailovers ? ` or ${opts.untilFailovers} failovers` : ''}, seed ${opts.seed}`,
  );
  const history = new History(path.join(opts.outDir, 'history.jsonl'));
  const cluster = await startPsCluster({
    standbys,
    syncMode: opts.syncMode,
    offsetFiles,
    ...(opts.failpoints ? { failpoints: opts.failpoints } : {}),
  });
  const rng = seededRandom(opts.seed);
  const nemesis = new PsNemesis(cluster, offsetFiles, rng, opts.nemesis, opts.settle === true);
  const board = new RoleBoard(cluster.nodes.length);
  try {
    // Voters grant no lease for one lease length after they start: the first write waits for it.
    const setupDeadline = performance.now() + 30_000;
    for (;;) {
      const done = await withClient(cluster.nodes[0]!.connectionString, 10_000, async (c) => {
        await c.query(`CREATE TABLE IF NOT EXISTS ${psTable} (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)`);
        await c.query(
          `INSERT INTO ${psTable} (k, v) SELECT g, 0 FROM generate_series(1, ${psKeys}) AS g ON CONFLICT (k) DO NOTHING`,
        );
        return true;
      }).catch(() => false);
      if (done) break;
      if (performance.now() > setupDeadline) throw new Error('the primary took no write within 30 s');
      await sleep(200);
    }
    if ((await waitSame(cluster, 30_000)) === null)
      throw new Error('the standbys did not get the schema within 30 s');

    const started = performance.now();
    const deadline = started + opts.timeLimitS * 1000;
    const enough = (): boolean => opts.untilFailovers !== undefined && board.failovers >= opts.untilFailovers;
    const running = (): boolean => performance.now() < deadline && !history.full && !enough();
    let nextWriter = 0;
    let nextReader = readerProcessBase;
    let k = 0;
    const clientRng = (): Random => seededRandom((opts.seed ^ (0x9e3779b9 * ++k)) >>> 0);
    const common = {
      cluster,
      history,
      board,
      running,
      opTimeoutMs: opts.opTimeoutMs,
      writerReads: opts.writerReads ?? true,
    };
    const pollers = pollRoles(cluster, history, board, running);
    const loops: Promise<void>[] = [];
    for (let i = 0; i < opts.writers; i++)
      loops.push(writerLoop({ ...common, rng: clientRng(), nextProcess: () => nextWriter++ }));
    for (let i = 0; i < standbys * opts.readersPerStandby; i++)
      loops.push(readerLoop({ ...common, rng: clientRng(), nextProcess: () => nextReader++ }));

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
      opts.log(`  healed (failovers so far: ${board.failovers})`);
    }
    // The nemesis stopped: keep the clients and the poll going until the time limit or the count.
    while (running()) await sleep(100);
    const ranS = Math.round((performance.now() - started) / 100) / 10;
    await Promise.all([...loops, pollers]);
    await nemesis.healAll();
    const last = { roles: [] as (boolean | null)[] };
    const same = await waitSame(cluster, opts.convergenceTimeoutS * 1000, last);
    const answering = last.roles
      .map((r, i) => `node ${i}: ${r === null ? 'no answer' : r ? 'primary' : 'standby'}`)
      .join(', ');
    opts.log(
      same === null
        ? `  the nodes did not agree on one primary and its values within ${opts.convergenceTimeoutS}s (${answering})`
        : `  converged ${Math.round(same.ms)} ms after heal; node ${same.primary} is primary`,
    );
    const finals = await Promise.all(
      cluster.nodes.map((n) => withClient(n.connectionString, 10_000, finalValues).catch(() => null)),
    );
    const finalPrimary = same?.primary ?? board.primary();
    const order =
      finalPrimary === null
        ? null
        : await withClient(cluster.nodes[finalPrimary]!.connectionString, 10_000, commitOrder).catch(
            () => null,
          );
    const rewound: RewoundValues = new Map();
    const rewoundRows = await Promise.all(
      cluster.nodes.map((n, i) =>
        withClient(n.connectionString, 10_000, (c) => rewoundValues(c, i, rewound)).catch(
          (e: Error) => `error ${e.message}`,
        ),
      ),
    );
    // Each node records the failovers that promoted it.
    const failoverHistory = (
      await Promise.all(
        cluster.nodes.map((n) =>
          withClient(n.connectionString, 10_000, async (c) =>
            Number(
              (
                await c.query(
                  "SELECT count(*)::int AS n FROM replicate.failover_history WHERE failover_type = 'automatic'",
                )
              ).rows[0]?.n,
            ),
          ).catch(() => 0),
        ),
      )
    ).reduce((a, b) => a + b, 0);
    writeFileSync(
      path.join(opts.outDir, 'final-reads.json'),
      JSON.stringify({
        finalPrimary,
        finals: finals.map((f) => (f ? Object.fromEntries(f) : null)),
        order: order && Object.fromEntries(order),
        rewoundRows,
      }),
    );
    const ops = history.ops;
    const writer = (o: { process: number }): boolean => o.process >= 0 && o.process < readerProcessBase;
    const reader = (o: { process: number }): boolean => o.process >= readerProcessBase;
    const async = opts.syncMode === 'async';
    const checks: CheckResult[] = [
      checkNoLostWrite(ops, finals, order, rewound, async),
      checkStandbyReads(ops, reader, order, rewound, async),
      checkOnePrimaryPerEpoch(ops, !async),
    ];
    // In async mode a failover may lose acknowledged writes (recorded as rewound): the history is
    // not linearizable by design there, so the checker runs in the sync modes only.
    if (!async) checks.unshift(checkLinearizability(ops, writer, 0));
    if (same === null)
      checks.push({
        checker: 'convergence-time',
        valid: false,
        problems: [
          `the nodes did not agree on one primary and its values within ${opts.convergenceTimeoutS} s after heal (${answering})`,
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
        const role = reader(op) ? 'standby-read' : op.f;
        n[`${role}:${op.type}`] = (n[`${role}:${op.type}`] ?? 0) + 1;
      }
    const diagnostics = await Promise.all(cluster.nodes.map((n, i) => haDiagnostics(n, i)));
    writeFileSync(path.join(opts.outDir, 'ha-diagnostics.txt'), `${diagnostics.join('\n')}\n`);
    const summary: PsSummary = {
      valid: checks.every((c) => c.valid),
      mode: 'primary-standby',
      syncMode: opts.syncMode,
      seed: opts.seed,
      nemesis: opts.nemesis,
      timeLimitS: opts.timeLimitS,
      ranS,
      ops: counts,
      opsByNode: byNode,
      faults,
      failovers: board.failovers,
      failoverHistory,
      finalPrimary,
      convergenceMs: same === null ? null : Math.round(same.ms),
      checks,
      outDir: opts.outDir,
      haDiagnostics: diagnostics,
    };
    writeFileSync(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await nemesis.healAll().catch(() => undefined);
    await history.close();
    await cluster.stop();
  }
}
