// Split-brain detection and recovery over the peer links. Detection: Merkle comparisons of every
// replicated table with every linked peer (merkle.ts), in the background and on demand
// (replicate.check_split_brain); results feed replicate.split_brain_status and, with both sides'
// values, replicate.split_brain_conflicts. Recovery (replicate.sync_from_canonical_partition, run
// on a node of the non-canonical partition once the network healed): void this partition's writes
// the canonical node never saw, stream the canonical partition's writes in, then compare every
// table with the canonical node and take its rows where they still differ. Dropped values are kept
// (split-brain-repair.ts). The digests read through read-only connections of their own, so neither
// side blocks its writer.

import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import { ChorusError } from '../../errors.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { WriterLock } from '../../storage/engine/writer-lock.js';
import type { CanonicalMark } from '../apply/ddl/admin-commands.js';
import type { Membership } from '../cluster/membership.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import type { Replicator } from '../stream/replicator.js';
import {
  type CompareResult,
  compareTable,
  MerkleResponder,
  merkleReplyType,
  merkleRequestType,
} from './merkle.js';
import { beginRead, endRead, withConnection } from './merkle-digest.js';
import { isKeyless, keylessDigestText } from './multiset-digest.js';
import {
  type FetchedRow,
  SplitBrainRepair,
  splitBrainRowsPerFetchMax,
  splitBrainVoidTxsMax,
} from './split-brain-repair.js';

/** How long a request to a peer may take (a digest of a large range included). */
export const splitBrainRequestTimeoutMs = 60_000;
/** Differing rows whose values are fetched for replicate.split_brain_conflicts, per check. */
export const splitBrainConflictRowsMax = 1_000;
/** Waiting for the canonical partition's writes to arrive during a sync. */
export const splitBrainCatchUpTimeoutMs = 60_000;
const catchUpPollMs = 50;

export type SplitBrainState = 'CONSISTENT' | 'DIVERGED' | 'BEHIND' | 'AHEAD' | 'UNREACHABLE';

export interface TableStatus {
  peer: string;
  table: string;
  status: SplitBrainState;
  localRows: number;
  peerRows: number | null;
  differingRows: number;
  truncated: boolean;
  rangesCompared: number;
  bytes: number;
  error: string | null;
  checkedAtMs: number;
}

export interface SplitBrainConflict {
  table: string;
  rowId: string;
  master1: string;
  master2: string;
  master1Value: string | null;
  master2Value: string | null;
  detectedAtMs: number;
}

export interface SplitBrainParts {
  engine: StorageEngine;
  replicator: Replicator;
  membership: Membership | null;
  writerLock: WriterLock;
  logger: Logger;
  timers: Timers;
  /** Background check period ([replication] split_brain_check_interval_ms); 0 turns it off. */
  intervalMs: number;
  nowIso(): string;
}

/** Does `a` hold everything `b` does? */
function coversAll(a: Vector, b: Vector): boolean {
  return Object.entries(b).every(([o, s]) => (a[o] ?? 0) >= s);
}

export class SplitBrain implements PeerExtension {
  readonly types = new Set([
    merkleRequestType,
    merkleReplyType,
    'sb_rows_req',
    'sb_rows_reply',
    'sb_canon_req',
    'sb_canon_reply',
  ]);
  readonly repair: SplitBrainRepair;
  private readonly reader: Database.Database;
  private readonly digestReader: Database.Database;
  private readonly responder: MerkleResponder;
  private readonly waiters = new Map<
    number,
    { peer: string; resolve(m: PeerMessage): void; reject(e: Error): void; timer: TimerHandle }
  >();
  private seq = 0;
  private readonly statuses = new Map<string, TableStatus>();
  private readonly conflictRows = new Map<string, SplitBrainConflict[]>();
  private timer: TimerHandle | null = null;
  private checking: Promise<TableStatus[]> | null = null;
  private syncingFlag = false;
  private stopped = false;

  constructor(private readonly o: SplitBrainParts) {
    this.repair = new SplitBrainRepair(o.engine);
    this.reader = new Database(o.engine.path, { readonly: true, fileMustExist: true });
    this.digestReader = new Database(o.engine.path, { readonly: true, fileMustExist: true });
    this.responder = new MerkleResponder(this.reader);
    o.replicator.addExtension(this);
  }

  start(): void {
    this.schedule();
  }

  /** A sync from the canonical partition is under way: local writes are refused meanwhile. */
  get syncing(): boolean {
    return this.syncingFlag;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const [id, w] of this.waiters) {
      w.timer.cancel();
      w.reject(new ChorusError('57P01', 'node is shutting down'));
      this.waiters.delete(id);
    }
    this.reader.close();
    this.digestReader.close();
  }

  private schedule(): void {
    if (this.stopped || this.o.intervalMs <= 0) return;
    this.timer = this.o.timers.after(this.o.intervalMs, () => {
      this.check()
        .catch((err: unknown) => this.o.logger.warn({ err }, 'background split-brain check failed'))
        .finally(() => this.schedule());
    });
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (msg.t === merkleRequestType) {
      this.responder.handle(msg).then((reply) => peer.send(reply));
    } else if (msg.t === 'sb_rows_req') {
      const raw: unknown[] = Array.isArray(msg.keys) ? msg.keys : [];
      const keys = raw
        .filter(
          (k): k is [string, string] =>
            Array.isArray(k) && typeof k[0] === 'string' && typeof k[1] === 'string',
        )
        .map(([tbl, pk]) => ({ tbl, pk }));
      withConnection(this.reader, () => this.readRowsConsistent(keys)).then(
        (rows) => peer.send({ t: 'sb_rows_reply', id: msg.id, rows }),
        (err: unknown) =>
          peer.send({ t: 'sb_rows_reply', id: msg.id, rows: [], error: (err as Error).message }),
      );
    } else if (msg.t === 'sb_canon_req') {
      peer.send({
        t: 'sb_canon_reply',
        id: msg.id,
        canonical: this.o.membership?.canonical ?? null,
        vector: this.o.engine.appliedVector(),
      });
    } else {
      const w = this.waiters.get(Number(msg.id));
      if (!w || w.peer !== peer.peerId) return;
      this.waiters.delete(Number(msg.id));
      w.timer.cancel();
      w.resolve(msg);
    }
  }

  onClose(peerId: string): void {
    for (const [id, w] of this.waiters) {
      if (w.peer !== peerId) continue;
      this.waiters.delete(id);
      w.timer.cancel();
      w.reject(new ChorusError('08006', `link to ${peerId} closed during a split-brain request`));
    }
  }

  private request(peer: PeerHandle, msg: PeerMessage): Promise<PeerMessage> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = this.o.timers.after(splitBrainRequestTimeoutMs, () => {
        this.waiters.delete(id);
        reject(new ChorusError('08006', `${peer.peerId} did not answer a split-brain request in time`));
      });
      this.waiters.set(id, { peer: peer.peerId, resolve, reject, timer });
      if (!peer.send({ ...msg, id }) && peer.closed) {
        this.waiters.delete(id);
        timer.cancel();
        reject(new ChorusError('08006', `no link to ${peer.peerId}`));
      }
    });
  }

  private linked(): PeerHandle[] {
    return this.o.replicator.peerHandles().filter((p) => !p.closed);
  }

  /** Rows with their metadata, read in one read transaction (one commit's view of both). */
  private readRowsConsistent(keys: { tbl: string; pk: string }[]): FetchedRow[] {
    const began = beginRead(this.reader);
    try {
      return this.repair.readRows(this.reader, keys);
    } finally {
      endRead(this.reader, began);
    }
  }

  /** Tables compared: every replicated table (those without a primary key as multisets of rows). */
  private tables(): string[] {
    return this.o.engine.replicatedTables();
  }

  /** Replicated tables without a primary key (replicate.check_divergence compares them whole). */
  keylessTables(): string[] {
    return this.tables().filter((t) => isKeyless(this.o.engine.writer, t));
  }

  /** "<rows> rows <multiset digest>" of a keyless table, read in one snapshot of its own. */
  keylessDigest(table: string): Promise<string> {
    return keylessDigestText(this.digestReader, table);
  }

  /** Tables a sync repairs row by row: replicated tables with a primary key. */
  private keyedTables(): string[] {
    return this.tables().filter((t) => !isKeyless(this.o.engine.writer, t));
  }

  private compare(peer: PeerHandle, table: string): Promise<CompareResult> {
    return compareTable(this.digestReader, table, (req) => this.request(peer, req));
  }

  /**
   * The peer's rows for these keys. A reply answers a prefix of the keys asked (it is bounded in
   * bytes); anything but the rows asked for, in order, is refused.
   */
  private async fetchRows(peer: PeerHandle, keys: { tbl: string; pk: string }[]): Promise<FetchedRow[]> {
    const out: FetchedRow[] = [];
    let i = 0;
    while (i < keys.length) {
      const batch = keys.slice(i, i + splitBrainRowsPerFetchMax);
      const reply = await this.request(peer, { t: 'sb_rows_req', keys: batch.map((k) => [k.tbl, k.pk]) });
      if (typeof reply.error === 'string')
        throw new ChorusError('58000', `${peer.peerId} could not read rows: ${reply.error}`);
      const rows = Array.isArray(reply.rows) ? (reply.rows as FetchedRow[]) : [];
      const valid =
        rows.length > 0 &&
        rows.length <= batch.length &&
        rows.every(
          (r, j) =>
            r !== null &&
            typeof r === 'object' &&
            r.tbl === batch[j]!.tbl &&
            r.pk === batch[j]!.pk &&
            (r.row === null || typeof r.row === 'string') &&
            Array.isArray(r.crdt),
        );
      if (!valid)
        throw new ChorusError('08P01', `${peer.peerId} answered a row request with rows not asked for`);
      out.push(...rows);
      i += rows.length;
    }
    return out;
  }

  /** Compare every table with every linked peer now (or the named one); one check at a time. */
  check(peerId?: string): Promise<TableStatus[]> {
    if (!this.checking) {
      this.checking = this.checkNow(peerId).finally(() => {
        this.checking = null;
      });
    }
    return this.checking;
  }

  private async checkNow(peerId?: string): Promise<TableStatus[]> {
    const peers = this.linked().filter((p) => !peerId || p.peerId === peerId);
    const out: TableStatus[] = [];
    for (const peer of peers) {
      let peerVector: Vector | null = null;
      try {
        peerVector = (await this.request(peer, { t: 'sb_canon_req' })).vector as Vector;
      } catch {
        // Unreachable now: every table is reported so below.
      }
      for (const table of this.tables()) out.push(await this.checkTable(peer, table, peerVector));
    }
    return out.sort((a, b) => a.table.localeCompare(b.table) || a.peer.localeCompare(b.peer));
  }

  private async checkTable(peer: PeerHandle, table: string, peerVector: Vector | null): Promise<TableStatus> {
    const ours = this.o.engine.appliedVector();
    const now = this.o.timers.nowMs();
    let status: TableStatus;
    try {
      if (!peerVector) throw new ChorusError('08006', `${peer.peerId} did not answer`);
      const r = await this.compare(peer, table);
      // A keyless table says only whether its rows differ: at least the difference of the counts.
      const differingRows = r.keylessDiffers
        ? Math.max(1, Math.abs(r.localRows - (r.remoteRows ?? 0)))
        : r.differing.length;
      const state: SplitBrainState =
        differingRows === 0
          ? 'CONSISTENT'
          : coversAll(ours, peerVector) && !coversAll(peerVector, ours)
            ? 'AHEAD'
            : coversAll(peerVector, ours) && !coversAll(ours, peerVector)
              ? 'BEHIND'
              : 'DIVERGED';
      status = {
        peer: peer.peerId,
        table,
        status: state,
        localRows: r.localRows,
        peerRows: r.remoteRows,
        differingRows,
        truncated: r.truncated,
        rangesCompared: r.rangesCompared,
        bytes: r.requestBytes + r.replyBytes,
        error: null,
        checkedAtMs: now,
      };
      await this.recordConflicts(peer, table, r, now);
    } catch (err) {
      status = {
        peer: peer.peerId,
        table,
        status: 'UNREACHABLE',
        localRows: 0,
        peerRows: null,
        differingRows: 0,
        truncated: false,
        rangesCompared: 0,
        bytes: 0,
        error: (err as Error).message,
        checkedAtMs: now,
      };
    }
    this.statuses.set(`${peer.peerId}\u0000${table}`, status);
    return status;
  }

  private async recordConflicts(
    peer: PeerHandle,
    table: string,
    r: CompareResult,
    now: number,
  ): Promise<void> {
    const key = `${peer.peerId}\u0000${table}`;
    if (r.differing.length === 0) {
      this.conflictRows.delete(key);
      return;
    }
    const keys = r.differing.slice(0, splitBrainConflictRowsMax).map((d) => ({ tbl: table, pk: d.pk }));
    const theirs = new Map((await this.fetchRows(peer, keys)).map((f) => [f.pk, f.row]));
    const local = await withConnection(this.reader, () => this.readRowsConsistent(keys));
    const ours = new Map(local.map((f) => [f.pk, f.row]));
    this.conflictRows.set(
      key,
      keys.map((k) => ({
        table,
        rowId: k.pk,
        master1: this.o.engine.nodeId,
        master2: peer.peerId,
        master1Value: ours.get(k.pk) ?? null,
        master2Value: theirs.get(k.pk) ?? null,
        detectedAtMs: now,
      })),
    );
  }

  statusRows(): TableStatus[] {
    return [...this.statuses.values()].sort(
      (a, b) => a.table.localeCompare(b.table) || a.peer.localeCompare(b.peer),
    );
  }

  conflicts(): SplitBrainConflict[] {
    return [...this.conflictRows.values()].flat();
  }

  /** A linked member of the canonical partition, with the mark and its applied vector. */
  private async canonicalPeer(): Promise<{ peer: PeerHandle; mark: CanonicalMark; vector: Vector }> {
    for (const peer of this.linked()) {
      const reply = await this.request(peer, { t: 'sb_canon_req' }).catch(() => null);
      const mark = (reply?.canonical as CanonicalMark | null) ?? null;
      // The mark replicates to every node; only a member of that partition holds its data.
      if (!mark || !Array.isArray(mark.members) || !mark.members.includes(peer.peerId)) continue;
      if (mark.members.some((id) => this.o.membership?.isSelf(id) ?? id === this.o.engine.nodeId)) {
        throw new ChorusError(
          '55000',
          `this node is a member of the canonical partition "${mark.partition_id}"`,
          {
            hint: 'Run replicate.sync_from_canonical_partition on a node of the other partition.',
          },
        );
      }
      return { peer, mark, vector: (reply!.vector as Vector) ?? {} };
    }
    throw new ChorusError('55000', 'no linked peer belongs to a partition marked canonical', {
      hint: 'Run replicate.mark_as_canonical_partition on the majority partition, heal the network, then retry.',
    });
  }

  /**
   * Bring this node (of a non-canonical partition) back to the canonical data. Replication must be
   * paused (the seed's step 4) and is left paused; writes are refused while the sync runs.
   * Returns a summary.
   */
  async syncFromCanonical(targetPartition: string): Promise<string> {
    if (this.syncingFlag)
      throw new ChorusError('55006', 'a sync from the canonical partition is already running');
    this.syncingFlag = true;
    try {
      const canonical = await this.canonicalPeer();
      if (!this.o.replicator.isPaused) {
        // Running, this node would keep sending its partition's writes to the canonical side.
        throw new ChorusError('55000', 'replication is running on this node', {
          hint: 'Run replicate.pause_replication() here before healing the partition, then sync, then resume.',
        });
      }
      return await this.syncNow(targetPartition, canonical);
    } finally {
      this.syncingFlag = false;
    }
  }

  private async syncNow(
    targetPartition: string,
    { peer, mark, vector }: { peer: PeerHandle; mark: CanonicalMark; vector: Vector },
  ): Promise<string> {
    const r = this.o.replicator;
    const owner = {};
    const wait = this.o.writerLock.acquire(owner);
    if (wait) await wait;
    const voided = { voidedTxs: 0, rows: [] as { tbl: string; pk: string }[] };
    try {
      // Checked again under the writer: replication may have been resumed while we looked for a peer.
      if (!r.isPaused) throw new ChorusError('55000', 'replication was resumed before the sync began');
      // In batches until none is left: whatever stays unvoided would ship to the canonical side.
      for (;;) {
        const batch = this.repair.voidUncovered(
          vector,
          mark.members,
          targetPartition,
          peer.peerId,
          this.o.nowIso(),
        );
        voided.voidedTxs += batch.voidedTxs;
        voided.rows.push(...batch.rows);
        if (batch.voidedTxs < splitBrainVoidTxsMax) break;
      }
    } finally {
      this.o.writerLock.release(owner);
    }
    // Stream the canonical partition's writes in (replication resumes for as long as that takes).
    r.resume();
    try {
      const deadline = this.o.timers.nowMs() + splitBrainCatchUpTimeoutMs;
      while (!coversAll(this.o.engine.appliedVector(), vector)) {
        if (this.o.timers.nowMs() > deadline)
          throw new ChorusError(
            '57014',
            `the canonical partition's writes did not arrive from ${peer.peerId} in time`,
          );
        await new Promise((res) => setTimeout(res, catchUpPollMs));
      }
    } finally {
      r.pause();
    }
    // Whatever still differs (rows our voided writes or merges left) is taken from the canonical node.
    const keys = new Map(voided.rows.map((k) => [`${k.tbl}\u0000${k.pk}`, k]));
    for (const table of this.keyedTables()) {
      const cmp = await this.compare(peer, table);
      for (const d of cmp.differing) keys.set(`${table}\u0000${d.pk}`, { tbl: table, pk: d.pk });
    }
    const rows = await this.fetchRows(peer, [...keys.values()]);
    const wait2 = this.o.writerLock.acquire(owner);
    if (wait2) await wait2;
    let repaired: number;
    try {
      repaired = this.repair.installRows(rows);
    } finally {
      this.o.writerLock.release(owner);
    }
    await this.check(peer.peerId);
    this.o.logger.warn(
      { canonical: mark.partition_id, from: peer.peerId, voided: voided.voidedTxs, repaired },
      'synced from the canonical partition',
    );
    return `SYNCED from ${peer.peerId} (canonical partition ${mark.partition_id}): ${voided.voidedTxs} transactions voided, ${voided.rows.length} rows dropped (replicate.split_brain_dropped_rows), ${repaired} rows repaired`;
  }
}
