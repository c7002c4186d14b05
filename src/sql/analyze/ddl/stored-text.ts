// The PostgreSQL side of a table or view that ChorusDB keeps inside SQLite's schema text: a
// column default's PostgreSQL text in a trailing comment, a view's columns, types and query in
// a JSON comment. Readers of the catalog (sessions, pg_catalog snapshots, reader workers) use
// these without loading the SQL parser.

import { type PgType, type TypeRef, typeByOid } from '../../types/pg-types.js';

/** The comment that carries a column default's PostgreSQL text after its SQLite expression. */
export function defaultComment(pgText: string): string {
  return `/* pg: ${pgText.replaceAll('*/', '*\\/')} */`;
}

/** A column default's PostgreSQL text from SQLite's dflt_value; null when it has none. */
export function defaultFromComment(sqliteDefault: string | null): string | null {
  if (!sqliteDefault) return null;
  const m = /\/\* pg: ([\s\S]*) \*\/\s*$/.exec(sqliteDefault);
  return m ? m[1]!.replaceAll('*\\/', '*/') : null;
}

/**
 * The comment after an index expression's SQLite text that keeps its PostgreSQL text and result
 * type, for pg_index (indexprs, indclass) and pg_get_indexdef.
 */
export function indexExprComment(typeOid: number, pgText: string): string {
  return `/* pg-index: ${typeOid} ${pgText.replaceAll('*/', '*\\/')} */`;
}

/** The expressions of a stored CREATE INDEX text, in order: PostgreSQL text and result type OID. */
export function indexExprsFromSql(indexSql: string): { typeOid: number; text: string }[] {
  return [...indexSql.matchAll(/\/\* pg-index: (\d+) ((?:[^*]|\*(?!\/))*) \*\//g)].map((m) => ({
    typeOid: Number(m[1]),
    text: m[2]!.replaceAll('*\\/', '*/'),
  }));
}

/** The comment after a serial key's AUTOINCREMENT that marks an identity column (`'a'` ALWAYS, `'d'` BY DEFAULT). */
export function identityComment(kind: 'a' | 'd'): string {
  return `/* identity ${kind} */`;
}

/** Identity columns of a table's CREATE TABLE text: column name → 'a' / 'd'. */
export function identityColumns(createSql: string): Map<string, 'a' | 'd'> {
  const out = new Map<string, 'a' | 'd'>();
  for (const m of createSql.matchAll(
    /"((?:[^"]|"")+)"\s+INTEGER\s+CONSTRAINT\s+"(?:[^"]|"")+"\s+PRIMARY KEY AUTOINCREMENT \/\* identity ([ad]) \*\//g,
  ))
    out.set(m[1]!.replaceAll('""', '"'), m[2] as 'a' | 'd');
  return out;
}

export const viewMetaPrefix = '/* chorus-view ';
export const viewMetaSuffix = ' */';

export interface ViewMeta {
  columns: { name: string; type: TypeRef }[];
  definition: string;
}

/** The view's columns and PostgreSQL query from its SQLite CREATE VIEW text; null for other views. */
export function parseViewMeta(
  createSql: string,
  /** Types the catalog defines (enum types and their arrays), by OID. */
  userType?: (oid: number) => PgType | undefined,
): ViewMeta | null {
  const start = createSql.indexOf(viewMetaPrefix);
  if (start < 0) return null;
  const end = createSql.indexOf(viewMetaSuffix, start + viewMetaPrefix.length);
  if (end < 0) return null;
  try {
    const raw = JSON.parse(createSql.slice(start + viewMetaPrefix.length, end).replaceAll('*\\/', '*/')) as {
      columns: { name: string; oid: number; typmod: number }[];
      definition: string;
    };
    const columns = raw.columns.map((c) => {
      const type = typeByOid(c.oid) ?? userType?.(c.oid);
      if (!type) throw new Error(`unknown type ${c.oid}`);
      return { name: c.name, type: { type, typmod: c.typmod } };
    });
    return { columns, definition: raw.definition };
  } catch {
    return null;
  }
}
