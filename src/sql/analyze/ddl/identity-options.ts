// An identity column's SEQUENCE NAME option (drizzle sends it): the name its sequence takes
// instead of PostgreSQL's t_col_seq.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';

/** An identity column's SEQUENCE NAME option ([schema.]name), and its other options. */
export function sequenceNameOption(options: readonly P.Node[]): {
  schema: string | null;
  name: string | null;
  rest: P.Node[];
} {
  let schema: string | null = null;
  let name: string | null = null;
  const rest: P.Node[] = [];
  for (const o of options) {
    const d = nodeOf(o)[1] as P.DefElem;
    if (d.defname !== 'sequence_name') {
      rest.push(o);
      continue;
    }
    if (name !== null) throw new ChorusError('42601', 'conflicting or redundant options');
    const parts = ((nodeOf(d.arg!)[1] as P.List).items ?? []).map(
      (i) => (i as { String: P.String }).String.sval ?? '',
    );
    if (parts.length > 2)
      throw new FeatureNotSupportedError('a SEQUENCE NAME qualified with a database name');
    name = parts.at(-1) ?? '';
    schema = parts.length === 2 ? parts[0]! : null;
  }
  return { schema, name, rest };
}
