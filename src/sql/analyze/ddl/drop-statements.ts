// DROP TABLE / VIEW / INDEX and TRUNCATE read from PostgreSQL's parse tree: the names and options
// the session needs to apply PostgreSQL's existence and dependency rules (session/ddl/drop.ts). These
// statements change no values, so they are read here rather than analyzed.

import type * as P from '@pgsql/types';
import { FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf, parseSql } from '../../parse/parser.js';

export type DropKind = 'table' | 'view' | 'index' | 'trigger';

export interface QualifiedName {
  schema: string | null;
  name: string;
  /** A trigger's table. */
  on?: QualifiedName;
}

export interface DropStatement {
  kind: DropKind;
  names: QualifiedName[];
  ifExists: boolean;
  cascade: boolean;
}

export interface TruncateStatement {
  tables: QualifiedName[];
  restartIdentity: boolean;
  cascade: boolean;
}

const dropKinds: Record<string, DropKind> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_INDEX: 'index',
  OBJECT_TRIGGER: 'trigger',
};

function only(sql: string): [string, unknown] | null {
  const stmts = parseSql(sql);
  return stmts.length === 1 ? nodeOf(stmts[0]!.stmt) : null;
}

function qualified(parts: string[]): QualifiedName {
  if (parts.length > 2) throw new FeatureNotSupportedError(`cross-database reference (${parts.join('.')})`);
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: null, name: parts[0]! };
}

/** `DROP TABLE | VIEW | INDEX [IF EXISTS] a, b [CASCADE | RESTRICT]`, `DROP TRIGGER t ON tab`; null for others. */
export function readDrop(sql: string): DropStatement | null {
  const n = only(sql);
  if (n?.[0] !== 'DropStmt') return null;
  const d = n[1] as P.DropStmt;
  const kind = dropKinds[d.removeType ?? ''];
  if (!kind) return null;
  const names = (d.objects ?? []).map((o) => {
    const items = (o as { List?: P.List }).List?.items ?? [];
    const parts = items.map((i) => (i as { String: P.String }).String.sval ?? '');
    // DROP TRIGGER name ON [schema.]table: the trigger's name comes last.
    if (kind === 'trigger') return { schema: null, name: parts.pop()!, on: qualified(parts) };
    return qualified(parts);
  });
  return { kind, names, ifExists: d.missing_ok === true, cascade: d.behavior === 'DROP_CASCADE' };
}

/** `TRUNCATE [TABLE] [ONLY] a [*], b [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT]`. */
export function readTruncate(sql: string): TruncateStatement | null {
  const n = only(sql);
  if (n?.[0] !== 'TruncateStmt') return null;
  const t = n[1] as P.TruncateStmt;
  const tables = (t.relations ?? []).map((r) => {
    const rv = (r as { RangeVar: P.RangeVar }).RangeVar;
    const parts = [rv.catalogname, rv.schemaname, rv.relname].filter((p): p is string => !!p);
    return qualified(parts);
  });
  return { tables, restartIdentity: t.restart_seqs === true, cascade: t.behavior === 'DROP_CASCADE' };
}
