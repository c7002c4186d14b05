// Turns one statement's text into a Prepared plan: what kind it is, where it runs (session command,
// admin handler, reader or writer), the SQL SQLite will see after guards and rewrites, and its
// parameter style. Plans depend only on the text, so they are cached and shared by sessions.

import { rewriteCatalogQuery } from '../../admin/catalog/catalog-rewrite.js';
import type { AdminFunction, AdminRegistry, AdminType, AdminValue } from '../../admin/registry.js';
import {
  ChorusError,
  FeatureNotSupportedError,
  InsufficientPrivilegeError,
  ProtocolViolationError,
  UndefinedFunctionError,
  UndefinedTableError,
} from '../../errors.js';
import type { Catalog, LiteralKind } from '../../sql/analyze/context.js';
import type { DdlPlan } from '../../sql/analyze/ddl/ddl.js';
import type { Plan } from '../../sql/analyze/statement.js';
import { type Classified, classify } from '../../sql/classify.js';
import { rewriteCrdtSelect, stripCrdtTypeParams } from '../../sql/crdt-rewrite.js';
import {
  isKeyword,
  isTrivia,
  joinTokens,
  quoteIdent,
  type StatementText,
  type Token,
  tokenize,
} from '../../sql/lexer.js';
import { internalPrefix } from '../../sql/namespaces.js';
import { parseSql } from '../../sql/parse/parser.js';
import type { LocalStatement } from '../local/statement.js';
import { type FrontEndOptions, namesCatalog, planStatement, usesFrontEnd } from './front-end.js';

export type ParamStyle = 'none' | 'positional' | 'dollar';

/** An argument of a direct admin call: a literal, or a reference to a bound parameter ($n / ?). */
export type AdminArg = { value: AdminValue } | { param: number };

export type Route =
  | { type: 'session' }
  | {
      type: 'admin-call';
      fn: AdminFunction;
      positional: AdminArg[];
      named: Map<string, AdminArg>;
      /** `AS alias` after the call: names the result column of a one-column function. */
      alias?: string;
    }
  | { type: 'sql'; onAdmin: boolean };

export interface Prepared {
  /** The statement as the client wrote it. */
  text: string;
  tokens: Token[];
  cls: Classified;
  route: Route;
  /** The SQL handed to SQLite (guards and rewrites applied). */
  execSql: string;
  paramStyle: ParamStyle;
  paramCount: number;
  /** Calls something that may block for long (pg_sleep): never run inline on the protocol thread. */
  mayBlock: boolean;
  /** Column types of the SQL-defined admin views this statement reads (by column name). */
  viewColumnTypes: ReadonlyMap<string, AdminType> | null;
  /**
   * Learned on first execution: a read-only statement that returns rows (it can run on a reader).
   * Whether a text reads or writes does not depend on the schema, so the answer is kept.
   */
  isRead?: boolean;
  /** The PostgreSQL front end's plan (queries and DML it analyzed). */
  plan?: Plan;
  /** DDL the front end translated (CREATE TABLE / INDEX / VIEW): SQLite statements to run. */
  ddl?: DdlPlan;
  /** Parameter types the client declared in Parse (0: infer). */
  declaredOids?: readonly number[];
  /** The text the plan was made from, when it differs from `text` (a normalized simple query). */
  sourceText?: string;
  /** A normalized simple query's literals (its parameters), by kind: planned again with them. */
  literalKinds?: readonly LiteralKind[];
  /** A statement on the session's own objects (cursors, PREPARE, advisory locks): see local/. */
  local?: LocalStatement;
}

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

const pragmaReadable = new Set([
  'TABLE_INFO',
  'TABLE_XINFO',
  'TABLE_LIST',
  'INDEX_LIST',
  'INDEX_INFO',
  'INDEX_XINFO',
  'FOREIGN_KEY_LIST',
  'FOREIGN_KEY_CHECK',
  'INTEGRITY_CHECK',
  'QUICK_CHECK',
  'COMPILE_OPTIONS',
  'COLLATION_LIST',
  'FUNCTION_LIST',
  'PAGE_COUNT',
  'PAGE_SIZE',
  'FREELIST_COUNT',
  'JOURNAL_MODE',
  'USER_VERSION',
  'ENCODING',
]);

const schemaTables = new Set(['SQLITE_MASTER', 'SQLITE_SCHEMA', 'SQLITE_TEMP_MASTER', 'SQLITE_TEMP_SCHEMA']);
const filteredSchema = `(SELECT * FROM main.sqlite_schema WHERE name NOT LIKE '\\_chorus\\_%' ESCAPE '\\' AND tbl_name NOT LIKE '\\_chorus\\_%' ESCAPE '\\')`;

function isInternalName(t: Token): boolean {
  if (t.kind === 'ident') return t.text.toLowerCase().startsWith(internalPrefix);
  // A session's temporary objects are SQLite names "pg_temp_<id>.t" (session/temp/): not the
  // token path's to name, whichever session's they are.
  if (t.kind === 'qident')
    return t.value.toLowerCase().startsWith(internalPrefix) || /^pg_temp_\d+\./.test(t.value);
  return false;
}

/** Refuse statements that name internal tables; hide internal rows from sqlite_schema. */
function guard(tokens: Token[], cls: Classified): Token[] {
  const mentionsPragmaFn = tokens.some((t) => t.kind === 'ident' && t.value.startsWith('PRAGMA_'));
  if (mentionsPragmaFn && tokens.some((t) => t.kind === 'param')) {
    throw new FeatureNotSupportedError('parameters as arguments of pragma_* functions');
  }
  for (const t of tokens) {
    // DROP TRIGGER reports a missing trigger itself (42704), internal ones included (session/ddl/drop.ts).
    if (isInternalName(t) && cls.kind !== 'drop_trigger')
      throw new UndefinedTableError(t.kind === 'qident' ? t.value : t.text);
    if (
      (cls.kind === 'pragma' || mentionsPragmaFn) &&
      t.kind === 'string' &&
      t.value.toLowerCase().includes(internalPrefix)
    ) {
      throw new UndefinedTableError(t.value);
    }
  }
  if (cls.kind === 'pragma') {
    const name = cls.sig[1]?.kind === 'ident' && cls.sig[2]?.kind === 'dot' ? cls.sig[3] : cls.sig[1];
    const assigns = cls.sig.some((t) => t.kind === 'op' && t.text === '=');
    if (!name || !pragmaReadable.has(name.value) || assigns) {
      throw new InsufficientPrivilegeError(`PRAGMA ${name?.text ?? ''} is not allowed`, {
        hint: `Readable pragmas: ${[...pragmaReadable].map((p) => p.toLowerCase()).join(', ')}.`,
      });
    }
  }
  if (cls.kind === 'attach' || cls.kind === 'detach') {
    throw new FeatureNotSupportedError(`${cls.kind.toUpperCase()} DATABASE (a node holds one database)`);
  }
  // The front end plans CREATE TEMP TABLE / VIEW; one the token path gets (a catalog query in it)
  // would create a table every session shares.
  if (cls.kind === 'create_table' && cls.temporary)
    throw new FeatureNotSupportedError('CREATE TEMPORARY TABLE over catalog relations');
  if (cls.kind === 'create_view' && cls.temporary)
    throw new FeatureNotSupportedError('CREATE TEMPORARY VIEW over catalog relations');
  if (cls.kind === 'create_trigger' && cls.temporary)
    throw new FeatureNotSupportedError('CREATE TEMPORARY TRIGGER');
  // sqlite_schema: show user objects only.
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'ident' && schemaTables.has(t.value)) {
      // drop a preceding "main." qualifier
      const prev = lastSignificant(out);
      if (prev?.kind === 'dot') {
        out.splice(out.lastIndexOf(prev), 1);
        const schema = lastSignificant(out);
        if (schema && isKeyword(schema, 'MAIN')) out.splice(out.lastIndexOf(schema), 1);
      }
      out.push({ ...t, kind: 'lparen', text: `${filteredSchema} AS ${t.text}` });
      continue;
    }
    out.push(t);
  }
  return out;
}

function lastSignificant(tokens: Token[]): Token | undefined {
  for (let i = tokens.length - 1; i >= 0; i--) if (!isTrivia(tokens[i]!)) return tokens[i];
  return undefined;
}

function paramInfo(tokens: Token[]): { style: ParamStyle; count: number } {
  let dollarMax = 0;
  let positional = 0;
  for (const t of tokens) {
    if (t.kind !== 'param') continue;
    if (t.text.startsWith('$')) dollarMax = Math.max(dollarMax, Number(t.text.slice(1)));
    else if (t.text === '?') positional++;
    else throw new FeatureNotSupportedError(`parameter ${t.text} (use $1, $2, ... or ?)`);
  }
  if (dollarMax > 0 && positional > 0) throw new ProtocolViolationError('cannot mix $n and ? parameters');
  if (dollarMax > 0) return { style: 'dollar', count: dollarMax };
  if (positional > 0) return { style: 'positional', count: positional };
  return { style: 'none', count: 0 };
}

/** Position of each admin reference (`replicate.x`, `pg_catalog.x`, `pg_replication_*`) in the significant tokens. */
interface AdminRef {
  start: number;
  end: number; // index after the name token
  /** Full relation name, lowercase: 'replicate.status', 'pg_catalog.pg_type', 'pg_replication_status'. */
  name: string;
  /** The short name after the schema. */
  short: string;
  isReplicate: boolean;
}

const adminSchemas = new Set(['REPLICATE', 'PG_CATALOG']);

function findAdminRefs(sig: Token[], registry: AdminRegistry): AdminRef[] {
  const refs: AdminRef[] = [];
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (
      t.kind === 'ident' &&
      adminSchemas.has(t.value) &&
      sig[i + 1]?.kind === 'dot' &&
      (sig[i + 2]?.kind === 'ident' || sig[i + 2]?.kind === 'qident') &&
      sig[i - 1]?.kind !== 'dot'
    ) {
      const n = sig[i + 2]!;
      const short = (n.kind === 'qident' ? n.value : n.text).toLowerCase();
      const name = `${t.value.toLowerCase()}.${short}`;
      // pg_catalog relations we do not provide are left to SQLite (which reports them missing).
      if (t.value === 'PG_CATALOG' && !registry.views.has(name)) continue;
      refs.push({ start: i, end: i + 3, name, short, isReplicate: t.value === 'REPLICATE' });
      i += 2;
    } else if (t.kind === 'ident' && t.value.startsWith('PG_REPLICATION_') && sig[i - 1]?.kind !== 'dot') {
      const name = t.text.toLowerCase();
      refs.push({ start: i, end: i + 1, name, short: name, isReplicate: false });
    }
  }
  return refs;
}

function literalArg(tokens: Token[]): AdminArg {
  const [a, b] = tokens;
  if (tokens.length === 1 && a) {
    if (a.kind === 'string') return { value: a.value };
    if (a.kind === 'number') return { value: /^[0-9]+$/.test(a.text) ? BigInt(a.text) : Number(a.text) };
    if (isKeyword(a, 'TRUE')) return { value: true };
    if (isKeyword(a, 'FALSE')) return { value: false };
    if (isKeyword(a, 'NULL')) return { value: null };
    if (a.kind === 'param' && a.text.startsWith('$')) return { param: Number(a.text.slice(1)) };
  }
  if (tokens.length === 2 && a?.kind === 'op' && a.text === '-' && b?.kind === 'number') {
    return { value: -Number(b.text) };
  }
  throw new FeatureNotSupportedError('expressions as replicate.* function arguments', {
    hint: 'Pass literals, $n parameters, or name => literal.',
  });
}

/** Parse `( a, b, name => c )` starting at sig[open] (the '('); returns args and the index after ')'. */
function parseCallArgs(
  sig: Token[],
  open: number,
): { positional: AdminArg[]; named: Map<string, AdminArg>; next: number } {
  const positional: AdminArg[] = [];
  const named = new Map<string, AdminArg>();
  let depth = 0;
  let current: Token[] = [];
  let i = open;
  const flush = (): void => {
    if (current.length === 0) return;
    const [n, arrow] = current;
    if (n && (n.kind === 'ident' || n.kind === 'qident') && arrow?.kind === 'op' && arrow.text === '=>') {
      const key = (n.kind === 'qident' ? n.value : n.text).toLowerCase();
      if (named.has(key)) throw new UndefinedFunctionError(`argument "${key}" given twice`);
      named.set(key, literalArg(current.slice(2)));
    } else {
      if (named.size > 0) throw new UndefinedFunctionError('positional argument after a named argument');
      positional.push(literalArg(current));
    }
    current = [];
  };
  for (; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind === 'lparen') {
      depth++;
      if (depth === 1) continue;
    } else if (t.kind === 'rparen') {
      depth--;
      if (depth === 0) {
        flush();
        return { positional, named, next: i + 1 };
      }
    } else if (t.kind === 'comma' && depth === 1) {
      flush();
      continue;
    }
    current.push(t);
  }
  throw new UndefinedFunctionError('unterminated argument list');
}

const tableFollowers = new Set([
  'WHERE',
  'JOIN',
  'LEFT',
  'RIGHT',
  'FULL',
  'INNER',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'GROUP',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'HAVING',
  'WINDOW',
  'OUTER',
]);

function needsAlias(next: Token | undefined): boolean {
  if (!next) return true;
  if (next.kind === 'qident') return false;
  if (next.kind === 'ident') return tableFollowers.has(next.value);
  return true;
}

/** Rewrite admin relation references into SQL SQLite can run on the admin connection. */
function rewriteAdmin(
  tokens: Token[],
  registry: AdminRegistry,
): { tokens: Token[]; onAdmin: boolean; viewColumnTypes: Map<string, AdminType> | null } {
  const sigIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (!isTrivia(t)) sigIdx.push(i);
  });
  const sig = sigIdx.map((i) => tokens[i]!);
  const refs = findAdminRefs(sig, registry);
  if (refs.length === 0) return { tokens, onAdmin: false, viewColumnTypes: null };
  let onAdmin = false;
  let viewColumnTypes: Map<string, AdminType> | null = null;
  const replaced = new Map<number, string>(); // token index -> replacement text ('' removes)
  for (const ref of refs) {
    const view = registry.views.get(ref.name);
    const fn = ref.isReplicate && !view ? registry.functions.get(ref.short) : undefined;
    let text: string;
    let end = ref.end;
    if (view?.kind === 'sql') {
      text = `(${view.sql})`;
      viewColumnTypes ??= new Map();
      for (const c of view.columns) viewColumnTypes.set(c.name, c.type);
    } else if (view) {
      text = `"${ref.name}"`;
      onAdmin = true;
    } else if (fn) {
      if (fn.mutates) {
        throw new FeatureNotSupportedError(`replicate.${fn.name}() inside a larger query`, {
          hint: `Call it on its own: SELECT replicate.${fn.name}(...)`,
        });
      }
      onAdmin = true;
      text = `"replicate.${fn.name}"`;
      if (sig[end]?.kind === 'lparen') {
        const args = parseCallArgs(sig, end);
        const bound = registry.bindArguments(
          fn,
          args.positional.map((a) => ('value' in a ? a.value : null)),
          new Map([...args.named].map(([k, a]) => [k, 'value' in a ? a.value : null])),
        );
        if ([...args.positional, ...args.named.values()].some((a) => 'param' in a)) {
          throw new FeatureNotSupportedError('parameters as arguments of replicate.* inside a larger query');
        }
        text += `(${bound.map(sqlLiteral).join(', ')})`;
        end = args.next;
      } else text += '()';
    } else {
      throw new UndefinedTableError(ref.name, {
        hint: `Known: ${[...registry.views.keys(), ...[...registry.functions.keys()].map((n) => `replicate.${n}`)].join(', ')}`,
      });
    }
    const prevSig = sig[ref.start - 1];
    const inFrom = prevSig !== undefined && (isKeyword(prevSig, 'FROM', 'JOIN') || prevSig.kind === 'comma');
    if (inFrom && needsAlias(sig[end])) text += ` AS "${ref.short}"`;
    replaced.set(sigIdx[ref.start]!, text);
    for (let k = sigIdx[ref.start]! + 1; k < (sigIdx[end] ?? tokens.length); k++) replaced.set(k, '');
  }
  const out = tokens.map((t, i) => (replaced.has(i) ? { ...t, text: replaced.get(i)! } : t));
  return { tokens: out, onAdmin, viewColumnTypes };
}

function sqlLiteral(v: AdminValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return String(v);
}

/** Is the whole statement `SELECT replicate.f(...)` or `SELECT * FROM replicate.f(...)`? */
function directCall(sig: Token[], registry: AdminRegistry): Route | null {
  let i: number;
  if (isKeyword(sig[0], 'SELECT') && isKeyword(sig[1], 'REPLICATE')) i = 1;
  else if (
    isKeyword(sig[0], 'SELECT') &&
    sig[1]?.text === '*' &&
    isKeyword(sig[2], 'FROM') &&
    isKeyword(sig[3], 'REPLICATE')
  )
    i = 3;
  else return null;
  if (sig[i + 1]?.kind !== 'dot' || sig[i + 3]?.kind !== 'lparen') return null;
  const nameTok = sig[i + 2]!;
  const name = (nameTok.kind === 'qident' ? nameTok.value : nameTok.text).toLowerCase();
  const fn = registry.functions.get(name);
  if (!fn) {
    if (registry.views.has(`replicate.${name}`)) return null;
    throw new UndefinedFunctionError(`function replicate.${name}() does not exist`, {
      hint: `Known functions: ${[...registry.functions.keys()].map((n) => `replicate.${n}`).join(', ')}`,
    });
  }
  const args = parseCallArgs(sig, i + 3);
  // Optional alias after the call: SELECT replicate.f(...) AS x / SELECT replicate.f(...) x
  const n = args.next;
  const aliased =
    (isKeyword(sig[n], 'AS') && n + 2 === sig.length) ||
    (n + 1 === sig.length && (sig[n]?.kind === 'ident' || sig[n]?.kind === 'qident'));
  if (n !== sig.length && !aliased) return null;
  if (aliased) {
    const a = isKeyword(sig[n], 'AS') ? sig[n + 1]! : sig[n]!;
    const alias = a.kind === 'qident' ? a.value : a.text;
    return { type: 'admin-call', fn, positional: args.positional, named: args.named, alias };
  }
  return { type: 'admin-call', fn, positional: args.positional, named: args.named };
}

export function prepareStatement(text: string, rawTokens: Token[], registry: AdminRegistry): Prepared {
  const tokens = rewriteCatalogQuery(rawTokens);
  const crdtWrite = rewriteCrdtSelect(tokens);
  if (crdtWrite !== null) return prepareStatement(crdtWrite, tokenize(crdtWrite), registry);
  const cls = classify(tokens);
  const base = { text, tokens, cls };
  switch (cls.kind) {
    case 'begin':
    case 'commit':
    case 'rollback':
    case 'set':
    case 'show':
    case 'reset':
    case 'empty':
      return {
        ...base,
        route: { type: 'session' },
        execSql: text,
        paramStyle: 'none',
        paramCount: 0,
        mayBlock: false,
        viewColumnTypes: null,
      };
    default:
  }
  let guarded = guard(tokens, cls);
  if (cls.kind === 'reindex') guarded = reindexTokens(guarded);
  if (cls.kind === 'create_table' || cls.kind === 'alter_table') guarded = stripCrdtTypeParams(guarded);
  if (cls.kind === 'create_table' && cls.unlogged) {
    guarded = guarded.map((t) => (isKeyword(t, 'UNLOGGED') ? { ...t, text: '' } : t));
  }
  const { style, count } = paramInfo(guarded);
  const mayBlock = tokens.some((t) => t.kind === 'ident' && t.value === 'PG_SLEEP');
  const call = directCall(cls.sig, registry);
  if (call) {
    return {
      ...base,
      route: call,
      execSql: text,
      paramStyle: style,
      paramCount: count,
      mayBlock,
      viewColumnTypes: null,
    };
  }
  const { tokens: rewritten, onAdmin, viewColumnTypes } = rewriteAdmin(guarded, registry);
  return {
    ...base,
    route: { type: 'sql', onAdmin },
    execSql: joinTokens(rewritten),
    paramStyle: style,
    paramCount: count,
    mayBlock,
    viewColumnTypes,
  };
}

/**
 * PostgreSQL's `REINDEX { TABLE | INDEX } name` as SQLite's `REINDEX name`; REINDEX SCHEMA /
 * DATABASE / SYSTEM and CONCURRENTLY are refused.
 */
function reindexTokens(tokens: Token[]): Token[] {
  const sig = tokens.filter((t) => !isTrivia(t));
  if (!isKeyword(sig[1], 'TABLE', 'INDEX') || isKeyword(sig[2], 'CONCURRENTLY'))
    throw new FeatureNotSupportedError('REINDEX other than REINDEX TABLE / INDEX name');
  // The (possibly schema-qualified) name as its SQLite-side name ("s.t" outside public).
  const parts = sig.slice(2).filter((t) => t.text !== '.' && t.text !== ';');
  const name = (t: Token): string => (t.kind === 'qident' ? t.value : t.text.toLowerCase());
  const [schema, rel] = parts.length === 2 ? [name(parts[0]!), name(parts[1]!)] : [null, name(parts[0]!)];
  const stored = schema === null || schema === 'public' ? rel : `${schema}.${rel}`;
  return tokenize(`REINDEX ${quoteIdent(stored)}`);
}

/** A statement known only by its classification, planned when its turn comes (PlannedStatement.pending). */
export function pendingStatement(s: StatementText): Prepared {
  return {
    text: s.sql,
    tokens: s.tokens,
    cls: classify(s.tokens),
    route: { type: 'session' },
    execSql: '',
    paramStyle: 'none',
    paramCount: 0,
    mayBlock: false,
    viewColumnTypes: null,
  };
}
