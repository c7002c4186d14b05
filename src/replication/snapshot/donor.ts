// The donor side of a snapshot transfer: makes a consistent copy of this node's database (online
// backup in a worker thread, with the applied vector the copy holds) for a peer that joins or fell
// past the retained log, and serves it in checksummed chunks the receiver pulls at its own pace —
// so a transfer resumes from the last chunk received after a broken link.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import { coversVector, type Vector } from '../../log/records.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerHandle } from '../link/peer-extension.js';
import type { SnapshotWorkerResult } from './worker.js';

/** Bytes of one snapshot chunk (one frame; fits the smallest max_batch_size_mb of 1 MB). */
export const snapshotChunkBytes = 1024 * 1024;
/** A snapshot made for one receiver is reused for requests made within this long. */
export const snapshotReuseMs = 30_000;
/** A snapshot nobody read from for this long is deleted (a receiver resuming later gets a new one). */
export const snapshotKeepMs = 10 * 60_000;
/** Snapshot files a donor keeps at once (the oldest goes first). */
export const snapshotFilesMax = 2;
/** Chunk requests one receiver may have queued at the donor (its window is 8). */
export const snapshotGetsQueuedMax = 64;
/** Folder under the data directory holding the copies being served. */
export const snapshotDonorDirName = 'snapshots';

export interface SnapshotInfo {
  id: string;
  path: string;
  size: number;
  sha256: string;
  vector: Vector;
  createdAtMs: number;
  lastUsedAtMs: number;
}

export interface SnapshotDonorOptions {
  dataDir: string;
  dbPath: string;
  logger: Logger;
  timers: Timers;
  /**
   * A snapshot at this vector goes to this peer: keep the log from there for it (retention must not
   * drop what the receiver will ask for once the snapshot is installed).
   */
  pin(peerId: string, vector: Vector): void;
  /** This node's applied vector now (a snapshot made later holds at least this). */
  appliedVector(): Vector;
  /** Could a peer stream the log from this vector (nothing it lacks was truncated)? */
  streamableFrom(vector: Vector): boolean;
}

export class SnapshotDonor {
  private readonly dir: string;
  private readonly snapshots = new Map<string, SnapshotInfo>();
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private making: Promise<SnapshotInfo> | null = null;
  /** The applied vector when the copy being made was begun. */
  private makingFrom: Vector = {};
  /** Per receiver: the chunk reads in flight, chained so chunks leave in request order. */
  private readonly serving = new Map<string, { tail: Promise<void>; queued: number }>();
  private sweepTimer: TimerHandle | null = null;
  private stopped = false;
  /** Snapshots made, and chunks/bytes served (replicate.snapshot_status, metrics). */
  readonly stats = { made: 0, chunksServed: 0, bytesServed: 0, lastMakeMs: null as number | null };

  constructor(private readonly o: SnapshotDonorOptions) {
    this.dir = join(o.dataDir, snapshotDonorDirName);
    // Copies left by an earlier run cannot be resumed against (their ids are gone): remove them.
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.scheduleSweep();
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (msg.t === 'snap_req') this.onRequest(peer, msg);
    else if (msg.t === 'snap_get') this.onGet(peer, msg);
  }

  private onRequest(peer: PeerHandle, msg: PeerMessage): void {
    const need: Vector = {};
    if (typeof msg.need === 'object' && msg.need !== null)
      for (const [o, s] of Object.entries(msg.need as Record<string, unknown>))
        if (Number.isSafeInteger(s)) need[o] = s as number;
    // A copy is reused only if it holds what the receiver needs and the log still goes on from it
    // (otherwise the receiver would install it and be refused again).
    const fits = (s: SnapshotInfo | undefined): s is SnapshotInfo =>
      s !== undefined && coversVector(s.vector, need) && this.o.streamableFrom(s.vector);
    const now = this.o.timers.nowMs();
    const wantedSnapshot = typeof msg.id === 'string' ? this.snapshots.get(msg.id) : undefined;
    const wanted = fits(wantedSnapshot) ? wantedSnapshot : undefined;
    const recent = [...this.snapshots.values()].find((s) => now - s.createdAtMs < snapshotReuseMs && fits(s));
    const ready = wanted ?? recent;
    const send = (s: SnapshotInfo): void => {
      s.lastUsedAtMs = this.o.timers.nowMs();
      this.o.pin(peer.peerId, s.vector);
      this.o.logger.info(
        { peer: peer.peerId, snapshot: s.id, bytes: s.size, resumed: wanted !== undefined },
        'serving a snapshot',
      );
      peer.send({
        t: 'snap_meta',
        id: s.id,
        size: s.size,
        sha256: s.sha256,
        vector: s.vector,
        chunkBytes: snapshotChunkBytes,
      });
    };
    if (ready) {
      send(ready);
      return;
    }
    const fail = (err: unknown): void => {
      this.o.logger.error({ err, peer: peer.peerId }, 'making a snapshot failed');
      peer.send({ t: 'snap_error', message: `snapshot failed on the donor: ${(err as Error).message}` });
    };
    const serve = (retried: boolean): void => {
      // Keep the log for this peer from where the copy it gets starts (a copy being made already
      // started earlier than now).
      this.o.pin(peer.peerId, this.making ? this.makingFrom : this.o.appliedVector());
      this.make().then((s) => {
        // A copy begun before this request may lack what the receiver holds: make one more.
        if (!fits(s) && !retried) serve(true);
        else send(s);
      }, fail);
    };
    serve(false);
  }

  /** One snapshot at a time; concurrent requests share it. */
  make(): Promise<SnapshotInfo> {
    if (!this.making) {
      // The copy holds at least what is applied now (it is taken after this).
      this.makingFrom = this.o.appliedVector();
      this.making = this.makeNow().finally(() => {
        this.making = null;
      });
    }
    return this.making;
  }

  private async makeNow(): Promise<SnapshotInfo> {
    while (this.snapshots.size >= snapshotFilesMax) {
      const oldest = [...this.snapshots.values()].sort((a, b) => a.lastUsedAtMs - b.lastUsedAtMs)[0]!;
      await this.drop(oldest.id);
    }
    const id = randomBytes(8).toString('hex');
    const path = join(this.dir, `${id}.db`);
    const started = this.o.timers.nowMs();
    const script = fileURLToPath(new URL('./worker.js', import.meta.url));
    const result = await new Promise<SnapshotWorkerResult>((resolve, reject) => {
      const worker = new Worker(script, { workerData: { source: this.o.dbPath, dest: path } });
      worker.once('message', (m: SnapshotWorkerResult) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`snapshot worker exited with code ${code}`)));
    });
    if (!result.ok) {
      rmSync(path, { force: true });
      throw new Error(result.message);
    }
    const now = this.o.timers.nowMs();
    const info: SnapshotInfo = {
      id,
      path,
      size: result.size,
      sha256: result.sha256,
      vector: result.vector,
      createdAtMs: now,
      lastUsedAtMs: now,
    };
    this.stats.made++;
    this.stats.lastMakeMs = now - started;
    if (this.stopped) {
      rmSync(path, { force: true });
      throw new Error('node is stopping');
    }
    this.snapshots.set(id, info);
    this.o.logger.info(
      { snapshot: id, bytes: info.size, pages: result.pages, ms: now - started },
      'snapshot made',
    );
    return info;
  }

  private onGet(peer: PeerHandle, msg: PeerMessage): void {
    const s = typeof msg.id === 'string' ? this.snapshots.get(msg.id) : undefined;
    const offset = Number(msg.offset);
    if (!s || !Number.isSafeInteger(offset) || offset < 0 || offset >= s.size) {
      peer.send({
        t: 'snap_error',
        id: msg.id,
        message: s ? `bad chunk offset ${String(msg.offset)}` : 'snapshot no longer kept; ask for a new one',
      });
      return;
    }
    s.lastUsedAtMs = this.o.timers.nowMs();
    const length = Math.min(snapshotChunkBytes, s.size - offset);
    // Chunks go out in the order they were asked for (reads may complete out of order).
    const queue = this.serving.get(peer.peerId) ?? { tail: Promise.resolve(), queued: 0 };
    // Past the bound a request is dropped: the receiver asks again from its last chunk on a stall.
    if (queue.queued >= snapshotGetsQueuedMax) return;
    queue.queued++;
    const next = queue.tail.then(() =>
      this.read(s, offset, length).then(
        (data) => {
          this.stats.chunksServed++;
          this.stats.bytesServed += data.length;
          const sha256 = createHash('sha256').update(data).digest('hex');
          peer.send({ t: 'snap_chunk', id: s.id, offset, req: msg.req, data, sha256 });
        },
        (err: unknown) => {
          peer.send({ t: 'snap_error', id: s.id, message: (err as Error).message });
        },
      ),
    );
    queue.tail = next;
    this.serving.set(peer.peerId, queue);
    next.finally(() => {
      queue.queued--;
      if (queue.queued === 0 && this.serving.get(peer.peerId) === queue) this.serving.delete(peer.peerId);
    });
  }

  private async read(s: SnapshotInfo, offset: number, length: number): Promise<Buffer> {
    let h = this.handles.get(s.id);
    if (!h) {
      h = open(s.path, 'r');
      this.handles.set(s.id, h);
    }
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await (await h).read(buf, 0, length, offset);
    if (bytesRead !== length) throw new Error(`short read at ${offset}: ${bytesRead} of ${length} bytes`);
    return buf;
  }

  private async drop(id: string): Promise<void> {
    const s = this.snapshots.get(id);
    this.snapshots.delete(id);
    const h = this.handles.get(id);
    this.handles.delete(id);
    if (h) await (await h).close().catch(() => undefined);
    if (s) rmSync(s.path, { force: true });
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = this.o.timers.after(snapshotKeepMs / 10, () => {
      const now = this.o.timers.nowMs();
      const old = [...this.snapshots.values()].filter((s) => now - s.lastUsedAtMs > snapshotKeepMs);
      Promise.all(old.map((s) => this.drop(s.id))).finally(() => this.scheduleSweep());
    });
  }

  /** Snapshots kept right now (replicate.snapshot_status). */
  list(): SnapshotInfo[] {
    return [...this.snapshots.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sweepTimer?.cancel();
    await this.making?.catch(() => undefined);
    for (const id of [...this.snapshots.keys()]) await this.drop(id);
    for (const f of readdirSync(this.dir)) unlinkSync(join(this.dir, f));
  }
}
