// A view's query as a parse tree, parsed once per distinct text where the view is named (its
// stored form is read by ddl/stored-text.ts).

import type * as P from '@pgsql/types';
import { parseSql } from '../../parse/parser.js';

/** Parsed view queries by their text (bounded: cleared when full). */
const viewCache = new Map<string, P.Node>();
const viewCacheEntriesMax = 512;

/** A view's query as a parse tree, to be analyzed where the view is named. */
export function viewQuery(definition: string): P.Node {
  let n = viewCache.get(definition);
  if (!n) {
    n = parseSql(definition)[0]!.stmt;
    if (viewCache.size >= viewCacheEntriesMax) viewCache.clear();
    viewCache.set(definition, n);
  }
  return n;
}

/**
 * The relations a view's query names (unqualified or `public.`), for PostgreSQL's dependency
 * rules on DROP. Names of the query's own WITH queries are left out.
 */
export function relationsNamed(definition: string): Set<string> {
  const named = new Set<string>();
  const ctes = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'RangeVar') {
        const r = x as P.RangeVar;
        if (r.relname && (!r.schemaname || r.schemaname === 'public')) named.add(r.relname);
      } else if (k === 'CommonTableExpr') {
        const name = (x as P.CommonTableExpr).ctename;
        if (name) ctes.add(name);
      }
      visit(x);
    }
  };
  visit(viewQuery(definition));
  for (const c of ctes) named.delete(c);
  return named;
}
