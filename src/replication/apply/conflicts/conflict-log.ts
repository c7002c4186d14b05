// The conflict log (_chorus_conflicts): one record per conflict the apply path met — what each side
// wrote, what was kept, by which strategy, and how long settling it took.

import type Database from 'better-sqlite3';
import type { ReplTx } from '../../../log/records.js';
import type { ConflictType } from '../rows/row-meta.js';

/** How a recorded conflict was settled, beyond last-write-wins resolved (the defaults). */
export interface ConflictSettled {
  strategy?: string;
  status?: string;
  error?: string | null;
  localKey?: string;
  remoteKey?: string;
}

/** Writes conflict records with the Applier's insert statement, counting them in its stats. */
export class ConflictLog {
  constructor(
    private readonly insert: Database.Statement,
    private readonly nowMs: () => number,
    private readonly stats: { conflicts: number },
  ) {}

  record(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: ConflictType,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
    extra: ConflictSettled,
  ): void {
    this.stats.conflicts++;
    this.insert.run(
      tbl,
      pk,
      localOrigin,
      tx.origin,
      type,
      localValue,
      remoteValue,
      resolved,
      extra.strategy ?? 'last_write_wins',
      new Date(this.nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
      // Milliseconds to the microsecond (performance.now() carries float noise beyond it).
      Math.round(latencyMs * 1000) / 1000,
      tx.seq,
      extra.status ?? 'resolved',
      extra.error ?? null,
      extra.localKey ?? null,
      extra.remoteKey ?? null,
    );
  }
}
