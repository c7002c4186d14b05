// Phase 5 of the replication benchmark: one huge transaction. Node 1 inserts --big-rows rows in ONE
// statement; while node 2 receives and applies it, a client on node 2 runs `SELECT 1` in a loop. Reports
// node 2's read latency during the apply (the aim: no read waits > 100 ms) and its apply rate.
import { performance } from 'node:perf_hooks';
import { type BenchCluster, type BenchNode, connect, rowCount } from '../support/cluster.js';
import { fmt, logPhase, percentile } from '../support/report.js';
import { checkInterrupted, isInterrupted, sleep } from '../support/run-control.js';
import { originSeq, waitVectorsEqual } from '../support/vectors.js';
import type { Options } from './options.js';
import { CATCHUP_TIMEOUT_MS, PAYLOAD, VECTOR_POLL_MS } from './settings.js';

/** How long node 2 gets to apply the transaction after node 1 committed it. */
const BIG_APPLY_TIMEOUT_MS = 600_000;
export const CREATE_BENCH_BIG = 'CREATE TABLE bench_big (id INTEGER PRIMARY KEY, v TEXT)';

export interface BigApplyResult {
  rows: number;
  /** Node 1's INSERT ... SELECT of every row (one transaction). */
  originMs: number;
  /** From node 1's commit to node 2's applied vector covering it (shipping + apply). */
  applyMs: number;
  rowsPerSec: number;
  /** `SELECT 1` round trips on node 2 between node 1's commit and node 2 covering it. */
  reads: number;
  readP50Ms: number | undefined;
  readP99Ms: number | undefined;
  readMaxMs: number | undefined;
  /** 'peer link timed out' lines the two nodes logged during the phase. */
  linkTimeouts: number;
  rowsPresent: number;
}

function countTimeouts(nodes: BenchNode[]): number {
  return nodes.reduce((n, x) => n + (x.proc.logs().match(/peer link timed out/g)?.length ?? 0), 0);
}

export async function phaseBigApply(cluster: BenchCluster, opts: Options): Promise<BigApplyResult> {
  const [origin, replica] = cluster.nodes as [BenchNode, BenchNode];
  await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const timeoutsBefore = countTimeouts(cluster.nodes);

  // The reader on node 2: SELECT 1 back to back, each round trip timed.
  const reader = await connect(replica.proc.pgPort);
  const reads: { t: number; ms: number }[] = [];
  let stopReading = false;
  const reading = (async (): Promise<void> => {
    try {
      while (!stopReading && !isInterrupted()) {
        const t0 = performance.now();
        await reader.query('SELECT 1');
        const t1 = performance.now();
        reads.push({ t: t1, ms: t1 - t0 });
      }
    } finally {
      await reader.end().catch(() => undefined);
    }
  })();

  let tCommit = 0;
  let tApplied = 0;
  let originMs = 0;
  try {
    logPhase('5', `${origin.id} inserts ${fmt(opts.bigRows)} rows in one transaction`);
    const t0 = performance.now();
    await origin.client.query(
      `INSERT INTO bench_big SELECT g, '${PAYLOAD}' FROM generate_series(1, ${opts.bigRows}) g`,
    );
    tCommit = performance.now();
    originMs = tCommit - t0;
    const target = await originSeq(origin.client, origin.id);
    logPhase(
      '5',
      `${origin.id} committed in ${fmt(originMs)} ms; ${replica.id} reads SELECT 1 in a loop while it applies...`,
    );
    // Node 2's vector, polled on its setup connection (the reader has its own).
    const deadline = tCommit + BIG_APPLY_TIMEOUT_MS;
    for (;;) {
      checkInterrupted();
      if ((await originSeq(replica.client, origin.id)) >= target) break;
      if (performance.now() > deadline)
        throw new Error(`${replica.id} did not apply the transaction within ${BIG_APPLY_TIMEOUT_MS} ms`);
      await sleep(VECTOR_POLL_MS);
    }
    tApplied = performance.now();
  } finally {
    stopReading = true;
    await reading;
  }
  const during = reads.filter((r) => r.t >= tCommit && r.t <= tApplied).map((r) => r.ms);
  // A read that started during the apply and ended after it counts too.
  const straddling = reads.find((r) => r.t > tApplied);
  if (straddling && straddling.t - straddling.ms < tApplied) during.push(straddling.ms);
  during.sort((a, b) => a - b);
  const applyMs = tApplied - tCommit;
  const result: BigApplyResult = {
    rows: opts.bigRows,
    originMs,
    applyMs,
    rowsPerSec: (opts.bigRows * 1000) / applyMs,
    reads: during.length,
    readP50Ms: percentile(during, 0.5),
    readP99Ms: percentile(during, 0.99),
    readMaxMs: during.at(-1),
    linkTimeouts: countTimeouts(cluster.nodes) - timeoutsBefore,
    rowsPresent: await rowCount(replica.client, 'bench_big'),
  };
  logPhase(
    '5',
    `${replica.id}: applied in ${fmt(applyMs)} ms after the commit = ${fmt(result.rowsPerSec)} row changes/s; ` +
      `${fmt(result.reads)} reads meanwhile, p50 ${fmt(result.readP50Ms, 1)} / p99 ${fmt(result.readP99Ms, 1)} / ` +
      `max ${fmt(result.readMaxMs, 1)} ms; ${result.linkTimeouts} link timeouts; ${fmt(result.rowsPresent)} rows present`,
  );
  return result;
}
