// Token-level rewrites for CRDT columns: the seed's type spellings `CRDT_SET<VARCHAR(255)>` and
// `CRDT_MAP<K, V>` (SQLite type names cannot hold '<'), and its write spelling
// `SELECT CRDT_INCREMENT(col, 5) FROM t WHERE ...`, which becomes an UPDATE ... RETURNING col.

import { isKeyword, isTrivia, joinTokens, type Token } from './lexer.js';

export const crdtWriteFunctions = new Set([
  'CRDT_INCREMENT',
  'CRDT_DECREMENT',
  'CRDT_ADD',
  'CRDT_REMOVE',
  'CRDT_SET',
  'CRDT_DELETE',
]);

/** Drop `<...>` type parameters after a CRDT_* type name (kept out of SQLite's declared type). */
export function stripCrdtTypeParams(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let prevSig: Token | undefined;
  for (const t of tokens) {
    if (depth > 0) {
      if (t.kind === 'op' && t.text === '<') depth++;
      else if (t.kind === 'op' && t.text === '>') depth--;
      continue;
    }
    if (t.kind === 'op' && t.text === '<' && prevSig?.kind === 'ident' && prevSig.value.startsWith('CRDT_')) {
      depth = 1;
      continue;
    }
    out.push(t);
    if (!isTrivia(t)) prevSig = t;
  }
  return out;
}

/**
 * `SELECT CRDT_INCREMENT(col, args) FROM t [WHERE ...]` → `UPDATE t SET col = CRDT_INCREMENT(col, args)
 * [WHERE ...] RETURNING col`. Returns null when the statement is not of that shape.
 */
export function rewriteCrdtSelect(tokens: Token[]): string | null {
  const sigIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (!isTrivia(t)) sigIdx.push(i);
  });
  const sig = sigIdx.map((i) => tokens[i]!);
  if (!isKeyword(sig[0], 'SELECT') || sig[1]?.kind !== 'ident' || !crdtWriteFunctions.has(sig[1].value))
    return null;
  if (sig[2]?.kind !== 'lparen') return null;
  const col = sig[3];
  if (!col || (col.kind !== 'ident' && col.kind !== 'qident')) return null;
  let depth = 0;
  let close = -1;
  for (let i = 2; i < sig.length; i++) {
    if (sig[i]!.kind === 'lparen') depth++;
    else if (sig[i]!.kind === 'rparen' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0 || !isKeyword(sig[close + 1], 'FROM')) return null;
  // the table: name or schema.name, then optionally WHERE ...
  let after = close + 3;
  if (sig[close + 3]?.kind === 'dot') after = close + 5;
  const next = sig[after];
  if (next && !isKeyword(next, 'WHERE')) return null;
  const slice = (from: number, to: number): string =>
    joinTokens(tokens.slice(sigIdx[from]!, to < sig.length ? sigIdx[to]! : tokens.length)).trim();
  const call = slice(1, close + 1);
  const table = slice(close + 2, after);
  const where = next ? ` ${slice(after, sig.length)}` : '';
  return `UPDATE ${table} SET ${col.text} = ${call}${where} RETURNING ${col.text}`;
}
