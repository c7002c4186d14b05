// A unique index's definition read from its CREATE INDEX text (as the session wrote it, as
// sqlite_schema keeps it): its table, its keys (columns or expressions) and its partial predicate,
// and the groups of rows that share its keys — what a peer settles before it can make the index.

import type Database from 'better-sqlite3';
import { isKeyword, joinTokens, quoteIdent, significant, type Token, tokenize } from '../../sql/lexer.js';

export interface UniqueIndexDef {
  name: string;
  table: string;
  /** Each key as SQL (an expression in parentheses, or a quoted column), without ASC / DESC. */
  keys: string[];
  /** The key columns, or null when a key is an expression. */
  columns: string[] | null;
  /** The partial index's predicate (SQL), or null. */
  where: string | null;
}

/** The definition of `CREATE UNIQUE INDEX [IF NOT EXISTS] name ON table (keys) [WHERE p]`, else null. */
export function parseUniqueIndex(sql: string): UniqueIndexDef | null {
  const all = tokenize(sql);
  const sig = significant(all);
  let i = 0;
  const word = (...w: string[]): boolean => {
    if (!isKeyword(sig[i], ...w)) return false;
    i++;
    return true;
  };
  if (!word('CREATE') || !word('UNIQUE') || !word('INDEX')) return null;
  if (word('IF') && !(word('NOT') && word('EXISTS'))) return null;
  const name = nameOf(sig[i++]);
  if (name === null || !word('ON')) return null;
  const table = nameOf(sig[i++]);
  if (table === null || sig[i]?.kind !== 'lparen') return null;
  // The key list: top-level commas inside the outer parentheses.
  const open = sig[i]!;
  const startAt = all.indexOf(open) + 1;
  const keys: Token[][] = [[]];
  let depth = 0;
  let k = startAt;
  for (; k < all.length; k++) {
    const t = all[k]!;
    if (t.kind === 'lparen') depth++;
    if (t.kind === 'rparen' && depth-- === 0) break;
    if (t.kind === 'comma' && depth === 0) keys.push([]);
    else keys[keys.length - 1]!.push(t);
  }
  if (k >= all.length) return null;
  const keySql = keys.map((ts) => {
    const s = significant(ts);
    while (s.length > 1 && isKeyword(s[s.length - 1], 'ASC', 'DESC')) s.pop();
    const body = ts.slice(ts.indexOf(s[0]!), ts.indexOf(s[s.length - 1]!) + 1);
    return joinTokens(body).trim();
  });
  const columns = keys.map((ts) => {
    const s = significant(ts).filter((t) => !isKeyword(t, 'ASC', 'DESC'));
    return s.length === 1 ? nameOf(s[0]) : null;
  });
  const rest = significant(all.slice(k + 1));
  let where: string | null = null;
  if (rest.length > 0) {
    if (!isKeyword(rest[0], 'WHERE')) return null;
    where = sql.slice(rest[0]!.start + rest[0]!.text.length).trim();
  }
  return {
    name,
    table,
    keys: keySql,
    columns: columns.every((c) => c !== null) ? (columns as string[]) : null,
    where,
  };
}

function nameOf(t: Token | undefined): string | null {
  if (t?.kind === 'qident') return t.value;
  if (t?.kind === 'ident') return t.text.toLowerCase();
  return null;
}

/** The definition of an existing unique index of this database, or null (not one, or not readable). */
export function storedUniqueIndex(db: Database.Database, index: string): UniqueIndexDef | null {
  const sql = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?")
    .pluck()
    .get(index);
  return typeof sql === 'string' ? parseUniqueIndex(sql) : null;
}

/** Groups (rowids) of the table's rows that share the index's keys (NULLs never collide). */
export function indexDuplicates(db: Database.Database, ix: UniqueIndexDef): number[][] {
  const notNull = ix.keys.map((k) => `${k} IS NOT NULL`);
  if (ix.where !== null) notNull.push(`(${ix.where})`);
  const stmt = db
    .prepare(
      `SELECT json_group_array(rowid) FROM ${quoteIdent(ix.table)}
        WHERE ${notNull.join(' AND ')} GROUP BY ${ix.keys.join(', ')} HAVING count(*) > 1`,
    )
    .pluck();
  return (stmt.all() as string[]).map((ids) => (JSON.parse(ids) as number[]).map(Number));
}
