// Phase 1 of the replication benchmark: write throughput of every node at once with replication on, the
// same load on one standalone node for the ratio, and the time the replicas need for the backlog.
import type { BenchCluster } from '../support/cluster.js';
import { startStandalone } from '../support/cluster.js';
import type { LoadResult, LoadRunner } from '../support/load.js';
import { fmt, logPhase } from '../support/report.js';
import { checkInterrupted } from '../support/run-control.js';
import { waitVectorsEqual } from '../support/vectors.js';
import type { Options } from './options.js';
import {
  CATCHUP_TIMEOUT_MS,
  CLIENTS_PER_NODE,
  CREATE_BENCH_REP,
  NODE_COUNT,
  VECTOR_POLL_MS,
} from './settings.js';

export interface ThroughputResult {
  driver: 'pgbench' | 'js';
  perNode: LoadResult[];
  totalWritesPerSec: number;
  standalone: LoadResult | undefined;
  /** Time after the load stopped until every node had applied everything. */
  catchUpMs: number;
}

export async function phaseThroughput(
  cluster: BenchCluster,
  runner: LoadRunner,
  opts: Options,
  standalone: LoadResult | undefined,
): Promise<ThroughputResult> {
  logPhase(
    '1',
    `${NODE_COUNT} nodes at once: ${CLIENTS_PER_NODE} clients each, autocommit inserts, ${opts.seconds}s`,
  );
  const perNode = await Promise.all(
    cluster.nodes.map((n) => runner.run({ label: n.id, port: n.proc.pgPort }, opts.seconds)),
  );
  checkInterrupted();
  for (const r of perNode) {
    logPhase('1', `${r.label}: ${fmt(r.writesPerSec)} inserts/s${r.error ? `  ERROR ${r.error}` : ''}`);
  }
  const totalWritesPerSec = perNode.reduce((s, r) => s + r.writesPerSec, 0);
  logPhase('1', `total ${fmt(totalWritesPerSec)} inserts/s; waiting for the replicas to catch up...`);
  const catchUpMs = await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  logPhase('1', `caught up ${fmt(catchUpMs)} ms after the load stopped`);
  return { driver: runner.driver, perNode, totalWritesPerSec, standalone, catchUpMs };
}

/** The same load on one node without --ha-mode (measured first, on its own). */
export async function measureStandalone(runner: LoadRunner, opts: Options): Promise<LoadResult> {
  logPhase(
    '1',
    `standalone node (no --ha-mode): ${CLIENTS_PER_NODE} clients, autocommit inserts, ${opts.seconds}s`,
  );
  const node = await startStandalone('bench-standalone');
  try {
    await node.client.query(CREATE_BENCH_REP);
    const r = await runner.run({ label: 'standalone', port: node.proc.pgPort }, opts.seconds);
    logPhase('1', `standalone: ${fmt(r.writesPerSec)} inserts/s${r.error ? `  ERROR ${r.error}` : ''}`);
    return r;
  } finally {
    await node.stop();
  }
}
