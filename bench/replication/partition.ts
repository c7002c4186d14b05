// Phase 4 of the replication benchmark: convergence after a partition. Node 3 (behind FaultProxies) is cut
// off while every node writes unique rows and updates shared ones; then the heal → converged time.
import { performance } from 'node:perf_hooks';
import { type BenchCluster, type BenchNode, rowCount, waitTableEverywhere } from '../support/cluster.js';
import { healAndWatch, partition } from '../support/partition.js';
import { fmt, logPhase } from '../support/report.js';
import { checkInterrupted, waitFor } from '../support/run-control.js';
import { appliedVector, sameVector, type Vector, vectorText, waitVectorsEqual } from '../support/vectors.js';
import type { Options } from './options.js';
import {
  CATCHUP_TIMEOUT_MS,
  CREATE_DIV_REP,
  NODE_COUNT,
  ROWS_PER_TX,
  rangeInsertSql,
  VECTOR_POLL_MS,
} from './settings.js';

/** Shared keys (inserted before the partition) that every node updates while partitioned. */
const SHARED_KEYS = 100;
/** How many times each node updates all shared keys while partitioned. */
const SHARED_UPDATE_ROUNDS = 5;
/** Key space of each node's divergent rows: node i writes ids (i + 1) * DIVERGENT_KEY_STRIDE + k. */
const DIVERGENT_KEY_STRIDE = 1_000_000_000;
const CONVERGE_POLL_MS = 20;
const CONVERGE_TIMEOUT_MS = 300_000;

export interface ConvergeResult {
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

/** Each node writes its share of the divergent rows and updates the shared keys SHARED_UPDATE_ROUNDS times. */
async function writeDivergent(nodes: BenchNode[], divergent: number): Promise<number> {
  const perNode = Math.floor(divergent / NODE_COUNT);
  await Promise.all(
    nodes.map(async (n, i) => {
      const rows = i === NODE_COUNT - 1 ? divergent - perNode * (NODE_COUNT - 1) : perNode;
      const base = (i + 1) * DIVERGENT_KEY_STRIDE;
      const txs = Math.ceil(rows / ROWS_PER_TX);
      const updateEvery = Math.max(1, Math.floor(txs / SHARED_UPDATE_ROUNDS));
      const updateShared = `UPDATE div_rep SET origin = '${n.id}', n = n + ${i + 1} WHERE id <= ${SHARED_KEYS}`;
      let updates = 0;
      for (let tx = 0; tx < txs; tx++) {
        checkInterrupted();
        const first = base + tx * ROWS_PER_TX + 1;
        const last = Math.min(base + rows, first + ROWS_PER_TX - 1);
        await n.client.query(rangeInsertSql('div_rep', first, last, `'${n.id}', 0`));
        if (tx % updateEvery === 0 && updates < SHARED_UPDATE_ROUNDS) {
          await n.client.query(updateShared);
          updates++;
        }
      }
      for (; updates < SHARED_UPDATE_ROUNDS; updates++) await n.client.query(updateShared);
    }),
  );
  return perNode;
}

/** The shared rows and count(*) / sum(id) of div_rep on each node, as comparable text. */
async function contentDigests(nodes: BenchNode[]): Promise<string[]> {
  return Promise.all(
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
}

export async function phaseConverge(cluster: BenchCluster, opts: Options): Promise<ConvergeResult> {
  const { nodes, proxies } = cluster;
  const [n1, n2, n3] = nodes as [BenchNode, BenchNode, BenchNode];
  await n1.client.query(CREATE_DIV_REP);
  await n1.client.query(rangeInsertSql('div_rep', 1, SHARED_KEYS, `'${n1.id}', 0`));
  await waitTableEverywhere(nodes, 'div_rep');
  await waitVectorsEqual(nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);

  partition(proxies);
  logPhase(
    '4',
    `partitioned ${n3.id} (both proxies); writing ${fmt(opts.divergent)} divergent rows ` +
      `(~${fmt(Math.floor(opts.divergent / NODE_COUNT))} per node, ${ROWS_PER_TX} per transaction) + ` +
      `${SHARED_UPDATE_ROUNDS} updates of ${SHARED_KEYS} shared keys per node`,
  );
  const t0 = performance.now();
  const perNode = await writeDivergent(nodes, opts.divergent);
  const writeMs = performance.now() - t0;
  // Nodes 1 and 2 still replicate to each other: let them settle so that only the heal is measured.
  await waitVectorsEqual([n1, n2], CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const origins = nodes.map((n) => n.id);
  const before = await Promise.all(nodes.map((n) => appliedVector(n.client, origins)));
  const n3Cut = before[2]![n1.id]! < before[0]![n1.id]! && before[0]![n3.id]! < before[2]![n3.id]!;
  logPhase(
    '4',
    `writes took ${fmt(writeMs)} ms; before heal: ${nodes.map((n, i) => `${n.id}={${vectorText(before[i]!)}}`).join(' ')}` +
      (n3Cut ? '' : '  WARNING: node 3 does not look partitioned'),
  );

  const expectedRows = SHARED_KEYS + opts.divergent;
  const heal = healAndWatch(proxies, CONVERGE_POLL_MS / 2);
  let convergeMs: number;
  let counts: number[] = [];
  try {
    convergeMs = await waitFor('convergence after heal', CONVERGE_TIMEOUT_MS, CONVERGE_POLL_MS, async () => {
      heal.check();
      const vs: Vector[] = [];
      for (const n of nodes) vs.push(await appliedVector(n.client, origins));
      if (!vs.every((v) => sameVector(v, vs[0]!))) return undefined;
      counts = [];
      for (const n of nodes) counts.push(await rowCount(n.client, 'div_rep'));
      return counts.every((c) => c === counts[0]) ? performance.now() - heal.healedAt : undefined;
    });
  } finally {
    heal.stop();
  }
  heal.check();
  const reconnectMs = heal.reconnectMs();
  const contents = await contentDigests(nodes);
  const contentIdentical = contents.every((c) => c === contents[0]);
  const conflicts: Record<string, number> = {};
  for (const n of nodes) conflicts[n.id] = await rowCount(n.client, 'replicate.conflicts');
  logPhase(
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
