// Which path a statement takes: the PostgreSQL front end plans it (planFrontEnd), or the older token
// path runs it — after PostgreSQL's parser has checked its syntax and refused kinds the node does not run.

import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import { classify } from '../../sql/classify.js';
import { rewriteCrdtSelect, stripCrdtTypeParams } from '../../sql/crdt-rewrite.js';
import { isKeyword, isTrivia, joinTokens, type StatementText, tokenize } from '../../sql/lexer.js';
import { parseSql } from '../../sql/parse/parser.js';
import { type FrontEndOptions, namesCatalog, planStatement, usesFrontEnd } from './front-end.js';
import type { Prepared } from './prepared.js';

/**
 * Statements the token path runs are still PostgreSQL statements: a syntax error is reported as
 * PostgreSQL's parser reports it (42601 with its position). ChorusDB's own statements — PRAGMA and
 * ALTER TABLE ... SET REPLICATION ... — are not PostgreSQL syntax and are exempt.
 */
export function checkPostgresSyntax(s: StatementText): void {
  const sig = s.tokens.filter((t) => !isTrivia(t));
  if (sig.length === 0 || isKeyword(sig[0], 'PRAGMA')) return;
  if (
    isKeyword(sig[0], 'ALTER') &&
    sig.some((t, i) => isKeyword(t, 'SET') && isKeyword(sig[i + 1], 'REPLICATION'))
  )
    return;
  if (
    isKeyword(sig[0], 'SELECT') &&
    sig.some((t) => t.kind === 'op' && (t.text === '<' || t.text === '>')) &&
    sig.some((t) => isKeyword(t, 'CRDT_SET', 'CRDT_MAP'))
  )
    return;
  for (const { stmt } of parseSql(s.sql)) {
    const tag = Object.keys(stmt)[0]!;
    if (!tokenPathStatements.has(tag)) throw new FeatureNotSupportedError(unsupportedStatementName(tag));
    // Two-phase commit: PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED.
    const kind =
      tag === 'TransactionStmt' ? (stmt as { TransactionStmt: { kind?: string } }).TransactionStmt.kind : '';
    if (
      kind === 'TRANS_STMT_PREPARE' ||
      kind === 'TRANS_STMT_COMMIT_PREPARED' ||
      kind === 'TRANS_STMT_ROLLBACK_PREPARED'
    )
      throw new FeatureNotSupportedError(
        'two-phase commit (PREPARE TRANSACTION, COMMIT / ROLLBACK PREPARED)',
      );
  }
}

/** Statement kinds (PostgreSQL parse-tree tags) the token path runs; others are refused with 0A000. */
const tokenPathStatements = new Set([
  'VariableSetStmt',
  'VariableShowStmt',
  'TransactionStmt',
  'DropStmt',
  'TruncateStmt',
  'AlterTableStmt',
  'RenameStmt',
  'VacuumStmt',
  'ExplainStmt',
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'CopyStmt',
  'CreateTrigStmt',
  'ReindexStmt',
  'CreateStmt',
  'IndexStmt',
  'ViewStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'GrantStmt',
  'DoStmt',
  'CommentStmt',
  'LockStmt',
  'CreateFunctionStmt',
  'CreateExtensionStmt',
  'CreateSchemaStmt',
  'CreateRoleStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'AlterEnumStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'CreateDomainStmt',
  'CreatedbStmt',
  // Session statements (local/statement.ts), planned by the plan cache before the token path.
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'DeclareCursorStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'DiscardStmt',
]);

/** `PrepareStmt` → `PREPARE`: the statement's name for an 0A000 message. */
function unsupportedStatementName(tag: string): string {
  const names: Record<string, string> = {
    PrepareStmt: 'PREPARE',
    ExecuteStmt: 'EXECUTE',
    DeallocateStmt: 'DEALLOCATE',
    DeclareCursorStmt: 'DECLARE ... CURSOR',
    FetchStmt: 'FETCH',
    ClosePortalStmt: 'CLOSE',
    DiscardStmt: 'DISCARD',
    CreateTableAsStmt: 'CREATE TABLE AS',
    CallStmt: 'CALL',
    CheckPointStmt: 'CHECKPOINT',
    ClusterStmt: 'CLUSTER',
    MergeStmt: 'MERGE',
    RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  };
  return (
    names[tag] ??
    tag
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

/** Does the PostgreSQL front end plan this statement (after the CRDT spellings are rewritten)? */
export function planFrontEndCandidate(s: StatementText): boolean {
  const crdt = rewriteCrdtSelect(s.tokens);
  const tokens = crdt === null ? s.tokens : tokenize(crdt);
  return usesFrontEnd(classify(tokens), tokens);
}

/**
 * Errors of a catalog query the front end cannot plan yet (array operators and functions, psql's
 * OPERATOR() spellings) after which the token path's emulation answers it; other errors (a missing
 * relation or column, a bad value) are the query's own.
 */
// 42809: `'d' = ANY(stxkind)` over a "char"[] column (psql's \d), an array type the front end lacks.
const fallbackCodes = new Set(['0A000', '42883', '42804', '42846', '42725', '42601', '42809']);

/** A Prepared made by the PostgreSQL front end, or null when the statement takes the token path. */
export function planFrontEnd(s: StatementText, catalog: Catalog, opts: FrontEndOptions): Prepared | null {
  let text = s.sql;
  let tokens = s.tokens;
  const crdt = rewriteCrdtSelect(tokens);
  if (crdt !== null) {
    text = crdt;
    tokens = tokenize(crdt);
  }
  const cls = classify(tokens);
  if (!usesFrontEnd(cls, tokens)) return null;
  if (cls.kind === 'create_table') {
    const stripped = stripCrdtTypeParams(tokens);
    if (stripped.length !== tokens.length) {
      text = joinTokens(stripped);
      tokens = tokenize(text);
    }
  }
  const mayBlock = tokens.some((t) => t.kind === 'ident' && t.value === 'PG_SLEEP');
  let r: ReturnType<typeof planStatement>;
  try {
    r = planStatement(text, catalog, opts);
  } catch (e) {
    // A catalog query the front end cannot plan yet: the token path's emulation answers it.
    if (namesCatalog(tokens) && e instanceof ChorusError && fallbackCodes.has(e.sqlstate)) return null;
    throw e;
  }
  // SELECT ... INTO creates a table (session/temp/table-as.ts).
  const kind =
    r.ddl && cls.kind === 'select' ? { ...cls, kind: 'create_table' as const, table: r.ddl.table } : cls;
  const base = { text, tokens, cls: kind, mayBlock, viewColumnTypes: null };
  if (r.ddl) {
    return {
      ...base,
      route: { type: 'sql', onAdmin: false },
      execSql: r.ddl.sql,
      paramStyle: 'none',
      paramCount: 0,
      ddl: { ...r.ddl, schemaVersion: catalog.version },
    };
  }
  const plan = r.plan;
  checkEmitted(plan.sql);
  return {
    ...base,
    route: { type: 'sql', onAdmin: plan.onAdmin },
    execSql: plan.sql,
    paramStyle: plan.bind.length > 0 ? 'positional' : 'none',
    paramCount: plan.paramTypes.length,
    plan,
  };
}

/**
 * The translated SQL holds no line comment: values are emitted quoted and operators spaced, so a
 * `--` can only come from a translation bug — which would comment out the rest of a line and
 * let text after a newline in a string run as SQL. Refused rather than run (once per plan).
 */
function checkEmitted(sql: string): void {
  if (!sql.includes('--')) return;
  if (tokenize(sql).some((t) => t.kind === 'comment' && t.text.startsWith('--')))
    throw new ChorusError('XX000', 'internal error: the translated statement contains a line comment');
}
