// A chaos run: K real node processes on loopback (every peer link through a fault proxy), clients
// running the chosen workloads against every node over the PostgreSQL protocol, a nemesis injecting
// faults on a seeded schedule; then heal, wait for convergence, read every node and check the
// history. Bounded in time and operations; loopback only; every process it starts is stopped.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type Random, seededRandom } from '../src/testing/random.js';
import { type Cluster, startCluster, topologyEdges } from '../test/support/cluster.js';
import { type CheckResult, checkConvergence } from './checkers.js';
import { History } from './history.js';
import { type ActiveFault, Nemesis, type NemesisName } from './nemesis.js';
import { tableDigest, type Workload, type WorkloadName, workloads } from './workloads.js';

export interface ChaosOptions {
  workloads: WorkloadName[];
  nemesis: NemesisName;
  timeLimitS: number;
  nodes: number;
  seed: number;
  /** Clients per node and workload. */
  clientsPerNode: number;
  /** Directory for history.jsonl and summary.json. */
  outDir: string;
  /** A fault lasts between these (milliseconds)... */
  faultMs: [number, number];
  /** ...and the cluster is left alone this long between faults. */
  quietMs: [number, number];
  opTimeoutMs: number;
  convergenceTimeoutS: number;
  /** Quorum writes on every node (require_quorum_for_writes with this quorum_size); off when absent. */
  quorumSize?: number;
  /** Extra environment for every node (e.g. CHORUS_TEST_FAILPOINTS for planted bugs). */
  nodeEnv?: Record<string, string>;
  /**
   * Run the workload until this condition holds instead of for timeLimitS (e.g. until a planted
   * bug has actually fired): clients stop as soon as it holds, or at its timeoutS without it
   * (then summary.until.reached is false).
   */
  until?: RunUntil;
  /** Progress lines (the CLI prints them; tests pass a no-op). */
  log: (line: string) => void;
}

/** Read access to the running nodes for a RunUntil condition. */
export interface NodeProbe {
  nodeIds: string[];
  /** One query on node i over a fresh connection (rejects on error or after 5 s). */
  sql(i: number, text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Client operations completed so far, by outcome (ok, fail, info). */
  ops(): Record<string, number>;
}

/** A condition the workload runs until (see ChaosOptions.until). */
export interface RunUntil {
  /** What is awaited, in words (progress lines, summary, the caller's error message). */
  description: string;
  /** Upper bound on the workload's duration, in seconds. */
  timeoutS: number;
  /** Polled every untilPollMs while the clients run; progress is shown in the summary. */
  check(probe: NodeProbe): Promise<{ reached: boolean; progress: string }>;
}

/** How often a RunUntil condition is polled. */
export const untilPollMs = 500;

export interface ChaosSummary {
  valid: boolean;
  seed: number;
  nodes: number;
  nemesis: NemesisName;
  workloads: WorkloadName[];
  quorumSize: number | null;
  timeLimitS: number;
  /** How long the clients actually ran (timeLimitS, or until a RunUntil condition held). */
  workloadS: number;
  /** The RunUntil condition, when there was one: whether and when it held, its last progress. */
  until: { description: string; reached: boolean; afterS: number | null; progress: string } | null;
  ops: Record<string, number>;
  faults: string[];
  convergenceMs: number | null;
  /**
   * Every node had applied the same transactions (equal applied vectors, stable over several
   * polls) while their table digests still differed: a divergence that waiting cannot heal, so
   * the convergence wait ended early.
   */
  diverged: boolean;
  checks: CheckResult[];
  outDir: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function between(rng: Random, [lo, hi]: [number, number]): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** One client connection to one node, replaced after an indeterminate outcome. */
export class ChaosClient {
  private conn: pg.Client | null = null;

  constructor(
    private readonly connectionString: () => string,
    private readonly opTimeoutMs: number,
  ) {}

  async get(): Promise<pg.Client> {
    if (this.conn) return this.conn;
    const c = new pg.Client({
      connectionString: this.connectionString(),
      query_timeout: this.opTimeoutMs,
      connectionTimeoutMillis: Math.min(this.opTimeoutMs, 3_000),
    });
    c.on('error', () => {
      // A killed or partitioned node breaks the connection; the next operation reconnects.
      if (this.conn === c) this.conn = null;
    });
    await c.connect();
    this.conn = c;
    return c;
  }

  drop(): void {
    const c = this.conn;
    this.conn = null;
    if (!c) return;
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    c.end().catch(() => undefined);
  }
}

export async function withClient<T>(
  cs: string,
  timeoutMs: number,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({
    connectionString: cs,
    query_timeout: timeoutMs,
    connectionTimeoutMillis: timeoutMs,
  });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function healEverything(cluster: Cluster, offsetFiles: string[]): Promise<void> {
  for (const [a, b] of cluster.edges) {
    const p = cluster.proxy(a, b);
    p.heal();
    p.setLatency(0);
    p.setDropProbability(0);
    p.slow(0);
  }
  for (const f of offsetFiles) writeFileSync(f, '0');
  for (const node of cluster.nodes) {
    if (!node.running) await node.restart();
    else if (node.isPaused) node.resume();
  }
}

/** Polls in a row with identical dumps and applied vectors before a divergence is declared. */
const divergedAfterStablePolls = 3;

/**
 * Waits until every node has the same table digests and applied vector (returns the time taken),
 * until the deadline (ms null), or until the nodes have diverged for good: every node applied the
 * same transactions (equal vectors) and nothing changed for divergedAfterStablePolls polls, yet
 * the digests differ. Replicas that applied the same transactions must hold the same data, so
 * waiting longer cannot help then (and the checkers will report what differs).
 */
async function waitConverged(
  cluster: Cluster,
  tables: string[],
  timeoutMs: number,
): Promise<{ ms: number | null; diverged: boolean }> {
  const t0 = performance.now();
  const deadline = t0 + timeoutMs;
  let previous: string[] | null = null;
  let stablePolls = 0;
  while (performance.now() < deadline) {
    const dumps = await Promise.all(
      cluster.nodes.map((n) =>
        withClient(n.connectionString, 5_000, async (c) => {
          const parts: string[] = [];
          for (const t of tables) parts.push(await tableDigest(c, t));
          const v = await c.query(
            'SELECT origin, max(origin_seq) AS s FROM replicate.log GROUP BY origin ORDER BY origin',
          );
          return { digests: parts.join('|'), vector: JSON.stringify(v.rows) };
        }).catch((e: Error) => ({ digests: `error: ${e.message}`, vector: 'error' })),
      ),
    );
    const ok = dumps.every((d) => d.vector !== 'error');
    const texts = dumps.map((d) => `${d.digests}|${d.vector}`);
    if (ok && texts.every((d) => d === texts[0])) return { ms: performance.now() - t0, diverged: false };
    stablePolls = previous !== null && texts.every((d, i) => d === previous![i]) ? stablePolls + 1 : 0;
    previous = texts;
    if (ok && dumps.every((d) => d.vector === dumps[0]!.vector) && stablePolls >= divergedAfterStablePolls)
      return { ms: null, diverged: true };
    await sleep(200);
  }
  return { ms: null, diverged: false };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  mkdirSync(opts.outDir, { recursive: true });
  const offsetFiles = Array.from({ length: opts.nodes }, (_, i) =>
    path.join(opts.outDir, `clock-offset-${i}.txt`),
  );
  for (const f of offsetFiles) writeFileSync(f, '0');
  const history = new History(path.join(opts.outDir, 'history.jsonl'));
  const selected: Workload[] = opts.workloads.map((w) => workloads[w]);
  const tables = selected.flatMap((w) => w.tables);
  const faults: string[] = [];
  opts.log(
    `chaos: ${opts.nodes} nodes, nemesis ${opts.nemesis}, workloads ${opts.workloads.join(',')}, ${opts.until ? `until a condition (at most ${opts.until.timeoutS}s)` : `${opts.timeLimitS}s`}, seed ${opts.seed}`,
  );
  const cluster = await startCluster({
    n: opts.nodes,
    topology: 'mesh',
    idPrefix: 'chaos',
    proxied: topologyEdges(opts.nodes, 'mesh'),
    env: opts.nodeEnv ?? {},
    // Keep the whole log for the run: the register checker orders writes by it.
    configToml:
      '[replication]\nlog_retention_min_ms = 86400000\n' +
      (opts.quorumSize
        ? `require_quorum_for_writes = true\nquorum_size = ${opts.quorumSize}\nquorum_timeout_ms = ${Math.max(500, Math.floor(opts.opTimeoutMs / 2))}\n`
        : ''),
    envOf: (i) => ({ CHORUS_TEST_CLOCK_OFFSET_FILE: offsetFiles[i]! }),
  });
  try {
    await cluster.waitLinked(30_000);
    for (const w of selected) w.reset?.();
    for (const w of selected) for (const sql of w.setup) await cluster.sql(0, sql);
    const setupConverged = await waitConverged(cluster, tables, 30_000);
    if (setupConverged.ms === null) throw new Error('the schema did not reach every node within 30 s');

    const rng = seededRandom(opts.seed);
    const started = performance.now();
    const until = opts.until ?? null;
    const deadline = started + (until ? until.timeoutS : opts.timeLimitS) * 1000;
    let reachedAtMs: number | null = null;
    const running = (): boolean => performance.now() < deadline && !history.full && reachedAtMs === null;
    let nextProcess = 0;
    const clientLoops: Promise<void>[] = [];
    for (let node = 0; node < opts.nodes; node++) {
      for (const w of selected) {
        for (let k = 0; k < opts.clientsPerNode; k++) {
          const clientRng = seededRandom((opts.seed ^ (0x9e3779b9 * (clientLoops.length + 1))) >>> 0);
          const client = new ChaosClient(() => cluster.nodes[node]!.connectionString, opts.opTimeoutMs);
          let proc = nextProcess++;
          clientLoops.push(
            (async () => {
              while (running()) {
                let conn: pg.Client;
                try {
                  conn = await client.get();
                } catch {
                  await sleep(100);
                  continue;
                }
                const op = await w.op({ client: conn, history, process: proc, node, rng: clientRng });
                if (op.type === 'info') {
                  client.drop();
                  proc = nextProcess++;
                }
              }
              client.drop();
            })(),
          );
        }
      }
    }

    // The RunUntil condition, polled while the clients run.
    let untilProgress = '';
    const probe: NodeProbe = {
      nodeIds: cluster.nodes.map((n) => n.nodeId),
      sql: (i, text, params = []) =>
        withClient(
          cluster.nodes[i]!.connectionString,
          5_000,
          async (c) => (await c.query(text, params)).rows,
        ),
      ops: () => {
        const counts: Record<string, number> = {};
        for (const op of history.ops) if (op.process >= 0) counts[op.type] = (counts[op.type] ?? 0) + 1;
        return counts;
      },
    };
    const untilLoop = (async () => {
      if (!until) return;
      opts.log(`  running until ${until.description} (at most ${until.timeoutS}s)`);
      while (running()) {
        try {
          const r = await until.check(probe);
          untilProgress = r.progress;
          if (r.reached) {
            reachedAtMs = performance.now() - started;
            opts.log(
              `  reached after ${(reachedAtMs / 1000).toFixed(1)}s: ${until.description} (${r.progress})`,
            );
            return;
          }
        } catch (e) {
          untilProgress = `check failed: ${(e as Error).message}`;
        }
        await sleep(Math.min(untilPollMs, Math.max(0, deadline - performance.now())));
      }
    })();

    const nemesis = new Nemesis(cluster, offsetFiles, rng, opts.nemesis);
    let active: ActiveFault | null;
    while (running() && !nemesis.idle) {
      await sleep(Math.min(between(rng, opts.quietMs), Math.max(0, deadline - performance.now())));
      if (!running()) break;
      active = await nemesis.inject();
      if (!active) break;
      const at = history.invoke(-1, -1, 'nemesis', active.description);
      faults.push(active.description);
      opts.log(`  fault: ${active.description}`);
      await sleep(Math.min(between(rng, opts.faultMs), Math.max(0, deadline - performance.now())));
      await active.heal();
      history.complete(at, 'ok');
      active = null;
    }
    await Promise.all([...clientLoops, untilLoop]);
    const workloadS = (performance.now() - started) / 1000;
    if (until && reachedAtMs === null)
      opts.log(`  not reached within ${until.timeoutS}s: ${until.description} (${untilProgress})`);
    await healEverything(cluster, offsetFiles);
    const converged = await waitConverged(cluster, tables, opts.convergenceTimeoutS * 1000);
    const convergenceMs = converged.ms;
    opts.log(
      converged.diverged
        ? '  diverged: every node applied the same transactions, yet their data differ'
        : convergenceMs === null
          ? `  not converged within ${opts.convergenceTimeoutS}s`
          : `  converged ${Math.round(convergenceMs)} ms after heal`,
    );

    const finals = await Promise.all(
      cluster.nodes.map((n) =>
        withClient(n.connectionString, 10_000, async (c) => {
          const perWorkload: unknown[] = [];
          for (const w of selected) perWorkload.push(await w.finalRead(c));
          const digests: Record<string, string> = {};
          for (const t of tables) digests[t] = await tableDigest(c, t);
          return { perWorkload, digests };
        }).catch(() => null),
      ),
    );
    writeFileSync(
      path.join(opts.outDir, 'final-reads.json'),
      JSON.stringify(finals, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v)),
    );
    const nodeIds = cluster.nodes.map((n) => n.nodeId);
    const checks: CheckResult[] = selected.flatMap((w, wi) =>
      w.check(
        history.ops,
        finals.map((f) => (f === null ? null : f.perWorkload[wi])),
        nodeIds,
      ),
    );
    checks.push(checkConvergence(finals.map((f) => f?.digests ?? null)));
    if (convergenceMs === null)
      checks.push({
        checker: 'convergence-time',
        valid: false,
        problems: [
          converged.diverged
            ? 'nodes diverged: every node applied the same transactions, yet their table digests differ'
            : `nodes did not converge within ${opts.convergenceTimeoutS} s after heal`,
        ],
        stats: {},
      });
    const counts: Record<string, number> = {};
    for (const op of history.ops) if (op.process >= 0) counts[op.type] = (counts[op.type] ?? 0) + 1;
    const summary: ChaosSummary = {
      valid: checks.every((c) => c.valid),
      seed: opts.seed,
      nodes: opts.nodes,
      nemesis: opts.nemesis,
      workloads: opts.workloads,
      quorumSize: opts.quorumSize ?? null,
      timeLimitS: opts.timeLimitS,
      workloadS: Math.round(workloadS * 10) / 10,
      until: until
        ? {
            description: until.description,
            reached: reachedAtMs !== null,
            afterS: reachedAtMs === null ? null : Math.round(reachedAtMs / 100) / 10,
            progress: untilProgress,
          }
        : null,
      ops: counts,
      faults,
      convergenceMs: convergenceMs === null ? null : Math.round(convergenceMs),
      diverged: converged.diverged,
      checks,
      outDir: opts.outDir,
    };
    writeFileSync(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await history.close();
    await cluster.stop();
  }
}
