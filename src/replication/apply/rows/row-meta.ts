// What the apply path keeps per replicated row (_chorus_rowmeta): its version vector, the deletes it
// has seen and each column's last write; the kinds of conflict it records; and RowBook, the part of
// the Applier that reads and writes them for the DDL and foreign-key rules.

import type { ReplTx, Vector } from '../../../log/records.js';

/** A column's last write: [order key, origin, seq]. */
export type ColClock = [string, string, number];

export interface RowMeta {
  vv: Vector;
  dels: Vector;
  deleted: boolean;
  cols: Record<string, ColClock>;
  /** Whether the row had metadata before this transaction. */
  known: boolean;
}

export type ConflictType =
  | 'write_conflict'
  | 'delete_conflict'
  | 'unique_conflict'
  | 'constraint_conflict'
  /** A value an ALTER COLUMN TYPE could not convert, set to NULL (the old value is in the record). */
  | 'conversion_conflict'
  /** Replicated DDL that no longer fit this node's schema (concurrent DDL without the DDL lock). */
  | 'ddl_conflict';

type Conflict = 'constraint_conflict' | 'unique_conflict' | 'conversion_conflict' | 'ddl_conflict';

/** What of the applier ../ddl/ddl-rows.ts and ../conflicts/fk-orphans.ts use (the Applier itself). */
export interface RowBook {
  readonly nodeId: string;
  loadMeta(
    tbl: string,
    pk: string,
  ): { cols: Record<string, [string, string, number]>; vv: Vector; dels: Vector };
  saveMeta(
    tbl: string,
    pk: string,
    m: { vv: Vector; dels: Vector; deleted: boolean; cols: Record<string, [string, string, number]> },
  ): void;
  recordConflict(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: Conflict,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
    extra?: { strategy?: string; status?: string; error?: string | null },
  ): void;
  readonly crdt: { deleteRow(tbl: string, pk: string): void } | null;
  /** Park a row removed for a cause concurrent with its writes (conflicts/parked-rows.ts). */
  parkRow(tbl: string, pk: string, row: string, cols: Record<string, [string, string, number]>): void;
  /** A row was removed by a settlement (foreign keys referencing it are settled after). */
  rowRemoved(tbl: string, pk: string, row: string | null): void;
}
