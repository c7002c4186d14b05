// Applied vectors (origin → highest origin_seq in replicate.log) of benchmark nodes: reading them cheaply
// while the nodes are being measured, comparing them, and waiting until a cluster has converged.
import { performance } from 'node:perf_hooks';
import type { BenchNode, PgClient } from './cluster.js';
import { Interrupted, waitFor } from './run-control.js';

export type Vector = Record<string, number>;

/**
 * The applied vector of a node restricted to the given origins. Same meaning as
 * `SELECT origin, max(origin_seq) FROM replicate.log GROUP BY origin`, but asked per origin with
 * ORDER BY ... LIMIT 1 so that SQLite answers from the (origin, origin_seq) index instead of scanning the
 * whole log on every poll (which would load the nodes being measured).
 */
export async function appliedVector(client: PgClient, origins: readonly string[]): Promise<Vector> {
  const v: Vector = {};
  for (const origin of origins) v[origin] = await originSeq(client, origin);
  return v;
}

/** The highest origin_seq of `origin` a node holds (0 when none). */
export async function originSeq(client: PgClient, origin: string): Promise<number> {
  const r = await client.query<{ seq: string | number }>({
    name: 'origin-seq',
    text: 'SELECT origin_seq AS seq FROM replicate.log WHERE origin = $1 ORDER BY origin_seq DESC LIMIT 1',
    values: [origin],
  });
  return r.rows.length === 0 ? 0 : Number(r.rows[0]!.seq);
}

export function sameVector(a: Vector, b: Vector): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/** Whether `a` holds everything `b` holds. */
export function covers(a: Vector, b: Vector): boolean {
  return Object.entries(b).every(([o, s]) => (a[o] ?? 0) >= s);
}

export function vectorText(v: Vector): string {
  return Object.entries(v)
    .map(([k, s]) => `${k}:${s}`)
    .join(' ');
}

/** Waits until every node reports the same applied vector (over the nodes' ids); returns the time it took (ms). */
export async function waitVectorsEqual(
  nodes: BenchNode[],
  timeoutMs: number,
  pollMs: number,
): Promise<number> {
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
