// Set-returning functions in FROM: generate_series over integers and timestamps, served by the
// runtime's table-valued function pg_generate_series (one column "c1").

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { isIntegerType, ref, T, type TypeRef } from '../../../types/pg-types.js';
import { type AdminArgument, type Typed, typed } from '../../context.js';
import { type Level, pos, type RangeFunctionResult, strings } from '../../level.js';
import { quoteId } from '../../scope.js';
import { coerce } from '../coercion/coerce.js';
import { arrayRangeFunction, arraySetReturning } from './array-range-functions.js';

type Walk = (n: P.Node, lv: Level) => Typed;

/** PostgreSQL's set-returning functions other than generate_series: not served in FROM yet. */
const setReturning = new Set([
  'json_each',
  'json_each_text',
  'jsonb_each',
  'jsonb_each_text',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_object_keys',
  'jsonb_object_keys',
  'json_to_recordset',
  'jsonb_to_recordset',
  'json_populate_recordset',
  'jsonb_populate_recordset',
  'json_to_record',
  'jsonb_to_record',
  'json_populate_record',
  'jsonb_populate_record',
  'jsonb_path_query',
  'string_to_table',
  'pg_get_keywords',
  'pg_options_to_table',
  'pg_listening_channels',
  'pg_show_all_settings',
  'pg_ls_dir',
  'pg_stat_get_activity',
  'pg_lock_status',
  'pg_cursor',
  'pg_prepared_statement',
  'pg_timezone_names',
  'pg_timezone_abbrevs',
  'pg_available_extensions',
  'pg_config',
  'pg_event_trigger_ddl_commands',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_changes',
  'aclexplode',
  'ts_stat',
  'ts_parse',
  'ts_token_type',
  'ts_debug',
]);

export function rangeFunction(fc: P.FuncCall, lv: Level, walk: Walk, _alias: string): RangeFunctionResult {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const qualified = strings(fc.funcname);
  const name = qualified.pop()!;
  if (qualified.length > 0 && qualified[0] === 'replicate') return adminFunction(fc, lv, walk, name);
  if (setReturning.has(name)) throw new FeatureNotSupportedError(`function ${name}() in FROM`, { position });
  if (arraySetReturning.has(name)) return arrayRangeFunction(name, fc, lv, walk);
  if (name !== 'generate_series') {
    // A scalar function in FROM is a one-row relation with one column named after the function.
    const e = walk({ FuncCall: fc }, lv);
    return { sql: `(SELECT ${e.sql} AS c1)`, columns: [{ name, type: { type: e.type, typmod: e.typmod } }] };
  }
  const args = (fc.args ?? []).map((a) => walk(a, lv));
  if (args.length < 2 || args.length > 3) {
    throw new ChorusError('42883', `function generate_series with ${args.length} arguments does not exist`, {
      position,
    });
  }
  const [a, b] = args as [Typed, Typed];
  const known = args.some((x) => x.type === T.numeric)
    ? T.numeric
    : ([a, b].find((x) => x.type !== T.unknown)?.type ?? T.int4);
  let type: TypeRef;
  if (known === T.numeric) type = ref(T.numeric);
  else if (isIntegerType(known))
    type = ref(a.type === T.int8 || b.type === T.int8 || args[2]?.type === T.int8 ? T.int8 : T.int4);
  else if (known === T.timestamp || known === T.timestamptz || known === T.date) {
    type = ref(known === T.date ? T.timestamp : known);
    if (known === T.date && (a.type !== T.unknown || b.type !== T.unknown)) type = ref(T.timestamptz);
  } else {
    throw new ChorusError(
      '42883',
      `function generate_series(${a.type.name}, ${b.type.name}) does not exist`,
      { position },
    );
  }
  const start = coerce(st, a, type, 'implicit', position);
  const stop = coerce(st, b, type, 'implicit', position);
  const isTime = type.type === T.timestamp || type.type === T.timestamptz;
  if (isTime && args.length !== 3) {
    throw new ChorusError(
      '42883',
      `function generate_series(${type.type.name}, ${type.type.name}) does not exist`,
      {
        position,
      },
    );
  }
  const step = args[2]
    ? coerce(st, args[2], ref(isTime ? T.interval : type.type), 'implicit', position).sql
    : type.type === T.numeric
      ? coerce(st, { sql: '1', type: T.int4, typmod: -1, constant: 1n }, type, 'implicit').sql
      : '1';
  // Every argument of a table-valued function must be non-NULL (NULL = NULL is never true there).
  const tz = type.type === T.timestamptz ? st.marker({ kind: 'timezone' }) : "''";
  const kind = isTime
    ? type.type === T.timestamptz
      ? "'timestamptz'"
      : "'timestamp'"
    : type.type === T.numeric
      ? "'numeric'"
      : "'int'";
  return {
    sql: `pg_generate_series(${start.sql}, ${stop.sql}, ${step}, ${kind}, ${tz})`,
    columns: [{ name: 'generate_series', type }],
  };
}

/** `replicate.<name>(constants)` in FROM: the admin function's rows, read on the admin connection. */
export function adminFunction(
  fc: P.FuncCall,
  lv: Level,
  walk: Walk,
  name: string,
): { sql: string; columns: { name: string; type: TypeRef }[] } {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const positional: AdminArgument[] = [];
  const named = new Map<string, AdminArgument>();
  for (const a of fc.args ?? []) {
    const named1 = (a as { NamedArgExpr?: P.NamedArgExpr }).NamedArgExpr;
    const v = constantArgument(walk(named1 ? named1.arg! : a, lv), name, position);
    if (named1) named.set(named1.name!, v);
    else positional.push(v);
  }
  const rel = st.catalog.adminFunction?.(name, positional, named);
  if (!rel) {
    throw new ChorusError('42883', `function replicate.${name}() does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      position,
    });
  }
  st.usesAdmin = true;
  const cols = rel.columns.map((c, i) => `${quoteId(c.name)} AS c${i + 1}`).join(', ');
  return {
    sql: `(SELECT ${cols} FROM ${rel.fromSql})`,
    columns: rel.columns.map((c) => ({ name: c.name, type: c.type ?? ref(T.text) })),
  };
}

/**
 * `replicate.<name>(constants)` as a value (`SELECT replicate.last_commit_lsn()::text`): a function
 * of one column is a scalar subquery of its rows (NULL without a row, 21000 with several, as
 * PostgreSQL's scalar subqueries); one of several columns is refused (call it in FROM).
 */
export function adminScalar(fc: P.FuncCall, lv: Level, walk: Walk, name: string): Typed {
  const rel = adminFunction(fc, lv, walk, name);
  if (rel.columns.length !== 1)
    throw new FeatureNotSupportedError(
      `replicate.${name}() as a value: it returns ${rel.columns.length} columns`,
      {
        hint: `Call it in FROM: SELECT * FROM replicate.${name}(...).`,
        position: pos(lv.host.st, fc.location),
      },
    );
  const col = rel.columns[0]!;
  return typed(
    `(SELECT pg_scalar_subquery(c1) FROM (SELECT c1 FROM ${rel.sql} LIMIT 2))`,
    col.type.type,
    col.type.typmod,
  );
}

function constantArgument(e: Typed, fn: string, position: number | undefined): AdminArgument {
  if (e.unknownLiteral !== undefined) return e.unknownLiteral;
  if (e.constant === null) return null;
  if (e.constant !== undefined && (isIntegerType(e.type) || e.type === T.text || e.type === T.bool)) {
    return e.type === T.bool ? e.constant === 1n || e.constant === 1 : (e.constant as AdminArgument);
  }
  throw new FeatureNotSupportedError(`expressions as arguments of replicate.${fn}() inside a larger query`, {
    hint: 'Pass literals, or call the function on its own to pass $n parameters.',
    position,
  });
}
