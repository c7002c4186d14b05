// Set-returning functions over arrays and regular expressions, in FROM and in a select list:
// unnest(array) and generate_subscripts(array, dim) are SQLite's json_each over the array's storage
// form (elements in order, `key` + 1 numbering them); regexp_matches and regexp_split_to_table are
// the runtime's table-valued functions (a second column numbers their rows).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { elementSql } from '../../../types/array/array-storage.js';
import { A, ref, T } from '../../../types/pg-types.js';
import type { Typed } from '../../context.js';
import { type Level, pos, type RangeFunctionResult } from '../../level.js';
import { coerce } from '../coercion/coerce.js';

type Walk = (n: P.Node, lv: Level) => Typed;

/** The set-returning functions this file serves. */
export const arraySetReturning: ReadonlySet<string> = new Set([
  'unnest',
  'generate_subscripts',
  'regexp_matches',
  'regexp_split_to_table',
]);

function argCount(name: string, args: readonly Typed[], min: number, max: number, position?: number): void {
  if (args.length < min || args.length > max) {
    throw new ChorusError(
      '42883',
      `function ${name}(${args.map((a) => (a.type === T.unknown ? 'unknown' : a.type.name)).join(', ')}) does not exist`,
      {
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
        position,
      },
    );
  }
}

function arrayArg(name: string, a: Typed, position?: number): Typed {
  if (a.type.elem) return a;
  if (a.type === T.unknown) {
    throw new ChorusError('42804', 'could not determine polymorphic type because input has type unknown', {
      position,
    });
  }
  throw new ChorusError('42883', `function ${name}(${a.type.name}) does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    position,
  });
}

export function arrayRangeFunction(name: string, fc: P.FuncCall, lv: Level, walk: Walk): RangeFunctionResult {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const args = (fc.args ?? []).map((a) => walk(a, lv));
  const text = (a: Typed): string => coerce(st, a, ref(T.text), 'implicit', position).sql;
  switch (name) {
    case 'unnest': {
      if (args.length > 1) throw new FeatureNotSupportedError('unnest() of several arrays', { position });
      argCount(name, args, 1, 1, position);
      const arr = arrayArg(name, args[0]!, position);
      const elem = arr.type.elem!;
      return {
        sql: `json_each(${arr.sql})`,
        columns: [{ name: 'unnest', type: { type: elem, typmod: arr.typmod } }],
        columnSql: (a) => [elementSql(elem, `${a}."value"`)],
        ordinalitySql: (a) => `(${a}."key" + 1)`,
      };
    }
    case 'generate_subscripts': {
      argCount(name, args, 2, 3, position);
      if (args.length === 3) {
        throw new FeatureNotSupportedError('generate_subscripts() with its reverse argument', { position });
      }
      const arr = arrayArg(name, args[0]!, position);
      const dim = coerce(st, args[1]!, ref(T.int4), 'implicit', position);
      return {
        sql: `json_each(CASE WHEN ${dim.sql} = 1 THEN ${arr.sql} END)`,
        columns: [{ name: 'generate_subscripts', type: ref(T.int4) }],
        columnSql: (a) => [`(${a}."key" + 1)`],
        ordinalitySql: (a) => `(${a}."key" + 1)`,
      };
    }
    case 'regexp_matches':
    case 'regexp_split_to_table': {
      argCount(name, args, 2, 3, position);
      const flags = args[2] ? text(args[2]) : "''";
      const fn = name === 'regexp_matches' ? 'pg_regexp_matches' : 'pg_regexp_split_to_table';
      return {
        sql: `${fn}(${text(args[0]!)}, ${text(args[1]!)}, ${flags})`,
        columns: [{ name, type: ref(name === 'regexp_matches' ? A._text : T.text) }],
        ordinalitySql: (a) => `${a}."n"`,
      };
    }
    default:
      throw new FeatureNotSupportedError(`function ${name}() in FROM`, { position });
  }
}
