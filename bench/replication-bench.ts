// Benchmarks multi-primary replication on a 3-node loopback cluster (real server processes started with
// test/support/launcher.ts): write throughput with replication on (vs one standalone node), apply throughput,
// replication lag under a fixed write rate, and convergence after a partition (FaultProxy). Prints numbers,
// never pass/fail: the aims from the issue are shown as met / not met for information only.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { FaultProxy } from '../src/testing/fault-proxy.js';
import { cliPath, NodeProcess } from '../test/support/launcher.js';
import { freePorts } from '../test/support/ports.js';
import { findOnPath, fmt, intOption, loadavgText, percentile, printTable } from './report.js';

const execFileAsync = promisify(execFile);
type PgClient = InstanceType<typeof pg.Client>;

// ---------------------------------------------------------------------------------------------------------
// Constants

const NODE_COUNT = 3;
const CLUSTER_SECRET = 'bench-secret';
const HOST = '127.0.0.1';
const PG_USER = 'test';
const PG_DATABASE = 'chorus';
/** pgbench connections per node (and pgbench threads per node). */
const CLIENTS_PER_NODE = 2;
const THREADS_PER_NODE = 1;
const MAX_ID = 9_000_000_000_000_000; // below 2^53: ids stay exact in JS numbers
const PAYLOAD = 'payload-xxxxxxxxxxxxxxxx';
/** Rows per transaction in the apply and partition phases. */
const ROWS_PER_TX = 1000;
/** Shared keys (inserted before the partition) that every node updates while partitioned. */
const SHARED_KEYS = 100;
/** How many times each node updates all shared keys while partitioned. */
const SHARED_UPDATE_ROUNDS = 5;
/** Key space of each node's divergent rows: node i writes ids (i + 1) * DIVERGENT_KEY_STRIDE + k. */
const DIVERGENT_KEY_STRIDE = 1_000_000_000;

const VECTOR_POLL_MS = 20;
const PROBE_INTERVAL_MS = 50;
const PROBE_POLL_MS = 10;
/** Largest IN (...) list of outstanding probe ids per poll. */
const PROBE_POLL_IDS_MAX = 500;
const CONVERGE_POLL_MS = 20;

const NODE_READY_TIMEOUT_MS = 30_000;
const NODE_STOP_TIMEOUT_MS = 20_000;
const CONNECT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 120_000;
const TABLE_REPLICATION_TIMEOUT_MS = 30_000;
/** After a load run: how long the cluster gets to apply its backlog. */
const CATCHUP_TIMEOUT_MS = 300_000;
const APPLY_TIMEOUT_MS = 300_000;
/** After the lag run: how long outstanding probes are still polled for. */
const LAG_TAIL_TIMEOUT_MS = 60_000;
const CONVERGE_TIMEOUT_MS = 300_000;
/** pgbench is killed this long after its -T duration (it only stops counting while transactions complete). */
const PGBENCH_GRACE_S = 60;
const JS_LOAD_ERRORS_MAX = 1000;
/** A rate within this fraction of another counts as bounded by / equal to it. */
const ORIGIN_BOUND_FRACTION = 0.9;
/** A 1-min loadavg above this × cores before the run is reported as a busy machine. */
const BUSY_LOADAVG_PER_CORE = 1;

const AIMS = {
  applyRowsPerSecPerNode: 50_000,
  lagP99Ms: 50,
  lagAtWritesPerSecPerNode: 5_000,
  convergeDivergentWrites: 100_000,
  convergeMs: 10_000,
} as const;

const PHASES = [1, 2, 3, 4] as const;
type Phase = (typeof PHASES)[number];

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  seconds: number;
  rate: number;
  rows: number;
  divergent: number;
  skipStandalone: boolean;
  only: Phase[];
  driver: 'auto' | 'pgbench' | 'js';
  json: string | undefined;
}

const USAGE = `usage: node dist/bench/replication-bench.js [options]
  --seconds N          duration of the throughput and lag runs (default 10)
  --rate N             total writes/s across the 3 nodes during the lag run (default 5000)
  --rows N             rows inserted on node 1 for the apply measurement (default 200000)
  --divergent N        rows written while partitioned, split across the 3 nodes (default 100000)
  --skip-standalone    do not measure the standalone node (phase 1 ratio)
  --only 1,2,3,4       phases to run: 1 throughput, 2 apply, 3 lag, 4 partition convergence (default all)
  --driver D           auto | pgbench | js (default auto: pgbench when installed)
  --json FILE          also write the results as JSON
  -h, --help`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '5000' },
      rows: { type: 'string', default: '200000' },
      divergent: { type: 'string', default: '100000' },
      'skip-standalone': { type: 'boolean', default: false },
      only: { type: 'string', default: PHASES.join(',') },
      driver: { type: 'string', default: 'auto' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only: Phase[] = [];
  for (const part of values.only.split(',')) {
    const p = Number(part.trim());
    if (!(PHASES as readonly number[]).includes(p)) throw new Error(`--only takes phases 1-4, got ${part}`);
    if (!only.includes(p as Phase)) only.push(p as Phase);
  }
  only.sort();
  const driver = values.driver;
  if (driver !== 'auto' && driver !== 'pgbench' && driver !== 'js') {
    throw new Error(`--driver must be auto, pgbench or js, got ${driver}`);
  }
  const rate = intOption('rate', values.rate);
  if (rate < NODE_COUNT) throw new Error(`--rate must be at least ${NODE_COUNT} (one write/s per node)`);
  const divergent = intOption('divergent', values.divergent);
  if (divergent < NODE_COUNT) throw new Error(`--divergent must be at least ${NODE_COUNT}`);
  return {
    seconds: intOption('seconds', values.seconds),
    rate,
    rows: intOption('rows', values.rows),
    divergent,
    skipStandalone: values['skip-standalone'],
    only,
    driver,
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Interruption, waiting, cleanup

let interrupted = false;
const liveChildren = new Set<ChildProcess>();

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

function checkInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls probe every pollMs until it returns a value; throws after timeoutMs or when interrupted. */
async function waitFor<T>(
  what: string,
  timeoutMs: number,
  pollMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    checkInterrupted();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (performance.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Nodes and clusters

interface BenchNode {
  id: string;
  proc: NodeProcess;
  /** Connection for setup, polling and checks (one query at a time). */
  client: PgClient;
}

interface Cluster {
  nodes: BenchNode[];
  proxies: FaultProxy[];
  stop: () => Promise<void>;
}

async function connect(port: number): Promise<PgClient> {
  const client = new pg.Client({
    host: HOST,
    port,
    user: PG_USER,
    database: PG_DATABASE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // A node killed under us must not crash the benchmark with an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function stopNode(proc: NodeProcess): Promise<void> {
  try {
    await proc.stop('SIGTERM', NODE_STOP_TIMEOUT_MS);
  } finally {
    await proc.cleanup();
  }
}

async function startStandalone(): Promise<BenchNode & { stop: () => Promise<void> }> {
  const proc = await NodeProcess.start({ nodeId: 'bench-standalone', readyTimeoutMs: NODE_READY_TIMEOUT_MS });
  let client: PgClient;
  try {
    client = await connect(proc.pgPort);
  } catch (err) {
    await proc.cleanup();
    throw err;
  }
  return {
    id: proc.nodeId,
    proc,
    client,
    stop: async () => {
      await client.end().catch(() => undefined);
      await stopNode(proc);
    },
  };
}

/**
 * mesh: every node dials every other node directly.
 * proxied: nodes 1 and 2 dial each other directly and do not dial node 3; node 3 dials nodes 1 and 2
 * through one FaultProxy each, so partitioning both proxies cuts node 3 off.
 */
async function startCluster(topology: 'mesh' | 'proxied'): Promise<Cluster> {
  const ports = await freePorts(NODE_COUNT * 3);
  const ha = ports.slice(0, NODE_COUNT);
  const pgPorts = ports.slice(NODE_COUNT, 2 * NODE_COUNT);
  const http = ports.slice(2 * NODE_COUNT);
  const ids = ha.map((_, i) => `bench-${i + 1}`);
  const proxies: FaultProxy[] = [];
  const procs: NodeProcess[] = [];
  const nodes: BenchNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.client.end().catch(() => undefined)));
    const results = await Promise.allSettled(procs.map((p) => stopNode(p)));
    for (const p of proxies) await p.close().catch(() => undefined);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) console.log(`cluster stop: ${(failed.reason as Error).message.split('\n')[0]}`);
  };
  try {
    const peers: string[][] = ha.map((_, i) => ha.filter((_p, j) => j !== i).map((p) => `${HOST}:${p}`));
    if (topology === 'proxied') {
      for (const target of [ha[0]!, ha[1]!])
        proxies.push(await FaultProxy.start({ host: HOST, port: target }));
      peers[0] = [`${HOST}:${ha[1]}`];
      peers[1] = [`${HOST}:${ha[0]}`];
      peers[2] = proxies.map((p) => `${HOST}:${p.port}`);
    }
    const started = await Promise.allSettled(
      ids.map((nodeId, i) =>
        NodeProcess.start({
          nodeId,
          haPort: ha[i]!,
          pgPort: pgPorts[i]!,
          httpPort: http[i]!,
          readyTimeoutMs: NODE_READY_TIMEOUT_MS,
          extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', peers[i]!.join(',')],
          env: { CHORUS_CLUSTER_SECRET: CLUSTER_SECRET },
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const proc of procs) nodes.push({ id: proc.nodeId, proc, client: await connect(proc.pgPort) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, proxies, stop };
}

/** Last 30 lines of each node's output, for failures. */
function nodeLogTails(nodes: NodeProcess[]): string {
  return nodes
    .map((n) => `--- last lines of ${n.nodeId} ---\n${n.logs().trimEnd().split('\n').slice(-30).join('\n')}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Replication state

type Vector = Record<string, number>;

/**
 * The applied vector of a node restricted to the cluster's origins. Same meaning as
 * `SELECT origin, max(origin_seq) FROM replicate.log GROUP BY origin`, but asked per origin with
 * ORDER BY ... LIMIT 1 so that SQLite answers from the (origin, origin_seq) index instead of scanning the
 * whole log on every poll (which would load the nodes being measured).
 */
async function appliedVector(client: PgClient, origins: readonly string[]): Promise<Vector> {
  const v: Vector = {};
  for (const origin of origins) v[origin] = await originSeq(client, origin);
  return v;
}

async function originSeq(client: PgClient, origin: string): Promise<number> {
  const r = await client.query<{ seq: string | number }>({
    name: 'origin-seq',
    text: 'SELECT origin_seq AS seq FROM replicate.log WHERE origin = $1 ORDER BY origin_seq DESC LIMIT 1',
    values: [origin],
  });
  return r.rows.length === 0 ? 0 : Number(r.rows[0]!.seq);
}

function sameVector(a: Vector, b: Vector): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

function vectorText(v: Vector): string {
  return Object.entries(v)
    .map(([k, s]) => `${k}:${s}`)
    .join(' ');
}

/** Waits until every node reports the same applied vector; returns the time it took (ms). */
async function waitVectorsEqual(nodes: BenchNode[], timeoutMs: number, pollMs: number): Promise<number> {
  const origins = nodes.map((n) => n.id);
  const t0 = performance.now();
  let last: Vector[] = [];
  try {
    await waitFor('identical applied vectors', timeoutMs, pollMs, async () => {
      last = [];
      for (const n of nodes) last.push(await appliedVector(n.client, origins));
      return last.every((v) => sameVector(v, last[0]!)) ? true : undefined;
    });
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    throw new Error(
      `${(err as Error).message}; vectors: ${last.map((v, i) => `${nodes[i]!.id}={${vectorText(v)}}`).join(', ')}`,
    );
  }
  return performance.now() - t0;
}

async function waitTableEverywhere(nodes: BenchNode[], table: string): Promise<void> {
  for (const n of nodes) {
    await waitFor(`table ${table} on ${n.id}`, TABLE_REPLICATION_TIMEOUT_MS, VECTOR_POLL_MS, async () => {
      await n.client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      return true;
    });
  }
}

async function rowCount(client: PgClient, table: string): Promise<number> {
  const r = await client.query<{ c: string | number }>(`SELECT count(*) AS c FROM ${table}`);
  return Number(r.rows[0]?.c);
}

/** One autocommit statement inserting ids first..last (one transaction of last - first + 1 rows). */
function rangeInsertSql(table: string, first: number, last: number, valuesFor: string): string {
  return (
    `INSERT INTO ${table} WITH RECURSIVE c(x) AS (SELECT ${first} UNION ALL SELECT x + 1 FROM c WHERE x < ${last}) ` +
    `SELECT x, ${valuesFor} FROM c`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Load generation (pgbench, or a pg-driver loop when pgbench is missing)

interface LoadTarget {
  label: string;
  port: number;
}

interface LoadResult {
  label: string;
  driver: 'pgbench' | 'js';
  writesPerSec: number;
  transactions: number;
  failed: number;
  error: string | undefined;
}

const INSERT_SCRIPT = `\\set id random(1, ${MAX_ID})\nINSERT INTO bench_rep VALUES (:id, :client_id, '${PAYLOAD}');\n`;
const INSERT_SQL = 'INSERT INTO bench_rep VALUES ($1, $2, $3)';

async function runPgbench(
  pgbench: string,
  target: LoadTarget,
  seconds: number,
  ratePerSec: number | undefined,
  scriptFile: string,
): Promise<LoadResult> {
  const args = [
    '-n',
    '-c',
    String(CLIENTS_PER_NODE),
    '-j',
    String(THREADS_PER_NODE),
    '-T',
    String(seconds),
    ...(ratePerSec !== undefined ? ['-R', String(ratePerSec)] : []),
    '-M',
    'prepared',
    '-f',
    scriptFile,
    '-h',
    HOST,
    '-p',
    String(target.port),
    '-U',
    PG_USER,
    PG_DATABASE,
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(pgbench, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'chorus-replication-bench' },
    });
    liveChildren.add(child);
    let text = '';
    child.stdout?.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      text += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + PGBENCH_GRACE_S) * 1000);
    child.once('error', (err) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(err);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code: exitCode, output: text });
    });
  });
  const tps = Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(output)?.[1] ?? Number.NaN);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
  const ok = code === 0 && Number.isFinite(tps);
  return {
    label: target.label,
    driver: 'pgbench',
    writesPerSec: Number.isFinite(tps) ? tps : 0,
    transactions,
    failed,
    error: ok ? undefined : `pgbench exited ${code}: ${output.trim().split('\n').slice(-6).join(' | ')}`,
  };
}

/** CLIENTS_PER_NODE connections inserting in a loop; paced to ratePerSec when given. */
async function runJsLoad(
  target: LoadTarget,
  seconds: number,
  ratePerSec: number | undefined,
): Promise<LoadResult> {
  const clients: PgClient[] = [];
  let done = 0;
  let failed = 0;
  let firstError: string | undefined;
  try {
    for (let i = 0; i < CLIENTS_PER_NODE; i++) clients.push(await connect(target.port));
    const start = performance.now();
    const end = start + seconds * 1000;
    const intervalMs = ratePerSec !== undefined ? (1000 * CLIENTS_PER_NODE) / ratePerSec : 0;
    await Promise.all(
      clients.map(async (c, clientId) => {
        let k = 0;
        while (!interrupted) {
          const due = start + k * intervalMs;
          if (due >= end || performance.now() >= end) break;
          if (due > performance.now()) await sleep(due - performance.now());
          k++;
          try {
            await c.query({
              name: 'ins',
              text: INSERT_SQL,
              values: [1 + Math.floor(Math.random() * MAX_ID), clientId, PAYLOAD],
            });
            done++;
          } catch (err) {
            failed++;
            firstError ??= (err as Error).message;
            if (failed > JS_LOAD_ERRORS_MAX) throw new Error(`too many errors; first: ${firstError}`);
          }
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    return {
      label: target.label,
      driver: 'js',
      writesPerSec: done / elapsed,
      transactions: done,
      failed,
      error: failed > 0 ? `${failed} failed inserts; first: ${firstError}` : undefined,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

class LoadRunner {
  constructor(
    private readonly pgbench: string | undefined,
    private readonly scriptFile: string,
  ) {}

  get driver(): 'pgbench' | 'js' {
    return this.pgbench ? 'pgbench' : 'js';
  }

  run(target: LoadTarget, seconds: number, ratePerSec?: number): Promise<LoadResult> {
    return this.pgbench
      ? runPgbench(this.pgbench, target, seconds, ratePerSec, this.scriptFile)
      : runJsLoad(target, seconds, ratePerSec);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and reporting

function log(phase: string, message: string): void {
  console.log(`[${phase}] ${message}`);
}

// ---------------------------------------------------------------------------------------------------------
// Phase 1: write throughput per node with replication on

interface ThroughputResult {
  driver: 'pgbench' | 'js';
  perNode: LoadResult[];
  totalWritesPerSec: number;
  standalone: LoadResult | undefined;
  /** Time after the load stopped until every node had applied everything. */
  catchUpMs: number;
}

async function phaseThroughput(
  cluster: Cluster,
  runner: LoadRunner,
  opts: Options,
  standalone: LoadResult | undefined,
): Promise<ThroughputResult> {
  log(
    '1',
    `${NODE_COUNT} nodes at once: ${CLIENTS_PER_NODE} clients each, autocommit inserts, ${opts.seconds}s`,
  );
  const perNode = await Promise.all(
    cluster.nodes.map((n) => runner.run({ label: n.id, port: n.proc.pgPort }, opts.seconds)),
  );
  checkInterrupted();
  for (const r of perNode) {
    log('1', `${r.label}: ${fmt(r.writesPerSec)} inserts/s${r.error ? `  ERROR ${r.error}` : ''}`);
  }
  const totalWritesPerSec = perNode.reduce((s, r) => s + r.writesPerSec, 0);
  log('1', `total ${fmt(totalWritesPerSec)} inserts/s; waiting for the replicas to catch up...`);
  const catchUpMs = await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  log('1', `caught up ${fmt(catchUpMs)} ms after the load stopped`);
  return { driver: runner.driver, perNode, totalWritesPerSec, standalone, catchUpMs };
}

async function measureStandalone(runner: LoadRunner, opts: Options): Promise<LoadResult> {
  log(
    '1',
    `standalone node (no --ha-mode): ${CLIENTS_PER_NODE} clients, autocommit inserts, ${opts.seconds}s`,
  );
  const node = await startStandalone();
  try {
    await node.client.query(CREATE_BENCH_REP);
    const r = await runner.run({ label: 'standalone', port: node.proc.pgPort }, opts.seconds);
    log('1', `standalone: ${fmt(r.writesPerSec)} inserts/s${r.error ? `  ERROR ${r.error}` : ''}`);
    return r;
  } finally {
    await node.stop();
  }
}

const CREATE_BENCH_REP = 'CREATE TABLE bench_rep (id BIGINT PRIMARY KEY, client INTEGER, v TEXT)';
const CREATE_BENCH_APPLY = 'CREATE TABLE bench_apply (id INTEGER PRIMARY KEY, v TEXT)';
const CREATE_LAG_PROBE = 'CREATE TABLE lag_probe (id TEXT PRIMARY KEY, origin TEXT, t_ms BIGINT)';
const CREATE_DIV_REP = 'CREATE TABLE div_rep (id BIGINT PRIMARY KEY, origin TEXT, n INTEGER)';

// ---------------------------------------------------------------------------------------------------------
// Phase 2: apply throughput

interface ApplyNodeResult {
  node: string;
  /** From node 1's first commit to this node's vector covering node 1's last origin_seq. */
  applyMs: number;
  rowsPerSec: number;
  /** How long after node 1's last commit this node caught up. */
  tailMs: number;
  rowsPresent: number;
}

interface ApplyResult {
  rows: number;
  transactions: number;
  /** Node 1's own insert rate (the replicas cannot apply faster than it produces). */
  originRowsPerSec: number;
  originMs: number;
  perNode: ApplyNodeResult[];
}

async function phaseApply(cluster: Cluster, opts: Options): Promise<ApplyResult> {
  const [origin, ...replicas] = cluster.nodes as [BenchNode, ...BenchNode[]];
  await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const baseSeq = await originSeq(origin.client, origin.id);
  const transactions = Math.ceil(opts.rows / ROWS_PER_TX);
  log(
    '2',
    `${origin.id} inserts ${fmt(opts.rows)} rows in ${fmt(transactions)} transactions of ≤${ROWS_PER_TX} rows`,
  );

  // Pollers on the replicas: (time, seq of origin) samples every VECTOR_POLL_MS, on their own connections.
  let target: number | undefined;
  let stopPolling = false;
  const pollers = await Promise.all(
    replicas.map(async (r) => {
      const client = await connect(r.proc.pgPort);
      const samples: { t: number; seq: number }[] = [];
      let error: string | undefined;
      const done = (async (): Promise<void> => {
        const deadline = performance.now() + APPLY_TIMEOUT_MS;
        try {
          while (!stopPolling && !interrupted && performance.now() < deadline) {
            const seq = await originSeq(client, origin.id);
            samples.push({ t: performance.now(), seq });
            if (target !== undefined && seq >= target) return;
            await sleep(VECTOR_POLL_MS);
          }
        } catch (err) {
          error = (err as Error).message;
        } finally {
          await client.end().catch(() => undefined);
        }
      })();
      return { node: r, samples, done, error: () => error };
    }),
  );

  let tFirst = 0;
  const tStart = performance.now();
  try {
    for (let tx = 0; tx < transactions; tx++) {
      checkInterrupted();
      const first = tx * ROWS_PER_TX + 1;
      const last = Math.min(opts.rows, first + ROWS_PER_TX - 1);
      await origin.client.query(rangeInsertSql('bench_apply', first, last, `'${PAYLOAD}'`));
      if (tx === 0) tFirst = performance.now();
    }
  } catch (err) {
    stopPolling = true;
    await Promise.all(pollers.map((p) => p.done));
    throw err;
  }
  const tLast = performance.now();
  target = await originSeq(origin.client, origin.id);
  if (target - baseSeq !== transactions) {
    log('2', `note: ${origin.id}'s origin_seq advanced by ${target - baseSeq}, expected ${transactions}`);
  }
  log(
    '2',
    `${origin.id} wrote them in ${fmt(tLast - tStart)} ms (${fmt((opts.rows * 1000) / (tLast - tStart))} rows/s); ` +
      `waiting for ${replicas.map((r) => r.id).join(', ')} to reach ${origin.id}:${target}...`,
  );
  await Promise.all(pollers.map((p) => p.done));
  checkInterrupted();
  const perNode: ApplyNodeResult[] = [];
  for (const p of pollers) {
    const hit = p.samples.find((s) => s.seq >= target);
    if (!hit) {
      throw new Error(
        `${p.node.id} did not apply ${origin.id}:${target} within ${APPLY_TIMEOUT_MS} ms ` +
          `(last seen ${p.samples.at(-1)?.seq ?? 'nothing'}${p.error() ? `; poll error: ${p.error()}` : ''})`,
      );
    }
    const applyMs = hit.t - tFirst;
    const rowsPresent = await rowCount(p.node.client, 'bench_apply');
    perNode.push({
      node: p.node.id,
      applyMs,
      rowsPerSec: (opts.rows * 1000) / applyMs,
      tailMs: hit.t - tLast,
      rowsPresent,
    });
    log(
      '2',
      `${p.node.id}: applied in ${fmt(applyMs)} ms from the first commit = ${fmt((opts.rows * 1000) / applyMs)} ` +
        `row changes/s (${fmt(hit.t - tLast)} ms after the last commit; ${fmt(rowsPresent)} rows present)`,
    );
  }
  return {
    rows: opts.rows,
    transactions,
    originRowsPerSec: (opts.rows * 1000) / (tLast - tStart),
    originMs: tLast - tStart,
    perNode,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Phase 3: replication lag under a fixed write rate

interface LagStats {
  direction: string;
  samples: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
}

interface LagResult {
  ratePerNode: number;
  load: LagLoad[];
  probesWritten: number;
  probesUnseen: number;
  directions: LagStats[];
  all: LagStats;
}

interface LagLoad {
  node: string;
  writesPerSec: number;
  failed: number;
  error: string | undefined;
}

interface Probe {
  id: string;
  origin: string;
  committedAt: number;
}

function lagStats(direction: string, lags: number[]): LagStats {
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    direction,
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1),
  };
}

async function phaseLag(cluster: Cluster, runner: LoadRunner, opts: Options): Promise<LagResult> {
  await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const ratePerNode = Math.max(1, Math.round(opts.rate / NODE_COUNT));
  log(
    '3',
    `${fmt(ratePerNode)} writes/s per node (${fmt(ratePerNode * NODE_COUNT)} total) for ${opts.seconds}s; ` +
      `a probe row per node every ${PROBE_INTERVAL_MS} ms, peers polled every ${PROBE_POLL_MS} ms`,
  );
  const writers: PgClient[] = [];
  const pollers: PgClient[] = [];
  try {
    for (const n of cluster.nodes) {
      writers.push(await connect(n.proc.pgPort));
      pollers.push(await connect(n.proc.pgPort));
    }
    /** Per observer: probes committed elsewhere, not yet seen there, in commit order. */
    const pending = new Map<string, Map<string, Probe>>(cluster.nodes.map((n) => [n.id, new Map()]));
    const lags = new Map<string, number[]>();
    let probesWritten = 0;
    let writing = true;
    let loopError: string | undefined;
    /** Runs a writer or poller loop; its first error ends the run (reported after every loop stopped). */
    const guarded = async (loop: () => Promise<void>): Promise<void> => {
      try {
        await loop();
      } catch (err) {
        loopError ??= (err as Error).message;
        writing = false;
      }
    };
    const loadEnd = performance.now() + opts.seconds * 1000;

    const writerLoops = cluster.nodes.map((n, i) =>
      guarded(async () => {
        const client = writers[i]!;
        let k = 0;
        const start = performance.now();
        while (!interrupted && writing) {
          // Fixed ticks: a slow insert skips ticks instead of building a backlog.
          const due = start + k * PROBE_INTERVAL_MS;
          if (due >= loadEnd) break;
          if (due > performance.now()) await sleep(due - performance.now());
          k = Math.max(k + 1, Math.ceil((performance.now() - start) / PROBE_INTERVAL_MS));
          const id = `${n.id}-${k}`;
          await client.query({
            name: 'probe',
            text: 'INSERT INTO lag_probe VALUES ($1, $2, $3)',
            values: [id, n.id, Date.now()],
          });
          const probe: Probe = { id, origin: n.id, committedAt: performance.now() };
          probesWritten++;
          for (const other of cluster.nodes) if (other.id !== n.id) pending.get(other.id)!.set(id, probe);
        }
      }),
    );

    const pollLoops = cluster.nodes.map((n, i) =>
      guarded(async () => {
        const client = pollers[i]!;
        const mine = pending.get(n.id)!;
        let tailDeadline = Number.POSITIVE_INFINITY;
        while (!interrupted) {
          if (!writing) {
            if (mine.size === 0) return;
            if (tailDeadline === Number.POSITIVE_INFINITY)
              tailDeadline = performance.now() + LAG_TAIL_TIMEOUT_MS;
            if (performance.now() >= tailDeadline) return;
          }
          if (mine.size > 0) {
            const ids = [...mine.keys()].slice(0, PROBE_POLL_IDS_MAX);
            const r = await client.query<{ id: string }>(
              `SELECT id FROM lag_probe WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`,
            );
            const seenAt = performance.now();
            for (const row of r.rows) {
              const probe = mine.get(row.id);
              if (!probe) continue;
              mine.delete(row.id);
              const dir = `${probe.origin} → ${n.id}`;
              const list = lags.get(dir) ?? [];
              lags.set(dir, list);
              list.push(seenAt - probe.committedAt);
            }
          }
          await sleep(PROBE_POLL_MS);
        }
      }),
    );

    const loads = cluster.nodes.map((n) =>
      runner.run({ label: n.id, port: n.proc.pgPort }, opts.seconds, ratePerNode),
    );
    await Promise.all(writerLoops);
    writing = false;
    const loadResults = await Promise.all(loads);
    await Promise.all(pollLoops);
    checkInterrupted();
    if (loopError !== undefined) throw new Error(`probe writer/poller failed: ${loopError}`);
    const probesUnseen = [...pending.values()].reduce((s, m) => s + m.size, 0);
    const load: LagLoad[] = loadResults.map((r) => ({
      node: r.label,
      writesPerSec: r.writesPerSec,
      failed: r.failed,
      error: r.error,
    }));
    for (const l of load) {
      log('3', `${l.node}: ${fmt(l.writesPerSec)} writes/s achieved${l.error ? `  ERROR ${l.error}` : ''}`);
    }
    const directions = [...lags.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([dir, list]) => lagStats(dir, list));
    const all = lagStats('all directions', [...lags.values()].flat());
    log(
      '3',
      `${fmt(probesWritten)} probes, lag p50 ${fmt(all.p50Ms, 1)} ms, p99 ${fmt(all.p99Ms, 1)} ms, ` +
        `max ${fmt(all.maxMs, 1)} ms${probesUnseen > 0 ? `, ${probesUnseen} (probe, peer) pairs never seen` : ''}`,
    );
    return { ratePerNode, load, probesWritten, probesUnseen, directions, all };
  } finally {
    await Promise.all([...writers, ...pollers].map((c) => c.end().catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Phase 4: convergence after a partition

interface ConvergeResult {
  divergentRows: number;
  sharedKeyUpdates: number;
  writeMs: number;
  /** Heal until node 3's first new connection through a proxy. */
  reconnectMs: number | undefined;
  /** Heal until identical applied vectors and row counts on all nodes. */
  convergeMs: number;
  /** Row changes node 3 had to apply after the heal (nodes 1 and 2's inserts and shared-key updates). */
  node3RowChanges: number;
  rowsPerNode: number;
  expectedRows: number;
  contentIdentical: boolean;
  conflicts: Record<string, number>;
}

async function phaseConverge(cluster: Cluster, opts: Options): Promise<ConvergeResult> {
  const { nodes, proxies } = cluster;
  const [n1, n2, n3] = nodes as [BenchNode, BenchNode, BenchNode];
  await n1.client.query(CREATE_DIV_REP);
  await n1.client.query(rangeInsertSql('div_rep', 1, SHARED_KEYS, `'${n1.id}', 0`));
  await waitTableEverywhere(nodes, 'div_rep');
  await waitVectorsEqual(nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);

  for (const p of proxies) p.partition();
  const perNode = Math.floor(opts.divergent / NODE_COUNT);
  log(
    '4',
    `partitioned ${n3.id} (both proxies); writing ${fmt(opts.divergent)} divergent rows ` +
      `(~${fmt(perNode)} per node, ${ROWS_PER_TX} per transaction) + ${SHARED_UPDATE_ROUNDS} updates of ` +
      `${SHARED_KEYS} shared keys per node`,
  );
  const t0 = performance.now();
  await Promise.all(
    nodes.map(async (n, i) => {
      const rows = i === NODE_COUNT - 1 ? opts.divergent - perNode * (NODE_COUNT - 1) : perNode;
      const base = (i + 1) * DIVERGENT_KEY_STRIDE;
      const txs = Math.ceil(rows / ROWS_PER_TX);
      const updateEvery = Math.max(1, Math.floor(txs / SHARED_UPDATE_ROUNDS));
      let updates = 0;
      for (let tx = 0; tx < txs; tx++) {
        checkInterrupted();
        const first = base + tx * ROWS_PER_TX + 1;
        const last = Math.min(base + rows, first + ROWS_PER_TX - 1);
        await n.client.query(rangeInsertSql('div_rep', first, last, `'${n.id}', 0`));
        if (tx % updateEvery === 0 && updates < SHARED_UPDATE_ROUNDS) {
          await n.client.query(
            `UPDATE div_rep SET origin = '${n.id}', n = n + ${i + 1} WHERE id <= ${SHARED_KEYS}`,
          );
          updates++;
        }
      }
      for (; updates < SHARED_UPDATE_ROUNDS; updates++) {
        await n.client.query(
          `UPDATE div_rep SET origin = '${n.id}', n = n + ${i + 1} WHERE id <= ${SHARED_KEYS}`,
        );
      }
    }),
  );
  const writeMs = performance.now() - t0;
  // Nodes 1 and 2 still replicate to each other: let them settle so that only the heal is measured.
  await waitVectorsEqual([n1, n2], CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const origins = nodes.map((n) => n.id);
  const before = await Promise.all(nodes.map((n) => appliedVector(n.client, origins)));
  const n3Cut = before[2]![n1.id]! < before[0]![n1.id]! && before[0]![n3.id]! < before[2]![n3.id]!;
  log(
    '4',
    `writes took ${fmt(writeMs)} ms; before heal: ${nodes.map((n, i) => `${n.id}={${vectorText(before[i]!)}}`).join(' ')}` +
      (n3Cut ? '' : '  WARNING: node 3 does not look partitioned'),
  );

  const expectedRows = SHARED_KEYS + opts.divergent;
  const accepted = proxies.map((p) => p.stats().connectionsAccepted);
  const cut = proxies.map((p) => p.stats().connectionsCut);
  for (const p of proxies) p.heal();
  const tHeal = performance.now();
  let reconnectMs: number | undefined;
  const noteReconnect = (): void => {
    if (reconnectMs !== undefined) return;
    // A connection accepted after the heal and not cut at once is the reconnection.
    const reconnected = proxies.some(
      (p, i) => p.stats().connectionsAccepted > accepted[i]! && p.stats().connectionsCut === cut[i]!,
    );
    if (reconnected) reconnectMs = performance.now() - tHeal;
  };
  const reconnectTimer = setInterval(noteReconnect, CONVERGE_POLL_MS / 2);
  let convergeMs: number;
  let counts: number[] = [];
  try {
    convergeMs = await waitFor('convergence after heal', CONVERGE_TIMEOUT_MS, CONVERGE_POLL_MS, async () => {
      noteReconnect();
      const vs: Vector[] = [];
      for (const n of nodes) vs.push(await appliedVector(n.client, origins));
      if (!vs.every((v) => sameVector(v, vs[0]!))) return undefined;
      counts = [];
      for (const n of nodes) counts.push(await rowCount(n.client, 'div_rep'));
      return counts.every((c) => c === counts[0]) ? performance.now() - tHeal : undefined;
    });
  } finally {
    clearInterval(reconnectTimer);
  }
  noteReconnect();
  const contents = await Promise.all(
    nodes.map(async (n) => {
      const r = await n.client.query<{ id: string | number; origin: string; n: string | number }>(
        `SELECT id, origin, n FROM div_rep WHERE id <= ${SHARED_KEYS} ORDER BY id`,
      );
      const agg = await n.client.query<{ c: string | number; s: string | number }>(
        'SELECT count(*) AS c, sum(id) AS s FROM div_rep',
      );
      return JSON.stringify([r.rows.map((x) => [Number(x.id), x.origin, Number(x.n)]), agg.rows[0]]);
    }),
  );
  const contentIdentical = contents.every((c) => c === contents[0]);
  const conflicts: Record<string, number> = {};
  for (const n of nodes) conflicts[n.id] = await rowCount(n.client, 'replicate.conflicts');
  log(
    '4',
    `converged ${fmt(convergeMs)} ms after heal (reconnect after ${fmt(reconnectMs)} ms); ` +
      `${fmt(counts[0])} rows per node (expected ${fmt(expectedRows)}); shared rows and sums identical: ` +
      `${contentIdentical ? 'yes' : 'NO'}; conflicts recorded: ${vectorText(conflicts)}`,
  );
  return {
    divergentRows: opts.divergent,
    sharedKeyUpdates: SHARED_UPDATE_ROUNDS * SHARED_KEYS * NODE_COUNT,
    writeMs,
    reconnectMs,
    convergeMs,
    node3RowChanges: (NODE_COUNT - 1) * (perNode + SHARED_UPDATE_ROUNDS * SHARED_KEYS),
    rowsPerNode: counts[0] ?? 0,
    expectedRows,
    contentIdentical,
    conflicts,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Main

/** ChorusDB server processes on this machine that this benchmark did not start (other runs, tests). */
async function foreignChorusServers(): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (argv.some((a) => a.endsWith(path.join('src', 'cli', 'main.js'))) && argv.includes('server'))
        count++;
    } catch {
      // Process vanished or is not readable.
    }
  }
  return count;
}

interface Results {
  throughput?: ThroughputResult;
  apply?: ApplyResult;
  lag?: LagResult;
  converge?: ConvergeResult;
  errors: Record<string, string>;
}

type AimStatus = 'met' | 'not met' | 'met, weaker test' | 'n/a';

function aimLine(label: string, aim: string, measured: string, status: AimStatus, note = ''): string[] {
  return [label, aim, measured, status, note];
}

function report(results: Results, opts: Options, machine: string): void {
  console.log('');
  console.log(`## Results (${machine}; loadavg at the end ${loadavgText()})`);
  console.log('');
  const rows: string[][] = [];
  const t = results.throughput;
  if (t) {
    for (const r of t.perNode) {
      rows.push(['1 write throughput', r.label, `${fmt(r.writesPerSec)} inserts/s`, r.error ? 'ERROR' : '']);
    }
    rows.push(['1 write throughput', 'cluster total', `${fmt(t.totalWritesPerSec)} inserts/s`, '']);
    const perNodeAvg = t.totalWritesPerSec / NODE_COUNT;
    if (t.standalone) {
      const s = t.standalone.writesPerSec;
      rows.push([
        '1 write throughput',
        'standalone node',
        `${fmt(s)} inserts/s`,
        'same load, no replication',
      ]);
      rows.push([
        '1 write throughput',
        'per-node avg / standalone',
        s > 0 ? `${(perNodeAvg / s).toFixed(2)}x` : '-',
        '',
      ]);
      rows.push([
        '1 write throughput',
        'cluster total / standalone',
        s > 0 ? `${(t.totalWritesPerSec / s).toFixed(2)}x` : '-',
        '',
      ]);
    }
    rows.push([
      '1 write throughput',
      'catch-up after load stop',
      `${fmt(t.catchUpMs)} ms`,
      'replication backlog',
    ]);
  }
  const a = results.apply;
  if (a) {
    rows.push([
      '2 apply',
      'origin insert rate',
      `${fmt(a.originRowsPerSec)} rows/s`,
      `${fmt(a.rows)} rows, ${fmt(a.transactions)} tx`,
    ]);
    for (const n of a.perNode) {
      rows.push([
        '2 apply',
        n.node,
        `${fmt(n.rowsPerSec)} row changes/s`,
        `${fmt(n.applyMs)} ms from first commit, +${fmt(n.tailMs)} ms after last`,
      ]);
    }
  }
  const l = results.lag;
  if (l) {
    const achieved = l.load.reduce((s, x) => s + x.writesPerSec, 0);
    rows.push([
      '3 lag',
      'write rate achieved',
      `${fmt(achieved)} writes/s`,
      `target ${fmt(l.ratePerNode * NODE_COUNT)} (${fmt(l.ratePerNode)}/node) + probes`,
    ]);
    for (const d of [...l.directions, l.all]) {
      rows.push([
        '3 lag',
        d.direction,
        `p50 ${fmt(d.p50Ms, 1)} / p99 ${fmt(d.p99Ms, 1)} / max ${fmt(d.maxMs, 1)} ms`,
        `${fmt(d.samples)} probes`,
      ]);
    }
    if (l.probesUnseen > 0)
      rows.push(['3 lag', 'probes never seen', fmt(l.probesUnseen), `after ${LAG_TAIL_TIMEOUT_MS} ms`]);
  }
  const c = results.converge;
  if (c) {
    rows.push([
      '4 partition',
      'divergent writes',
      `${fmt(c.divergentRows)} rows`,
      `+ ${fmt(c.sharedKeyUpdates)} shared-key updates; written in ${fmt(c.writeMs)} ms`,
    ]);
    rows.push(['4 partition', 'heal → reconnect', `${fmt(c.reconnectMs)} ms`, 'node 3 redial backoff']);
    rows.push([
      '4 partition',
      'heal → converged',
      `${fmt(c.convergeMs)} ms`,
      `identical vectors and counts (${fmt(c.rowsPerNode)} rows` +
        `${c.rowsPerNode === c.expectedRows ? '' : `, EXPECTED ${fmt(c.expectedRows)}`}); ` +
        `content ${c.contentIdentical ? 'identical' : 'DIFFERS'}`,
    ]);
    if (c.reconnectMs !== undefined && c.convergeMs > c.reconnectMs) {
      rows.push([
        '4 partition',
        'node 3 catch-up apply rate',
        `${fmt((c.node3RowChanges * 1000) / (c.convergeMs - c.reconnectMs))} row changes/s`,
        `${fmt(c.node3RowChanges)} changes, reconnect → converged; no new writes, nodes 1-2 apply node 3's meanwhile`,
      ]);
    }
  }
  for (const [phase, msg] of Object.entries(results.errors))
    rows.push([`${phase}`, 'FAILED', '-', msg.split('\n')[0]!.slice(0, 120)]);
  printTable(['phase', 'measurement', 'value', 'notes'], rows, true);

  console.log('');
  console.log('## Aims from the issue (information only, not an exit code)');
  console.log('');
  const aims: string[][] = [];
  if (a) {
    const worst = Math.min(...a.perNode.map((n) => n.rowsPerSec));
    aims.push(
      aimLine(
        'apply throughput per node',
        `≥ ${fmt(AIMS.applyRowsPerSecPerNode)} row changes/s`,
        `${fmt(worst)} (slowest replica)`,
        worst >= AIMS.applyRowsPerSecPerNode ? 'met' : 'not met',
        worst >= a.originRowsPerSec * ORIGIN_BOUND_FRACTION
          ? `bounded by node 1's insert rate (${fmt(a.originRowsPerSec)} rows/s); see phase 4 catch-up`
          : '',
      ),
    );
  } else
    aims.push(
      aimLine(
        'apply throughput per node',
        `≥ ${fmt(AIMS.applyRowsPerSecPerNode)} row changes/s`,
        'not run',
        'n/a',
      ),
    );
  if (l) {
    const achievedPerNode = l.load.reduce((sum, x) => sum + x.writesPerSec, 0) / NODE_COUNT;
    const lagOk = l.all.p99Ms !== undefined && l.all.p99Ms < AIMS.lagP99Ms && l.probesUnseen === 0;
    const atAim = achievedPerNode >= AIMS.lagAtWritesPerSecPerNode * ORIGIN_BOUND_FRACTION;
    aims.push(
      aimLine(
        'replication lag p99',
        `< ${AIMS.lagP99Ms} ms at ${fmt(AIMS.lagAtWritesPerSecPerNode)} writes/s per node`,
        `${fmt(l.all.p99Ms, 1)} ms at ${fmt(achievedPerNode)} writes/s per node`,
        !lagOk ? 'not met' : atAim ? 'met' : 'met, weaker test',
        atAim
          ? ''
          : `achieved rate below the aim's (asked ${fmt(l.ratePerNode)}/node: --rate ${opts.rate} is the total)`,
      ),
    );
  } else aims.push(aimLine('replication lag p99', `< ${AIMS.lagP99Ms} ms`, 'not run', 'n/a'));
  if (c) {
    const atAim = c.divergentRows >= AIMS.convergeDivergentWrites;
    aims.push(
      aimLine(
        'convergence after partition',
        `${fmt(AIMS.convergeDivergentWrites)} divergent writes < ${fmt(AIMS.convergeMs / 1000)} s`,
        `${fmt(c.convergeMs / 1000, 2)} s for ${fmt(c.divergentRows)}`,
        !(c.convergeMs < AIMS.convergeMs && c.contentIdentical && c.rowsPerNode === c.expectedRows)
          ? 'not met'
          : atAim
            ? 'met'
            : 'met, weaker test',
        atAim ? '' : 'fewer divergent writes than the aim',
      ),
    );
  } else
    aims.push(aimLine('convergence after partition', `< ${fmt(AIMS.convergeMs / 1000)} s`, 'not run', 'n/a'));
  printTable(['aim', 'target', 'measured', 'status', 'note'], aims, true);
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const cleanups: (() => Promise<void>)[] = [];
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-replication-bench-'));
  const removeWorkDirSync = (): void => {
    try {
      rmSync(workDir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  };
  process.on('exit', removeWorkDirSync);
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));

  let sigints = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      sigints++;
      interrupted = true;
      // Exit hooks (ours and the launcher's) kill the servers and remove the temp dirs.
      if (sigints > 1) process.exit(130);
      console.log(`\n${signal}: stopping load generators and servers...`);
      for (const child of liveChildren) child.kill('SIGKILL');
    });
  }

  const results: Results = { errors: {} };
  try {
    let pgbench: string | undefined;
    let pgbenchVersion = 'not used (--driver js)';
    if (opts.driver !== 'js') {
      pgbench = await findOnPath('pgbench');
      if (pgbench) pgbenchVersion = (await execFileAsync(pgbench, ['--version'])).stdout.trim();
      else if (opts.driver === 'pgbench') throw new Error('--driver pgbench: pgbench not found on PATH');
      else pgbenchVersion = 'not installed (using the pg-driver client loop)';
    }
    const scriptFile = path.join(workDir, 'autocommit-insert.sql');
    await writeFile(scriptFile, INSERT_SCRIPT);
    const runner = new LoadRunner(pgbench, scriptFile);

    const cpus = os.cpus();
    const machine = `${NODE_COUNT} nodes + load generators + this script on one ${cpus.length}-core machine over loopback`;
    console.log('# ChorusDB replication benchmark');
    console.log(
      `machine   : ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ` +
        `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, loadavg ${loadavgText()}`,
    );
    console.log(`setup     : ${machine}: the nodes compete with each other and with the load for CPU`);
    const foreign = await foreignChorusServers();
    const busyLoad = os.loadavg()[0]! > cpus.length * BUSY_LOADAVG_PER_CORE;
    if (foreign > 0 || busyLoad) {
      console.log(
        `WARNING   : machine busy before the start (${foreign} ChorusDB server processes not started by this run, ` +
          `1-min loadavg ${os.loadavg()[0]!.toFixed(2)} on ${cpus.length} cores): expect lower, noisier numbers`,
      );
    }
    console.log(`node      : ${process.version}`);
    console.log(`pgbench   : ${pgbench ? `${pgbenchVersion} (${pgbench})` : pgbenchVersion}`);
    console.log(`chorus cli: ${cliPath()}`);
    console.log(
      `run       : phases ${opts.only.join(',')}; ${opts.seconds}s load runs, ${CLIENTS_PER_NODE} clients per node, ` +
        `--rate ${opts.rate} total, --rows ${opts.rows}, --divergent ${opts.divergent}, driver ${runner.driver}`,
    );
    console.log('');

    const wants = (p: Phase): boolean => opts.only.includes(p);
    let standalone: LoadResult | undefined;
    if (wants(1) && !opts.skipStandalone) {
      try {
        standalone = await measureStandalone(runner, opts);
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        results.errors['1 standalone'] = (err as Error).message;
        log('1', `standalone FAILED: ${(err as Error).message}`);
      }
    }

    if (wants(1) || wants(2) || wants(3)) {
      checkInterrupted();
      const cluster = await startCluster('mesh');
      let stopped = false;
      const stopOnce = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await cluster.stop();
      };
      cleanups.push(stopOnce);
      log(
        'setup',
        `3-node mesh cluster up: ${cluster.nodes.map((n) => `${n.id} pg:${n.proc.pgPort}`).join(', ')}`,
      );
      try {
        const [first] = cluster.nodes as [BenchNode, ...BenchNode[]];
        for (const ddl of [CREATE_BENCH_REP, CREATE_BENCH_APPLY, CREATE_LAG_PROBE])
          await first.client.query(ddl);
        for (const table of ['bench_rep', 'bench_apply', 'lag_probe'])
          await waitTableEverywhere(cluster.nodes, table);
        const phases: [Phase, string, () => Promise<void>][] = [
          [
            1,
            'throughput',
            async () => {
              results.throughput = await phaseThroughput(cluster, runner, opts, standalone);
            },
          ],
          [
            2,
            'apply',
            async () => {
              results.apply = await phaseApply(cluster, opts);
            },
          ],
          [
            3,
            'lag',
            async () => {
              results.lag = await phaseLag(cluster, runner, opts);
            },
          ],
        ];
        for (const [phase, name, run] of phases) {
          if (!wants(phase)) continue;
          checkInterrupted();
          try {
            await run();
          } catch (err) {
            if (err instanceof Interrupted) throw err;
            results.errors[`${phase} ${name}`] = (err as Error).message;
            log(String(phase), `FAILED: ${(err as Error).message}`);
            console.log(nodeLogTails(cluster.nodes.map((n) => n.proc)));
          }
        }
      } finally {
        await stopOnce();
      }
    }

    if (wants(4)) {
      checkInterrupted();
      const cluster = await startCluster('proxied');
      let stopped = false;
      const stopOnce = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await cluster.stop();
      };
      cleanups.push(stopOnce);
      log('setup', `3-node cluster with ${cluster.nodes[2]!.id} behind fault proxies up`);
      try {
        results.converge = await phaseConverge(cluster, opts);
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        results.errors['4 partition'] = (err as Error).message;
        log('4', `FAILED: ${(err as Error).message}`);
        console.log(nodeLogTails(cluster.nodes.map((n) => n.proc)));
      } finally {
        await stopOnce();
      }
    }

    report(results, opts, machine);
    if (opts.json) {
      const out = {
        date: new Date().toISOString(),
        machine: {
          cores: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          memGiB: os.totalmem() / 2 ** 30,
          node: process.version,
          pgbench: pgbenchVersion,
          note: machine,
        },
        options: opts,
        aims: AIMS,
        results,
      };
      await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`\nresults written to ${opts.json}`);
    }
    return Object.keys(results.errors).length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof Interrupted) {
      console.log('interrupted');
      return 130;
    }
    throw err;
  } finally {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
