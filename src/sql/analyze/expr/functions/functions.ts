// Function calls: resolution among the overloads of function-table.ts with PostgreSQL's rules, the
// variadic "any" functions (concat, format, json_build_object, ...), aggregates (DISTINCT, ORDER BY,
// FILTER) and window functions (OVER), emitted as SQLite.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { nodeOf } from '../../../parse/parser.js';
import { catalogTypeByName } from '../../../types/catalog-types.js';
import { enumLabelOfRankSql, enumRankSql, runtimeType } from '../../../types/enum.js';
import { A, arrayTypeOf, formatType, type PgType, ref, T, type TypeRef } from '../../../types/pg-types.js';
import { type Typed, typed } from '../../context.js';
import { type Level, merge, pos, strings } from '../../level.js';
import { distinctAggregateSql, windowAggregateSql } from '../aggregates/agg-distinct.js';
import { aggregateLevelsUp, markOuterAggregate } from '../aggregates/agg-level.js';
import { coerce } from '../coercion/coerce.js';
import { anyArray, anyElement, anyNonArray, selectCandidate } from '../coercion/resolve.js';
import { enumFunction, enumFunctionNames } from '../comparison/enum-values.js';
import { groupKeySql } from '../comparison/keys.js';
import { arrayElementType } from '../operators/array-operators.js';
import { arraySetReturning } from './array-range-functions.js';
import { catalogFunctionLines } from './catalog-function-lines.js';
import { type FunctionLine, functionLines_ } from './function-table.js';
import { postgresFunctionNames } from './pg-function-names.js';
import { adminScalar } from './range-functions.js';
import { sequenceFunction, sequenceFunctionNames } from './sequence-functions.js';
import { currentSetting, setConfig } from './setting-functions.js';

type Walk = (n: P.Node, lv: Level) => Typed;

/** What an OVER clause becomes (window.ts owns window definitions). */
export type WindowSql = (over: P.WindowDef, lv: Level) => string;
/** An ORDER BY list inside an aggregate call. */
export type OrderSql = (sorts: readonly P.Node[], lv: Level) => string;

interface Overload extends FunctionLine {
  argTypes: PgType[];
}

const typeByName = (n: string): PgType => {
  if (n === 'anyelement') return anyElement;
  if (n === 'anyarray') return anyArray;
  if (n === 'anynonarray') return anyNonArray;
  const t = (T as Record<string, PgType>)[n] ?? (A as Record<string, PgType>)[n] ?? catalogTypeByName(n);
  if (!t) throw new Error(`function table names unknown type ${n}`);
  return t;
};

const extraLines: FunctionLine[] = [
  ['crdt_increment(int8) int8', 'crdt_increment($1)'],
  ['crdt_increment(int8,int8) int8', 'crdt_increment($1, $2)'],
  ['crdt_decrement(int8) int8', 'crdt_decrement($1)'],
  ['crdt_decrement(int8,int8) int8', 'crdt_decrement($1, $2)'],
  ['crdt_add(json,anyelement) json', 'crdt_add($1, $2)'],
  ['crdt_remove(json,anyelement) json', 'crdt_remove($1, $2)'],
  ['crdt_set(json,anyelement,anyelement) json', 'crdt_set($1, $2, $3)'],
  ['crdt_delete(json,anyelement) json', 'crdt_delete($1, $2)'],
  ['crdt_counter() int8', 'crdt_counter()'],
  ['crdt_counter(int8) int8', 'crdt_counter($1)'],
].map(([sig, template]) => {
  const m = /^([a-z_]+)\(([^)]*)\) (\S+)$/.exec(sig!)!;
  return {
    name: m[1]!,
    args: m[2] ? m[2].split(',') : [],
    result: m[3]!,
    kind: 'plain' as const,
    template: template!,
  };
});

const overloads: ReadonlyMap<string, readonly Overload[]> = (() => {
  const m = new Map<string, Overload[]>();
  for (const line of [...functionLines_(), ...extraLines, ...catalogFunctionLines()]) {
    const o: Overload = { ...line, argTypes: line.args.map(typeByName) };
    if (!m.has(o.name)) m.set(o.name, []);
    m.get(o.name)!.push(o);
  }
  return m;
})();

/** Functions resolved in code (variadic "any" arguments). */
const variadicAny = new Set([
  'concat',
  'concat_ws',
  'format',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'num_nulls',
  'num_nonnulls',
  'pg_typeof',
  'current_setting',
  'set_config',
]);

export function isAggregateName(name: string): boolean {
  return overloads.get(name)?.some((o) => o.kind === 'agg') ?? false;
}

function typeName(t: Typed): string {
  return t.type === T.unknown ? 'unknown' : formatType(t.type, -1);
}

export function callFunction(
  call: P.FuncCall,
  lv: Level,
  walk: Walk,
  windowSql: WindowSql,
  orderSql: OrderSql,
): Typed {
  const st = lv.host.st;
  let fc = call;
  const position = pos(st, fc.location);
  const names = strings(fc.funcname);
  if (names.length === 2 && names[0] === 'replicate') return adminScalar(fc, lv, walk, names[1]!);
  if (names.length > 1 && names[0] !== 'pg_catalog') {
    throw new ChorusError('42883', `function ${names.join('.')}() does not exist`, { position });
  }
  const name = names[names.length - 1]!;
  if ((fc.args ?? []).some((a) => nodeOf(a)[0] === 'NamedArgExpr')) fc = namedArguments(name, fc, position);
  // pg_get_serial_sequence of constant names is the sequence code's (schemas, quoting); of computed
  // names (ORMs' introspection over pg_class) the catalog's runtime function.
  if (
    sequenceFunctionNames.has(name) &&
    (!overloads.has(name) || (fc.args ?? []).every((a) => nodeOf(a)[0] === 'A_Const'))
  )
    return sequenceFunction(name, fc, lv, walk);
  if (fc.agg_within_group) return orderedSet(name, fc, lv, walk);
  if (fc.func_variadic) throw new FeatureNotSupportedError('VARIADIC arguments', { position });
  const isAggCall =
    fc.agg_star || fc.agg_distinct || fc.agg_order !== undefined || fc.agg_filter !== undefined;
  if (arraySetReturning.has(name)) {
    // A set-returning function in a select list: joined to the level's FROM (select.ts).
    if (lv.inAggregate > 0) {
      throw new ChorusError('0A000', 'aggregate function calls cannot contain set-returning function calls', {
        hint: 'You might be able to move the set-returning function into a LATERAL FROM item.',
        position,
      });
    }
    if (!lv.srf) {
      throw new ChorusError(
        '0A000',
        `set-returning functions are not allowed in ${lv.noAggregates ?? 'this context'}`,
        {
          position,
        },
      );
    }
    return lv.srf(fc);
  }
  const cands = overloads.get(name);
  if (!cands && variadicAny.has(name)) return variadic(name, fc, lv, walk);

  // Arguments of an aggregate are analyzed inside it (their columns need no grouping). An aggregate
  // over outer columns only belongs to the outer level (agg-level.ts).
  const agg = cands?.some((o) => o.kind === 'agg') ?? false;
  const levelsUp = agg && !fc.over ? aggregateLevelsUp(fc, lv) : 0;
  if (agg && !fc.over && levelsUp === 0) {
    if (lv.inAggregate > 0) {
      throw new ChorusError('42803', 'aggregate function calls cannot be nested', { position });
    }
    if (lv.noAggregates !== null) {
      throw new ChorusError('42803', `aggregate functions are not allowed in ${lv.noAggregates}`, {
        position,
      });
    }
  }
  // A window function's arguments may hold aggregates (sum(sum(x)) OVER ()); an aggregate's may not.
  const insideAggregate = agg && !fc.over;
  if (insideAggregate) lv.inAggregate++;
  let args: Typed[];
  try {
    args = fc.agg_star ? [] : (fc.args ?? []).map((a) => walk(a, lv));
  } finally {
    if (insideAggregate) lv.inAggregate--;
  }
  if (enumFunctionNames.has(name) && !cands) return merge(enumFunction(st, name, args, position), ...args);
  // min / max of an enum: of the label positions, shown as the label (sql/DESIGN.md, "Enum types").
  let enumResult: PgType | null = null;
  if ((name === 'min' || name === 'max') && args.length === 1 && args[0]!.type.enumInfo) {
    enumResult = args[0]!.type;
    args = [{ ...args[0]!, sql: enumRankSql(enumResult, args[0]!.sql), type: T.int4, typmod: -1 }];
  }
  if (name === 'array_agg' && args[0]?.type.elem) {
    throw new FeatureNotSupportedError('array_agg of arrays (a multidimensional array)', { position });
  }
  if (!cands) {
    if (postgresFunctionNames.has(name)) {
      // PostgreSQL has it; ChorusDB does not implement it (to_char, array functions, ...).
      throw new FeatureNotSupportedError(`function ${name}()`, { position });
    }
    throw new ChorusError('42883', `function ${name}(${args.map(typeName).join(', ')}) does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      position,
    });
  }
  const found = selectCandidate(
    cands,
    args.map((a) => a.type),
  );
  if (found.length !== 1) {
    const shown = `${name}(${args.map(typeName).join(', ')})`;
    if (found.length === 0) {
      throw new ChorusError('42883', `function ${shown} does not exist`, {
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
        position,
      });
    }
    throw new ChorusError('42725', `function ${shown} is not unique`, {
      hint: 'Could not choose a best candidate function. You might need to add explicit type casts.',
      position,
    });
  }
  const o = found[0]!;
  if (o.kind === 'plain' && isAggCall) {
    throw new ChorusError(
      '42809',
      `${fc.agg_distinct ? 'DISTINCT' : 'ORDER BY or FILTER'} specified, but ${name} is not an aggregate function`,
      { position },
    );
  }
  if (o.kind === 'window' && !fc.over) {
    throw new ChorusError('42809', `window function ${name} requires an OVER clause`, { position });
  }
  // anyelement: every polymorphic argument takes the first polymorphic argument's type.
  const polyIndex = o.argTypes.indexOf(anyElement);
  let polyType: TypeRef | null = null;
  const arrayPoly = o.argTypes.includes(anyArray) || o.argTypes.includes(anyNonArray);
  if (arrayPoly) polyType = arrayElementType(name, o.argTypes, args, position);
  else if (polyIndex >= 0) {
    const known = args.find((a, i) => o.argTypes[i] === anyElement && a.type !== T.unknown);
    polyType = known ? { type: known.type, typmod: known.typmod } : ref(T.text);
  }
  const polyArray = (): TypeRef => {
    const a = arrayTypeOf(polyType!.type);
    if (!a)
      throw new FeatureNotSupportedError(`an array of type ${formatType(polyType!.type)}`, { position });
    return { type: a, typmod: polyType!.typmod };
  };
  const coerced = args.map((a, i) => {
    const want = o.argTypes[i]!;
    if (want === anyElement || want === anyNonArray) return coerce(st, a, polyType!, 'implicit', position);
    if (want === anyArray) return coerce(st, a, polyArray(), 'implicit', position);
    return coerce(st, a, ref(want), 'implicit', position);
  });
  const result: TypeRef =
    o.result === '$1' || o.result === 'anyelement'
      ? (polyType ?? ref(T.text))
      : o.result === 'anyarray'
        ? { ...polyArray(), typmod: -1 }
        : ref(typeByName(o.result));
  // count(DISTINCT x) counts equal numerics (1.5, 1.50) and intervals once: by their keys.
  const distinctArgs =
    fc.agg_distinct && name === 'count' ? coerced.map((a) => ({ ...a, sql: groupKeySql(a) })) : coerced;
  let sql = fill(
    lv,
    polyType ? o.template.replaceAll('$E', String(runtimeType(polyType.type).oid)) : o.template,
    distinctArgs,
  );
  // Catalog functions read the schema through the catalog's snapshot: on the admin connection.
  if (o.template.startsWith('pg_cat_')) st.usesAdmin = true;
  if (o.kind === 'agg') sql = aggregateSql(sql, fc, lv, walk, orderSql, coerced);
  if (fc.over) {
    if (!lv.windows) throw new ChorusError('42P20', 'window functions are not allowed here', { position });
    sql = `${o.kind === 'agg' ? windowAggregateSql(sql) : sql} OVER ${windowSql(fc.over, lv)}`;
  }
  const out = typed(sql, result.type, result.typmod, { colname: name });
  if (o.kind === 'agg' && !fc.over) {
    if (levelsUp === 0) out.hasAggregate = true;
    else markOuterAggregate(lv.scope, levelsUp, position);
  }
  if (fc.over) out.hasWindow = true;
  if (enumResult) Object.assign(out, { sql: enumLabelOfRankSql(enumResult, out.sql), type: enumResult });
  return fc.over || o.kind === 'agg' ? out : merge(out, ...args);
}

/** Substitute $n, $tz, $now, ... into a template. */
function fill(lv: Level, template: string, args: readonly Typed[]): string {
  const st = lv.host.st;
  return template.replace(/\$(\d+|tz|now|stmt|clock|xact|T\d+)/g, (_m, k: string) => {
    if (k === 'tz') return st.marker({ kind: 'timezone' });
    if (k === 'now') return st.marker({ kind: 'now' });
    if (k === 'stmt') return st.marker({ kind: 'statement_now' });
    if (k === 'clock') return st.marker({ kind: 'clock_now' });
    if (k === 'xact') return st.marker({ kind: 'xact_id' });
    if (k.startsWith('T')) return String(runtimeType(args[Number(k.slice(1)) - 1]!.type).oid);
    return args[Number(k) - 1]!.sql;
  });
}

/** DISTINCT, ORDER BY inside the call, FILTER (WHERE ...). */
function aggregateSql(
  sql: string,
  fc: P.FuncCall,
  lv: Level,
  walk: Walk,
  orderSql: OrderSql,
  args: readonly Typed[],
): string {
  let out = sql;
  const order = (): string => {
    lv.inAggregate++;
    try {
      return orderSql(fc.agg_order ?? [], lv);
    } finally {
      lv.inAggregate--;
    }
  };
  if (fc.agg_distinct) out = distinctAggregateSql(out, fc, args, lv, order);
  else if (fc.agg_order && fc.agg_order.length > 0) out = `${out.slice(0, -1)} ORDER BY ${order()})`;
  if (fc.agg_filter) {
    lv.inAggregate++;
    try {
      const f = walk(fc.agg_filter, lv);
      out = `${out} FILTER (WHERE ${coerce(lv.host.st, f, ref(T.bool), 'implicit').sql})`;
    } finally {
      lv.inAggregate--;
    }
  }
  return out;
}

/** Functions taking VARIADIC "any": each argument keeps its own type. */
function variadic(name: string, fc: P.FuncCall, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const args = (fc.args ?? []).map((a) => walk(a, lv));
  // Each argument's output-function text (PostgreSQL calls the type's output function, not the cast
  // to text): bool prints t / f (bool::text says true / false; so does a JSON object key), char(n)
  // keeps its padding.
  const asText = (a: Typed, jsonKey = false): string => {
    untypedParam(a);
    if (a.type === T.bool && !jsonKey) return `CASE ${a.sql} WHEN 1 THEN 't' WHEN 0 THEN 'f' END`;
    if (a.type === T.bpchar) return a.sql;
    return coerce(
      st,
      a.type === T.unknown ? coerce(st, a, ref(T.text), 'implicit') : a,
      ref(T.text),
      'explicit',
      position,
    ).sql;
  };
  // A "any" argument gives an untyped parameter no type (PostgreSQL: 42P18).
  const untypedParam = (a: Typed): void => {
    if (a.type === T.unknown && a.param !== undefined && !st.literalKind(a.param))
      throw new ChorusError('42P18', `could not determine data type of parameter $${a.param}`);
  };
  const asJson = (a: Typed, binary: boolean): string => {
    untypedParam(a);
    const t = a.type === T.unknown ? coerce(st, a, ref(T.text), 'implicit') : a;
    return `pg_to_json(${t.sql}, ${t.type.oid}, ${st.marker({ kind: 'timezone' })}, ${binary ? 1 : 0})`;
  };
  let out: Typed;
  switch (name) {
    case 'concat':
      if (args.length < 1) throw missing(name, args, position);
      out = typed(`pg_concat(${args.map((a) => asText(a)).join(', ')})`, T.text);
      break;
    case 'concat_ws':
      if (args.length < 1) throw missing(name, args, position);
      out = typed(`pg_concat_ws(${args.map((a) => asText(a)).join(', ')})`, T.text);
      break;
    case 'format':
      if (args.length < 1) throw missing(name, args, position);
      out = typed(`pg_format(${args.map((a) => asText(a)).join(', ')})`, T.text);
      break;
    case 'json_build_object':
    case 'jsonb_build_object': {
      if (args.length % 2 !== 0) {
        throw new ChorusError('22023', 'argument list must have even number of elements', {
          hint: `The arguments of ${name}() must consist of alternating keys and values.`,
          position,
        });
      }
      const b = name.startsWith('jsonb');
      const parts = args.map((a, i) => (i % 2 === 0 ? asText(a, true) : asJson(a, b)));
      out = typed(
        `pg_json_build_object(${b ? 1 : 0}${parts.map((p) => `, ${p}`).join('')})`,
        b ? T.jsonb : T.json,
      );
      break;
    }
    case 'json_build_array':
    case 'jsonb_build_array': {
      const b = name.startsWith('jsonb');
      out = typed(
        `pg_json_build_array(${b ? 1 : 0}${args.map((a) => `, ${asJson(a, b)}`).join('')})`,
        b ? T.jsonb : T.json,
      );
      break;
    }
    case 'num_nulls':
    case 'num_nonnulls': {
      const test = name === 'num_nulls' ? 'IS NULL' : 'IS NOT NULL';
      out = typed(`(${args.map((a) => `(${a.sql} ${test})`).join(' + ') || '0'})`, T.int4);
      break;
    }
    case 'current_setting':
      out = currentSetting(st, args, position);
      break;
    case 'set_config':
      out = setConfig(st, args, position);
      break;
    case 'pg_typeof': {
      if (args.length !== 1) throw missing(name, args, position);
      const a = args[0]!;
      // The OID as SQL text: `pg_typeof(x)::text` names a user type at analysis (coerce.ts).
      out = typed(String(a.type.oid), T.regtype);
      break;
    }
    default:
      throw missing(name, args, position);
  }
  return merge({ ...out, colname: name }, ...args);
}

function missing(name: string, args: readonly Typed[], position?: number): ChorusError {
  return new ChorusError('42883', `function ${name}(${args.map(typeName).join(', ')}) does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    position,
  });
}

/** Ordered-set aggregates: percentile_cont / percentile_disc (p) and mode() WITHIN GROUP (ORDER BY x). */
function orderedSet(name: string, fc: P.FuncCall, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  if (name !== 'percentile_cont' && name !== 'percentile_disc' && name !== 'mode') {
    throw new ChorusError('42883', `function ${name}(...) WITHIN GROUP does not exist`, { position });
  }
  if (fc.over) {
    throw new ChorusError('0A000', `OVER is not supported for ordered-set aggregate ${name}`, { position });
  }
  if (lv.inAggregate > 0)
    throw new ChorusError('42803', 'aggregate function calls cannot be nested', { position });
  if (lv.noAggregates !== null) {
    throw new ChorusError('42803', `aggregate functions are not allowed in ${lv.noAggregates}`, { position });
  }
  const sorts = fc.agg_order ?? [];
  if (sorts.length !== 1)
    throw new FeatureNotSupportedError(`${name} with ${sorts.length} ordering columns`, { position });
  const sort = nodeOf(sorts[0]!)[1] as P.SortBy;
  const desc = sort.sortby_dir === 'SORTBY_DESC' ? 1 : 0;
  lv.inAggregate++;
  let x: Typed;
  let direct: Typed[];
  try {
    x = walk(sort.node!, lv);
    direct = (fc.args ?? []).map((a) => walk(a, lv));
  } finally {
    lv.inAggregate--;
  }
  let out: Typed;
  if (name === 'mode') {
    if (direct.length !== 0)
      throw new ChorusError('42883', 'function mode(...) takes no direct arguments', { position });
    const xt = x.type === T.unknown ? coerce(st, x, ref(T.text), 'implicit') : x;
    out = typed(`pg_mode(${xt.sql}, ${xt.type.oid}, ${desc})`, xt.type, xt.typmod);
  } else {
    if (direct.length !== 1)
      throw new ChorusError('42883', `function ${name} takes one direct argument`, { position });
    const p = coerce(st, direct[0]!, ref(T.float8), 'implicit', position);
    if (name === 'percentile_cont') {
      const xt = coerce(st, x, ref(T.float8), 'implicit', position);
      out = typed(`pg_percentile_cont(${xt.sql}, ${p.sql}, ${xt.type.oid}, ${desc})`, xt.type, -1);
    } else {
      const xt = x.type === T.unknown ? coerce(st, x, ref(T.text), 'implicit') : x;
      out = typed(`pg_percentile_disc(${xt.sql}, ${p.sql}, ${xt.type.oid}, ${desc})`, xt.type, xt.typmod);
    }
  }
  if (fc.agg_filter) {
    lv.inAggregate++;
    try {
      out.sql += ` FILTER (WHERE ${coerce(st, walk(fc.agg_filter, lv), ref(T.bool), 'implicit').sql})`;
    } finally {
      lv.inAggregate--;
    }
  }
  return { ...out, colname: name, hasAggregate: true };
}

/** Parameter names of the functions that take `name => value` arguments, with their defaults. */
const namedParameters: Record<string, { name: string; default: P.Node }[]> = {
  make_interval: ['years', 'months', 'weeks', 'days', 'hours', 'mins']
    .map((name) => ({
      name,
      default: { A_Const: { ival: { ival: 0 } } } as P.Node,
    }))
    .concat([{ name: 'secs', default: { A_Const: { fval: { fval: '0.0' } } } as P.Node }]),
};

/** A call with `name => value` arguments as a positional call (defaults filled in). */
function namedArguments(name: string, fc: P.FuncCall, position?: number): P.FuncCall {
  const params = namedParameters[name];
  if (!params) throw new FeatureNotSupportedError(`named arguments of ${name}()`, { position });
  const args: (P.Node | undefined)[] = [];
  let sawNamed = false;
  for (const a of fc.args ?? []) {
    const [tag, body] = nodeOf(a);
    if (tag !== 'NamedArgExpr') {
      if (sawNamed)
        throw new ChorusError('42601', 'positional argument cannot follow named argument', { position });
      args.push(a);
      continue;
    }
    sawNamed = true;
    const na = body as P.NamedArgExpr;
    const i = params.findIndex((p) => p.name === na.name);
    if (i < 0)
      throw new ChorusError('42883', `function ${name}(${na.name} => ...) does not exist`, { position });
    if (args[i] !== undefined)
      throw new ChorusError('42601', `argument name "${na.name}" used more than once`, { position });
    args[i] = na.arg;
  }
  return { ...fc, args: params.map((p, i) => args[i] ?? p.default) };
}
