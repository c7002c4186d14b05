// The result columns a statement is described with: a front-end plan's (and whether a plan made
// again still has the same ones), and the types of columns read from an inlined admin view.

import type { AdminType } from '../admin/registry.js';
import type { Prepared } from './planning/prepared.js';
import type { ColumnInfo, StatementResult } from './result.js';

/** A front-end plan's result columns as the wire layer describes them. */
export function planColumns(p: Prepared): ColumnInfo[] {
  return (p.plan?.columns ?? []).map((c) => ({ name: c.name, declType: null, table: null, pgType: c.type }));
}

export function sameColumns(a: Prepared, b: Prepared): boolean {
  const x = a.plan?.columns ?? null;
  const y = b.plan?.columns ?? null;
  if (x === null || y === null) return x === y;
  return (
    x.length === y.length &&
    // By OID: an enum type is a new object in each catalog version (types/enum.ts).
    x.every((c, i) => c.type.type.oid === y[i]!.type.type.oid && c.type.typmod === y[i]!.type.typmod)
  );
}

/** Columns read from an inlined admin view (internal source table or an expression) get the view's types. */
export function typedByView(r: StatementResult, types: ReadonlyMap<string, AdminType>): StatementResult {
  const columns = r.columns!.map((c) => {
    const t = types.get(c.name);
    return t && (c.table === null || c.table.startsWith('_chorus_')) ? { ...c, adminType: t } : c;
  });
  return { ...r, columns };
}
