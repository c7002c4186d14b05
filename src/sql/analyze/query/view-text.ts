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
