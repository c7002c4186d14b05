// Set-returning functions in FROM: generate_series over integers and timestamps, served by the
// runtime's table-valued function pg_generate_series (one column "c1").

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { isIntegerType, ref, T, type TypeRef } from '../../types/pg-types.js';
import type { Typed } from '../context.js';
import { type Level, pos, strings } from '../level.js';
import { coerce } from './coerce.js';

type Walk = (n: P.Node, lv: Level) => Typed;

export function rangeFunction(
  fc: P.FuncCall,
  lv: Level,
  walk: Walk,
  _alias: string,
): { sql: string; columns: { name: string; type: TypeRef }[] } {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const name = strings(fc.funcname).pop()!;
  if (name !== 'generate_series')
    throw new FeatureNotSupportedError(`function ${name}() in FROM`, { position });
  const args = (fc.args ?? []).map((a) => walk(a, lv));
  if (args.length < 2 || args.length > 3) {
    throw new ChorusError('42883', `function generate_series with ${args.length} arguments does not exist`, {
      position,
    });
  }
  const [a, b] = args as [Typed, Typed];
  const known = [a, b].find((x) => x.type !== T.unknown)?.type ?? T.int4;
  let type: TypeRef;
  if (isIntegerType(known))
    type = ref(a.type === T.int8 || b.type === T.int8 || args[2]?.type === T.int8 ? T.int8 : T.int4);
  else if (known === T.timestamp || known === T.timestamptz || known === T.date) {
    type = ref(known === T.date ? T.timestamp : known);
    if (known === T.date && (a.type !== T.unknown || b.type !== T.unknown)) type = ref(T.timestamptz);
  } else if (known === T.numeric)
    throw new FeatureNotSupportedError('generate_series over numeric', { position });
  else {
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
    : '1';
  // Every argument of a table-valued function must be non-NULL (NULL = NULL is never true there).
  const tz = type.type === T.timestamptz ? st.marker({ kind: 'timezone' }) : "''";
  const kind = isTime ? (type.type === T.timestamptz ? "'timestamptz'" : "'timestamp'") : "'int'";
  return {
    sql: `pg_generate_series(${start.sql}, ${stop.sql}, ${step}, ${kind}, ${tz})`,
    columns: [{ name: 'generate_series', type }],
  };
}
