// What executing one statement produces, whatever connection or thread ran it.

import type { AdminType } from '../admin/registry.js';
import type { TypeRef } from '../sql/types/pg-types.js';

export interface ColumnInfo {
  name: string;
  /** Declared SQLite type of the source column, when the column is a plain column reference. */
  declType: string | null;
  /** Source table of the column, when known (used to type admin relations). */
  table: string | null;
  /** Declared type of an admin relation's column (set when the column comes from one). */
  adminType?: AdminType;
  /** The PostgreSQL type the front end gave the column: values are in that type's storage form. */
  pgType?: TypeRef;
}

export interface StatementResult {
  /** PostgreSQL CommandComplete tag: 'SELECT 3', 'INSERT 0 1', 'CREATE TABLE', ... */
  tag: string;
  /** Result columns; null for statements that return no rows (then the wire sends no RowDescription). */
  columns: ColumnInfo[] | null;
  rows: unknown[][];
  /** NOTICEs and WARNINGs to send before the result, as PostgreSQL raises them. */
  notices: Notice[];
  /** Explicit PostgreSQL type OIDs for columns, when the producer knows them (admin relations). */
  columnOids?: (number | null)[];
}

/** A NOTICE or WARNING (NoticeResponse), with PostgreSQL's SQLSTATE for it. */
export interface Notice {
  severity: 'NOTICE' | 'WARNING';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** A NOTICE (SQLSTATE 00000 unless given). */
export function notice(message: string, extras: { code?: string; detail?: string } = {}): Notice {
  return {
    severity: 'NOTICE',
    code: extras.code ?? '00000',
    message,
    ...(extras.detail ? { detail: extras.detail } : {}),
  };
}

/** A result without rows. */
export function result(tag: string, columns: ColumnInfo[] | null): StatementResult {
  return { tag, columns, rows: [], notices: [] };
}
