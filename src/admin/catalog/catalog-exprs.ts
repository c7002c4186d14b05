// How PostgreSQL prints a stored expression (pg_get_expr of a column default, pg_get_constraintdef
// of a CHECK): constants labelled with their types as ruleutils.c labels them ('x'::text,
// '-1'::integer, 1.5), operators in parentheses, SQL value functions in capitals. Works on the
// expression as written (kept beside the SQLite schema); a shape it does not know is shown as written.

import type * as P from '@pgsql/types';
import { nodeOf, parseSql } from '../../sql/parse/parser.js';
import { formatType, T, type TypeRef, typeByOid } from '../../sql/types/pg-types.js';

const cacheEntriesMax = 1000;
const cache = new Map<string, string>();

/** A column default as pg_get_expr(adbin) shows it; `type` is the column's. */
export function displayDefault(raw: string, type: TypeRef | null): string {
  return cached(`d${type?.type.oid ?? 0}:${raw}`, () => {
    const node = parseExpr(raw);
    return (node && attempt(() => format(node, type))) ?? raw;
  });
}

/** A CHECK constraint as pg_get_constraintdef shows it: `CHECK ((a > 0))`, pretty `CHECK (a > 0)`. */
export function displayCheck(
  raw: string,
  pretty: boolean,
  columns: ReadonlyMap<string, TypeRef> = new Map(),
): string {
  const key = [...columns].map(([n, t]) => `${n}:${t.type.oid}`).join(',');
  return cached(`c${pretty ? 'p' : ''}:${key}:${raw}`, () => {
    const node = parseExpr(raw);
    const body = (node && attempt(() => format(node, null, columns))) ?? `(${raw})`;
    const wrapped = body.startsWith('(') ? body : `(${body})`;
    if (!pretty) return `CHECK (${wrapped})`;
    const inner = wrapped.endsWith(')') ? wrapped.slice(1, -1) : wrapped;
    return `CHECK (${inner.replace(/\((-?\d+(?:\.\d+)?)\)::/g, '$1::')})`;
  });
}

function attempt(f: () => string): string | null {
  try {
    return f();
  } catch {
    return null;
  }
}

function cached(key: string, f: () => string): string {
  let v = cache.get(key);
  if (v === undefined) {
    v = f();
    if (cache.size >= cacheEntriesMax) cache.clear();
    cache.set(key, v);
  }
  return v;
}

function parseExpr(raw: string): P.Node | null {
  try {
    const [s] = parseSql(`SELECT ${raw}`);
    const sel = (s?.stmt as { SelectStmt?: P.SelectStmt } | undefined)?.SelectStmt;
    const target = sel?.targetList?.[0] as { ResTarget?: P.ResTarget } | undefined;
    return sel?.targetList?.length === 1 ? (target?.ResTarget?.val ?? null) : null;
  } catch {
    return null;
  }
}

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** A constant of a known type, as get_const_expr prints it. */
function constant(text: string, type: TypeRef): string {
  switch (type.type) {
    case T.int4:
      return text.startsWith('-') ? `${quote(text)}::integer` : text;
    case T.numeric:
      return /^\d/.test(text) && /[.eE]/.test(text) ? text : `${quote(text)}::numeric`;
    case T.bool:
      return /^(t|true|y|yes|on|1)$/i.test(text.trim()) ? 'true' : 'false';
    default:
      return `${quote(text)}::${formatType(type.type, type.typmod)}`;
  }
}

const int4Max = 2147483647;

/** `target`: the type an untyped literal here becomes (the column's, for a default at the top). */
function format(
  n: P.Node,
  target: TypeRef | null,
  columns: ReadonlyMap<string, TypeRef> = new Map(),
): string {
  const [tag, body] = nodeOf(n);
  switch (tag) {
    case 'A_Const': {
      const c = body as P.A_Const;
      if (c.isnull) return 'NULL';
      if (c.ival !== undefined) {
        const v = c.ival.ival ?? 0;
        return Math.abs(v) <= int4Max ? constant(String(v), { type: T.int4, typmod: -1 }) : String(v);
      }
      if (c.fval !== undefined) {
        const v = c.fval.fval ?? '0';
        // An integer too large for int4 is an int8 constant; anything else numeric.
        if (/^-?\d+$/.test(v)) {
          const big = BigInt(v);
          if (big >= -9223372036854775808n && big <= 9223372036854775807n) return `${quote(v)}::bigint`;
        }
        return constant(v, { type: T.numeric, typmod: -1 });
      }
      if (c.boolval !== undefined) return c.boolval.boolval ? 'true' : 'false';
      if (c.sval !== undefined) {
        const v = c.sval.sval ?? '';
        if (target && target.type !== T.unknown) return constant(v, { type: target.type, typmod: -1 });
        return `${quote(v)}::text`;
      }
      return quote('');
    }
    case 'TypeCast': {
      const tc = body as P.TypeCast;
      const names = (tc.typeName?.names ?? []).map((x) => (x as { String: { sval: string } }).String.sval);
      const typ = typeFromNames(names, tc.typeName);
      const [argTag] = nodeOf(tc.arg!);
      if (argTag === 'A_Const' && typ) return format(tc.arg!, typ);
      if (!typ) throw new Error('unknown type');
      return `(${format(tc.arg!, null)})::${formatType(typ.type, typ.typmod)}`;
    }
    case 'FuncCall': {
      const f = body as P.FuncCall;
      const names = (f.funcname ?? []).map((x) => (x as { String: { sval: string } }).String.sval);
      const name = names[names.length - 1]!;
      return `${name}(${(f.args ?? []).map((a) => format(a, null)).join(', ')})`;
    }
    case 'SQLValueFunction': {
      const v = body as P.SQLValueFunction;
      const names: Record<string, string> = {
        SVFOP_CURRENT_DATE: 'CURRENT_DATE',
        SVFOP_CURRENT_TIME: 'CURRENT_TIME',
        SVFOP_CURRENT_TIME_N: 'CURRENT_TIME',
        SVFOP_CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
        SVFOP_CURRENT_TIMESTAMP_N: 'CURRENT_TIMESTAMP',
        SVFOP_LOCALTIME: 'LOCALTIME',
        SVFOP_LOCALTIME_N: 'LOCALTIME',
        SVFOP_LOCALTIMESTAMP: 'LOCALTIMESTAMP',
        SVFOP_LOCALTIMESTAMP_N: 'LOCALTIMESTAMP',
        SVFOP_CURRENT_ROLE: 'CURRENT_ROLE',
        SVFOP_CURRENT_USER: 'CURRENT_USER',
        SVFOP_USER: 'USER',
        SVFOP_SESSION_USER: 'SESSION_USER',
        SVFOP_CURRENT_CATALOG: 'CURRENT_CATALOG',
        SVFOP_CURRENT_SCHEMA: 'CURRENT_SCHEMA',
      };
      const name = names[v.op ?? ''] ?? 'CURRENT_TIMESTAMP';
      return v.typmod !== undefined && v.typmod >= 0 ? `${name}(${v.typmod})` : name;
    }
    case 'ColumnRef': {
      const c = body as P.ColumnRef;
      return (c.fields ?? [])
        .map((x) => (x as { String?: { sval: string } }).String?.sval ?? '*')
        .map(quoteName)
        .join('.');
    }
    case 'A_Expr': {
      const e = body as P.A_Expr;
      const op = (e.name ?? []).map((x) => (x as { String: { sval: string } }).String.sval).pop() ?? '';
      if (e.kind !== 'AEXPR_OP') throw new Error('not an operator');
      if (!e.lexpr) return `(${op} ${format(e.rexpr!, null, columns)})`;
      // A literal compared with a column takes the column's type (an int literal against numeric
      // is cast, as PostgreSQL's resolution casts it).
      const side = (x: P.Node, other: P.Node): string => {
        const col = columnType(other, columns);
        const [tag, c] = nodeOf(x);
        if (col && tag === 'A_Const' && (c as P.A_Const).ival !== undefined) {
          const v = String((c as P.A_Const).ival?.ival ?? 0);
          if (col.type === T.numeric || col.type === T.float8 || col.type === T.float4)
            return `(${v})::${formatType(col.type, -1)}`;
        }
        if (col && tag === 'A_Const' && (c as P.A_Const).sval !== undefined && col.type === T.text)
          return format(x, col, columns);
        return format(x, null, columns);
      };
      return `(${side(e.lexpr, e.rexpr!)} ${op} ${side(e.rexpr!, e.lexpr)})`;
    }
    case 'BoolExpr': {
      const b = body as P.BoolExpr;
      const args = (b.args ?? []).map((a) => format(a, null, columns));
      if (b.boolop === 'NOT_EXPR') return `(NOT ${args[0]})`;
      return `(${args.join(b.boolop === 'AND_EXPR' ? ' AND ' : ' OR ')})`;
    }
    case 'NullTest': {
      const t = body as P.NullTest;
      return `(${format(t.arg!, null, columns)} IS ${t.nulltesttype === 'IS_NOT_NULL' ? 'NOT ' : ''}NULL)`;
    }
    default:
      throw new Error(`no display for ${tag}`);
  }
}

function columnType(n: P.Node, columns: ReadonlyMap<string, TypeRef>): TypeRef | undefined {
  const [tag, c] = nodeOf(n);
  if (tag !== 'ColumnRef') return undefined;
  const f = (c as P.ColumnRef).fields ?? [];
  return columns.get((f[f.length - 1] as { String?: { sval: string } }).String?.sval ?? '');
}

function typeFromNames(names: string[], tn: P.TypeName | undefined): TypeRef | null {
  const base = names[names.length - 1] ?? '';
  const byName: Record<string, number> = {
    int4: T.int4.oid,
    int8: T.int8.oid,
    int2: T.int2.oid,
    text: T.text.oid,
    varchar: T.varchar.oid,
    bpchar: T.bpchar.oid,
    bool: T.bool.oid,
    numeric: T.numeric.oid,
    float8: T.float8.oid,
    float4: T.float4.oid,
    jsonb: T.jsonb.oid,
    json: T.json.oid,
    uuid: T.uuid.oid,
    date: T.date.oid,
    timestamp: T.timestamp.oid,
    timestamptz: T.timestamptz.oid,
    time: T.time.oid,
    interval: T.interval.oid,
    bytea: T.bytea.oid,
    regclass: T.regclass.oid,
  };
  const oid = byName[base];
  const type = oid === undefined ? undefined : typeByOid(oid);
  if (!type) return null;
  return tn ? { type, typmod: -1 } : null;
}

function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
