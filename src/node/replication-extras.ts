// The multi-primary protocols that ride the peer links next to log shipping — snapshot transfer,
// split-brain detection/recovery and the write quorum (with its witness) — built for a node (their SQL functions are registered with the
// other admin functions, before the readers start: see registerSplitBrainAdmin).

import type { Logger } from 'pino';
import type { Timers } from '../clock/timers.js';
import type { Config } from '../config/load.js';
import type { PeerNetwork } from '../replication/link.js';
import type { Membership } from '../replication/membership.js';
import { type QuorumGate, quorumFromConfig } from '../replication/quorum.js';
import type { Replicator } from '../replication/replicator.js';
import { Snapshots } from '../replication/snapshots.js';
import { SplitBrain } from '../replication/split-brain.js';
import type { WriterLock } from '../session/writer-lock.js';
import type { StorageEngine } from '../storage/engine.js';

export interface ExtrasParts {
  config: Config;
  engine: StorageEngine;
  replicator: Replicator;
  membership: Membership | null;
  writerLock: WriterLock;
  logger: Logger;
  timers: Timers;
  requestRestart: ((reason: string) => void) | null;
  /** Peers configured when the node opened (the default quorum is a majority of them and us). */
  configuredPeers: number;
  /** Links to the witness (use_witness_node), or null. */
  witnessNetwork: PeerNetwork | null;
  nowMs(): number;
}

export function attachReplicationExtras(p: ExtrasParts): {
  snapshots: Snapshots;
  splitBrain: SplitBrain;
  quorum: QuorumGate | null;
} {
  const snapshots = new Snapshots({
    dataDir: p.config.server.data_dir,
    engine: p.engine,
    replicator: p.replicator,
    membership: p.membership,
    logger: p.logger,
    timers: p.timers,
    requestRestart: p.requestRestart,
  });
  const splitBrain = new SplitBrain({
    engine: p.engine,
    replicator: p.replicator,
    membership: p.membership,
    writerLock: p.writerLock,
    logger: p.logger,
    timers: p.timers,
    intervalMs: p.config.replication.split_brain_check_interval_ms,
    nowIso: () => new Date(p.nowMs()).toISOString(),
  });
  const quorum = p.config.replication.require_quorum_for_writes
    ? quorumFromConfig(
        p.config,
        p.configuredPeers,
        p.timers,
        p.replicator,
        p.engine.nodeId,
        p.witnessNetwork,
        p.logger.child({ component: 'witness' }),
      )
    : null;
  return { snapshots, splitBrain, quorum };
}
