// A view's PostgreSQL side, kept in a comment of the SQLite view (views.ts writes it): the column
// names and types, and the query as PostgreSQL text, parsed once where the view is named.

import type * as P from '@pgsql/types';
import { parseSql } from '../../parse/parser.js';
import { type TypeRef, typeByOid } from '../../types/pg-types.js';

export const metaPrefix = '/* chorus-view ';
export const metaSuffix = ' */';

interface ViewMeta {
  columns: { name: string; type: TypeRef }[];
  definition: string;
}

/** The view's columns and PostgreSQL query from its SQLite CREATE VIEW text; null for other views. */
export function parseViewMeta(createSql: string): ViewMeta | null {
  const start = createSql.indexOf(metaPrefix);
  if (start < 0) return null;
  const end = createSql.indexOf(metaSuffix, start + metaPrefix.length);
  if (end < 0) return null;
  try {
    const raw = JSON.parse(createSql.slice(start + metaPrefix.length, end).replaceAll('*\\/', '*/')) as {
      columns: { name: string; oid: number; typmod: number }[];
      definition: string;
    };
    const columns = raw.columns.map((c) => {
      const type = typeByOid(c.oid);
      if (!type) throw new Error(`unknown type ${c.oid}`);
      return { name: c.name, type: { type, typmod: c.typmod } };
    });
    return { columns, definition: raw.definition };
  } catch {
    return null;
  }
}

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
