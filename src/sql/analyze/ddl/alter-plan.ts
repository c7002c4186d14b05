// What the analysis of an ALTER TABLE (or ALTER TABLE ... RENAME) hands the session: the table and
// its actions, each with its SQLite pieces already made (declared types, conversions, defaults,
// constraint texts). The session runs them against the table as it is when the statement runs.

import type { TypeRef } from '../../types/pg-types.js';

export type AlterAction =
  /** ADD COLUMN as SQLite DDL (its constants evaluated when it runs). */
  | { kind: 'add_column'; sql: string; constants: string[] }
  | { kind: 'drop_column'; column: string; missingOk: boolean; cascade: boolean }
  | { kind: 'add_primary_key'; name: string | null; columns: string[] }
  /**
   * ALTER COLUMN TYPE: `declared` is the new declared type, `convert` the SQL of the new value
   * (over the row's columns; may hold session markers), `default` the column's new DEFAULT text
   * (undefined: unchanged). `keyInteger`: an integer key whose stored values stay as they are.
   */
  | {
      kind: 'set_type';
      column: string;
      type: TypeRef;
      declared: string;
      convert: string | null;
      default?: string | null;
      /** Other columns the USING expression reads (refused on replicated tables). */
      reads?: string[];
    }
  | { kind: 'set_default'; column: string; default: string | null }
  | { kind: 'set_not_null'; column: string; notNull: boolean }
  /** CHECK: `sql` is its SQLite expression, `pg` its PostgreSQL text, `columns` those it names. */
  | { kind: 'add_check'; name: string | null; sql: string; pg: string; columns: string[] }
  /** FOREIGN KEY: `body` is its SQLite text (`FOREIGN KEY (...) REFERENCES ...`). */
  | {
      kind: 'add_foreign';
      name: string | null;
      body: string;
      columns: string[];
      refTable: string;
      refColumns: string[];
    }
  | { kind: 'add_unique'; name: string | null; columns: string[] }
  | { kind: 'drop_constraint'; name: string; missingOk: boolean; cascade: boolean }
  | { kind: 'rename_constraint'; from: string; to: string }
  | { kind: 'rename_table'; to: string }
  | { kind: 'rename_column'; from: string; to: string };

export interface AlterPlan {
  /** The table as named in the statement (resolved again when it runs). */
  table: string;
  /** ALTER TABLE IF EXISTS of a table that does not exist: a notice, nothing done. */
  missing: boolean;
  actions: AlterAction[];
}

/** Where a conversion needs the session's TimeZone or transaction time: filled in when it runs. */
export function sessionValueMarker(kind: 'timezone' | 'now'): string {
  return `\u0002${kind}\u0002`;
}
