// Recognizes LISTEN / UNLISTEN / NOTIFY and the statement forms `SELECT pg_notify(ch, payload)` and
// `SELECT pg_listening_channels()` / `SELECT * FROM pg_listening_channels()` from PostgreSQL's parse
// tree (notifications.ts runs them). Other uses of the two functions are refused with 0A000.

import type * as P from '@pgsql/types';
import { FeatureNotSupportedError } from '../../errors.js';
import { nodeOf } from '../../sql/parse/parser.js';

/** A pg_notify() argument: a constant's text (NULL as null), or a $n parameter. */
export type NotifyArg = { text: string | null } | { param: number };

export type NotifyStatement =
  | { kind: 'listen'; channel: string }
  /** UNLISTEN *: channel null. */
  | { kind: 'unlisten'; channel: string | null }
  | { kind: 'notify'; channel: string; payload: string }
  | { kind: 'notify-call'; column: string; channel: NotifyArg; payload: NotifyArg }
  | { kind: 'listening-channels'; column: string };

/** Words after SELECT (upper case, as the lexer keeps them) that make a notification statement. */
export function isNotifyFunctionWord(value: string): boolean {
  return value === 'PG_NOTIFY' || value === 'PG_LISTENING_CHANNELS';
}

/** LISTEN / UNLISTEN / NOTIFY by their parse-tree tag, or null. */
export function notifyUtility(tag: string, body: unknown): NotifyStatement | null {
  switch (tag) {
    case 'ListenStmt':
      return { kind: 'listen', channel: (body as P.ListenStmt).conditionname ?? '' };
    case 'UnlistenStmt':
      return { kind: 'unlisten', channel: (body as P.UnlistenStmt).conditionname ?? null };
    case 'NotifyStmt': {
      const st = body as P.NotifyStmt;
      return { kind: 'notify', channel: st.conditionname ?? '', payload: st.payload ?? '' };
    }
    default:
      return null;
  }
}

const larger = (): never => {
  throw new FeatureNotSupportedError('pg_notify() and pg_listening_channels() inside a larger query', {
    hint: "Call them on their own: SELECT pg_notify('channel', 'payload') with constant or $n arguments, or SELECT pg_listening_channels().",
  });
};

function funcName(call: P.FuncCall): string | null {
  const names = (call.funcname ?? []).map((x) => (x as { String: P.String }).String.sval ?? '');
  if (names.length > 1 && names[0] !== 'pg_catalog') return null;
  return names[names.length - 1] ?? null;
}

function plainCall(call: P.FuncCall): boolean {
  return !(
    call.agg_filter ||
    call.over ||
    call.agg_order ||
    call.agg_star ||
    call.agg_distinct ||
    call.func_variadic
  );
}

/** `SELECT pg_notify(a, b) [AS x]`, `SELECT pg_listening_channels() [AS x]`, `SELECT * FROM pg_listening_channels() [AS x]`. */
export function notifySelect(st: P.SelectStmt): NotifyStatement {
  if (st.withClause || st.whereClause || st.groupClause || st.havingClause || st.sortClause) return larger();
  if (st.distinctClause || st.limitCount || st.limitOffset || st.valuesLists || st.op !== 'SETOP_NONE')
    return larger();
  const targets = (st.targetList ?? []).map((n) => (n as { ResTarget: P.ResTarget }).ResTarget);
  if (targets.length !== 1) return larger();
  const rt = targets[0]!;
  if (st.fromClause) return channelsFrom(st.fromClause, rt);
  const [tag, fc] = nodeOf(rt.val!);
  if (tag !== 'FuncCall') return larger();
  const call = fc as P.FuncCall;
  const fn = funcName(call);
  const args = call.args ?? [];
  if (!plainCall(call)) return larger();
  if (fn === 'pg_listening_channels' && args.length === 0)
    return { kind: 'listening-channels', column: rt.name ?? fn };
  if (fn === 'pg_notify' && args.length === 2)
    return { kind: 'notify-call', column: rt.name ?? fn, channel: arg(args[0]!), payload: arg(args[1]!) };
  return larger();
}

/** `SELECT * FROM pg_listening_channels() [AS x]`: the column is named after the alias, as in PostgreSQL. */
function channelsFrom(from: P.Node[], rt: P.ResTarget): NotifyStatement {
  const [ct, cb] = nodeOf(rt.val!);
  const fields = ct === 'ColumnRef' ? ((cb as P.ColumnRef).fields ?? []) : [];
  if (from.length !== 1 || rt.name || fields.length !== 1 || !('A_Star' in (fields[0] as object)))
    return larger();
  const [ft, fb] = nodeOf(from[0]!);
  if (ft !== 'RangeFunction') return larger();
  const rf = fb as P.RangeFunction;
  const items = (rf.functions ?? []).map((n) => (n as { List: P.List }).List.items ?? []);
  if (rf.lateral || rf.ordinality || rf.is_rowsfrom || items.length !== 1) return larger();
  const [tag, fc] = nodeOf(items[0]![0]!);
  const call = fc as P.FuncCall;
  if (tag !== 'FuncCall' || !plainCall(call) || funcName(call) !== 'pg_listening_channels') return larger();
  if ((call.args ?? []).length > 0) return larger();
  const alias = rf.alias;
  const colAlias = alias?.colnames?.[0] as { String: P.String } | undefined;
  return {
    kind: 'listening-channels',
    column: colAlias?.String.sval ?? alias?.aliasname ?? 'pg_listening_channels',
  };
}

/** A string constant or NULL (possibly cast), or a parameter (pg_notify takes text). */
function arg(n: P.Node): NotifyArg {
  const [tag, body] = nodeOf(n);
  if (tag === 'TypeCast') return arg((body as P.TypeCast).arg!);
  if (tag === 'ParamRef') return { param: (body as P.ParamRef).number ?? 0 };
  if (tag === 'A_Const') {
    const c = body as P.A_Const;
    if (c.isnull) return { text: null };
    if (c.sval !== undefined) return { text: c.sval.sval ?? '' };
  }
  return larger();
}
