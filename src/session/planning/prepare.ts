// The token path: turns a statement the front end does not plan (session commands, PRAGMA, EXPLAIN,
// untyped DDL; statement-path.ts chooses) into a Prepared: where it runs, the SQL SQLite will see
// after guards and rewrites, its parameter style. Plans depend only on the text, so they are shared.

import { rewriteCatalogQuery } from '../../admin/catalog/catalog-rewrite.js';
import type { AdminRegistry } from '../../admin/registry.js';
import {
  FeatureNotSupportedError,
  InsufficientPrivilegeError,
  ProtocolViolationError,
  UndefinedTableError,
} from '../../errors.js';
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
import { directCall, rewriteAdmin } from './admin-refs.js';
import type { ParamStyle, Prepared } from './prepared.js';

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
