// Benchmarks one ChorusDB node and, in the same run, a real PostgreSQL over the wire protocol (pgbench as the
// load generator when installed, else a `pg` client loop) and prints ops/s, p50/p99 latency and ratios.
import { type ChildProcess, execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { cliPath, NodeProcess } from '../test/support/launcher.js';
import { findPostgres, type PostgresInstall, PostgresServer } from '../test/support/pg-server.js';
import { machineText } from './support/machine.js';
import { pgbenchError, pgbenchSummary, spawnPgbench } from './support/pgbench-process.js';
import { clockTicksDefault, clockTicksPerSecond, processTreeCpuTicks } from './support/process-usage.js';
import { findOnPath, fmt, intOption, percentile, printTable } from './support/report.js';

const execFileAsync = promisify(execFile);
type PgClient = InstanceType<typeof pg.Client>;

const WORKLOAD_NAMES = ['autocommit-insert', 'tx-insert', 'point-select', 'point-select-simple'] as const;
type WorkloadName = (typeof WORKLOAD_NAMES)[number];
type SystemKey = 'chorus' | 'postgres';
const SYSTEM_LABEL: Record<SystemKey, string> = { chorus: 'ChorusDB', postgres: 'PostgreSQL' };

interface Options {
  seconds: number;
  clients: number;
  threads: number;
  only: SystemKey | undefined;
  workloads: WorkloadName[];
  rows: number;
  driver: 'auto' | 'pgbench' | 'js';
  configFile: string | undefined;
  json: string | undefined;
}

const USAGE = `usage: node dist/bench/node-bench.js [options]
  --seconds N          duration of each workload (default 10)
  --clients N          concurrent connections, pgbench -c (default 4)
  --threads N          pgbench worker threads, -j (default 2)
  --only S             chorus | postgres (default: both)
  --workloads a,b      subset of ${WORKLOAD_NAMES.join(', ')}
  --rows N             rows preloaded into bench_kv (default 100000)
  --driver D           auto | pgbench | js (default auto: pgbench when installed)
  --config FILE        TOML config passed to the ChorusDB node
  --json FILE          also write the results as JSON
  -h, --help`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' },
      clients: { type: 'string', default: '4' },
      threads: { type: 'string', default: '2' },
      only: { type: 'string' },
      workloads: { type: 'string' },
      rows: { type: 'string', default: '100000' },
      driver: { type: 'string', default: 'auto' },
      config: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only;
  if (only !== undefined && only !== 'chorus' && only !== 'postgres') {
    throw new Error(`--only must be chorus or postgres, got ${only}`);
  }
  const workloads = (values.workloads ?? WORKLOAD_NAMES.join(','))
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
  for (const w of workloads) {
    if (!(WORKLOAD_NAMES as readonly string[]).includes(w)) {
      throw new Error(`unknown workload ${w}; known: ${WORKLOAD_NAMES.join(', ')}`);
    }
  }
  const driver = values.driver;
  if (driver !== 'auto' && driver !== 'pgbench' && driver !== 'js') {
    throw new Error(`--driver must be auto, pgbench or js, got ${driver}`);
  }
  const clients = intOption('clients', values.clients);
  return {
    seconds: intOption('seconds', values.seconds),
    clients,
    // pgbench refuses more threads than clients.
    threads: Math.min(intOption('threads', values.threads), clients),
    only,
    workloads: workloads as WorkloadName[],
    rows: intOption('rows', values.rows),
    driver,
    configFile: values.config,
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

const MAX_ID = 9_000_000_000_000_000; // below 2^53, so ids stay exact in JS numbers too
const PAYLOAD = 'payload-xxxxxxxxxxxxxxxx';

interface Workload {
  name: WorkloadName;
  description: string;
  mode: 'prepared' | 'simple';
  /** Operations per pgbench transaction (ops/s = tps × opsPerTx). */
  opsPerTx: number;
  /** Sample server CPU around this workload. */
  sampleCpu: boolean;
  script: string;
  /** One transaction for the JS fallback driver. */
  js: (client: PgClient, clientId: number) => Promise<void>;
}

function randomId(max: number): number {
  return 1 + Math.floor(Math.random() * max);
}

function insertScript(count: number): string {
  const sets = Array.from({ length: count }, (_, i) => `\\set id${i} random(1, ${MAX_ID})`);
  const inserts = Array.from(
    { length: count },
    (_, i) => `INSERT INTO bench_ins VALUES (:id${i}, :client_id, '${PAYLOAD}');`,
  );
  return `${[...sets, ...(count > 1 ? ['BEGIN;'] : []), ...inserts, ...(count > 1 ? ['COMMIT;'] : [])].join('\n')}\n`;
}

const INSERT_SQL = 'INSERT INTO bench_ins VALUES ($1, $2, $3)';
const SELECT_SQL = 'SELECT v, n FROM bench_kv WHERE id = $1';

function workloads(rows: number): Record<WorkloadName, Workload> {
  return {
    'autocommit-insert': {
      name: 'autocommit-insert',
      description: 'one INSERT per transaction (autocommit), random BIGINT key',
      mode: 'prepared',
      opsPerTx: 1,
      sampleCpu: false,
      script: insertScript(1),
      js: async (c, id) => {
        await c.query({ name: 'ins', text: INSERT_SQL, values: [randomId(MAX_ID), id, PAYLOAD] });
      },
    },
    'tx-insert': {
      name: 'tx-insert',
      description: 'BEGIN; 10 INSERTs; COMMIT (ops = inserts, latency = whole transaction)',
      mode: 'prepared',
      opsPerTx: 10,
      sampleCpu: false,
      script: insertScript(10),
      js: async (c, id) => {
        await c.query('BEGIN');
        try {
          for (let i = 0; i < 10; i++) {
            await c.query({ name: 'ins', text: INSERT_SQL, values: [randomId(MAX_ID), id, PAYLOAD] });
          }
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
    },
    'point-select': {
      name: 'point-select',
      description: 'SELECT by primary key, extended protocol with prepared statements (-M prepared)',
      mode: 'prepared',
      opsPerTx: 1,
      sampleCpu: true,
      script: `\\set id random(1, ${rows})\nSELECT v, n FROM bench_kv WHERE id = :id;\n`,
      js: async (c) => {
        await c.query({ name: 'sel', text: SELECT_SQL, values: [randomId(rows)] });
      },
    },
    'point-select-simple': {
      name: 'point-select-simple',
      description: 'SELECT by primary key, simple query protocol (-M simple)',
      mode: 'simple',
      opsPerTx: 1,
      sampleCpu: true,
      script: `\\set id random(1, ${rows})\nSELECT v, n FROM bench_kv WHERE id = :id;\n`,
      js: async (c) => {
        await c.query(`SELECT v, n FROM bench_kv WHERE id = ${randomId(rows)}`);
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Targets, setup and measurement

interface Target {
  key: SystemKey;
  host: string;
  port: number;
  user: string;
  database: string;
  /** Server process whose CPU time is sampled (postmaster for PostgreSQL). */
  pid: number;
  stop: () => Promise<void>;
  /** Captured server output, printed (tail) when the benchmark fails. */
  logs: () => string;
}

interface Result {
  workload: WorkloadName;
  driver: 'pgbench' | 'js';
  tps: number;
  opsPerSec: number;
  transactions: number;
  failed: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  cpuUsPerOp: number | undefined;
  error: string | undefined;
}

async function setup(target: Target, rows: number): Promise<void> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
  });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS bench_kv');
    await client.query('DROP TABLE IF EXISTS bench_ins');
    await client.query('CREATE TABLE bench_kv (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)');
    await client.query('CREATE TABLE bench_ins (id BIGINT PRIMARY KEY, client INTEGER, v TEXT)');
    const rowsPerInsert = 1000;
    const insertsPerTx = 10;
    let next = 1;
    while (next <= rows) {
      await client.query('BEGIN');
      for (let i = 0; i < insertsPerTx && next <= rows; i++) {
        const values: string[] = [];
        for (let j = 0; j < rowsPerInsert && next <= rows; j++, next++) values.push(`(${next},'x',${next})`);
        await client.query(`INSERT INTO bench_kv VALUES ${values.join(',')}`);
      }
      await client.query('COMMIT');
    }
    const count = await client.query<{ c: string | number }>('SELECT count(*) AS c FROM bench_kv');
    const loaded = Number(count.rows[0]?.c);
    if (loaded !== rows) throw new Error(`bench_kv has ${loaded} rows after loading ${rows}`);
  } finally {
    await client.end();
  }
}

let clockTicks = clockTicksDefault;

/** Growable array of latencies (µs); pgbench logs can hold tens of millions of lines. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/**
 * Reads and deletes pgbench per-transaction logs (<prefix>.<pid>[.<thread>]), streaming them line by line.
 * Columns: client_id transaction_no time script_no time_epoch time_us; `time` is the latency in µs.
 */
async function readLatencies(prefix: string): Promise<Float64Array> {
  const dir = path.dirname(prefix);
  const base = `${path.basename(prefix)}.`;
  const samples = new Samples();
  for (const file of await readdir(dir)) {
    if (!file.startsWith(base)) continue;
    const full = path.join(dir, file);
    let rest = '';
    const take = (line: string): void => {
      const first = line.indexOf(' ');
      const second = line.indexOf(' ', first + 1);
      const third = line.indexOf(' ', second + 1);
      if (first < 0 || second < 0 || third < 0) return;
      const us = Number(line.slice(second + 1, third));
      // Failed transactions log "failed"/"serialization"/"deadlock" instead of a number.
      if (Number.isFinite(us)) samples.push(us);
    };
    for await (const chunk of createReadStream(full, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) take(line);
    }
    take(rest);
    await rm(full, { force: true });
  }
  return samples.sorted();
}

/** The running pgbench (interrupted on Ctrl-C). */
const liveChildren = new Set<ChildProcess>();
let interrupted = false;

async function runPgbench(
  pgbench: string,
  target: Target,
  wl: Workload,
  opts: Options,
  workDir: string,
): Promise<Omit<Result, 'cpuUsPerOp'>> {
  const scriptFile = path.join(workDir, `${wl.name}.sql`);
  await writeFile(scriptFile, wl.script);
  const prefix = path.join(workDir, `log-${target.key}-${wl.name}`);
  const args = [
    '-n',
    '-c',
    String(opts.clients),
    '-j',
    String(opts.threads),
    '-T',
    String(opts.seconds),
    '-M',
    wl.mode,
    '-f',
    scriptFile,
    '--log',
    `--log-prefix=${prefix}`,
    '-h',
    target.host,
    '-p',
    String(target.port),
    '-U',
    target.user,
    target.database,
  ];
  const { code, output } = await spawnPgbench(pgbench, {
    args,
    appName: 'chorus-bench',
    killAfterMs: (opts.seconds + 60) * 1000,
    cwd: workDir,
    live: liveChildren,
  });
  const { tps, transactions, failed } = pgbenchSummary(output);
  const latencies = await readLatencies(prefix);
  const error = code !== 0 || !Number.isFinite(tps) ? pgbenchError(code, output) : undefined;
  return {
    workload: wl.name,
    driver: 'pgbench',
    tps: Number.isFinite(tps) ? tps : 0,
    opsPerSec: Number.isFinite(tps) ? tps * wl.opsPerTx : 0,
    transactions,
    failed,
    p50Ms: mapMs(percentile(latencies, 0.5)),
    p99Ms: mapMs(percentile(latencies, 0.99)),
    error,
  };
}

function mapMs(us: number | undefined): number | undefined {
  return us === undefined ? undefined : us / 1000;
}

async function runJsDriver(target: Target, wl: Workload, opts: Options): Promise<Omit<Result, 'cpuUsPerOp'>> {
  const clients: PgClient[] = [];
  const latenciesUs: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  try {
    for (let i = 0; i < opts.clients; i++) {
      const c = new pg.Client({
        host: target.host,
        port: target.port,
        user: target.user,
        database: target.database,
      });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
    }
    const start = performance.now();
    const end = start + opts.seconds * 1000;
    await Promise.all(
      clients.map(async (c, i) => {
        while (performance.now() < end && !interrupted) {
          const t0 = performance.now();
          try {
            await wl.js(c, i + 1);
            latenciesUs.push((performance.now() - t0) * 1000);
          } catch (err) {
            failed++;
            firstError ??= (err as Error).message;
            if (failed > 1000) throw new Error(`too many errors; first: ${firstError}`);
          }
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    const sorted = Float64Array.from(latenciesUs).sort();
    const tps = latenciesUs.length / elapsed;
    return {
      workload: wl.name,
      driver: 'js',
      tps,
      opsPerSec: tps * wl.opsPerTx,
      transactions: latenciesUs.length,
      failed,
      p50Ms: mapMs(percentile(sorted, 0.5)),
      p99Ms: mapMs(percentile(sorted, 0.99)),
      error: failed > 0 ? `${failed} failed transactions; first: ${firstError}` : undefined,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

async function runWorkload(
  pgbench: string | undefined,
  target: Target,
  wl: Workload,
  opts: Options,
  workDir: string,
): Promise<Result> {
  const before = wl.sampleCpu ? await processTreeCpuTicks(target.pid) : 0;
  const result = pgbench
    ? await runPgbench(pgbench, target, wl, opts, workDir)
    : await runJsDriver(target, wl, opts);
  let cpuUsPerOp: number | undefined;
  if (wl.sampleCpu && result.transactions > 0) {
    // Give PostgreSQL backends a moment to exit so their CPU time is reaped into the postmaster's cutime.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await processTreeCpuTicks(target.pid);
    cpuUsPerOp = (((after - before) / clockTicks) * 1e6) / (result.transactions * wl.opsPerTx);
  }
  return { ...result, cpuUsPerOp };
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0) || !(a > 0)) return '-';
  return `${(a / b).toFixed(2)}x`;
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const cleanups: (() => Promise<void>)[] = [];
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-bench-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));

  let sigints = 0;
  process.on('SIGINT', () => {
    sigints++;
    interrupted = true;
    if (sigints > 1) process.exit(130); // exit hooks in the launchers kill the servers
    console.log('\ninterrupted: stopping load generator and servers...');
    for (const child of liveChildren) child.kill('SIGINT');
  });

  try {
    try {
      clockTicks = await clockTicksPerSecond();
    } catch {
      clockTicks = clockTicksDefault;
    }
    const pgInstall = await findPostgres();
    let pgbench: string | undefined;
    let pgbenchVersion = 'not used';
    if (opts.driver !== 'js') {
      const inBindir = 'bindir' in pgInstall ? path.join(pgInstall.bindir, 'pgbench') : undefined;
      pgbench = inBindir && existsSync(inBindir) ? inBindir : await findOnPath('pgbench');
      if (pgbench) {
        pgbenchVersion = (await execFileAsync(pgbench, ['--version'])).stdout.trim();
      } else if (opts.driver === 'pgbench') {
        throw new Error('--driver pgbench: pgbench not found on PATH or in the PostgreSQL bindir');
      } else {
        pgbenchVersion = 'not installed (using the pg-driver client loop)';
      }
    }
    const cpus = os.cpus();
    console.log('# ChorusDB node benchmark');
    console.log(`machine   : ${machineText()}`);
    console.log(`node      : ${process.version}`);
    console.log(`pgbench   : ${pgbench ? `${pgbenchVersion} (${pgbench})` : pgbenchVersion}`);
    console.log(
      `postgres  : ${'bindir' in pgInstall ? `${pgInstall.version} (${pgInstall.bindir})` : `unavailable: ${pgInstall.skip}`}`,
    );
    console.log(`chorus cli: ${cliPath()}`);
    console.log(
      `run       : ${opts.seconds}s per workload, ${opts.clients} clients, ${opts.threads} threads, ` +
        `${opts.rows} preloaded rows, driver ${pgbench ? 'pgbench' : 'js'}, CLK_TCK ${clockTicks}`,
    );
    console.log('');

    const all = workloads(opts.rows);
    const selected = opts.workloads.map((w) => all[w]);
    const results: Record<SystemKey, Map<WorkloadName, Result>> = { chorus: new Map(), postgres: new Map() };
    const skipped: Partial<Record<SystemKey, string>> = {};
    const failedSystems: SystemKey[] = [];

    const systems: SystemKey[] = opts.only ? [opts.only] : ['chorus', 'postgres'];
    for (const key of systems) {
      if (interrupted) break;
      let target: Target | undefined;
      try {
        target = await startTarget(key, opts, pgInstall);
      } catch (err) {
        const message = (err as Error).message;
        if (err instanceof Unavailable) {
          skipped[key] = `skipped: ${message}`;
          console.log(`${SYSTEM_LABEL[key]}: skipped: ${message}`);
        } else {
          skipped[key] = `failed to start: ${message.split('\n')[0]}`;
          failedSystems.push(key);
          console.log(`${SYSTEM_LABEL[key]}: FAILED to start: ${message}`);
        }
        continue;
      }
      const stop = target.stop;
      let stopped = false;
      const stopOnce = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await stop();
      };
      cleanups.push(stopOnce);
      try {
        const t0 = performance.now();
        await setup(target, opts.rows);
        console.log(
          `${SYSTEM_LABEL[key]}: loaded ${opts.rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)}s`,
        );
        for (const wl of selected) {
          if (interrupted) break;
          const r = await runWorkload(pgbench, target, wl, opts, workDir);
          results[key].set(wl.name, r);
          console.log(
            `${SYSTEM_LABEL[key]}: ${wl.name.padEnd(19)} ${fmt(r.opsPerSec, 0).padStart(9)} ops/s  ` +
              `p50 ${fmt(r.p50Ms, 3)} ms  p99 ${fmt(r.p99Ms, 3)} ms` +
              (r.cpuUsPerOp !== undefined ? `  server cpu ${fmt(r.cpuUsPerOp, 1)} µs/op` : '') +
              (r.failed > 0 ? `  failed ${r.failed}` : '') +
              (r.error ? `  ERROR ${r.error}` : ''),
          );
          if (r.error) {
            const tail = target.logs().trimEnd().split('\n').slice(-20).join('\n');
            console.log(`--- last lines of the ${SYSTEM_LABEL[key]} server output ---\n${tail}\n---`);
          }
        }
      } catch (err) {
        skipped[key] = `failed: ${(err as Error).message.split('\n')[0]}`;
        failedSystems.push(key);
        console.log(`${SYSTEM_LABEL[key]}: FAILED: ${(err as Error).message}`);
        const tail = target.logs().trimEnd().split('\n').slice(-40).join('\n');
        console.log(`--- last lines of the ${SYSTEM_LABEL[key]} server output ---\n${tail}\n---`);
      } finally {
        await stopOnce().catch((err: Error) =>
          console.log(`${SYSTEM_LABEL[key]}: stop failed: ${err.message}`),
        );
      }
    }

    console.log('');
    const headers = [
      'workload',
      'ChorusDB ops/s',
      'p50 ms',
      'p99 ms',
      'PostgreSQL ops/s',
      'p50 ms',
      'p99 ms',
      'ratio (Chorus/PG)',
    ];
    const rows = selected.map((wl) => {
      const c = results.chorus.get(wl.name);
      const p = results.postgres.get(wl.name);
      return [
        wl.name,
        c?.error && c.opsPerSec === 0 ? 'error' : fmt(c?.opsPerSec, 0),
        fmt(c?.p50Ms, 3),
        fmt(c?.p99Ms, 3),
        p?.error && p.opsPerSec === 0 ? 'error' : fmt(p?.opsPerSec, 0),
        fmt(p?.p50Ms, 3),
        fmt(p?.p99Ms, 3),
        ratio(c?.opsPerSec, p?.opsPerSec),
      ];
    });
    printTable(headers, rows);
    console.log('(ops = inserts for tx-insert; its latency is per 10-insert transaction)');
    console.log('');
    for (const key of systems) {
      if (skipped[key]) {
        console.log(`${SYSTEM_LABEL[key]}: ${skipped[key]}`);
        continue;
      }
      const prepared = results[key].get('point-select');
      const simple = results[key].get('point-select-simple');
      if (prepared && simple) {
        console.log(
          `${SYSTEM_LABEL[key]}: point-select simple/prepared = ${ratio(simple.opsPerSec, prepared.opsPerSec)}`,
        );
      }
      for (const r of results[key].values()) {
        if (r.cpuUsPerOp !== undefined) {
          console.log(
            `${SYSTEM_LABEL[key]}: server CPU per select (${r.workload}) = ${fmt(r.cpuUsPerOp, 1)} µs ` +
              `(${key === 'postgres' ? 'postmaster + backends' : 'server process'}; load generator excluded)`,
          );
        }
      }
    }
    if (opts.json) {
      const out = {
        date: new Date().toISOString(),
        machine: { cores: cpus.length, cpu: cpus[0]?.model, node: process.version, pgbench: pgbenchVersion },
        options: opts,
        skipped,
        results: Object.fromEntries(systems.map((k) => [k, [...results[k].values()]])),
      };
      await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`results written to ${opts.json}`);
    }
    const anyError = systems.some((k) => [...results[k].values()].some((r) => r.error !== undefined));
    return interrupted ? 130 : anyError || failedSystems.length > 0 ? 1 : 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** A system that cannot be benchmarked on this machine (skipped, not a failure). */
class Unavailable extends Error {}

async function startTarget(
  key: SystemKey,
  opts: Options,
  pgInstall: PostgresInstall | { skip: string },
): Promise<Target> {
  if (key === 'postgres') {
    if ('skip' in pgInstall) throw new Unavailable(pgInstall.skip);
    const server = await PostgresServer.start();
    return {
      key,
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      database: server.database,
      pid: server.pid,
      stop: () => server.stop(),
      logs: () => server.logs(),
    };
  }
  const cli = cliPath();
  if (!existsSync(cli)) throw new Unavailable(`ChorusDB CLI not built (${cli} missing; run npm run build)`);
  const configToml = opts.configFile ? await readFile(opts.configFile, 'utf8') : undefined;
  const node = await NodeProcess.start({
    nodeId: 'bench-1',
    readyTimeoutMs: 30_000,
    ...(configToml !== undefined ? { configToml } : {}),
  });
  return {
    key,
    host: '127.0.0.1',
    port: node.pgPort,
    user: 'test',
    database: 'chorus',
    pid: node.pid,
    logs: () => node.logs(),
    stop: async () => {
      try {
        const exit = await node.stop('SIGTERM', 20_000);
        if (exit.code !== 0) console.log(`ChorusDB: exited with ${JSON.stringify(exit)} after SIGTERM`);
      } finally {
        await node.cleanup();
      }
    },
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
