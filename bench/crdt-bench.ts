// Benchmarks CRDT columns against plain last-write-wins columns, in one process: two multi-primary nodes
// built like test/unit/retention.test.ts and src/testing/replication-sim.ts (real SQLite, sessions and
// replication engine over the simulated network and virtual time, no sockets), so the numbers are the
// database's work, not the protocol's. For each workload (LWW `n = n + 1` vs CRDT_COUNTER crdt_increment,
// LWW `tags = ?` vs CRDT_SET crdt_add) it measures, in the same run: the update throughput on the origin
// (node a, transactions of 100 single-row UPDATEs while a and b are partitioned), then, after healing, the
// wall time node b needs to apply all of it (row changes/s). Prints machine facts, a results table and the
// issue's aim (CRDT apply within 2x of plain columns) for information only; exits non-zero only when the
// final correctness check (b's counter sums and set sizes equal a's) fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/load.js';
import { type ChorusNode, openNode } from '../src/node/node.js';
import type { BindValue } from '../src/session/read-protocol.js';
import { SimFabric } from '../src/testing/sim-network.js';
import { SimWorld } from '../src/testing/sim-world.js';
import { fmt, intOption, loadavgText, printTable } from './support/report.js';

// ---------------------------------------------------------------------------------------------------------
// Constants

const ORIGIN = 'a';
const REPLICA = 'b';
const NODE_IDS = [ORIGIN, REPLICA];
const CLUSTER_SECRET = 'bench-secret';
/** Seed of the simulated world (network delays); any value gives the same work. */
const SIM_SEED = 1;
const DEFAULT_UPDATES = 20_000;
/** Rows per table: small enough that each CRDT set stays small (updates / rows elements per row). */
const DEFAULT_ROWS = 1_000;
/** UPDATE statements per transaction (BEGIN; 100 × UPDATE; COMMIT). */
const STATEMENTS_PER_TX = 100;
/** Unmeasured transactions per workload before its measurement (JIT, caches, statement plans). */
const WARMUP_TXS = 10;
/** Virtual time advanced per step while waiting for the replica. */
const RUN_STEP_MS = 50;
/** Virtual time given to the replica to catch up before we give up (far more than it needs). */
const CATCHUP_VIRTUAL_MS_MAX = 3_600_000;
/** Wall-clock limit of one catch-up wait. */
const CATCHUP_WALL_MS_MAX = 600_000;
/** The aim: CRDT apply throughput at least this fraction of plain columns (within 2x). */
const APPLY_AIM_RATIO = 0.5;
const TAG_PREFIX = 'tag-';

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  updates: number;
  rows: number;
  json: string | undefined;
}

const USAGE = `usage: node dist/bench/crdt-bench.js [options]
  --updates N   single-row updates per workload, ${STATEMENTS_PER_TX} per transaction (default ${DEFAULT_UPDATES})
  --rows N      rows per table, at least ${STATEMENTS_PER_TX} (default ${DEFAULT_ROWS})
  --json FILE   also write the results as JSON
  -h, --help`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      updates: { type: 'string', default: String(DEFAULT_UPDATES) },
      rows: { type: 'string', default: String(DEFAULT_ROWS) },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    updates: intOption('updates', values.updates),
    // Each transaction touches distinct rows, so every UPDATE is one replicated row change.
    rows: intOption('rows', values.rows, STATEMENTS_PER_TX),
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

type Family = 'counter' | 'set';
type Column = 'lww' | 'crdt';

interface Workload {
  family: Family;
  column: Column;
  label: string;
  sql: string;
  /** Parameters of the seq-th update (seq counts every update of this workload, warm-up included). */
  params: (seq: number, row: bigint) => BindValue[];
}

const WORKLOADS: readonly Workload[] = [
  {
    family: 'counter',
    column: 'lww',
    label: 'counter  LWW   n = n + 1',
    sql: 'UPDATE lww SET n = n + 1 WHERE id = $1',
    params: (_seq, row) => [row],
  },
  {
    family: 'counter',
    column: 'crdt',
    label: 'counter  CRDT  crdt_increment',
    sql: 'UPDATE ctr SET n = crdt_increment(n, 1) WHERE id = $1',
    params: (_seq, row) => [row],
  },
  {
    family: 'set',
    column: 'lww',
    label: 'set      LWW   tags = ?',
    sql: 'UPDATE lww SET tags = $1 WHERE id = $2',
    params: (seq, row) => [`${TAG_PREFIX}${seq}`, row],
  },
  {
    family: 'set',
    column: 'crdt',
    label: 'set      CRDT  crdt_add',
    sql: 'UPDATE st SET tags = crdt_add(tags, $1) WHERE id = $2',
    params: (seq, row) => [`${TAG_PREFIX}${seq}`, row],
  },
];

function setupSql(rows: number): string[] {
  const range = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows})`;
  return [
    'CREATE TABLE lww (id INTEGER PRIMARY KEY, n INTEGER, tags TEXT)',
    'CREATE TABLE ctr (id INTEGER PRIMARY KEY, n CRDT_COUNTER)',
    'CREATE TABLE st (id INTEGER PRIMARY KEY, tags CRDT_SET)',
    `INSERT INTO lww ${range} SELECT x, 0, '' FROM c`,
    `INSERT INTO ctr ${range} SELECT x, 0 FROM c`,
    `INSERT INTO st ${range} SELECT x, '[]' FROM c`,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Nodes

interface Sim {
  world: SimWorld;
  fabric: SimFabric;
  a: ChorusNode;
  b: ChorusNode;
}

function openSimNode(world: SimWorld, fabric: SimFabric, root: string, id: string): ChorusNode {
  const config = loadConfig({
    base: {
      server: {
        node_id: id,
        data_dir: path.join(root, id),
        reader_threads: 0,
        synchronous: 'off',
        log_level: 'silent',
      },
      replication: { mode: 'multi-primary', cluster_secret: CLUSTER_SECRET },
    },
  });
  return openNode({
    config,
    logger: pino({ level: 'silent' }),
    clock: { nowMs: () => world.nowMs },
    timers: world.timers(),
    network: fabric.network(id, NODE_IDS),
  });
}

function originSeq(node: ChorusNode): number {
  return node.engine.appliedVector()[ORIGIN] ?? 0;
}

interface CatchUp {
  wallMs: number;
  virtualMs: number;
}

/** Advances virtual time until b has applied everything a has; wall time measured around the loop. */
async function waitReplicaCaughtUp(sim: Sim): Promise<CatchUp> {
  const target = originSeq(sim.a);
  const v0 = sim.world.nowMs;
  const t0 = performance.now();
  while (originSeq(sim.b) < target) {
    if (sim.world.nowMs - v0 > CATCHUP_VIRTUAL_MS_MAX || performance.now() - t0 > CATCHUP_WALL_MS_MAX) {
      throw new Error(
        `${REPLICA} did not catch up: applied ${ORIGIN}:${originSeq(sim.b)} of ${target} after ` +
          `${sim.world.nowMs - v0} virtual ms, ${Math.round(performance.now() - t0)} wall ms; failures: ` +
          JSON.stringify(sim.b.replicator?.failures.slice(-3) ?? []),
      );
    }
    await sim.world.runFor(RUN_STEP_MS);
  }
  return { wallMs: performance.now() - t0, virtualMs: sim.world.nowMs - v0 };
}

/** Runs `count` updates of the workload on a in transactions of STATEMENTS_PER_TX; returns wall ms. */
async function runUpdates(
  a: ChorusNode,
  w: Workload,
  firstSeq: number,
  count: number,
  rows: number,
): Promise<number> {
  const session = a.openSession();
  try {
    const begin = a.plans.prepareOne('BEGIN');
    const commit = a.plans.prepareOne('COMMIT');
    const update = a.plans.prepareOne(w.sql);
    const t0 = performance.now();
    for (let done = 0; done < count; ) {
      const inTx = Math.min(STATEMENTS_PER_TX, count - done);
      await session.execute(begin);
      for (let i = 0; i < inTx; i++) {
        const seq = firstSeq + done + i;
        const r = await session.execute(update, w.params(seq, BigInt((seq % rows) + 1)));
        if (r.tag !== 'UPDATE 1') throw new Error(`${w.label}: expected UPDATE 1, got ${r.tag}`);
      }
      await session.execute(commit);
      done += inTx;
    }
    return performance.now() - t0;
  } finally {
    a.closeSession(session);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Measurement

interface WorkloadResult {
  family: Family;
  column: Column;
  label: string;
  updates: number;
  transactions: number;
  originMs: number;
  originUpdatesPerSec: number;
  applyMs: number;
  applyVirtualMs: number;
  applyRowChangesPerSec: number;
}

async function measure(sim: Sim, w: Workload, opts: Options, nextSeq: number): Promise<WorkloadResult> {
  // Warm-up while connected, replicated and applied before the measurement.
  const warmup = WARMUP_TXS * STATEMENTS_PER_TX;
  await runUpdates(sim.a, w, nextSeq, warmup, opts.rows);
  await waitReplicaCaughtUp(sim);

  sim.fabric.partition(ORIGIN, REPLICA);
  await sim.world.runFor(RUN_STEP_MS);
  const originMs = await runUpdates(sim.a, w, nextSeq + warmup, opts.updates, opts.rows);
  sim.fabric.heal(ORIGIN, REPLICA);
  const apply = await waitReplicaCaughtUp(sim);
  return {
    family: w.family,
    column: w.column,
    label: w.label,
    updates: opts.updates,
    transactions: Math.ceil(opts.updates / STATEMENTS_PER_TX),
    originMs,
    originUpdatesPerSec: (opts.updates * 1000) / originMs,
    applyMs: apply.wallMs,
    applyVirtualMs: apply.virtualMs,
    applyRowChangesPerSec: (opts.updates * 1000) / apply.wallMs,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Correctness

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

async function rowsById(node: ChorusNode, sql: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of (await node.query(sql)).rows) out.set(String(r.id), String(r.v));
  return out;
}

async function compareTables(sim: Sim, what: string, sql: string, expectedTotal: bigint): Promise<Check> {
  const onA = await rowsById(sim.a, sql);
  const onB = await rowsById(sim.b, sql);
  const differing = [...onA].filter(([id, v]) => onB.get(id) !== v).length + (onB.size === onA.size ? 0 : 1);
  let totalA = 0n;
  let totalB = 0n;
  for (const v of onA.values()) totalA += BigInt(v);
  for (const v of onB.values()) totalB += BigInt(v);
  const ok = differing === 0 && totalA === totalB && totalA === expectedTotal;
  return {
    what,
    ok,
    detail: `${ORIGIN} total ${totalA}, ${REPLICA} total ${totalB}, expected ${expectedTotal}, ${differing} rows differ`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }

  const root = mkdtempSync(path.join(os.tmpdir(), 'chorus-crdt-bench-'));
  const world = new SimWorld(SIM_SEED);
  const fabric = new SimFabric(world);
  const opened: ChorusNode[] = [];
  try {
    const a = openSimNode(world, fabric, root, ORIGIN);
    opened.push(a);
    const b = openSimNode(world, fabric, root, REPLICA);
    opened.push(b);
    const sim: Sim = { world, fabric, a, b };
    const sqliteVersion = String(
      (a.engine.writer.prepare('SELECT sqlite_version() AS v').get() as { v: string } | undefined)?.v,
    );

    const cpus = os.cpus();
    console.log('# ChorusDB CRDT column benchmark');
    console.log(
      `machine   : ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ` +
        `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, loadavg ${loadavgText()}`,
    );
    console.log(`node      : ${process.version}, SQLite ${sqliteVersion}`);
    console.log(
      `setup     : 2 multi-primary nodes in this process (simulated network and virtual time, no sockets), ` +
        `synchronous=off, reader_threads=0, data in ${os.tmpdir()}`,
    );
    console.log(
      `run       : --updates ${opts.updates} per workload in transactions of ${STATEMENTS_PER_TX}, ` +
        `--rows ${opts.rows}, ${WARMUP_TXS * STATEMENTS_PER_TX} warm-up updates per workload`,
    );
    console.log('');

    await a.startReplication();
    await b.startReplication();
    for (const sql of setupSql(opts.rows)) await a.exec(sql);
    await waitReplicaCaughtUp(sim);
    log(`tables created and replicated (${opts.rows} rows each)`);

    const results: WorkloadResult[] = [];
    const updatesPerWorkload = WARMUP_TXS * STATEMENTS_PER_TX + opts.updates;
    for (const [i, w] of WORKLOADS.entries()) {
      const r = await measure(sim, w, opts, i * updatesPerWorkload);
      results.push(r);
      log(
        `${w.label.padEnd(30)} origin ${fmt(r.originUpdatesPerSec).padStart(9)} updates/s, ` +
          `${REPLICA} applied in ${fmt(r.applyMs)} ms (${fmt(r.applyVirtualMs)} virtual ms): ` +
          `${fmt(r.applyRowChangesPerSec)} row changes/s`,
      );
    }

    const checks = [
      await compareTables(
        sim,
        'counter sums (ctr.n)',
        'SELECT id, n AS v FROM ctr',
        BigInt(updatesPerWorkload),
      ),
      await compareTables(
        sim,
        'set sizes (st.tags)',
        'SELECT id, json_array_length(tags) AS v FROM st',
        BigInt(updatesPerWorkload),
      ),
    ];

    const lwwOf = (family: Family): WorkloadResult =>
      results.find((r) => r.family === family && r.column === 'lww')!;
    const ratio = (r: WorkloadResult, pick: (x: WorkloadResult) => number): number =>
      pick(r) / pick(lwwOf(r.family));
    console.log('');
    console.log(`## Results (${cpus.length} cores; loadavg at the end ${loadavgText()})`);
    printTable(
      ['workload', 'updates/s on a', 'ratio', `apply on ${REPLICA} (changes/s)`, 'ratio', 'apply wall ms'],
      results.map((r) => [
        r.label,
        fmt(r.originUpdatesPerSec),
        r.column === 'lww'
          ? '1.00'
          : fmt(
              ratio(r, (x) => x.originUpdatesPerSec),
              2,
            ),
        fmt(r.applyRowChangesPerSec),
        r.column === 'lww'
          ? '1.00'
          : fmt(
              ratio(r, (x) => x.applyRowChangesPerSec),
              2,
            ),
        fmt(r.applyMs),
      ]),
    );
    console.log('ratio = CRDT / LWW of the same family (higher is better for CRDT)');

    console.log('');
    console.log(
      `## Aim (information only): CRDT apply within 2x of plain columns (ratio ≥ ${APPLY_AIM_RATIO})`,
    );
    const aims = results
      .filter((r) => r.column === 'crdt')
      .map((r) => {
        const applyRatio = ratio(r, (x) => x.applyRowChangesPerSec);
        return { family: r.family, applyRatio, met: applyRatio >= APPLY_AIM_RATIO };
      });
    for (const aim of aims) {
      console.log(
        `${aim.family.padEnd(8)} apply ratio ${fmt(aim.applyRatio, 2)}: ${aim.met ? 'met' : 'not met'}`,
      );
    }

    console.log('');
    console.log('## Correctness');
    for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);

    if (opts.json) {
      const out = {
        date: new Date().toISOString(),
        machine: {
          cores: cpus.length,
          cpu: cpus[0]?.model,
          memGiB: os.totalmem() / 2 ** 30,
          node: process.version,
          sqlite: sqliteVersion,
        },
        options: { ...opts, statementsPerTx: STATEMENTS_PER_TX, warmupTxs: WARMUP_TXS },
        results,
        aim: { applyRatioMin: APPLY_AIM_RATIO, byFamily: aims },
        checks,
      };
      await writeFile(opts.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`\nresults written to ${opts.json}`);
    }
    return checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    for (const node of opened) await node.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
