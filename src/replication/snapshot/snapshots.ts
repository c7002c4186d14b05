// Wires snapshot transfer into a multi-primary node: every node can donate (SQLite online backup of
// its database), and a node that joins empty or fell past the peers' retained logs receives one and
// restarts in-process to install it. Also exposes the state for replicate.snapshot_status.

import type { Logger } from 'pino';
import type { Timers } from '../../clock/timers.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { Membership } from '../cluster/membership.js';
import type { Replicator } from '../stream/replicator.js';
import { SnapshotDonor, type SnapshotInfo } from './donor.js';
import { type SnapshotPhase, SnapshotReceiver } from './receiver.js';

/** Meta keys that belong to this node, not to the cluster: kept when a donor's copy is installed. */
export const nodeLocalMetaKeys = [
  'created_at_ms',
  'initializing',
  'read_only',
  'sequence_progress',
  // Primary/standby failover: this node's epoch, role and primary, not the donor's.
  'ha_epoch',
  'ha_log_epoch',
  'ha_failover_role',
  'ha_failover_primary',
  'ha_primary_epoch',
] as const;

export interface SnapshotParts {
  dataDir: string;
  engine: StorageEngine;
  replicator: Replicator;
  membership: Membership | null;
  logger: Logger;
  timers: Timers;
  /** Restart the node in-process (the CLI can; an embedded node cannot receive snapshots). */
  requestRestart: ((reason: string) => void) | null;
  /** The node holds nothing yet and may start from a snapshot (default: a new master initializing empty). */
  initializingEmpty?: () => boolean;
  /**
   * What a donor's copy must hold for this node to install it (default: this node's applied
   * vector; less when some of what it holds is to be replaced, as a deposed primary's rewound commits).
   */
  mustCover?: (applied: Vector) => Vector;
  /** The peers a copy may be taken from (default: any linked peer; a standby: its upstream only). */
  donors?: (peerId: string) => boolean;
}

export interface SnapshotStatus {
  phase: SnapshotPhase;
  donor: string | null;
  receivedBytes: number;
  sizeBytes: number | null;
  percent: number | null;
  served: SnapshotInfo[];
  stats: { made: number; chunksServed: number; bytesServed: number; lastMakeMs: number | null };
}

export class Snapshots {
  readonly donor: SnapshotDonor;
  readonly receiver: SnapshotReceiver;

  constructor(parts: SnapshotParts) {
    const { engine, replicator, membership } = parts;
    this.donor = new SnapshotDonor({
      dataDir: parts.dataDir,
      dbPath: engine.path,
      logger: parts.logger,
      timers: parts.timers,
      pin: (peer, vector) => replicator.pin(peer, vector),
      appliedVector: () => engine.appliedVector(),
      streamableFrom: (vector) => replicator.streamableFrom(vector),
    });
    const meta = engine.writer.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck();
    this.receiver = new SnapshotReceiver({
      dataDir: parts.dataDir,
      nodeId: engine.nodeId,
      logger: parts.logger,
      timers: parts.timers,
      peers: () => replicator.peerHandles().filter((h) => parts.donors?.(h.peerId) ?? true),
      peerVectors: () => replicator.peerAcks,
      appliedVector: () => (parts.mustCover ?? ((v: Vector) => v))(engine.appliedVector()),
      refused: () => replicator.needsSnapshot !== null,
      initializingEmpty:
        parts.initializingEmpty ?? (() => (membership?.initializing ?? false) && engine.applied.size === 0),
      localMeta: () =>
        Object.fromEntries(nodeLocalMetaKeys.map((k) => [k, (meta.get(k) as string | undefined) ?? null])),
      releaseHold: () => replicator.resyncAll(),
      requestRestart: parts.requestRestart,
      onFailure: (peer, message) => replicator.recordFailure(peer, message),
    });
    const donor = this.donor;
    const receiver = this.receiver;
    replicator.addExtension({
      types: new Set(['snap_req', 'snap_get']),
      onMessage: (peer, msg) => donor.onMessage(peer, msg),
    });
    replicator.addExtension({
      types: receiver.types,
      onMessage: (peer, msg) => receiver.onMessage(peer, msg),
      onClose: (peerId) => receiver.onClose(peerId),
    });
  }

  /** Ask peers to hold the log while this node may still start from a snapshot. */
  get holding(): boolean {
    return this.receiver.holding;
  }

  start(): void {
    this.receiver.start();
  }

  async stop(): Promise<void> {
    this.receiver.stop();
    await this.donor.stop();
  }

  status(): SnapshotStatus {
    return { ...this.receiver.status(), served: this.donor.list(), stats: { ...this.donor.stats } };
  }
}
