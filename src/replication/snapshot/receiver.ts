// The receiving side of a snapshot transfer. A node takes a snapshot when it joins as a new master
// with no data (replicate.initialize_master) or when every peer refuses to stream because its
// vector is behind their retained logs. It picks a donor that already holds all of this node's own
// transactions (nothing written here is lost), pulls the copy in checksummed chunks within a
// window, keeps the download and its progress on disk so a broken link or a restart resumes where
// it stopped, verifies the whole file, prepares it, and asks the host to restart the node in-process
// so the swap happens while nothing has the database open. After the restart the node streams the
// log from the snapshot's vector like any peer.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import { coversVector, type Vector } from '../../log/records.js';
import {
  prepareSnapshotFile,
  snapshotIncomingDir,
  snapshotReadyFileName,
} from '../../storage/engine/snapshot-install.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerHandle } from '../link/peer-extension.js';
import { SnapshotDownload } from './download.js';
import { sha256OfFile } from './worker.js';

/** Chunk requests outstanding at once (the window; chunks are snapshotChunkBytes each). */
export const snapshotWindowChunks = 8;
/** How often the receiver checks whether it needs a snapshot and whether a transfer stalled. */
export const snapshotTickMs = 500;
/** No chunk for this long: ask again from the last chunk received. */
export const snapshotStallMs = 15_000;
/** Waiting for the donor to make the copy (a large database takes a while). */
export const snapshotMakeTimeoutMs = 10 * 60_000;
/** Every linked peer must have refused to stream to us for this long before we take a snapshot. */
export const snapshotRefusedForMs = 3_000;
/** Pause after a failed attempt before asking again. */
export const snapshotRetryMs = 2_000;
/** Transfers that failed verification in a row before giving up (an operator must look). */
export const snapshotAttemptsMax = 5;
/** Largest chunk a donor may announce (a frame must hold it). */
export const snapshotChunkBytesMax = 8 * 1024 * 1024;

export interface SnapshotReceiverOptions {
  dataDir: string;
  nodeId: string;
  logger: Logger;
  timers: Timers;
  peers(): PeerHandle[];
  /** Applied vectors linked peers announced (their resync). */
  peerVectors(): ReadonlyMap<string, Vector>;
  /** What an installed copy must hold: this node's applied vector, or less (SnapshotParts.mustCover). */
  appliedVector(): Vector;
  /** Every linked peer refused to stream the log to us (we are behind their retained logs). */
  refused(): boolean;
  /** The node joins as a new master and holds nothing yet. */
  initializingEmpty(): boolean;
  /** Node-local meta values carried into the installed snapshot (null deletes). */
  localMeta(): Record<string, string | null>;
  /** Peers hold log shipping while we may take a snapshot; this lets them stream instead. */
  releaseHold(): void;
  /** Restart the node in-process so the snapshot is swapped in; null when the host cannot. */
  requestRestart: ((reason: string) => void) | null;
  onFailure(peer: string | null, message: string): void;
}

export type SnapshotPhase = 'idle' | 'requesting' | 'transferring' | 'verifying' | 'installing' | 'failed';

export class SnapshotReceiver {
  readonly types = new Set(['snap_meta', 'snap_chunk', 'snap_error']);
  phase: SnapshotPhase = 'idle';
  private readonly dir: string;
  /** The file being received and its progress, kept on disk. */
  private readonly download: SnapshotDownload;
  private nextRequest = 0;
  /** Chunk requests in flight: request number → offset (a chunk from an abandoned window is a stray). */
  private readonly outstanding = new Map<number, number>();
  private requestNo = 0;
  private lastChunkAtMs = 0;
  private requestedAtMs = 0;
  private retryAtMs = 0;
  private failedAttempts = 0;
  private holdReleased = false;
  private refusedSinceMs: number | null = null;
  /** The "no peer could donate" failure was recorded (once per stretch). */
  private noDonorReported = false;
  private timer: TimerHandle | null = null;
  private stopped = false;
  readonly stats = {
    transfers: 0,
    chunksReceived: 0,
    bytesReceived: 0,
    badChunks: 0,
    /** Where the latest attempt went on from (a resumed transfer), in bytes. */
    resumedAtBytes: null as number | null,
    startedAtMs: null as number | null,
  };

  constructor(private readonly o: SnapshotReceiverOptions) {
    this.dir = snapshotIncomingDir(o.dataDir);
    this.download = new SnapshotDownload(this.dir);
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.download.close();
  }

  /** Peers should not stream the log to us yet: we are new and may start from a snapshot. */
  get holding(): boolean {
    return !this.holdReleased && this.o.initializingEmpty() && this.o.requestRestart !== null;
  }

  /** A transfer is under way. */
  get active(): boolean {
    return this.phase !== 'idle' && this.phase !== 'failed';
  }

  /**
   * Local writes are refused: a transfer is under way, or this node waits for one (it joins empty,
   * or every peer refused to stream to it and one could donate once our own writes reached it). A
   * snapshot replaces the data, so a write made here that its donor does not hold yet would be lost
   * by the install. With no possible donor at all, writes go on (nothing would end the wait).
   */
  get blocksWrites(): boolean {
    if (this.active || this.holding) return true;
    return this.o.requestRestart !== null && this.o.refused() && this.donors(false).length > 0;
  }

  /**
   * Linked peers that could donate, fullest first: they hold data and every transaction this node
   * holds (with `ownToo` false, except this node's own, which reach them once writes stop) — an
   * install must lose nothing this node has.
   */
  private donors(ownToo: boolean): PeerHandle[] {
    const applied = this.o.appliedVector();
    const vectors = this.o.peerVectors();
    const total = (id: string): number =>
      Object.values(vectors.get(id) ?? {}).reduce((sum, seq) => sum + seq, 0);
    return this.o
      .peers()
      .filter((p) => {
        if (p.closed || total(p.peerId) === 0) return false;
        const v = vectors.get(p.peerId) ?? {};
        return Object.entries(applied).every(
          ([o, seq]) => (!ownToo && o === this.o.nodeId) || (v[o] ?? 0) >= seq,
        );
      })
      .sort((a, b) => total(b.peerId) - total(a.peerId));
  }

  status(): {
    phase: SnapshotPhase;
    donor: string | null;
    receivedBytes: number;
    sizeBytes: number | null;
    percent: number | null;
  } {
    const p = this.download.progress;
    const received = this.phase === 'transferring' ? this.download.accepted : (p?.received ?? 0);
    return {
      phase: this.phase,
      donor: p?.donor ?? null,
      receivedBytes: received,
      sizeBytes: p?.size ?? null,
      percent: p && p.size > 0 ? Math.min(100, (100 * received) / p.size) : null,
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.timers.after(snapshotTickMs, () => {
      try {
        this.tick();
      } catch (err) {
        this.o.logger.error({ err }, 'snapshot receiver failed');
      }
      this.schedule();
    });
  }

  private donorHandle(): PeerHandle | null {
    const donor = this.download.progress?.donor;
    return this.o.peers().find((p) => p.peerId === donor && !p.closed) ?? null;
  }

  private wanted(): boolean {
    if (this.o.requestRestart === null) return false;
    // Refused by every linked peer for a while (right after a start only one peer may be linked,
    // and it may be one that cannot stream to us while another can).
    const now = this.o.timers.nowMs();
    if (!this.o.refused()) this.refusedSinceMs = null;
    else {
      this.refusedSinceMs ??= now;
      if (now - this.refusedSinceMs >= snapshotRefusedForMs) return true;
    }
    if (!this.holding) return false;
    const vectors = this.o.peerVectors();
    const linked = this.o.peers().filter((p) => !p.closed);
    const known = linked.filter((p) => vectors.has(p.peerId));
    if (known.some((p) => Object.values(vectors.get(p.peerId) ?? {}).some((s) => s > 0))) return true;
    if (linked.length > 0 && known.length === linked.length) {
      // Every peer is as empty as we are: nothing to copy, stream the log from the start.
      this.holdReleased = true;
      this.o.releaseHold();
    }
    return false;
  }

  tick(): void {
    const now = this.o.timers.nowMs();
    if (this.phase === 'requesting' || this.phase === 'transferring') {
      const donor = this.donorHandle();
      if (!donor) {
        this.o.logger.warn({ donor: this.download.progress?.donor }, 'snapshot donor link lost; will resume');
        this.phase = 'idle';
        this.download.close();
      } else if (this.phase === 'requesting' && now - this.requestedAtMs > snapshotMakeTimeoutMs) {
        this.phase = 'idle';
      } else if (this.phase === 'transferring' && now - this.lastChunkAtMs > snapshotStallMs) {
        this.o.logger.warn(
          { donor: donor.peerId, offset: this.download.accepted },
          'snapshot transfer stalled; asking again',
        );
        this.outstanding.clear();
        this.nextRequest = this.download.accepted;
        this.lastChunkAtMs = now;
        this.pump(donor);
      }
      return;
    }
    if (this.phase !== 'idle' || now < this.retryAtMs || !this.wanted()) return;
    const candidates = this.donors(true);
    const donor = candidates.find((p) => p.peerId === this.download.progress?.donor) ?? candidates[0];
    if (!donor) {
      if (this.donors(false).length === 0 && !this.noDonorReported) {
        this.noDonorReported = true;
        this.o.onFailure(
          null,
          'a snapshot re-sync is needed but no linked peer holds everything this node holds: resolve by hand (replicate.check_split_brain, the canonical-partition steps)',
        );
      }
      return;
    }
    this.noDonorReported = false;
    const resumeId = this.download.begin(donor.peerId);
    this.phase = 'requesting';
    this.requestedAtMs = now;
    this.stats.startedAtMs ??= now;
    this.o.logger.info({ donor: donor.peerId, resume: resumeId }, 'asking for a snapshot');
    // `need`: the donor serves a copy holding at least this (an older copy would lose what we hold).
    donor.send({ t: 'snap_req', id: resumeId, need: this.o.appliedVector() });
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (peer.peerId !== this.download.progress?.donor) return;
    if (msg.t === 'snap_meta' && this.phase === 'requesting') this.onMeta(peer, msg);
    else if (msg.t === 'snap_chunk' && this.phase === 'transferring') this.onChunk(peer, msg);
    else if (
      msg.t === 'snap_error' &&
      (this.phase === 'requesting' || this.phase === 'transferring') &&
      // An error about another copy (an earlier attempt's) is not about this transfer.
      (typeof msg.id !== 'string' || this.phase === 'requesting' || msg.id === this.download.progress.id)
    ) {
      const message = String(msg.message ?? 'snapshot error');
      this.o.onFailure(peer.peerId, message);
      this.o.logger.warn({ donor: peer.peerId, message }, 'snapshot donor refused; starting over');
      this.reset();
    }
  }

  onClose(peerId: string): void {
    if (
      peerId === this.download.progress?.donor &&
      (this.phase === 'requesting' || this.phase === 'transferring')
    ) {
      this.phase = 'idle';
      this.download.close();
    }
  }

  private onMeta(peer: PeerHandle, msg: PeerMessage): void {
    const id = String(msg.id);
    const size = Number(msg.size);
    const chunkBytes = Number(msg.chunkBytes);
    const chunkOk = Number.isSafeInteger(chunkBytes) && chunkBytes > 0 && chunkBytes <= snapshotChunkBytesMax;
    if (!Number.isSafeInteger(size) || size <= 0 || typeof msg.sha256 !== 'string' || !chunkOk) {
      this.o.onFailure(peer.peerId, 'malformed snapshot description');
      this.reset();
      return;
    }
    const vector = msg.vector as Vector;
    if (!this.coversApplied(vector)) {
      this.o.onFailure(
        peer.peerId,
        "the donor's snapshot lacks transactions this node holds; asking for a newer one",
      );
      this.reset();
      return;
    }
    const resumed = this.download.open({ id, size, sha256: msg.sha256, vector, chunkBytes });
    const p = this.download.progress!;
    if (resumed) this.stats.resumedAtBytes = p.received;
    this.nextRequest = p.received;
    this.outstanding.clear();
    this.phase = 'transferring';
    this.lastChunkAtMs = this.o.timers.nowMs();
    this.o.logger.info(
      { donor: peer.peerId, snapshot: id, bytes: size, from: p.received },
      'receiving a snapshot',
    );
    if (this.download.complete) this.received(peer);
    else this.pump(peer);
  }

  /** Installing a copy without every transaction this node holds would lose them. */
  private coversApplied(vector: Vector | undefined): boolean {
    return typeof vector === 'object' && vector !== null && coversVector(vector, this.o.appliedVector());
  }

  private pump(peer: PeerHandle): void {
    const p = this.download.progress!;
    while (this.outstanding.size < snapshotWindowChunks && this.nextRequest < p.size) {
      const req = ++this.requestNo;
      this.outstanding.set(req, this.nextRequest);
      peer.send({ t: 'snap_get', id: p.id, offset: this.nextRequest, req });
      this.nextRequest += p.chunkBytes;
    }
  }

  private onChunk(peer: PeerHandle, msg: PeerMessage): void {
    const p = this.download.progress!;
    const offset = Number(msg.offset);
    const req = Number(msg.req);
    if (this.outstanding.get(req) !== offset || msg.id !== p.id) return; // a stray from an earlier window
    this.outstanding.delete(req);
    const data = msg.data;
    const ok =
      offset === this.download.accepted &&
      data instanceof Uint8Array &&
      data.length > 0 &&
      offset + data.length <= p.size &&
      createHash('sha256').update(data).digest('hex') === msg.sha256;
    if (!ok) {
      this.stats.badChunks++;
      this.o.onFailure(
        peer.peerId,
        `snapshot chunk at ${offset} failed its checksum or arrived out of order`,
      );
      this.outstanding.clear();
      this.nextRequest = this.download.accepted;
      this.pump(peer);
      return;
    }
    this.download.append(data);
    this.lastChunkAtMs = this.o.timers.nowMs();
    this.stats.chunksReceived++;
    this.stats.bytesReceived += data.length;
    if (this.download.complete) this.received(peer);
    else this.pump(peer);
  }

  /** Every byte is here: verify the whole file and install it. */
  private received(peer: PeerHandle): void {
    this.download.close();
    this.phase = 'verifying';
    this.verifyAndInstall().catch((err: unknown) => {
      this.o.logger.error({ err }, 'snapshot install failed');
      this.o.onFailure(peer.peerId, `snapshot install failed: ${(err as Error).message}`);
      this.reset();
    });
  }

  private async verifyAndInstall(): Promise<void> {
    const p = this.download.progress!;
    const file = this.download.file;
    const sha = await sha256OfFile(file);
    if (sha !== p.sha256) {
      this.failedAttempts++;
      this.o.onFailure(p.donor, `snapshot file checksum mismatch (attempt ${this.failedAttempts})`);
      this.download.discard();
      if (this.failedAttempts >= snapshotAttemptsMax) {
        this.phase = 'failed';
        this.o.logger.error(
          { attempts: this.failedAttempts },
          'snapshot transfers keep failing verification; giving up',
        );
        return;
      }
      this.phase = 'idle';
      this.retryAtMs = this.o.timers.nowMs() + snapshotRetryMs;
      return;
    }
    if (!this.coversApplied(p.vector)) {
      // A write slipped in during the transfer (client writes are refused meanwhile; an admin
      // command is not): ask for a copy that holds it.
      this.o.onFailure(p.donor, 'this node wrote during the snapshot transfer; asking for a newer one');
      this.reset();
      return;
    }
    prepareSnapshotFile(file, this.o.nodeId, this.o.localMeta());
    writeFileSync(
      join(this.dir, snapshotReadyFileName),
      JSON.stringify({ donor: p.donor, id: p.id, vector: p.vector }),
    );
    this.phase = 'installing';
    this.stats.transfers++;
    this.o.logger.info(
      { donor: p.donor, snapshot: p.id, bytes: p.size, vector: p.vector },
      'snapshot verified; restarting to install it',
    );
    this.o.requestRestart?.(`install snapshot ${p.id} from ${p.donor}`);
  }

  private reset(): void {
    this.download.forget();
    this.phase = 'idle';
    this.outstanding.clear();
    this.retryAtMs = this.o.timers.nowMs() + snapshotRetryMs;
  }
}
