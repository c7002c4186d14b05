// What a Replicator is built with (the node's engine, network and clocks, batch limits, and the
// hooks of the modes that restrict it: standby roles, snapshots, quorum) and what it counts.

import type { Logger } from 'pino';
import type { HybridLogicalClock } from '../../clock/hlc.js';
import type { Timers } from '../../clock/timers.js';
import type { ReplTx } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { WriterLock } from '../../storage/engine/writer-lock.js';
import type { Applier } from '../apply/applier.js';
import type { PeerMessage, PeerNetwork } from '../link/link.js';
import type { LogRetention } from './retention.js';

export interface ReplicatorOptions {
  nodeId: string;
  engine: StorageEngine;
  applier: Applier;
  network: PeerNetwork;
  writerLock: WriterLock;
  clock: HybridLogicalClock;
  timers: Timers;
  logger: Logger;
  /** [replication] batch_size: row changes per shipped batch. */
  batchEntries: number;
  /** [replication] max_batch_size_mb in bytes. */
  batchBytesMax: number;
  /**
   * [replication] batch_timeout_ms: the longest a committed change waits before a sender looks for
   * it (senders are also woken by every commit, and never hold a partial batch back).
   */
  batchTimeoutMs?: number;
  /** Called after remote transactions were applied (metrics, cache invalidation). */
  onApplied?(count: number): void;
  /** Log retention; null keeps the whole log. */
  retention?: LogRetention | null;
  /** How many peers are configured (retention waits until each has been seen). */
  expectedPeers?: () => number;
  /** A peer acknowledged what it has applied (quorum writes wait on this). */
  onAcks?: () => void;
  /** Masters removed from the cluster (replicate.remove_master): their links are closed at once. */
  isRemoved?: (peerId: string) => boolean;
  /** Ask peers not to stream the log yet (a new node that may start from a snapshot). */
  holdShipping?: () => boolean;
  /** Ship the log to this peer (default yes; a standby ships to nobody). */
  shipsTo?: (peerId: string) => boolean;
  /** Take transactions from this peer (default yes; a primary takes them from nobody: refused, counted). */
  acceptsFrom?: (peerId: string, msg: PeerMessage) => boolean;
  /** Whether this node's role takes anything from this peer at all (a primary takes nothing from its standbys). */
  takesFrom?: (peerId: string) => boolean;
  /** Fields added to every batch shipped (`txs`, `part`): primary/standby stamps its epoch. */
  stamp?: () => Record<string, unknown>;
  /** Transactions from a peer were received and queued (before they are applied). */
  onReceived?: (peerId: string, txs: readonly ReplTx[]) => void;
  /** Still at work on what a peer sent: a part of a large transaction arrived, or an apply runs on. */
  onBusy?: (peerId: string | null) => void;
}

export interface ReplicatorStats {
  receivedTxs: number;
  appliedTxs: number;
  duplicateTxs: number;
  applyBatches: number;
  applyErrors: number;
  pendingTxs: number;
  lastAppliedAtMs: number | null;
  /** Batches refused because this node takes no transactions from their sender (acceptsFrom). */
  refusedBatches: number;
}
