// Functions over sequences and schemas: nextval / currval / setval / lastval (run on the writer,
// where storage/sequences/sequences.ts keeps their state; each call carries the session's id for currval),
// pg_get_serial_sequence and current_schema(). Sequence names are resolved when the statement is
// planned (plans are made again after DDL), as PostgreSQL resolves a regclass constant.

import type * as P from '@pgsql/types';
import { ChorusError } from '../../../../errors.js';
import { identText, parseSequenceName, publicSchema, qualifiedText } from '../../../namespaces.js';
import { nodeOf } from '../../../parse/parser.js';
import { ref, T } from '../../../types/pg-types.js';
import { type Typed, typed } from '../../context.js';
import { type Level, pos } from '../../level.js';
import { coerce } from '../coercion/coerce.js';

type Walk = (n: P.Node, lv: Level) => Typed;

export const sequenceFunctionNames: ReadonlySet<string> = new Set([
  'nextval',
  'currval',
  'setval',
  'lastval',
  'pg_get_serial_sequence',
  'current_schema',
]);

function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A string constant argument: 'x', 'x'::text, 'x'::regclass. */
function constantText(n: P.Node): string | undefined {
  const [tag, body] = nodeOf(n);
  if (tag === 'A_Const') return (body as P.A_Const).sval?.sval;
  if (tag === 'TypeCast') {
    const c = body as P.TypeCast;
    const t = (c.typeName?.names ?? []).map((x) => (x as { String: P.String }).String.sval).pop();
    if (t === 'regclass' || t === 'text' || t === 'varchar') return c.arg ? constantText(c.arg) : undefined;
  }
  return undefined;
}

export function sequenceFunction(name: string, fc: P.FuncCall, lv: Level, walk: Walk): Typed {
  const st = lv.host.st;
  const position = pos(st, fc.location);
  const args = fc.args ?? [];
  const arity = (n: number[]): void => {
    if (!n.includes(args.length))
      throw new ChorusError('42883', `function ${name}() with ${args.length} arguments does not exist`, {
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
        position,
      });
  };
  const session = (): string => st.marker({ kind: 'setting', name: 'session_id' });
  /** The sequence argument as the SQL of its qualified text (resolved now when constant). */
  const sequenceArg = (n: P.Node): string => {
    const text = constantText(n);
    if (text === undefined) return coerce(st, walk(n, lv), ref(T.text), 'assignment').sql;
    const { schema, name: seq } = parseSequenceName(text);
    const found = st.catalog.sequence?.(schema, seq);
    if (!found) {
      throw new ChorusError('42P01', `relation "${schema ? `${schema}.` : ''}${seq}" does not exist`, {
        position: pos(st, (nodeOf(n)[1] as { location?: number }).location),
      });
    }
    return sqlText(qualifiedText(found.schema, found.name));
  };
  switch (name) {
    case 'nextval':
    case 'currval': {
      arity([1]);
      st.usesSequences = true;
      return typed(`pg_${name}(${session()}, ${sequenceArg(args[0]!)})`, T.int8, -1, { colname: name });
    }
    case 'setval': {
      arity([2, 3]);
      st.usesSequences = true;
      const seq = sequenceArg(args[0]!);
      const value = coerce(st, walk(args[1]!, lv), ref(T.int8), 'implicit').sql;
      const called = args[2] ? coerce(st, walk(args[2], lv), ref(T.bool), 'implicit').sql : '1';
      return typed(`pg_setval(${session()}, ${seq}, ${value}, ${called})`, T.int8, -1, { colname: name });
    }
    case 'lastval':
      arity([0]);
      st.usesSequences = true;
      return typed(`pg_lastval(${session()})`, T.int8, -1, { colname: name });
    case 'pg_get_serial_sequence': {
      arity([2]);
      const table = constantText(args[0]!);
      const column = constantText(args[1]!);
      if (table === undefined || column === undefined) {
        throw new ChorusError('0A000', 'pg_get_serial_sequence() of computed names is not supported', {
          position,
        });
      }
      const t = parseSequenceName(table);
      const rel = st.catalog.relation(t.schema, t.name);
      if (!rel) throw new ChorusError('42P01', `relation "${table}" does not exist`, { position });
      if (!rel.columns.some((c) => c.name === column))
        throw new ChorusError('42703', `column "${column}" of relation "${t.name}" does not exist`, {
          position,
        });
      const seq = st.catalog.ownedSequence?.(rel.name, column);
      return typed(seq ? sqlText(qualifiedText(seq.schema, seq.name)) : 'NULL', T.text, -1, {
        colname: name,
      });
    }
    case 'current_schema':
      arity([0]);
      return currentSchema(lv);
    default:
      throw new ChorusError('42883', `function ${name}() does not exist`, { position });
  }
}

/** current_schema / current_schema(): the first schema of the search path that exists. */
export function currentSchema(lv: Level): Typed {
  const path = lv.host.st.catalog.searchPath?.() ?? [publicSchema];
  return typed(path[0] === undefined ? 'NULL' : sqlText(path[0]), T.name, -1, { colname: 'current_schema' });
}

void identText;
