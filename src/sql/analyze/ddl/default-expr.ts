// What a column DEFAULT may hold, by PostgreSQL's rules: no subqueries (0A000), and which defaults
// are volatile (a value per row, so ALTER TABLE ... ADD COLUMN cannot give existing rows one value).

import type * as P from '@pgsql/types';
import { ChorusError } from '../../../errors.js';

/** Built-in functions PostgreSQL marks volatile (provolatile = 'v') that the front end knows. */
const volatileFunctions: ReadonlySet<string> = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v4',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'setval',
  'setseed',
  'txid_current',
  'pg_current_xact_id',
]);

/** Every node of a raw parse tree (objects and arrays alike), depth first. */
function* nodes(n: unknown): Generator<[string, unknown]> {
  if (Array.isArray(n)) {
    for (const x of n) yield* nodes(x);
    return;
  }
  if (n === null || typeof n !== 'object') return;
  for (const [k, v] of Object.entries(n)) {
    yield [k, v];
    yield* nodes(v);
  }
}

/** A DEFAULT expression PostgreSQL accepts: refuses subqueries as PostgreSQL does. */
export function checkDefaultExpression(n: P.Node, position?: number): void {
  for (const [k] of nodes(n)) {
    if (k === 'SubLink')
      throw new ChorusError('0A000', 'cannot use subquery in DEFAULT expression', { position });
  }
}

/** Whether a DEFAULT calls a volatile function (its value differs from row to row). */
export function callsVolatileFunction(n: P.Node): boolean {
  for (const [k, v] of nodes(n)) {
    if (k !== 'FuncCall') continue;
    const name = (v as P.FuncCall).funcname?.at(-1);
    const s = name && 'String' in name ? name.String?.sval : undefined;
    if (s && volatileFunctions.has(s.toLowerCase())) return true;
  }
  return false;
}
