// Phase 2 of the replication benchmark: apply throughput. Node 1 inserts rows in 1,000-row transactions
// with no other load; the other nodes are polled until they hold node 1's last origin_seq.
import { performance } from 'node:perf_hooks';
import { type BenchCluster, type BenchNode, connect, rowCount } from '../support/cluster.js';
import { fmt, logPhase } from '../support/report.js';
import { checkInterrupted, isInterrupted, sleep } from '../support/run-control.js';
import { originSeq, waitVectorsEqual } from '../support/vectors.js';
import type { Options } from './options.js';
import { CATCHUP_TIMEOUT_MS, PAYLOAD, ROWS_PER_TX, rangeInsertSql, VECTOR_POLL_MS } from './settings.js';

const APPLY_TIMEOUT_MS = 300_000;

export interface ApplyNodeResult {
  node: string;
  /** From node 1's first commit to this node's vector covering node 1's last origin_seq. */
  applyMs: number;
  rowsPerSec: number;
  /** How long after node 1's last commit this node caught up. */
  tailMs: number;
  rowsPresent: number;
}

export interface ApplyResult {
  rows: number;
  transactions: number;
  /** Node 1's own insert rate (the replicas cannot apply faster than it produces). */
  originRowsPerSec: number;
  originMs: number;
  perNode: ApplyNodeResult[];
}

export async function phaseApply(cluster: BenchCluster, opts: Options): Promise<ApplyResult> {
  const [origin, ...replicas] = cluster.nodes as [BenchNode, ...BenchNode[]];
  await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const baseSeq = await originSeq(origin.client, origin.id);
  const transactions = Math.ceil(opts.rows / ROWS_PER_TX);
  logPhase(
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
          while (!stopPolling && !isInterrupted() && performance.now() < deadline) {
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
    logPhase(
      '2',
      `note: ${origin.id}'s origin_seq advanced by ${target - baseSeq}, expected ${transactions}`,
    );
  }
  logPhase(
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
    logPhase(
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
