// PostgreSQL's own parser (libpg-query, the real grammar compiled to WebAssembly): statement text
// to parse trees, with syntax errors reported as PostgreSQL reports them (42601 and a 1-based
// character position). The WebAssembly module loads when this module is imported (top-level
// await), so whatever imports the parser can parse synchronously.

import type { Node, RawStmt } from '@pgsql/types';
import { loadModule, parseSync } from 'libpg-query';
import { SyntaxError42601 } from '../../errors.js';

let loaded: Promise<void> | null = null;
let ready = false;

/** Load the WebAssembly parser (idempotent). Every process that plans statements awaits it once. */
export function initParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export function parserReady(): boolean {
  return ready;
}

await initParser();

export interface ParsedStatement {
  stmt: Node;
  /** Character offset of the statement in the text, and its length in characters. */
  start: number;
  length: number;
}

/** Character offset (0-based) of a byte offset into text's UTF-8 encoding. */
export function charOffset(text: string, byteOffset: number): number {
  // ASCII fast path: the offsets agree until the first non-ASCII character.
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
    i++;
  }
  return i;
}

/** PostgreSQL's error position for a parse-tree location (a byte offset): 1-based characters. */
export function errorPosition(text: string, location: number | undefined): number | undefined {
  if (location === undefined || location < 0) return undefined;
  return charOffset(text, location) + 1;
}

interface LibpgError extends Error {
  sqlDetails?: { cursorPosition?: number; message?: string };
}

/** Parse statement text into its statements. Syntax errors are 42601 with PostgreSQL's message and position. */
export function parseSql(text: string): ParsedStatement[] {
  if (!ready) throw new Error('initParser() must complete before statements are parsed');
  let result: { stmts?: RawStmt[] };
  try {
    result = parseSync(text) as { stmts?: RawStmt[] };
  } catch (e) {
    const err = e as LibpgError;
    const pos = err.sqlDetails?.cursorPosition;
    throw new SyntaxError42601(err.sqlDetails?.message ?? err.message, {
      position: pos === undefined ? undefined : pos + 1,
    });
  }
  const out: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = charOffset(text, startByte);
    const length =
      raw.stmt_len === undefined || raw.stmt_len === 0
        ? text.length - start
        : charOffset(text, startByte + raw.stmt_len) - start;
    out.push({ stmt: raw.stmt, start, length });
  }
  return out;
}

/** The tag and body of a parse-tree node: `{ SelectStmt: {...} }` → ['SelectStmt', {...}]. */
export function nodeOf(n: Node): [string, Record<string, unknown>] {
  for (const k in n) return [k, (n as unknown as Record<string, Record<string, unknown>>)[k]!];
  throw new Error('empty parse-tree node');
}
