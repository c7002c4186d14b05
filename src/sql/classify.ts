// Statement classification from tokens: what kind of statement it is, which table a DDL statement
// names, and the PostgreSQL CommandComplete tag to answer with.

import { isKeyword, significant, type Token } from './lexer.js';

export type StatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'savepoint'
  | 'release'
  | 'rollback_to'
  | 'create_table'
  | 'create_index'
  | 'create_view'
  | 'create_trigger'
  | 'drop_table'
  | 'drop_index'
  | 'drop_view'
  | 'drop_trigger'
  | 'alter_table'
  | 'create_schema'
  | 'drop_schema'
  | 'alter_schema'
  | 'create_sequence'
  | 'alter_sequence'
  | 'drop_sequence'
  | 'create_type'
  | 'alter_type'
  | 'drop_type'
  | 'create_domain'
  | 'create_extension'
  | 'drop_extension'
  | 'truncate'
  | 'pragma'
  | 'set'
  | 'show'
  | 'reset'
  | 'explain'
  | 'vacuum'
  | 'analyze'
  | 'attach'
  | 'detach'
  | 'reindex'
  | 'empty'
  | 'other';

export interface Classified {
  kind: StatementKind;
  /** Significant tokens (no whitespace or comments). */
  sig: Token[];
  /** For CREATE TABLE: declared UNLOGGED (local-only, not replicated). */
  unlogged: boolean;
  /** For CREATE TABLE: declared TEMP/TEMPORARY (session-local, never replicated). */
  temporary: boolean;
  /** For table DDL: the table named (unquoted), when it can be determined. */
  table: string | null;
}

function nameAfter(sig: Token[], index: number): string | null {
  let i = index;
  if (isKeyword(sig[i], 'IF')) {
    // IF [NOT] EXISTS
    i += isKeyword(sig[i + 1], 'NOT') ? 3 : 2;
  }
  const t = sig[i];
  if (!t || (t.kind !== 'ident' && t.kind !== 'qident')) return null;
  // schema-qualified: main.t
  if (sig[i + 1]?.kind === 'dot') {
    const u = sig[i + 2];
    if (u && (u.kind === 'ident' || u.kind === 'qident')) return u.kind === 'qident' ? u.value : u.text;
  }
  return t.kind === 'qident' ? t.value : t.text;
}

export function classify(tokens: readonly Token[]): Classified {
  const sig = significant(tokens);
  const result: Classified = { kind: 'other', sig, unlogged: false, temporary: false, table: null };
  const first = sig[0];
  if (!first) return { ...result, kind: 'empty' };
  // A parenthesized query, `(SELECT 1) UNION (SELECT 2)`: its first word decides.
  if (first.kind === 'lparen') {
    const word = sig.find((t) => t.kind !== 'lparen');
    return isKeyword(word, 'SELECT', 'VALUES', 'TABLE', 'WITH') ? { ...result, kind: 'select' } : result;
  }
  if (first.kind !== 'ident') return result;
  switch (first.value) {
    case 'SELECT':
    case 'VALUES':
    case 'TABLE':
      return { ...result, kind: 'select' };
    case 'WITH':
      return { ...result, kind: mainVerbAfterWith(sig) };
    case 'INSERT':
    case 'REPLACE':
      return { ...result, kind: 'insert' };
    case 'UPDATE':
      return { ...result, kind: 'update' };
    case 'DELETE':
      return { ...result, kind: 'delete' };
    case 'BEGIN':
    case 'START':
      return { ...result, kind: 'begin' };
    case 'COMMIT':
    case 'END':
      return { ...result, kind: 'commit' };
    case 'ABORT':
      return { ...result, kind: 'rollback' };
    case 'ROLLBACK':
      return { ...result, kind: sig.some((t) => isKeyword(t, 'TO')) ? 'rollback_to' : 'rollback' };
    case 'SAVEPOINT':
      return { ...result, kind: 'savepoint' };
    case 'RELEASE':
      return { ...result, kind: 'release' };
    case 'PRAGMA':
      return { ...result, kind: 'pragma' };
    case 'SET':
      return { ...result, kind: 'set' };
    case 'SHOW':
      return { ...result, kind: 'show' };
    case 'RESET':
      return { ...result, kind: 'reset' };
    case 'EXPLAIN':
      return { ...result, kind: 'explain' };
    case 'VACUUM':
      return { ...result, kind: 'vacuum' };
    case 'ANALYZE':
    case 'ANALYSE':
      return { ...result, kind: 'analyze' };
    case 'ATTACH':
      return { ...result, kind: 'attach' };
    case 'DETACH':
      return { ...result, kind: 'detach' };
    case 'REINDEX':
      return { ...result, kind: 'reindex' };
    case 'TRUNCATE':
      return { ...result, kind: 'truncate' };
    case 'CREATE':
      return classifyCreate(sig, result);
    case 'DROP': {
      const what = sig[1]?.value;
      if (what === 'TABLE') return { ...result, kind: 'drop_table', table: nameAfter(sig, 2) };
      if (what === 'INDEX') return { ...result, kind: 'drop_index' };
      if (what === 'VIEW') return { ...result, kind: 'drop_view' };
      if (what === 'TRIGGER') return { ...result, kind: 'drop_trigger' };
      if (what === 'SCHEMA') return { ...result, kind: 'drop_schema' };
      if (what === 'SEQUENCE') return { ...result, kind: 'drop_sequence' };
      if (what === 'TYPE' || what === 'DOMAIN') return { ...result, kind: 'drop_type' };
      if (what === 'EXTENSION') return { ...result, kind: 'drop_extension' };
      return result;
    }
    case 'ALTER':
      if (isKeyword(sig[1], 'TABLE')) return { ...result, kind: 'alter_table', table: nameAfter(sig, 2) };
      if (isKeyword(sig[1], 'SEQUENCE')) return { ...result, kind: 'alter_sequence' };
      if (isKeyword(sig[1], 'TYPE')) return { ...result, kind: 'alter_type' };
      if (isKeyword(sig[1], 'SCHEMA')) return { ...result, kind: 'alter_schema' };
      return result;
    default:
      return result;
  }
}

function classifyCreate(sig: Token[], base: Classified): Classified {
  let i = 1;
  let unlogged = false;
  let temporary = false;
  for (;;) {
    const t = sig[i];
    if (isKeyword(t, 'UNLOGGED')) unlogged = true;
    else if (isKeyword(t, 'TEMP', 'TEMPORARY')) temporary = true;
    else if (isKeyword(t, 'UNIQUE')) {
      // CREATE UNIQUE INDEX
    } else if (isKeyword(t, 'OR') && isKeyword(sig[i + 1], 'REPLACE')) i++;
    else if (!isKeyword(t, 'GLOBAL', 'LOCAL', 'VIRTUAL')) break;
    i++;
  }
  const what = sig[i]?.value;
  if (what === 'TABLE')
    return { ...base, kind: 'create_table', unlogged, temporary, table: nameAfter(sig, i + 1) };
  if (what === 'INDEX') return { ...base, kind: 'create_index' };
  if (what === 'VIEW') return { ...base, kind: 'create_view', temporary };
  if (what === 'TRIGGER') return { ...base, kind: 'create_trigger', temporary };
  if (what === 'SCHEMA') return { ...base, kind: 'create_schema' };
  if (what === 'SEQUENCE') return { ...base, kind: 'create_sequence', temporary };
  if (what === 'TYPE') return { ...base, kind: 'create_type' };
  if (what === 'DOMAIN') return { ...base, kind: 'create_domain' };
  if (what === 'EXTENSION') return { ...base, kind: 'create_extension' };
  return base;
}

function mainVerbAfterWith(sig: Token[]): StatementKind {
  let depth = 0;
  for (let i = 1; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind === 'lparen') depth++;
    else if (t.kind === 'rparen') depth--;
    else if (depth === 0 && t.kind === 'ident') {
      if (t.value === 'INSERT' || t.value === 'REPLACE') return 'insert';
      if (t.value === 'UPDATE') return 'update';
      if (t.value === 'DELETE') return 'delete';
      if (t.value === 'SELECT' || t.value === 'VALUES') return 'select';
    }
  }
  return 'select';
}

/** The PostgreSQL CommandComplete tag for a finished statement. */
export function commandTag(c: Classified, rowCount: number): string {
  switch (c.kind) {
    case 'select':
      return `SELECT ${rowCount}`;
    case 'insert':
      return `INSERT 0 ${rowCount}`;
    case 'update':
      return `UPDATE ${rowCount}`;
    case 'delete':
      return `DELETE ${rowCount}`;
    case 'begin':
      return isKeyword(c.sig[0], 'START') ? 'START TRANSACTION' : 'BEGIN';
    case 'commit':
      return 'COMMIT';
    case 'rollback':
    case 'rollback_to':
      return 'ROLLBACK';
    case 'savepoint':
      return 'SAVEPOINT';
    case 'release':
      return 'RELEASE';
    case 'create_table':
      return 'CREATE TABLE';
    case 'create_index':
      return 'CREATE INDEX';
    case 'create_view':
      return 'CREATE VIEW';
    case 'create_trigger':
      return 'CREATE TRIGGER';
    case 'drop_table':
      return 'DROP TABLE';
    case 'drop_index':
      return 'DROP INDEX';
    case 'drop_view':
      return 'DROP VIEW';
    case 'drop_trigger':
      return 'DROP TRIGGER';
    case 'alter_table':
      return 'ALTER TABLE';
    case 'truncate':
      return 'TRUNCATE TABLE';
    case 'set':
      return 'SET';
    case 'reset':
      return 'RESET';
    case 'show':
      return 'SHOW';
    case 'vacuum':
      return 'VACUUM';
    case 'reindex':
      return 'REINDEX';
    case 'analyze':
      return 'ANALYZE';
    case 'explain':
    case 'pragma':
      return `SELECT ${rowCount}`;
    default: {
      const words = c.sig.slice(0, 2).filter((t) => t.kind === 'ident');
      return words.map((t) => t.value).join(' ') || 'OK';
    }
  }
}

/** Statements that never write through SQLite and can run on a reader connection. */
export function isTransactionControl(kind: StatementKind): boolean {
  return (
    kind === 'begin' ||
    kind === 'commit' ||
    kind === 'rollback' ||
    kind === 'savepoint' ||
    kind === 'release' ||
    kind === 'rollback_to'
  );
}

export function isDdl(kind: StatementKind): boolean {
  return kind.startsWith('create_') || kind.startsWith('drop_') || kind.startsWith('alter_');
}
