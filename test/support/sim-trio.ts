// Three replicating nodes on simulated network and virtual time (src/testing/), for unit tests of
// conflict rules that need a third node to relay changes in another order: x, y and z.

import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

export interface Trio {
  world: SimWorld;
  fabric: SimFabric;
  x: ChorusNode;
  y: ChorusNode;
  z: ChorusNode;
  cut(p: ChorusNode, q: ChorusNode): void;
  heal(p: ChorusNode, q: ChorusNode): void;
  isolate(): void;
  close(): Promise<void>;
}

/** Nodes `${prefix}x`, `${prefix}y`, `${prefix}z` under `root`, replicating, on a world seeded with `seed`. */
export async function trio(root: string, seed: number, prefix: string): Promise<Trio> {
  const world = new SimWorld(seed);
  const fabric = new SimFabric(world);
  const ids = ['x', 'y', 'z'].map((s) => `${prefix}${s}`);
  const [x, y, z] = ids.map((id) => openSimNode({ world, fabric, root, id, peers: ids })) as [
    ChorusNode,
    ChorusNode,
    ChorusNode,
  ];
  for (const n of [x, y, z]) await n.startReplication();
  return {
    world,
    fabric,
    x,
    y,
    z,
    cut: (p, q) => fabric.partition(p.nodeId, q.nodeId),
    heal: (p, q) => fabric.heal(p.nodeId, q.nodeId),
    isolate: () => {
      fabric.partition(x.nodeId, y.nodeId);
      fabric.partition(x.nodeId, z.nodeId);
      fabric.partition(y.nodeId, z.nodeId);
    },
    close: async () => {
      for (const n of [x, y, z]) await n.close();
    },
  };
}
