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
