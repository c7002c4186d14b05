// Two replicating nodes on simulated network and virtual time (src/testing/), for unit tests of
// conflict rules: `a` and `b` dial each other; the world and fabric drive time and partitions.

import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

export interface SimPair {
  world: SimWorld;
  fabric: SimFabric;
  a: ChorusNode;
  b: ChorusNode;
}

/** Nodes `${prefix}a` and `${prefix}b` under `root`, replicating, on a world seeded with `seed`. */
export async function simPair(root: string, seed: number, prefix: string): Promise<SimPair> {
  const world = new SimWorld(seed);
  const fabric = new SimFabric(world);
  const ids = [`${prefix}a`, `${prefix}b`];
  const [a, b] = ids.map((id) => openSimNode({ world, fabric, root, id, peers: ids })) as [
    ChorusNode,
    ChorusNode,
  ];
  await a.startReplication();
  await b.startReplication();
  return { world, fabric, a, b };
}

/** A query's rows as JSON text (bigints as numbers), to compare nodes. */
export async function dumpRows(n: ChorusNode, sql: string): Promise<string> {
  return JSON.stringify((await n.query(sql)).rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

/**
 * Run `setup` on a, replicate, partition the pair, run `steps`, heal, and return both nodes'
 * dumps of `check` once the world ran on (equal when the nodes converged).
 */
export async function partitionedScenario(
  root: string,
  seed: number,
  prefix: string,
  setup: string[],
  steps: (a: ChorusNode, b: ChorusNode, world: SimWorld) => Promise<void>,
  check: string,
): Promise<[string, string]> {
  const r = await partitionedChecks(root, seed, prefix, setup, steps, [check]);
  return [r.a[0]!, r.b[0]!];
}

/** As partitionedScenario, with several queries: the dumps of each on a and on b. */
export async function partitionedChecks(
  root: string,
  seed: number,
  prefix: string,
  setup: string[],
  steps: (a: ChorusNode, b: ChorusNode, world: SimWorld) => Promise<void>,
  checks: string[],
): Promise<{ a: string[]; b: string[] }> {
  const { world, fabric, a, b } = await simPair(root, seed, prefix);
  try {
    for (const s of setup) await a.exec(s);
    await world.runFor(500);
    fabric.partition(a.nodeId, b.nodeId);
    await steps(a, b, world);
    fabric.heal(a.nodeId, b.nodeId);
    await world.runFor(2_000);
    const out = { a: [] as string[], b: [] as string[] };
    for (const q of checks) {
      out.a.push(await dumpRows(a, q));
      out.b.push(await dumpRows(b, q));
    }
    return out;
  } finally {
    await a.close();
    await b.close();
  }
}
