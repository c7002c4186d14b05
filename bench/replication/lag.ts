// Phase 3 of the replication benchmark: replication lag under a fixed write rate. While pgbench paces
// writes on every node, each node inserts a probe row every 50 ms and every peer polls for it.
import { performance } from 'node:perf_hooks';
import { type BenchCluster, connect, type PgClient } from '../support/cluster.js';
import type { LoadRunner } from '../support/load.js';
import { fmt, logPhase, percentile } from '../support/report.js';
import { checkInterrupted, isInterrupted, sleep } from '../support/run-control.js';
import { waitVectorsEqual } from '../support/vectors.js';
import type { Options } from './options.js';
import { CATCHUP_TIMEOUT_MS, NODE_COUNT, VECTOR_POLL_MS } from './settings.js';

const PROBE_INTERVAL_MS = 50;
const PROBE_POLL_MS = 10;
/** Largest IN (...) list of outstanding probe ids per poll. */
const PROBE_POLL_IDS_MAX = 500;
/** After the lag run: how long outstanding probes are still polled for. */
export const LAG_TAIL_TIMEOUT_MS = 60_000;

export interface LagStats {
  direction: string;
  samples: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  maxMs: number | undefined;
}

export interface LagResult {
  ratePerNode: number;
  load: LagLoad[];
  probesWritten: number;
  probesUnseen: number;
  directions: LagStats[];
  all: LagStats;
}

export interface LagLoad {
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

export async function phaseLag(cluster: BenchCluster, runner: LoadRunner, opts: Options): Promise<LagResult> {
  await waitVectorsEqual(cluster.nodes, CATCHUP_TIMEOUT_MS, VECTOR_POLL_MS);
  const ratePerNode = Math.max(1, Math.round(opts.rate / NODE_COUNT));
  logPhase(
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
        while (!isInterrupted() && writing) {
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
        while (!isInterrupted()) {
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
      logPhase(
        '3',
        `${l.node}: ${fmt(l.writesPerSec)} writes/s achieved${l.error ? `  ERROR ${l.error}` : ''}`,
      );
    }
    const directions = [...lags.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([dir, list]) => lagStats(dir, list));
    const all = lagStats('all directions', [...lags.values()].flat());
    logPhase(
      '3',
      `${fmt(probesWritten)} probes, lag p50 ${fmt(all.p50Ms, 1)} ms, p99 ${fmt(all.p99Ms, 1)} ms, ` +
        `max ${fmt(all.maxMs, 1)} ms${probesUnseen > 0 ? `, ${probesUnseen} (probe, peer) pairs never seen` : ''}`,
    );
    return { ratePerNode, load, probesWritten, probesUnseen, directions, all };
  } finally {
    await Promise.all([...writers, ...pollers].map((c) => c.end().catch(() => undefined)));
  }
}
