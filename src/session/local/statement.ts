// Recognizes the statements that act on a session's own state — PREPARE / EXECUTE / DEALLOCATE,
// DECLARE / FETCH / MOVE / CLOSE, DISCARD, and `SELECT pg_advisory_lock(...)` calls — from
// PostgreSQL's parse tree. Recognition is by the first words, so other statements pay nothing.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { isKeyword, isTrivia, type StatementText, type Token } from '../../sql/lexer.js';
import { charOffset, nodeOf, parseSql } from '../../sql/parse/parser.js';
import { resolveTypeName } from '../../sql/types/type-names.js';
import {
  isNotifyFunctionWord,
  type NotifyStatement,
  notifySelect,
  notifyUtility,
} from './notify-statement.js';
import { isWaitFor, parseWaitFor, type WaitForLsn } from './wait-for.js';

/** A value of an EXECUTE argument or an advisory-lock key: a constant's text, or a parameter. */
export type LocalArg = { text: string | null; position?: number } | { param: number };

export type FetchDirection = 'forward' | 'backward' | 'absolute' | 'relative';

export interface AdvisoryCall {
  /** The function's name, lower case (pg_advisory_lock, pg_try_advisory_xact_lock_shared, ...). */
  fn: string;
  /** The result column's name (the alias, else the function's name). */
  column: string;
  /** The call's position in the statement (1-based characters), for errors. */
  position: number;
  args: LocalArg[];
}

/** A set_config(name, value, is_local) call of a WITH query before the lock calls (kysely's lock_timeout). */
export interface SettingCall {
  name: LocalArg;
  value: LocalArg;
  isLocal: LocalArg;
}

export type LocalStatement =
  | { kind: 'advisory'; calls: AdvisoryCall[]; settings: SettingCall[] }
  | { kind: 'prepare'; name: string; query: string; queryOffset: number; paramOids: number[] }
  | { kind: 'execute'; name: string; args: LocalArg[] }
  | { kind: 'deallocate'; name: string | null }
  | {
      kind: 'declare';
      name: string;
      query: string;
      /** Where the query starts in the statement (characters): its errors' positions count from there. */
      queryOffset: number;
      binary: boolean;
      scroll: 'scroll' | 'no-scroll' | 'default';
      hold: boolean;
    }
  | { kind: 'fetch'; name: string; direction: FetchDirection; count: number; move: boolean }
  | { kind: 'close'; name: string | null }
  | { kind: 'discard'; target: 'all' | 'plans' | 'sequences' | 'temp' }
  | { kind: 'notification'; st: NotifyStatement }
  | WaitForLsn;

/** FETCH ALL / FORWARD ALL arrive as this count (PostgreSQL's FETCH_ALL). */
export const fetchAll = 2_147_483_647;

const firstWords = new Set([
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'DECLARE',
  'FETCH',
  'MOVE',
  'CLOSE',
  'DISCARD',
  'LISTEN',
  'UNLISTEN',
  'NOTIFY',
  'WAIT',
]);

/** Whether the statement's first words make it a session statement (cheap: two tokens looked at). */
export function localStatementWord(s: StatementText): boolean {
  const [a, b] = firstTwo(s.tokens);
  if (a?.kind !== 'ident') return false;
  if (firstWords.has(a.value)) return true;
  if (a.value === 'WITH') return s.tokens.some(isAdvisoryName);
  return a.value === 'SELECT' && b !== undefined && (isAdvisoryName(b) || isNotifySelect(s.tokens, b));
}

/** `SELECT pg_notify(...)`, `SELECT pg_listening_channels()`, `SELECT * FROM pg_listening_channels()`. */
function isNotifySelect(tokens: readonly Token[], b: Token): boolean {
  if (b.kind === 'ident') return isNotifyFunctionWord(b.value);
  return (
    b.kind === 'op' &&
    b.text === '*' &&
    tokens.some((t) => t.kind === 'ident' && t.value === 'PG_LISTENING_CHANNELS')
  );
}

function isAdvisoryName(t: Token): boolean {
  return t.kind === 'ident' && (t.value.startsWith('PG_ADVISORY_') || t.value.startsWith('PG_TRY_ADVISORY_'));
}

/** The session statement this is, or null. */
export function localStatementOf(s: StatementText): LocalStatement | null {
  if (!localStatementWord(s)) return null;
  // PostgreSQL 19's WAIT FOR LSN: PostgreSQL 15's parser would refuse it (wait-for.ts).
  if (isWaitFor(s)) return parseWaitFor(s);
  const parsed = parseSql(s.sql);
  if (parsed.length !== 1) return null;
  const [tag, body] = nodeOf(parsed[0]!.stmt);
  switch (tag) {
    case 'SelectStmt': {
      const [, b] = firstTwo(s.tokens);
      if (b?.kind === 'ident' && isAdvisoryName(b)) return advisoryCalls(body as P.SelectStmt, s.sql);
      if (s.tokens.some((t) => t.kind === 'ident' && isNotifyFunctionWord(t.value)))
        return { kind: 'notification', st: notifySelect(body as P.SelectStmt) };
      return advisoryCalls(body as P.SelectStmt, s.sql);
    }
    case 'ListenStmt':
    case 'UnlistenStmt':
    case 'NotifyStmt':
      return { kind: 'notification', st: notifyUtility(tag, body)! };
    case 'PrepareStmt': {
      const st = body as P.PrepareStmt;
      const paramOids = (st.argtypes ?? []).map((n) => {
        const tn = (n as { TypeName: P.TypeName }).TypeName;
        const names = (tn.names ?? []).map((x) => (x as { String: P.String }).String.sval ?? '');
        return resolveTypeName(names, []).type.oid;
      });
      return { kind: 'prepare', name: st.name ?? '', ...textAfter(s, 'AS'), paramOids };
    }
    case 'ExecuteStmt': {
      const st = body as P.ExecuteStmt;
      return { kind: 'execute', name: st.name ?? '', args: (st.params ?? []).map(constantArg) };
    }
    case 'DeallocateStmt': {
      const st = body as P.DeallocateStmt;
      return { kind: 'deallocate', name: st.isall ? null : (st.name ?? null) };
    }
    case 'DeclareCursorStmt': {
      const st = body as P.DeclareCursorStmt;
      const o = st.options ?? 0;
      return {
        kind: 'declare',
        name: st.portalname ?? '',
        ...textAfter(s, 'FOR'),
        binary: (o & cursorOptBinary) !== 0,
        scroll: o & cursorOptScroll ? 'scroll' : o & cursorOptNoScroll ? 'no-scroll' : 'default',
        hold: (o & cursorOptHold) !== 0,
      };
    }
    case 'FetchStmt': {
      const st = body as P.FetchStmt;
      const direction = (
        {
          FETCH_FORWARD: 'forward',
          FETCH_BACKWARD: 'backward',
          FETCH_ABSOLUTE: 'absolute',
          FETCH_RELATIVE: 'relative',
        } as const
      )[st.direction ?? 'FETCH_FORWARD'];
      return {
        kind: 'fetch',
        name: st.portalname ?? '',
        direction,
        count: Number(st.howMany ?? 0),
        move: st.ismove === true,
      };
    }
    case 'ClosePortalStmt':
      return { kind: 'close', name: (body as P.ClosePortalStmt).portalname ?? null };
    case 'DiscardStmt': {
      const t = (body as P.DiscardStmt).target;
      const target =
        t === 'DISCARD_PLANS'
          ? 'plans'
          : t === 'DISCARD_SEQUENCES'
            ? 'sequences'
            : t === 'DISCARD_TEMP'
              ? 'temp'
              : 'all';
      return { kind: 'discard', target };
    }
    default:
      return null;
  }
}

// PostgreSQL's CURSOR_OPT_* bits (parsenodes.h).
const cursorOptBinary = 0x1;
const cursorOptScroll = 0x2;
const cursorOptNoScroll = 0x4;
const cursorOptHold = 0x20;

function firstTwo(tokens: readonly Token[]): [Token | undefined, Token | undefined] {
  const out: Token[] = [];
  for (const t of tokens) {
    if (isTrivia(t)) continue;
    out.push(t);
    if (out.length === 2) break;
  }
  return [out[0], out[1]];
}

/** The text after the first top-level keyword `word` (PREPARE ... AS <query>, DECLARE ... FOR <query>). */
function textAfter(s: StatementText, word: string): { query: string; queryOffset: number } {
  let depth = 0;
  for (const [i, t] of s.tokens.entries()) {
    if (t.kind === 'lparen') depth++;
    else if (t.kind === 'rparen') depth--;
    else if (depth === 0 && isKeyword(t, word)) {
      const next = s.tokens.slice(i + 1).find((u) => !isTrivia(u));
      const start = next?.start ?? s.sql.length;
      return { query: s.sql.slice(start), queryOffset: [...s.sql.slice(0, start)].length };
    }
  }
  throw new ChorusError('42601', `syntax error: ${word} expected`);
}

const advisoryFunctions = new Set([
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_advisory_unlock',
  'pg_advisory_unlock_shared',
  'pg_advisory_unlock_all',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
]);

/**
 * `SELECT pg_advisory_...(k) [AS x], ...` and nothing else: the lock calls, in order. Also
 * kysely's `WITH s AS (SELECT set_config(...) [AS x]) SELECT pg_advisory_lock(k) FROM s`: the
 * settings first, then the calls (the one-row CTE makes one row).
 */
function advisoryCalls(st: P.SelectStmt, text: string): LocalStatement {
  const larger = (): never => {
    throw new FeatureNotSupportedError('advisory lock functions inside a larger query', {
      hint: 'Call them on their own: SELECT pg_advisory_lock(key), with constant or $n keys.',
    });
  };
  const settings = st.withClause ? settingCalls(st.withClause, st.fromClause, larger) : [];
  if (
    (st.fromClause && !st.withClause) ||
    st.whereClause ||
    st.groupClause ||
    st.havingClause ||
    st.sortClause
  )
    larger();
  if (st.distinctClause || st.limitCount || st.limitOffset || st.valuesLists || st.op !== 'SETOP_NONE')
    larger();
  const calls = (st.targetList ?? []).map((n) => {
    const rt = (n as { ResTarget: P.ResTarget }).ResTarget;
    const [tag, fc] = nodeOf(rt.val!);
    if (tag !== 'FuncCall') return larger();
    const call = fc as P.FuncCall;
    const names = (call.funcname ?? []).map((x) => (x as { String: P.String }).String.sval ?? '');
    const fn = names[names.length - 1]!;
    if ((names.length > 1 && names[0] !== 'pg_catalog') || !advisoryFunctions.has(fn)) return larger();
    if (
      call.agg_filter ||
      call.over ||
      call.agg_order ||
      call.agg_star ||
      call.agg_distinct ||
      call.func_variadic
    )
      return larger();
    const position = charOffset(text, call.location ?? 0) + 1;
    return {
      fn,
      column: rt.name ?? fn,
      position,
      args: (call.args ?? []).map((a) => keyArg(a, text, larger)),
    };
  });
  return { kind: 'advisory', calls, settings };
}

/** The set_config() calls of `WITH s AS (SELECT set_config(...), ...) ... FROM s`; else larger(). */
function settingCalls(w: P.WithClause, from: P.Node[] | undefined, larger: () => never): SettingCall[] {
  const ctes = (w.ctes ?? []).map((n) => (n as { CommonTableExpr: P.CommonTableExpr }).CommonTableExpr);
  if (w.recursive || ctes.length !== 1 || from?.length !== 1) return larger();
  const cte = ctes[0]!;
  const [ft, fb] = nodeOf(from[0]!);
  const rv = fb as P.RangeVar;
  if (ft !== 'RangeVar' || rv.schemaname || rv.relname !== cte.ctename) return larger();
  const [qt, qb] = nodeOf(cte.ctequery!);
  const q = qb as P.SelectStmt;
  if (qt !== 'SelectStmt' || q.fromClause || q.whereClause || q.withClause || q.valuesLists) return larger();
  if (q.groupClause || q.havingClause || q.sortClause || q.distinctClause || q.limitCount) return larger();
  if (q.limitOffset || q.op !== 'SETOP_NONE') return larger();
  return (q.targetList ?? []).map((n) => {
    const [tag, fc] = nodeOf((n as { ResTarget: P.ResTarget }).ResTarget.val!);
    const call = fc as P.FuncCall;
    const names = (call.funcname ?? []).map((x) => (x as { String: P.String }).String.sval ?? '');
    if (tag !== 'FuncCall' || names.pop() !== 'set_config' || (names.length && names[0] !== 'pg_catalog'))
      return larger();
    const args = call.args ?? [];
    if (args.length !== 3 || call.agg_filter || call.over || call.func_variadic) return larger();
    const arg = (a: P.Node): LocalArg => {
      try {
        return constantArg(a);
      } catch {
        return larger();
      }
    };
    return { name: arg(args[0]!), value: arg(args[1]!), isLocal: arg(args[2]!) };
  });
}

/** A lock key: an integer constant, a parameter, or either cast to an integer type. */
function keyArg(n: P.Node, text: string, larger: () => never): LocalArg {
  const [tag, body] = nodeOf(n);
  if (tag === 'TypeCast') {
    const tc = body as P.TypeCast;
    const t = (tc.typeName?.names ?? []).map((x) => (x as { String: P.String }).String.sval ?? '').pop();
    if (!t || !['int2', 'int4', 'int8'].includes(t)) return larger();
    return keyArg(tc.arg!, text, larger);
  }
  if (tag === 'ParamRef') return { param: (body as P.ParamRef).number ?? 0 };
  if (tag === 'A_Const') {
    const c = body as P.A_Const;
    if (c.isnull) return { text: null };
    if (c.ival !== undefined) return { text: String(c.ival.ival ?? 0) };
    if (c.fval !== undefined) return { text: c.fval.fval ?? '' };
    if (c.sval !== undefined)
      return { text: c.sval.sval ?? '', position: charOffset(text, c.location ?? 0) + 1 };
  }
  return larger();
}

/** An EXECUTE argument: a constant (possibly cast), as text its parameter's type reads. */
function constantArg(n: P.Node): LocalArg {
  const [tag, body] = nodeOf(n);
  if (tag === 'TypeCast') return constantArg((body as P.TypeCast).arg!);
  if (tag === 'ParamRef') return { param: (body as P.ParamRef).number ?? 0 };
  if (tag === 'A_Const') {
    const c = body as P.A_Const;
    if (c.isnull) return { text: null };
    if (c.ival !== undefined) return { text: String(c.ival.ival ?? 0) };
    if (c.fval !== undefined) return { text: c.fval.fval ?? '' };
    if (c.sval !== undefined) return { text: c.sval.sval ?? '' };
    if (c.boolval !== undefined) return { text: c.boolval.boolval ? 'true' : 'false' };
    if (c.bsval !== undefined) return { text: c.bsval.bsval ?? '' };
  }
  throw new FeatureNotSupportedError('EXECUTE arguments other than constants', {
    hint: 'Pass literals (or $n parameters) to EXECUTE.',
  });
}
