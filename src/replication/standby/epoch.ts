// The epoch of primary/standby mode, the fencing token: a number raised by every promotion, kept
// durably in _chorus_meta ('ha_epoch'), carried by ha_hello, ha_status and every replicated batch.
// What comes from an older epoch is refused and counted; a newer epoch is adopted (and a primary
// that learns of one stops being primary: fencing).

import type Database from 'better-sqlite3';
import { haEpochMetaKey } from '../../storage/engine/snapshot-install.js';

/** The epoch a node that never saw one starts at (the first primary's). */
export const initialEpoch = 1;
/** While a transaction is open on the writer, the epoch is written again this often until it is free. */
export const epochPersistRetryMs = 10;

/** How a message's epoch compares with ours. */
export type EpochVerdict = 'older' | 'same' | 'newer';

/** The epoch a peer message carries: a missing or malformed one counts as 0 (older than any). */
export function epochOf(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

export class EpochState {
  private value: number;
  /** Batches and messages refused because they came from an older epoch. */
  refusedStale = 0;
  /** Times this node adopted a newer epoch it heard of. */
  adopted = 0;
  /** The epoch of the newest transaction this node holds (an election compares histories by it). */
  private logEpochValue: number;

  constructor(private readonly db: Database.Database) {
    const row = db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(haEpochMetaKey);
    const n = Number(row);
    this.value = row !== undefined && Number.isSafeInteger(n) && n > 0 ? n : initialEpoch;
    if (row === undefined) this.persist();
    const log = Number(db.prepare("SELECT value FROM _chorus_meta WHERE key = 'ha_log_epoch'").pluck().get());
    this.logEpochValue = Number.isSafeInteger(log) && log > 0 ? log : 0;
  }

  get logEpoch(): number {
    return this.logEpochValue;
  }

  /** This node holds a transaction of `epoch` (applied from that primary, or committed as it). */
  noteLogEpoch(epoch: number): void {
    if (epoch <= this.logEpochValue) return;
    this.logEpochValue = epoch;
    writeMetaWhenFree(this.db, 'ha_log_epoch', () => String(this.logEpochValue));
  }

  get current(): number {
    return this.value;
  }

  compare(epoch: number): EpochVerdict {
    return epoch < this.value ? 'older' : epoch > this.value ? 'newer' : 'same';
  }

  /** An epoch raised now is written at once (no transaction is open on the writer). */
  durable(): boolean {
    return !this.db.inTransaction;
  }

  /** Adopt a newer epoch (written at once, or as soon as the writer is free: see durable()); false if not newer. */
  raise(epoch: number): boolean {
    if (epoch <= this.value) return false;
    this.value = epoch;
    this.adopted++;
    this.persist();
    return true;
  }

  /** A message from `epoch` is taken (same or newer epoch; a newer one is adopted) or refused and counted. */
  admit(epoch: number): boolean {
    const v = this.compare(epoch);
    if (v === 'older') {
      this.refusedStale++;
      return false;
    }
    if (v === 'newer') this.raise(epoch);
    return true;
  }

  /**
   * Written outside any open transaction of the writer connection (a client's: one that rolled back
   * would take the write with it): now, or as soon as the writer is free.
   */
  private persist(): void {
    writeMetaWhenFree(this.db, haEpochMetaKey, () => String(this.value));
  }
}

/**
 * Write a _chorus_meta key outside any open transaction of the writer connection (a client's, which
 * could roll the write back with it): now, or as soon as the writer is free. `value` is read then.
 */
export function writeMetaWhenFree(db: Database.Database, key: string, value: () => string): void {
  if (db.inTransaction) {
    setTimeout(() => writeMetaWhenFree(db, key, value), epochPersistRetryMs).unref();
    return;
  }
  db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)').run(key, value());
}
