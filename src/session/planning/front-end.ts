// Which statements the PostgreSQL front end (sql/analyze) plans, and the Prepared it makes of them.
// Queries, DML and the DDL that declares types (CREATE TABLE / INDEX / VIEW) go through it, catalog
// queries included (those it cannot plan fall back to the token path's catalog emulation); PRAGMA,
// EXPLAIN and the DDL that names no types keep the token-level path (prepare.ts) for now.

import type * as P from '@pgsql/types';
import { catalogRelations } from '../../admin/catalog/catalog-rewrite.js';
import { ChorusError, SyntaxError42601 } from '../../errors.js';
import type { Catalog, LiteralKind } from '../../sql/analyze/context.js';
import { alterTableAddColumn } from '../../sql/analyze/ddl/add-column.js';
import { alterTable, renameStatement } from '../../sql/analyze/ddl/alter-table.js';
import { createTable, type DdlPlan } from '../../sql/analyze/ddl/ddl.js';
import { createIndex } from '../../sql/analyze/ddl/indexes.js';
import { createTableAs, selectInto } from '../../sql/analyze/ddl/table-as.js';
import { createView } from '../../sql/analyze/ddl/views.js';
import { type Plan, StatementAnalyzer } from '../../sql/analyze/statement.js';
import type { Classified } from '../../sql/classify.js';
import type { Token } from '../../sql/lexer.js';
import { nodeOf, parseSql } from '../../sql/parse/parser.js';
import type { TypeRef } from '../../sql/types/pg-types.js';

/** Identifiers that make a statement a catalog query (the token-level path emulates the catalog). */
const catalogWords: ReadonlySet<string> = new Set([
  ...catalogRelations,
  'PG_CATALOG',
  'INFORMATION_SCHEMA',
  'PG_PROC',
  'PG_SETTINGS',
  'PG_STAT_ACTIVITY',
  'PG_TABLES',
  'PG_VIEWS',
  'PG_INDEXES',
  'REGCLASS',
  'OPERATOR',
]);

/** Does the front end plan this statement? */
export function usesFrontEnd(cls: Classified, tokens: readonly Token[]): boolean {
  switch (cls.kind) {
    case 'select':
    case 'insert':
    case 'update':
    case 'delete':
    case 'create_table':
    case 'create_index':
    case 'create_view':
      break;
    case 'alter_table':
      // ChorusDB's own ALTER TABLE ... SET REPLICATION is not PostgreSQL syntax (token path).
      if (setsReplication(tokens)) return false;
      // ALTER [COLUMN] c RESTART [WITH n]: the column's sequence (session/ddl/objects.ts), not its shape.
      if (restartsIdentity(tokens)) return false;
      break;
    default:
      return false;
  }
  const sig = tokens.filter((t) => t.kind !== 'ws' && t.kind !== 'comment');
  // A statement that is only a call of a replicate.<function>(...) is the admin layer's (it may
  // change state and take $n parameters); inside a larger query the function is a relation.
  return !isAdminCall(sig);
}

/**
 * Whether a statement names the catalog (pg_catalog, information_schema, regclass, ...). The front
 * end plans these too; one it cannot plan yet (psql's array and OPERATOR() spellings) falls back to
 * the token path's catalog emulation (catalog-rewrite.ts), which answered them before.
 */
export function namesCatalog(tokens: readonly Token[]): boolean {
  for (const t of tokens) {
    if (t.kind === 'ident' && catalogWords.has(t.value)) return true;
    if (t.kind === 'qident' && catalogWords.has(t.value.toUpperCase())) return true;
  }
  return false;
}

/** `SELECT replicate.f(...) [[AS] alias]` or `SELECT * FROM replicate.f(...)`, nothing more. */
function isAdminCall(sig: readonly Token[]): boolean {
  const kw = (t: Token | undefined, v: string) => t?.kind === 'ident' && t.value === v;
  let i: number;
  if (kw(sig[0], 'SELECT') && kw(sig[1], 'REPLICATE')) i = 1;
  else if (kw(sig[0], 'SELECT') && sig[1]?.text === '*' && kw(sig[2], 'FROM') && kw(sig[3], 'REPLICATE'))
    i = 3;
  else return false;
  if (sig[i + 1]?.kind !== 'dot' || sig[i + 3]?.kind !== 'lparen') return false;
  let depth = 0;
  let end = i + 3;
  for (; end < sig.length; end++) {
    if (sig[end]!.kind === 'lparen') depth++;
    else if (sig[end]!.kind === 'rparen' && --depth === 0) break;
  }
  const rest = sig.length - end - 1;
  if (rest === 0) return true;
  if (i !== 1) return false;
  return (
    (rest === 2 && kw(sig[end + 1], 'AS')) ||
    (rest === 1 && (sig[end + 1]!.kind === 'ident' || sig[end + 1]!.kind === 'qident'))
  );
}

function restartsIdentity(tokens: readonly Token[]): boolean {
  return tokens.some((t) => t.kind === 'ident' && t.value === 'RESTART');
}

function setsReplication(tokens: readonly Token[]): boolean {
  const sig = tokens.filter((t) => t.kind !== 'ws' && t.kind !== 'comment');
  return sig.some(
    (t, i) =>
      t.kind === 'ident' &&
      t.value === 'SET' &&
      sig[i + 1]?.kind === 'ident' &&
      sig[i + 1]!.value === 'REPLICATION',
  );
}

export interface FrontEndOptions {
  declaredParams?: readonly (TypeRef | undefined)[];
  literals?: readonly LiteralKind[] | null;
}

export type FrontEndResult = { plan: Plan; ddl: null } | { plan: null; ddl: DdlPlan };

/** Parse and analyze one statement. Exactly one statement is expected (the text was split before). */
export function planStatement(text: string, catalog: Catalog, opts: FrontEndOptions = {}): FrontEndResult {
  const stmts = parseSql(text);
  if (stmts.length !== 1) {
    if (stmts.length === 0) throw new SyntaxError42601('empty statement');
    throw new SyntaxError42601('cannot insert multiple commands into a prepared statement');
  }
  const an = new StatementAnalyzer(catalog, text, opts);
  const stmt = stmts[0]!.stmt;
  const [tag, body] = nodeOf(stmt);
  switch (tag) {
    case 'CreateStmt':
      return { plan: null, ddl: createTable(an, body as P.CreateStmt) };
    case 'IndexStmt':
      return { plan: null, ddl: createIndex(an, body as P.IndexStmt) };
    case 'ViewStmt':
      return { plan: null, ddl: createView(an, body as P.ViewStmt) };
    case 'AlterTableStmt': {
      const alter = body as P.AlterTableStmt;
      const addsOnly = (alter.cmds ?? []).every(
        (c) => (nodeOf(c)[1] as P.AlterTableCmd).subtype === 'AT_AddColumn',
      );
      // ADD COLUMN alone is SQLite's own statement; every other action is the session's.
      if (addsOnly && !alter.missing_ok) return { plan: null, ddl: alterTableAddColumn(an, alter) };
      return { plan: null, ddl: alterTable(an, alter) };
    }
    case 'RenameStmt':
      return { plan: null, ddl: renameStatement(an, body as P.RenameStmt) };
    case 'CreateTableAsStmt':
      return { plan: null, ddl: createTableAs(an, body as P.CreateTableAsStmt) };
    case 'SelectStmt':
      if ((body as P.SelectStmt).intoClause) return { plan: null, ddl: selectInto(an, body as P.SelectStmt) };
      return { plan: an.plan(stmt), ddl: null };
    default:
      return { plan: an.plan(stmt), ddl: null };
  }
}

/** The error PostgreSQL gives when a prepared statement's result columns changed under it. */
export function resultTypeChanged(): ChorusError {
  return new ChorusError('0A000', 'cached plan must not change result type');
}
