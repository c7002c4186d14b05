// PostgreSQL's casts over the storage formats: which casts exist in which context (pg_cast for the
// types the front end knows, plus I/O conversion to and from text), the SQL that converts a value,
// and select_common_type for UNION / CASE / COALESCE / IN.

import { ChorusError } from '../../../../errors.js';
import { firstUserOid } from '../../../namespaces.js';
import { elementSql } from '../../../types/array/array-storage.js';
import { splitQualifiedName } from '../../../types/catalog-types.js';
import type { StorageValue } from '../../../types/codec.js';
import { enumLabelsSql, enumShownName, runtimeType } from '../../../types/enum.js';
import {
  A,
  arrayTypeOf,
  charTypmodLength,
  formatType,
  isIntegerType,
  isStringType,
  type PgType,
  T,
  type TypeRef,
} from '../../../types/pg-types.js';
import { applyTypmodValue, inputValue, sqlLiteral } from '../../../types/values.js';
import { type AnalyzeState, type Typed, typed } from '../../context.js';
import { resolveTypeIn } from '../../level.js';

export type CastContext = 'implicit' | 'assignment' | 'explicit';

/** oid and its aliases (regclass, regtype, ...): the same integer, binary-coercible. */
const oidTypes: ReadonlySet<PgType> = new Set([T.oid, T.regclass, T.regtype, T.regnamespace]);

/** Types whose input depends on the session (TimeZone, 'now'): converted when the statement runs. */
const sessionDependent: ReadonlySet<PgType> = new Set([T.date, T.time, T.timestamp, T.timestamptz]);

// pg_cast rows among the known types: source → target → context (i, a, e).
const castRows = `bool bpchar a;bool int4 e;bool text a;bool varchar a;bpchar char a;bpchar name i;bpchar text i;
bpchar varchar i;char bpchar a;char int4 e;char text i;char varchar a;date timestamp i;date timestamptz i;float4 float8 i;
float4 int2 a;float4 int4 a;float4 int8 a;float4 numeric a;float8 float4 a;float8 int2 a;float8 int4 a;float8 int8 a;
float8 numeric a;int2 float4 i;int2 float8 i;int2 int4 i;int2 int8 i;int2 numeric i;int2 oid i;int2 regclass i;
int4 bool e;int4 char e;int4 float4 i;int4 float8 i;int4 int2 a;int4 int8 i;int4 numeric i;int4 oid i;int4 regclass i;
int8 float4 i;int8 float8 i;int8 int2 a;int8 int4 a;int8 numeric i;int8 oid i;int8 regclass i;interval time a;
json jsonb a;jsonb bool e;jsonb float4 e;jsonb float8 e;jsonb int2 e;jsonb int4 e;jsonb int8 e;jsonb json a;
jsonb numeric e;name bpchar a;name text i;name varchar a;numeric float4 i;numeric float8 i;numeric int2 a;
numeric int4 a;numeric int8 a;oid int4 a;oid int8 a;oid regclass i;regclass int4 a;regclass int8 a;regclass oid i;
text bpchar i;text char a;text name i;text regclass i;text varchar i;time interval i;timestamp date a;timestamp time a;
timestamp timestamptz i;timestamptz date a;timestamptz time a;timestamptz timestamp a;varchar bpchar i;varchar char a;
varchar name i;varchar regclass i;varchar text i;oid regtype i;regtype oid i;int4 regtype i;int8 regtype i;
regtype int4 a;regtype int8 a;oid regnamespace i;regnamespace oid i;int4 regnamespace i;int8 regnamespace i;
regnamespace int4 a;regnamespace int8 a`;

const contextRank: Record<string, number> = { i: 0, a: 1, e: 2 };
const wantedRank: Record<CastContext, number> = { implicit: 0, assignment: 1, explicit: 2 };

const byName: ReadonlyMap<string, PgType> = new Map(Object.values(T).map((x) => [x.name, x]));

const casts: ReadonlyMap<PgType, ReadonlyMap<PgType, number>> = (() => {
  const m = new Map<PgType, Map<PgType, number>>();
  for (const row of castRows.split(/[;\n]/)) {
    const [s, d, c] = row.trim().split(' ');
    if (!s || !d || !c) continue;
    const src = byName.get(s)!;
    const dst = byName.get(d)!;
    if (!m.has(src)) m.set(src, new Map());
    m.get(src)!.set(dst, contextRank[c]!);
  }
  return m;
})();

/** The cast context in which a value of `from` may become `to`, or null when no cast exists. */
function castRank(from: PgType, to: PgType): number | null {
  if (from === to) return 0;
  if (from === T.unknown) return 0;
  // Array to array: as the elements cast (PostgreSQL's array coercion).
  if (from.elem && to.elem) return castRank(from.elem, to.elem);
  const direct = casts.get(from)?.get(to);
  if (direct !== undefined) return direct;
  // Automatic I/O conversion casts: to a string type in assignment, from a string type explicitly.
  if (to === T.text || to === T.varchar || to === T.bpchar || to === T.name) return contextRank.a!;
  if (isStringType(from)) return contextRank.e!;
  return null;
}

export function canCoerce(from: PgType, to: PgType, context: CastContext): boolean {
  const r = castRank(from, to);
  return r !== null && r <= wantedRank[context];
}

/** PostgreSQL's message when no cast exists (42846) or when a context does not allow it (42804). */
function cannotCoerce(from: Typed, to: TypeRef, context: CastContext, position?: number): ChorusError {
  const f = formatType(from.type, from.typmod);
  const t = formatType(to.type, to.typmod);
  if (context === 'explicit' || castRank(from.type, to.type) === null) {
    return new ChorusError('42846', `cannot cast type ${f} to ${t}`, { position });
  }
  return new ChorusError('42804', `column is of type ${t} but expression is of type ${f}`, {
    hint: 'You will need to rewrite or cast the expression.',
    position,
  });
}

/**
 * Convert an expression to a type (with its typmod) in a cast context. Untyped literals are
 * converted now, with the type's input function (bad input fails here, as PostgreSQL fails at
 * parse analysis); untyped parameters take the type.
 */
export function coerce(
  st: AnalyzeState,
  e: Typed,
  to: TypeRef,
  context: CastContext,
  position?: number,
): Typed {
  if (e.param !== undefined && e.type === T.unknown) {
    st.setParamType(e.param, { type: to.type, typmod: -1 });
    const out = typed(e.sql, to.type, -1, { colname: e.colname });
    return to.typmod >= 0 ? applyTypmod(out, to, context === 'explicit') : out;
  }
  if (e.unknownLiteral !== undefined && e.type === T.unknown) {
    const target = to.type === T.unknown ? T.text : to.type;
    // The input function runs now and its errors point at the literal; a typmod applies later
    // (at run time in PostgreSQL: its errors have no position).
    if (sessionDependent.has(target.elem ?? target)) {
      inputValue({ type: target, typmod: -1 }, e.unknownLiteral, e.location ?? position);
      const sql = `pg_cast_in(${sqlLiteral(e.unknownLiteral)}, ${target.oid}, -1, ${st.marker({ kind: 'timezone' })}, ${st.marker({ kind: 'now' })})`;
      const out = typed(sql, target, -1, { colname: e.colname });
      return to.typmod >= 0 ? applyTypmod(out, to, context === 'explicit') : out;
    }
    const v =
      target === T.regtype
        ? regtypeInput(st, e.unknownLiteral, e.location ?? position)
        : inputValue({ type: target, typmod: -1 }, e.unknownLiteral, e.location ?? position);
    const lit = typed(sqlLiteral(v), target, -1, { constant: v, colname: e.colname });
    return to.typmod >= 0 ? applyTypmod(lit, to, context === 'explicit') : lit;
  }
  if (e.type === T.unknown) {
    // NULL or an expression of unknown type (e.g. a parameter already resolved elsewhere): retype.
    return typed(e.sql, to.type, to.typmod, { constant: e.constant, colname: e.colname });
  }
  if (e.type === to.type) {
    if (to.typmod < 0 || to.typmod === e.typmod) return e;
    return applyTypmod(e, to, context === 'explicit');
  }
  // A user type's name, now: the run-time output reads the committed catalog, not this transaction's.
  if (e.type === T.regtype && to.type === T.text) {
    const shown = userTypeName(st, e);
    if (shown !== undefined)
      return typed(sqlLiteral(shown), T.text, -1, { constant: shown, colname: e.colname });
  }
  const rank = castRank(e.type, to.type);
  if (rank === null || rank > wantedRank[context]) throw cannotCoerce(e, to, context, position);
  const converted = typed(convertSql(st, e, to.type), to.type, -1, { colname: e.colname });
  return to.typmod >= 0 ? applyTypmod(converted, to, context === 'explicit') : converted;
}

/**
 * A regtype literal read at parse analysis as PostgreSQL reads it: built-in names first (pg_catalog
 * leads every search path), then the session's enum types along its search path, its own
 * uncommitted CREATE / DROP TYPE included (`mood`, `s.mood`, `_mood` and `mood[]` for the array).
 */
function regtypeInput(st: AnalyzeState, text: string, position: number | undefined): StorageValue {
  const trimmed = text.trim();
  const array = trimmed.endsWith('[]');
  const parts = /^\d+$/.test(trimmed) ? null : splitQualifiedName(array ? trimmed.slice(0, -2) : trimmed);
  if (parts === null || parts.length > 2 || !st.catalog.enumType)
    return inputValue(regtypeRef, text, position);
  let found: PgType | undefined;
  try {
    found = resolveTypeIn(st, parts, [], position).type;
  } catch (err) {
    if (!(err instanceof ChorusError) || err.sqlstate !== '42704') throw err;
  }
  const user = found?.enumInfo
    ? array
      ? found.enumInfo.arrayType
      : found
    : found?.elem?.enumInfo && !array
      ? found
      : undefined;
  if (user) return BigInt(user.oid);
  const builtinArray = found && array ? arrayTypeOf(found) : undefined;
  if (builtinArray) return BigInt(builtinArray.oid);
  const v = inputValue(regtypeRef, text, position);
  // A name the session's catalog does not hold is no type of its (the committed catalog may differ).
  if (found === undefined && Number(v) >= firstUserOid && st.catalog.userType?.(Number(v)) === undefined)
    throw new ChorusError('42704', `type "${trimmed}" does not exist`, { position });
  return v;
}

/** The name of the user type a constant regtype (a literal, pg_typeof) holds; undefined for others. */
function userTypeName(st: AnalyzeState, e: Typed): string | undefined {
  const oid =
    typeof e.constant === 'bigint' ? Number(e.constant) : /^\d+$/.test(e.sql) ? Number(e.sql) : undefined;
  const user = oid === undefined ? undefined : st.catalog.userType?.(oid);
  if (user?.enumInfo) return enumShownName(user);
  return user?.elem?.enumInfo ? `${enumShownName(user.elem)}[]` : undefined;
}

const regtypeRef: TypeRef = { type: T.regtype, typmod: -1 };

/** Apply a type modifier: varchar/char length, numeric precision and scale, time precision. */
export function applyTypmod(e: Typed, to: TypeRef, explicit: boolean): Typed {
  if (e.constant !== undefined && e.constant !== null) {
    const v = applyTypmodValue(to, e.constant, explicit);
    return typed(sqlLiteral(v), to.type, to.typmod, { constant: v, colname: e.colname });
  }
  if (to.type === T.text) return typed(e.sql, to.type, -1, { colname: e.colname });
  if ((to.type === T.varchar || to.type === T.bpchar) && charTypmodLength(to.typmod) === null) {
    return typed(e.sql, to.type, to.typmod, { colname: e.colname });
  }
  const sql = `pg_typmod(${e.sql}, ${to.type.oid}, ${to.typmod}, ${explicit ? 1 : 0})`;
  return typed(sql, to.type, to.typmod, { colname: e.colname });
}

/** SQL converting a value of e's type into `to` (no typmod). Casts pg_cast lists and I/O casts. */
function convertSql(st: AnalyzeState, e: Typed, to: PgType): string {
  const from = e.type;
  const x = e.sql;
  if (from.elem && to.elem) {
    // Element by element, in order; NULL stays NULL and an empty array stays empty.
    const alias = st.uniqueAlias();
    const v = typed(elementSql(from.elem, `"${alias}"."value"`), from.elem, e.typmod);
    const conv = convertSql(st, v, to.elem);
    return `(SELECT CASE WHEN ${x} IS NULL THEN NULL ELSE coalesce(pg_array_agg(${conv}, ${runtimeType(to.elem).oid} ORDER BY "${alias}"."key"), '[]') END FROM json_each(${x}) AS "${alias}")`;
  }
  // Enums are stored as their labels: to a string type as is, from one through enum_in's check.
  if (from.enumInfo && isStringType(to)) return x;
  if (from.elem?.enumInfo && isStringType(to)) return convertSql(st, { ...e, type: A._text }, to);
  if (to.elem?.enumInfo && isStringType(from)) {
    const texts = typed(convertSql(st, e, A._text), A._text);
    return convertSql(st, texts, to);
  }
  if (to.enumInfo && isStringType(from)) {
    return `pg_enum_in(${x}, ${enumLabelsSql(to)}, ${sqlLiteral(enumShownName(to))})`;
  }
  if (isIntegerType(from) && isIntegerType(to)) {
    if (to === T.int8 || (to === T.int4 && from === T.int2)) return x;
    return `pg_int_check(${x}, ${to === T.int4 ? 32 : 16})`;
  }
  if (isStringType(from) && isStringType(to)) {
    return from === T.bpchar && to !== T.bpchar ? `rtrim(${x}, ' ')` : x;
  }
  if (isIntegerType(from) && (to === T.float8 || to === T.float4)) {
    return to === T.float4 ? `pg_float4(CAST(${x} AS REAL))` : `CAST(${x} AS REAL)`;
  }
  if (from === T.float4 && to === T.float8) return x;
  if (from === T.float8 && to === T.float4) return `pg_float4(${x})`;
  if ((from === T.float4 || from === T.float8) && isIntegerType(to)) {
    return `pg_float_to_int(${x}, ${to === T.int2 ? 16 : to === T.int4 ? 32 : 64})`;
  }
  if (isIntegerType(from) && to === T.numeric) return `pg_numeric_from_int(${x})`;
  if (from === T.numeric && isIntegerType(to)) {
    return `pg_numeric_to_int${to === T.int2 ? 2 : to === T.int4 ? 4 : 8}(${x})`;
  }
  if ((from === T.float4 || from === T.float8) && to === T.numeric) {
    return from === T.float4 ? `pg_numeric_from_float4(${x})` : `pg_numeric_from_float(${x})`;
  }
  if (from === T.numeric && (to === T.float8 || to === T.float4)) {
    return to === T.float4 ? `pg_float4(pg_numeric_to_float8(${x}))` : `pg_numeric_to_float8(${x})`;
  }
  if (from === T.bool && to === T.int4) return x;
  if (isIntegerType(from) && to === T.bool) return `(${x} <> 0)`;
  if (from === T.bool && (to === T.text || to === T.varchar || to === T.bpchar)) {
    return `CASE ${x} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END`;
  }
  if (isIntegerType(from) && oidTypes.has(to)) return x;
  if (oidTypes.has(from) && (isIntegerType(to) || oidTypes.has(to))) return x;
  if (from === T.json && to === T.jsonb) return `pg_cast_in(${x}, ${T.jsonb.oid}, -1, NULL, NULL)`;
  if (from === T.jsonb && to === T.json) return x;
  if (isIntegerType(from) && (to === T.text || to === T.varchar || to === T.bpchar))
    return `CAST(${x} AS TEXT)`;
  if (to === T.text || to === T.varchar || to === T.bpchar || to === T.name) {
    return `pg_cast_out(${x}, ${from.oid}, ${e.typmod}, ${st.marker({ kind: 'timezone' })})`;
  }
  if (isStringType(from)) {
    return `pg_cast_in(${x}, ${to.oid}, -1, ${st.marker({ kind: 'timezone' })}, ${st.marker({ kind: 'now' })})`;
  }
  // Datetime and interval casts, and jsonb to scalars: the runtime's cast function.
  return `pg_cast(${x}, ${from.oid}, ${to.oid}, ${st.marker({ kind: 'timezone' })})`;
}

// ---------------------------------------------------------------------------------------------
// select_common_type

/**
 * PostgreSQL's select_common_type: the type a set of expressions is resolved to (UNION branches,
 * CASE results, COALESCE and IN arguments). Unknowns become text when nothing else is known. The
 * first item decides between types that coerce both ways (bpchar / varchar): PostgreSQL puts a
 * CASE's ELSE first.
 */
export function commonType(items: readonly Typed[], what: string, position?: number): TypeRef {
  const known = items.filter((i) => i.type !== T.unknown);
  if (known.length === 0) return { type: T.text, typmod: -1 };
  let pick = known[0]!;
  for (const next of known.slice(1)) {
    if (next.type === pick.type) continue;
    if (next.type.category !== pick.type.category) {
      throw new ChorusError(
        '42804',
        `${what} types ${formatType(pick.type, pick.typmod)} and ${formatType(next.type, next.typmod)} cannot be matched`,
        { position },
      );
    }
    if (
      !pick.type.preferred &&
      canCoerce(pick.type, next.type, 'implicit') &&
      !canCoerce(next.type, pick.type, 'implicit')
    ) {
      pick = next;
    }
  }
  // select_common_typmod: the typmod survives only when every input (untyped ones included) is of
  // the common type with the same typmod.
  const typmod = items.every((k) => k.type === pick.type && k.typmod === pick.typmod) ? pick.typmod : -1;
  for (const k of known) {
    if (!canCoerce(k.type, pick.type, 'implicit')) {
      throw new ChorusError(
        '42804',
        `${what} could not convert type ${formatType(k.type, k.typmod)} to ${formatType(pick.type, pick.typmod)}`,
        { position },
      );
    }
  }
  return { type: pick.type, typmod };
}

/** A condition (WHERE, HAVING, ON, CASE WHEN, ...): boolean, or PostgreSQL's 42804 naming the clause. */
export function requireBool(st: AnalyzeState, e: Typed, clause: string, position?: number): Typed {
  if (e.type === T.bool) return e;
  if (e.type === T.unknown) return coerce(st, e, { type: T.bool, typmod: -1 }, 'implicit', position);
  throw new ChorusError(
    '42804',
    `argument of ${clause} must be type boolean, not type ${formatType(e.type, e.typmod)}`,
    {
      position: e.location ?? position,
    },
  );
}
