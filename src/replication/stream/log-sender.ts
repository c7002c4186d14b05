// Shipping this node's log to one peer: the peer's shipping state, and the pump that reads the log
// after the peer's cursor, skips what the peer already has, cuts batches by row changes and bytes
// ([replication] batch_size, max_batch_size_mb), sends a transaction too large for one batch in
// parts, and keeps at most inflightBatchesMax batches unacknowledged.

import type { Timers } from '../../clock/timers.js';
import { covers, type LogReader, type ReplTx, type Vector } from '../../log/records.js';
import type { Link, PeerMessage } from '../link/link.js';
import { nextPartEnd, partMessage } from './tx-parts.js';

/** Batches sent to a peer and not yet acknowledged. */
export const inflightBatchesMax = 4;
/** Transactions read from the log at a time while a batch is cut. */
const readTxsMax = 64;

/** A linked peer, as the replicator tracks it. */
export interface PeerState {
  link: Link;
  /** What the peer told us it has applied. */
  acked: Vector;
  /** Local txid after which shipping continues; null until the peer's resync arrived. */
  cursor: number | null;
  inflight: number;
  pumping: boolean;
  sentTxs: number;
  sentBatches: number;
  lastSentAtMs: number | null;
  lastAckAtMs: number | null;
  connectedAtMs: number;
  /** A transaction too large for one batch, being sent in parts: next entry to send. */
  partial: { tx: ReplTx; offset: number } | null;
}

export interface LogSenderOptions {
  reader: LogReader;
  timers: Timers;
  /** Row changes per batch. */
  batchEntries: number;
  /** Bytes per batch. */
  batchBytesMax: number;
  /** Shipping stops while this holds (replication paused or stopped). */
  halted(): boolean;
  /** Queue a message on the peer's link; false when its send buffer is full. */
  send(p: PeerState, msg: PeerMessage): boolean;
}

/** What a sender shipped since it started, to every peer (pg_replication_metrics). */
export interface SentTotals {
  txs: number;
  /** Row changes and DDL entries. */
  entries: number;
  batches: number;
  lastSentAtMs: number | null;
}

export class LogSender {
  readonly totals: SentTotals = { txs: 0, entries: 0, batches: 0, lastSentAtMs: null };

  constructor(private readonly o: LogSenderOptions) {}

  private count(txs: number, entries: number): void {
    this.totals.txs += txs;
    this.totals.entries += entries;
    this.totals.batches++;
    this.totals.lastSentAtMs = this.o.timers.nowMs();
  }

  /** Ship log entries the peer lacks, a batch at a time, within the in-flight window. */
  pump(p: PeerState): void {
    if (p.pumping || p.cursor === null || this.o.halted() || p.link.closed) return;
    p.pumping = true;
    try {
      while (p.inflight < inflightBatchesMax) {
        if (p.partial) {
          if (!this.sendNextPart(p)) return;
          continue;
        }
        const { batch, entries, bytes } = this.nextBatch(p);
        if (batch.length === 0) return;
        if (batch.length === 1 && (bytes > this.o.batchBytesMax || entries > this.o.batchEntries)) {
          p.partial = { tx: batch[0]!, offset: 0 };
          p.sentTxs++;
          continue;
        }
        p.inflight++;
        p.sentTxs += batch.length;
        p.sentBatches++;
        p.lastSentAtMs = this.o.timers.nowMs();
        this.count(batch.length, entries);
        if (!this.o.send(p, { t: 'txs', txs: batch })) return; // socket full: resume on the next ack/poll
      }
    } finally {
      p.pumping = false;
    }
  }

  /** The next batch after the peer's cursor (moved past what it reads), without what the peer has. */
  private nextBatch(p: PeerState): { batch: ReplTx[]; entries: number; bytes: number } {
    const batch: ReplTx[] = [];
    let entries = 0;
    let bytes = 0;
    for (;;) {
      const txs = this.o.reader.readAfter(p.cursor!, readTxsMax, (o, seq) => covers(p.acked, o, seq));
      if (txs.length === 0) return { batch, entries, bytes };
      for (const tx of txs) {
        const size = tx.entries.reduce(
          (n, e) => n + (e.cols?.length ?? 0) + (e.pk?.length ?? 0) + e.tbl.length + 16,
          64,
        );
        if (
          batch.length > 0 &&
          (entries + tx.entries.length > this.o.batchEntries || bytes + size > this.o.batchBytesMax)
        )
          return { batch, entries, bytes };
        p.cursor = tx.txid;
        if (covers(p.acked, tx.origin, tx.seq)) continue;
        const { txid: _txid, ...repl } = tx;
        batch.push(repl);
        entries += tx.entries.length;
        bytes += size;
      }
    }
  }

  /** Send the next slice of a large transaction; false when the socket is full. */
  private sendNextPart(p: PeerState): boolean {
    const { tx, offset } = p.partial!;
    const end = nextPartEnd(tx, offset, this.o.batchEntries, this.o.batchBytesMax);
    p.partial = end >= tx.entries.length ? null : { tx, offset: end };
    p.inflight++;
    p.sentBatches++;
    p.lastSentAtMs = this.o.timers.nowMs();
    this.count(end >= tx.entries.length ? 1 : 0, end - offset);
    return this.o.send(p, partMessage(tx, offset, end));
  }
}
