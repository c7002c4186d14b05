// A SQL lexer that respects strings, quoted identifiers, comments and dollar quotes. Everything that
// inspects or rewrites statement text (splitting, classifying, literal parameters, name guards)
// works on its tokens, never on raw text.

import { SyntaxError42601 } from '../errors.js';

export type TokenKind =
  | 'ws'
  | 'comment'
  | 'string'
  | 'ident'
  | 'qident'
  | 'number'
  | 'blob'
  | 'param'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'dot'
  | 'semi';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token. */
  text: string;
  /** Offset of the token in the statement text. */
  start: number;
  /** Uppercased text for identifiers (keywords), unquoted content for quoted identifiers and strings. */
  value: string;
}

const multiCharOps = ['->>', '::', '->', '||', '<=', '>=', '<>', '!=', '==', '<<', '>>', '=>'];

/** First characters of the multi-character operators (so most characters skip the search). */
const opStarts = new Set(multiCharOps.map((o) => o.charCodeAt(0)));

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string): void => {
    const text = sql.slice(start, end);
    out.push({ kind, text, start, value: value ?? text });
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    const start = i;
    // whitespace
    if (isSpace(c)) {
      while (i < n && isSpace(sql.charCodeAt(i))) i++;
      push('ws', start, i);
      continue;
    }
    // -- comment
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10) i++;
      push('comment', start, i);
      continue;
    }
    // /* nested comment */
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql.charCodeAt(i) === 47 && sql.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else if (sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) throw new SyntaxError42601('unterminated /* comment', { position: start + 1 });
      push('comment', start, i);
      continue;
    }
    // E'...' escape string, X'...' blob
    if ((c === 69 || c === 101 || c === 88 || c === 120) && sql.charCodeAt(i + 1) === 39) {
      const isBlob = c === 88 || c === 120;
      i += 2;
      let value = '';
      for (;;) {
        if (i >= n) throw new SyntaxError42601('unterminated quoted string', { position: start + 1 });
        const ch = sql[i]!;
        if (!isBlob && ch === '\\' && i + 1 < n) {
          value += unescapeBackslash(sql[i + 1]!);
          i += 2;
          continue;
        }
        if (ch === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      push(isBlob ? 'blob' : 'string', start, i, value);
      continue;
    }
    // '...' string
    if (c === 39) {
      i++;
      let value = '';
      let segStart = i;
      for (;;) {
        if (i >= n) throw new SyntaxError42601('unterminated quoted string', { position: start + 1 });
        if (sql.charCodeAt(i) === 39) {
          value += sql.slice(segStart, i);
          if (sql.charCodeAt(i + 1) === 39) {
            value += "'";
            i += 2;
            segStart = i;
            continue;
          }
          i++;
          break;
        }
        i++;
      }
      push('string', start, i, value);
      continue;
    }
    // "quoted identifier", `quoted`, [quoted]
    if (c === 34 || c === 96 || c === 91) {
      const close = c === 91 ? ']' : sql[i]!;
      i++;
      let value = '';
      for (;;) {
        if (i >= n) throw new SyntaxError42601('unterminated quoted identifier', { position: start + 1 });
        const ch = sql[i]!;
        if (ch === close) {
          if (close !== ']' && sql[i + 1] === close) {
            value += close;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      push('qident', start, i, value);
      continue;
    }
    // $n parameter or $tag$ dollar-quoted string
    if (c === 36) {
      if (isDigit(sql.charCodeAt(i + 1))) {
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        push('param', start, i);
        continue;
      }
      let j = i + 1;
      while (j < n && isIdentPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
      if (sql.charCodeAt(j) === 36) {
        const tag = sql.slice(i, j + 1);
        const bodyStart = j + 1;
        const end = sql.indexOf(tag, bodyStart);
        if (end < 0) throw new SyntaxError42601('unterminated dollar-quoted string', { position: start + 1 });
        i = end + tag.length;
        push('string', start, i, sql.slice(bodyStart, end));
        continue;
      }
    }
    // ?, ?NNN, :name, @name parameters (SQLite's spellings)
    if (c === 63) {
      i++;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      push('param', start, i);
      continue;
    }
    if ((c === 58 || c === 64) && isIdentStart(sql.charCodeAt(i + 1)) && sql.charCodeAt(i - 1) !== 58) {
      i++;
      while (i < n && isIdentPart(sql.charCodeAt(i))) i++;
      push('param', start, i);
      continue;
    }
    // numbers: 12, 1.5, .5, 1e10, 0x1F
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      if (c === 48 && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
        i += 2;
        while (i < n && /[0-9a-fA-F]/.test(sql[i]!)) i++;
      } else {
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        if (sql.charCodeAt(i) === 46) {
          i++;
          while (i < n && isDigit(sql.charCodeAt(i))) i++;
        }
        if (sql[i] === 'e' || sql[i] === 'E') {
          let j = i + 1;
          if (sql[j] === '+' || sql[j] === '-') j++;
          if (isDigit(sql.charCodeAt(j))) {
            i = j;
            while (i < n && isDigit(sql.charCodeAt(i))) i++;
          }
        }
      }
      push('number', start, i);
      continue;
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(sql.charCodeAt(i))) i++;
      const text = sql.slice(start, i);
      out.push({ kind: 'ident', text, start, value: text.toUpperCase() });
      continue;
    }
    if (c === 40) {
      push('lparen', start, ++i);
      continue;
    }
    if (c === 41) {
      push('rparen', start, ++i);
      continue;
    }
    if (c === 44) {
      push('comma', start, ++i);
      continue;
    }
    if (c === 46) {
      push('dot', start, ++i);
      continue;
    }
    if (c === 59) {
      push('semi', start, ++i);
      continue;
    }
    const op = opStarts.has(c) ? multiCharOps.find((o) => sql.startsWith(o, i)) : undefined;
    i += op ? op.length : 1;
    push('op', start, i);
  }
  return out;
}

function unescapeBackslash(ch: string): string {
  switch (ch) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    default:
      return ch;
  }
}

export function isTrivia(t: Token): boolean {
  return t.kind === 'ws' || t.kind === 'comment';
}

/** Tokens without whitespace and comments. */
export function significant(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => !isTrivia(t));
}

export function isKeyword(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && t.kind === 'ident' && words.includes(t.value);
}

export interface StatementText {
  /** The statement's own text, trimmed, without the terminating semicolon. */
  sql: string;
  tokens: Token[];
  /** Where the statement starts in the query it was split from (UTF-16 code units). */
  offset?: number;
}

/**
 * Split a script into statements at top-level semicolons. A CREATE TRIGGER body (BEGIN ... END)
 * keeps its inner semicolons. Empty statements are dropped.
 */
export function splitStatements(sql: string): StatementText[] {
  const tokens = tokenize(sql);
  const out: StatementText[] = [];
  let current: Token[] = [];
  let blockDepth = 0;
  let isTrigger = false;
  const flush = (): void => {
    const sig = significant(current);
    if (sig.length > 0) {
      const first = sig[0]!;
      const last = sig[sig.length - 1]!;
      const text = sql.slice(first.start, last.start + last.text.length);
      out.push({ sql: text, tokens: retokenizeOffsets(current, first.start, last), offset: first.start });
    }
    current = [];
    blockDepth = 0;
    isTrigger = false;
  };
  for (const t of tokens) {
    if (t.kind === 'semi' && blockDepth === 0) {
      flush();
      continue;
    }
    current.push(t);
    if (t.kind === 'ident') {
      if (!isTrigger && t.value === 'TRIGGER') {
        const sig = significant(current);
        isTrigger = isKeyword(sig[0], 'CREATE');
      } else if (isTrigger && (t.value === 'BEGIN' || t.value === 'CASE')) blockDepth++;
      else if (isTrigger && t.value === 'END' && blockDepth > 0) blockDepth--;
    }
  }
  flush();
  return out;
}

/** Keep the tokens between first and last significant token, with offsets relative to the statement. */
function retokenizeOffsets(tokens: Token[], base: number, last: Token): Token[] {
  const endOffset = last.start + last.text.length;
  const kept = tokens.filter((t) => t.start >= base && t.start < endOffset);
  return base === 0 ? kept : kept.map((t) => ({ ...t, start: t.start - base }));
}

/** Re-assemble tokens into text (used after token-level rewrites). */
export function joinTokens(tokens: readonly Token[]): string {
  let s = '';
  for (const t of tokens) s += t.text;
  return s;
}

/** Quote a name as a SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quote a value as a SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
