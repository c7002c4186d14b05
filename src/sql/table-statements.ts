// Parsing of the table statement the session runs itself rather than handing to SQLite:
// ALTER TABLE ... ADD PRIMARY KEY (...), and name lists for the dialect's statement splitting.

import { isKeyword, type Token } from './lexer.js';

/** Split a comma-separated list of (possibly qualified) names, ignoring parenthesized column lists. */
export function nameList(sig: Token[], from: number, stopWords: string[]): { names: Token[][]; end: number } {
  const names: Token[][] = [];
  let current: Token[] = [];
  let i = from;
  for (; i < sig.length; i++) {
    const t = sig[i]!;
    if (isKeyword(t, ...stopWords)) break;
    if (t.kind === 'comma') {
      names.push(current);
      current = [];
      continue;
    }
    if (t.kind === 'lparen') {
      // ANALYZE t (cols): skip the column list
      let depth = 0;
      for (; i < sig.length; i++) {
        if (sig[i]!.kind === 'lparen') depth++;
        else if (sig[i]!.kind === 'rparen' && --depth === 0) break;
      }
      continue;
    }
    if (t.kind === 'op' && t.text === '*') continue; // TRUNCATE t *
    if (isKeyword(t, 'ONLY') && current.length === 0) continue;
    current.push(t);
  }
  if (current.length > 0) names.push(current);
  return { names, end: i };
}

function nameOf(parts: Token[]): string | null {
  const last = parts[parts.length - 1];
  if (!last) return null;
  if (last.kind === 'qident') return last.value;
  if (last.kind === 'ident') return last.text;
  return null;
}

export interface AddPrimaryKey {
  table: string;
  columns: string[];
  constraint: string | null;
}

/** `ALTER TABLE [IF EXISTS] [ONLY] t ADD [CONSTRAINT name] PRIMARY KEY (a, b)`; null for other forms. */
export function parseAddPrimaryKey(sig: Token[]): AddPrimaryKey | null {
  if (!isKeyword(sig[0], 'ALTER') || !isKeyword(sig[1], 'TABLE')) return null;
  let i = 2;
  if (isKeyword(sig[i], 'IF') && isKeyword(sig[i + 1], 'EXISTS')) i += 2;
  if (isKeyword(sig[i], 'ONLY')) i++;
  const nameParts: Token[] = [];
  while (i < sig.length && !isKeyword(sig[i], 'ADD')) nameParts.push(sig[i++]!);
  const table = nameOf(nameParts);
  if (!table || !isKeyword(sig[i], 'ADD')) return null;
  i++;
  let constraint: string | null = null;
  if (isKeyword(sig[i], 'CONSTRAINT')) {
    constraint = nameOf([sig[i + 1]!].filter(Boolean));
    i += 2;
  }
  if (!isKeyword(sig[i], 'PRIMARY') || !isKeyword(sig[i + 1], 'KEY') || sig[i + 2]?.kind !== 'lparen')
    return null;
  const columns: string[] = [];
  for (i += 3; i < sig.length && sig[i]!.kind !== 'rparen'; i++) {
    if (sig[i]!.kind === 'comma') continue;
    const c = nameOf([sig[i]!]);
    if (!c) return null;
    columns.push(c);
  }
  // Anything after the column list (USING INDEX TABLESPACE, DEFERRABLE, ...) is not understood.
  if (columns.length === 0 || i !== sig.length - 1) return null;
  return { table, columns, constraint };
}
