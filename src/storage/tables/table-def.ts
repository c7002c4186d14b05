// A table's stored CREATE TABLE text as a model that ALTER TABLE edits: columns (type, NOT NULL,
// DEFAULT, other clauses kept verbatim) and table constraints (named or not, kept verbatim), and
// the text again from the model. Pure: no database.

import { ChorusError } from '../../errors.js';
import { isKeyword, isTrivia, quoteIdent, type Token, tokenize } from '../../sql/lexer.js';

export interface ColumnDef {
  name: string;
  /** The declared type as written (`INTEGER`, `VARCHAR(20)`, `CRDT_COUNTER`); may be empty. */
  type: string;
  notNull: boolean;
  /** What follows DEFAULT, as written (`(1 /* pg: 1 *\/)`, `'x'`, `-1`); null for none. */
  default: string | null;
  /** Other column clauses (PRIMARY KEY, UNIQUE, CHECK, REFERENCES, COLLATE, ...), each as written. */
  other: string[];
}

export type ConstraintKind = 'primary' | 'unique' | 'check' | 'foreign';

export interface TableConstraintDef {
  /** The CONSTRAINT name, or null for an unnamed constraint. */
  name: string | null;
  kind: ConstraintKind;
  /** The constraint after its name, as written (`UNIQUE ("a")`, `CHECK (...)`, `FOREIGN KEY ...`). */
  body: string;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  constraints: TableConstraintDef[];
  /** What follows the closing parenthesis (`WITHOUT ROWID`, `STRICT`), as written. */
  tail: string;
}

/** Words that begin a column clause after the type. */
const clauseWords = [
  'CONSTRAINT',
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'CHECK',
  'DEFAULT',
  'COLLATE',
  'REFERENCES',
  'GENERATED',
  'AS',
];

function identText(t: Token | undefined): string | null {
  if (!t) return null;
  if (t.kind === 'qident') return t.value;
  if (t.kind === 'ident' || t.kind === 'string') return t.kind === 'string' ? t.value : t.text;
  return null;
}

/** Source text from token a to token b (inclusive), comments and spacing as written. */
function span(sql: string, tokens: readonly Token[], a: number, b: number): string {
  return sql.slice(tokens[a]!.start, tokens[b]!.start + tokens[b]!.text.length);
}

/**
 * Like span, and through the comments that follow token b (an identity column's `/* identity a *\/`
 * marker follows its AUTOINCREMENT: a rebuild must keep it).
 */
function spanWithComments(sql: string, tokens: readonly Token[], a: number, b: number): string {
  const end = tokens[b]!.start + tokens[b]!.text.length;
  const trailing = /^(?:\s*\/\*(?:[^*]|\*(?!\/))*\*\/)*/.exec(sql.slice(end))![0];
  return sql.slice(tokens[a]!.start, end + trailing.length).trim();
}

/** Split `CREATE TABLE name (items) tail` into its items (token index ranges of significant tokens). */
function items(sql: string): { name: string; parts: Token[][]; tail: string } {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t) || t.kind === 'comment');
  const sig = tokens.filter((t) => !isTrivia(t));
  const open = sig.findIndex((t) => t.kind === 'lparen');
  if (open < 2) throw new ChorusError('XX000', `cannot read the definition of a table: ${sql}`);
  const name = identText(sig[open - 1]) ?? '';
  const parts: Token[][] = [[]];
  let depth = 0;
  let close = -1;
  for (let i = open; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind === 'lparen' && depth++ === 0) continue;
    if (t.kind === 'rparen' && --depth === 0) {
      close = i;
      break;
    }
    if (t.kind === 'comma' && depth === 1) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  if (close < 0) throw new ChorusError('XX000', `cannot read the definition of a table: ${sql}`);
  const last = sig[close]!;
  return { name, parts, tail: sql.slice(last.start + 1).trim() };
}

/** Index of the token closing the parenthesis opened at `open` (or the last token). */
function closing(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.kind === 'lparen') depth++;
    else if (tokens[i]!.kind === 'rparen' && --depth === 0) return i;
  }
  return tokens.length - 1;
}

function parseColumn(sql: string, t: Token[]): ColumnDef {
  const name = identText(t[0]) ?? '';
  let i = 1;
  const typeStart = i;
  while (i < t.length && !isKeyword(t[i], ...clauseWords)) {
    if (t[i]!.kind === 'lparen') i = closing(t, i);
    i++;
  }
  const type = i > typeStart ? span(sql, t, typeStart, i - 1) : '';
  const col: ColumnDef = { name, type, notNull: false, default: null, other: [] };
  while (i < t.length) {
    const start = i;
    if (isKeyword(t[i], 'CONSTRAINT')) i += 2;
    const word = t[i];
    if (start === i && isKeyword(word, 'NOT') && isKeyword(t[i + 1], 'NULL')) {
      col.notNull = true;
      i += 2;
      continue;
    }
    if (start === i && isKeyword(word, 'NULL')) {
      i++;
      continue;
    }
    if (start === i && isKeyword(word, 'DEFAULT')) {
      i++;
      const from = i;
      if (t[i]?.kind === 'lparen') i = closing(t, i);
      else if (t[i]?.kind === 'op' && (t[i]!.text === '-' || t[i]!.text === '+')) i++;
      col.default = span(sql, t, from, i);
      i++;
      continue;
    }
    // Any other clause: up to the next clause word outside parentheses (REFERENCES ... ON DELETE SET
    // NULL / SET DEFAULT and NOT DEFERRABLE belong to the clause).
    i++;
    while (i < t.length) {
      const x = t[i]!;
      if (x.kind === 'lparen') {
        i = closing(t, i) + 1;
        continue;
      }
      const inner =
        (isKeyword(x, 'NULL', 'DEFAULT') && isKeyword(t[i - 1], 'SET')) ||
        (isKeyword(x, 'NOT') && isKeyword(t[i + 1], 'DEFERRABLE'));
      if (!inner && isKeyword(x, ...clauseWords)) break;
      i++;
    }
    col.other.push(spanWithComments(sql, t, start, i - 1));
  }
  return col;
}

function parseConstraint(sql: string, t: Token[]): TableConstraintDef {
  let i = 0;
  let name: string | null = null;
  if (isKeyword(t[0], 'CONSTRAINT')) {
    name = identText(t[1]);
    i = 2;
  }
  const kind: ConstraintKind = isKeyword(t[i], 'PRIMARY')
    ? 'primary'
    : isKeyword(t[i], 'UNIQUE')
      ? 'unique'
      : isKeyword(t[i], 'CHECK')
        ? 'check'
        : 'foreign';
  return { name, kind, body: span(sql, t, i, t.length - 1) };
}

/** Read a stored CREATE TABLE text. */
export function parseTableDef(sql: string): TableDef {
  const { name, parts, tail } = items(sql);
  const def: TableDef = { name, columns: [], constraints: [], tail };
  for (const p of parts) {
    if (p.length === 0) continue;
    if (isKeyword(p[0], 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'))
      def.constraints.push(parseConstraint(sql, p));
    else def.columns.push(parseColumn(sql, p));
  }
  return def;
}

function columnText(c: ColumnDef): string {
  let s = quoteIdent(c.name);
  if (c.type) s += ` ${c.type}`;
  for (const o of c.other) s += ` ${o}`;
  if (c.notNull) s += ' NOT NULL';
  if (c.default !== null) s += ` DEFAULT ${c.default}`;
  return s;
}

/** The CREATE TABLE text of a model (under `name`, or the model's own name). */
export function tableDefSql(def: TableDef, name = def.name): string {
  const parts = [
    ...def.columns.map(columnText),
    ...def.constraints.map((c) => (c.name === null ? c.body : `CONSTRAINT ${quoteIdent(c.name)} ${c.body}`)),
  ];
  return `CREATE TABLE ${quoteIdent(name)} (${parts.join(', ')})${def.tail ? ` ${def.tail}` : ''}`;
}

/** Column names of a constraint body's first parenthesized list (`UNIQUE ("a", b)` → a, b). */
export function bodyColumns(body: string): string[] {
  const t = tokenize(body).filter((x) => !isTrivia(x));
  const open = t.findIndex((x) => x.kind === 'lparen');
  if (open < 0) return [];
  const close = closing(t, open);
  const out: string[] = [];
  for (let i = open + 1; i < close; i++) {
    const name = identText(t[i]);
    if (name !== null && (t[i - 1]!.kind === 'lparen' || t[i - 1]!.kind === 'comma')) out.push(name);
  }
  return out;
}

/** A column's position by name (names compare exactly, as the front end stores them). */
export function columnIndex(def: TableDef, name: string): number {
  return def.columns.findIndex((c) => c.name === name);
}
