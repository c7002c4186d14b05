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
  /** Notices to send before the result (e.g. 'there is already a transaction in progress'). */
  notices: string[];
  /** Explicit PostgreSQL type OIDs for columns, when the producer knows them (admin relations). */
  columnOids?: (number | null)[];
}
