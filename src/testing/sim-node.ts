// Opens a real multi-primary node on simulated network and virtual time (tests, simulation, benches).

import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config/load.js';
import { type ChorusNode, type OpenNodeOptions, openNode } from '../node/node.js';
import type { SimFabric } from './sim-network.js';
import type { SimWorld } from './sim-world.js';

export interface SimNodeOptions {
  world: SimWorld;
  fabric: SimFabric;
  /** Directory holding one data directory per node id. */
  root: string;
  id: string;
  /** Node ids this node dials. */
  peers: string[];
  /** Extra [replication] keys (timestamp_source, resolvers, buffers, ...). */
  replication?: Record<string, unknown>;
  /** Wall-clock skew of this node in milliseconds. */
  skewMs?: number;
  monitor?: OpenNodeOptions['monitor'];
}

const silent = pino({ level: 'silent' });

export function openSimNode(o: SimNodeOptions): ChorusNode {
  const skew = o.skewMs ?? 0;
  return openNode({
    config: loadConfig({
      base: {
        server: {
          node_id: o.id,
          data_dir: join(o.root, o.id),
          reader_threads: 0,
          synchronous: 'off',
          log_level: 'silent',
        },
        // The DDL lock waits for peers' votes, which only arrive while the world runs: simulations
        // that run DDL outside world.runFor turn it on themselves.
        replication: {
          mode: 'multi-primary',
          cluster_secret: 'sim-secret',
          ddl_locking: false,
          ...(o.replication ?? {}),
        },
      },
    }),
    logger: silent,
    clock: { nowMs: () => o.world.nowMs + skew },
    timers: o.world.timers(skew),
    network: o.fabric.network(o.id, o.peers),
    ...(o.monitor ? { monitor: o.monitor } : {}),
  });
}
