// What the apply path keeps per replicated row (_chorus_rowmeta): its version vector, the deletes it
// has seen and each column's last write; and the kinds of conflict it records.

import type { Vector } from '../../log/records.js';

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
