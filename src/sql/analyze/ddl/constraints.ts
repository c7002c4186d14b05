// Constraints' names and keys: PostgreSQL's generated constraint names (ChooseRelationName), the
// types a PRIMARY KEY / UNIQUE column may have, and the columns a CHECK expression references.

import type * as P from '@pgsql/types';
import { FeatureNotSupportedError } from '../../../errors.js';
import { formatType, T, type TypeRef } from '../../types/pg-types.js';
import { storedEqualityIsPostgres } from '../expr/comparison/keys.js';
import { strings } from '../level.js';

/** PostgreSQL's NAMEDATALEN - 1. */
const identifierBytesMax = 63;

/** ChooseRelationName: name1_name2_label, each part shortened until the whole fits in 63 bytes. */
export function constraintName(
  table: string,
  columns: readonly string[],
  label: string,
  taken: Set<string>,
): string {
  const build = (t: string, c: string): string => [t, c, label].filter((x) => x !== '').join('_');
  let t = table;
  let c = columns.join('_');
  while (Buffer.byteLength(build(t, c)) > identifierBytesMax) {
    if (Buffer.byteLength(t) >= Buffer.byteLength(c)) t = t.slice(0, -1);
    else c = c.slice(0, -1);
  }
  let name = build(t, c);
  for (let n = 1; taken.has(name); n++) {
    const suffix = String(n);
    let base = build(t, c);
    while (Buffer.byteLength(base) + suffix.length > identifierBytesMax) base = base.slice(0, -1);
    name = base + suffix;
  }
  taken.add(name);
  return name;
}

/**
 * A key column's type must compare stored values as PostgreSQL compares them: SQLite enforces
 * the key on stored values, and replication names rows by their key.
 */
export function keyColumnType(column: string, t: TypeRef, position?: number): void {
  if (storedEqualityIsPostgres(t.type, t.typmod)) return;
  const hint =
    t.type === T.numeric
      ? 'Declare it numeric(p,s): values then have one scale, and equal values are stored equal.'
      : t.type === T.bpchar
        ? 'Declare it char(n), varchar or text.'
        : 'Key on another column, or on a text column holding a canonical form.';
  throw new FeatureNotSupportedError(
    `a key (PRIMARY KEY, UNIQUE) on column "${column}" of type ${formatType(t.type, t.typmod)}`,
    {
      hint,
      position,
    },
  );
}

export function referencedColumns(n: P.Node, columns: readonly { name: string }[]): string[] {
  const out: string[] = [];
  const visit = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(visit);
    else if (o && typeof o === 'object') {
      const cr = (o as { ColumnRef?: P.ColumnRef }).ColumnRef;
      if (cr) {
        const name = strings(cr.fields).pop()!;
        if (columns.some((c) => c.name === name) && !out.includes(name)) out.push(name);
        return;
      }
      Object.values(o).forEach(visit);
    }
  };
  visit(n);
  return out;
}
