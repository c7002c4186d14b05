// The download of one snapshot on disk: the file under <data_dir>/snapshot-incoming/ and its
// progress record (donor, snapshot id, size, checksum, vector, bytes received). Chunks are written
// as they are accepted, in order, and the record is synced every few chunks, so a broken link or a
// restart resumes where the download stopped.

import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Vector } from '../../log/records.js';
import { snapshotFileName, snapshotProgressFileName } from '../../storage/engine/snapshot-install.js';

/** Progress is written to disk every this many chunks. */
export const snapshotProgressEveryChunks = 16;

export interface SnapshotProgress {
  donor: string;
  id: string;
  size: number;
  sha256: string;
  vector: Vector;
  received: number;
  /** Bytes per chunk the donor serves. */
  chunkBytes: number;
}

export class SnapshotDownload {
  readonly file: string;
  private readonly progressFile: string;
  progress: SnapshotProgress | null;
  /** End of the bytes accepted so far (in order). */
  accepted = 0;
  private fd: number | null = null;
  private chunksSinceSave = 0;

  constructor(dir: string) {
    this.file = join(dir, snapshotFileName);
    this.progressFile = join(dir, snapshotProgressFileName);
    this.progress = this.load();
  }

  private load(): SnapshotProgress | null {
    if (!existsSync(this.progressFile) || !existsSync(this.file)) return null;
    try {
      return JSON.parse(readFileSync(this.progressFile, 'utf8')) as SnapshotProgress;
    } catch {
      return null;
    }
  }

  private save(): void {
    if (this.progress) writeFileSync(this.progressFile, JSON.stringify(this.progress));
  }

  /** A copy is asked of `donor`: the id to resume (a copy of the same donor partly received), or null. */
  begin(donor: string): string | null {
    if (this.progress?.donor === donor) return this.progress.id;
    this.progress = { donor, id: '', size: 0, sha256: '', vector: {}, received: 0, chunkBytes: 0 };
    return null;
  }

  /**
   * The donor described its copy: open the file, going on from what was received when it is the
   * copy partly received before. Returns whether it resumed. Call after begin().
   */
  open(meta: Omit<SnapshotProgress, 'donor' | 'received'>): boolean {
    const p = this.progress!;
    const resumed = p.id === meta.id && p.size === meta.size && existsSync(this.file);
    if (!resumed) Object.assign(p, meta, { received: 0 });
    this.fd = openSync(this.file, resumed ? 'r+' : 'w');
    if (!resumed) ftruncateSync(this.fd, 0);
    this.save();
    this.accepted = p.received;
    this.chunksSinceSave = 0;
    return resumed;
  }

  get complete(): boolean {
    return this.progress !== null && this.accepted >= this.progress.size;
  }

  /** Write the next chunk (it starts at `accepted`). */
  append(data: Uint8Array): void {
    const p = this.progress!;
    writeSync(this.fd!, data, 0, data.length, this.accepted);
    this.accepted += data.length;
    if (++this.chunksSinceSave >= snapshotProgressEveryChunks || this.accepted === p.size) this.record();
  }

  /** Sync what was accepted and write it down. */
  private record(): void {
    this.chunksSinceSave = 0;
    fsyncSync(this.fd!);
    this.progress!.received = this.accepted;
    this.save();
  }

  /** Stop writing: what was accepted so far is synced and recorded, so the next attempt resumes there. */
  close(): void {
    if (this.fd === null) return;
    if (this.progress && this.accepted > this.progress.received) this.record();
    closeSync(this.fd);
    this.fd = null;
  }

  /** Forget the progress: the next attempt starts over (the file is overwritten then). */
  forget(): void {
    this.close();
    this.progress = null;
    rmSync(this.progressFile, { force: true });
  }

  /** Forget the progress and remove the file (it failed verification). */
  discard(): void {
    this.forget();
    rmSync(this.file, { force: true });
  }
}
