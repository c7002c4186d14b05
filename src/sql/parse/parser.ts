// PostgreSQL's own parser (libpg-query, the real grammar compiled to WebAssembly): statement text
// to parse trees, with syntax errors reported as PostgreSQL reports them (42601 and a 1-based
// character position). The WebAssembly module loads when this module is imported (top-level
// await), so whatever imports the parser can parse synchronously.

import type { Node, RawStmt } from '@pgsql/types';
import { loadModule, parseSync } from 'libpg-query';
import { ChorusError, SyntaxError42601 } from '../../errors.js';

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

/**
 * Byte → character offsets of the text last asked about. Analysis asks for many positions in one
 * statement (every literal and parameter), so the text is scanned once, not once per position.
 */
let offsetsText: string | null = null;
let offsetsAscii = true;
/** UTF-8 byte offset of each UTF-16 unit's character start (non-ASCII texts only). */
let offsetsBytes: Uint32Array | null = null;

/** Character offset (0-based, UTF-16 units) of a byte offset into text's UTF-8 encoding. */
export function charOffset(text: string, byteOffset: number): number {
  if (text !== offsetsText) {
    offsetsText = text;
    offsetsAscii = isAscii(text);
    offsetsBytes = null;
  }
  if (offsetsAscii) return Math.min(Math.max(byteOffset, 0), text.length);
  if (!offsetsBytes) offsetsBytes = byteStarts(text);
  // The first unit whose character starts at or after byteOffset.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsetsBytes[mid]! < byteOffset) lo = mid + 1;
    else hi = mid;
  }
  // A low surrogate shares its pair's start: step past it.
  const c = text.charCodeAt(lo);
  return lo < text.length && c >= 0xdc00 && c <= 0xdfff ? lo + 1 : lo;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function byteStarts(text: string): Uint32Array {
  const out = new Uint32Array(text.length + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    out[i] = bytes;
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      out[i + 1] = bytes;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  out[text.length] = bytes;
  return out;
}

/** PostgreSQL's error position for a parse-tree location (a byte offset): 1-based characters. */
export function errorPosition(text: string, location: number | undefined): number | undefined {
  if (location === undefined || location < 0) return undefined;
  const units = charOffset(text, location);
  if (offsetsAscii) return units + 1;
  // PostgreSQL counts characters: a surrogate pair (an emoji) is one.
  let pairs = 0;
  for (let i = 0; i < units; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) pairs++;
  }
  return units - pairs + 1;
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
    const message = err.sqlDetails?.message ?? err.message;
    // The scanner's check of string constants against the encoding (E'\0', E'\xff').
    if (message.startsWith('invalid byte sequence for encoding')) throw new ChorusError('22021', message);
    const pos = err.sqlDetails?.cursorPosition;
    throw new SyntaxError42601(message, { position: pos === undefined ? undefined : pos + 1 });
  }
  if (pg16NumberHint.test(text)) checkPg15Numbers(text, result.stmts ?? []);
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

/** Text that may hold a number PostgreSQL 16+ reads but 15 does not: 0x1F, 0o17, 0b101, 1_000. */
const pg16NumberHint = /(?:^|[^\w$])(?:0[xXoObB]|\d+_)/;

/**
 * The parser is PostgreSQL 17's, which reads hexadecimal, octal and binary integers and digit
 * separators; PostgreSQL 15 reads them as a number followed by junk and refuses them. Each number
 * constant written that way is refused as PostgreSQL 15 refuses it.
 */
function checkPg15Numbers(text: string, stmts: readonly RawStmt[]): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'A_Const') {
        const c = x as { ival?: unknown; fval?: unknown; location?: number };
        if ((c.ival !== undefined || c.fval !== undefined) && c.location !== undefined)
          checkNumber(text, c.location);
      } else visit(x);
    }
  };
  visit(stmts);
}

function checkNumber(text: string, location: number): void {
  let at = charOffset(text, location);
  const sign = /^-\s*/.exec(text.slice(at, at + 64));
  if (sign) at += sign[0].length;
  const token = /^[0-9A-Za-z_.]+/.exec(text.slice(at, at + 256))?.[0] ?? '';
  if (/^0[xXoObB]/.test(token) || /^[0-9.]*_/.test(token)) {
    throw new SyntaxError42601(`trailing junk after numeric literal at or near "${token}"`, {
      position: at + 1,
    });
  }
}

/** The tag and body of a parse-tree node: `{ SelectStmt: {...} }` → ['SelectStmt', {...}]. */
export function nodeOf(n: Node): [string, Record<string, unknown>] {
  for (const k in n) return [k, (n as unknown as Record<string, Record<string, unknown>>)[k]!];
  throw new Error('empty parse-tree node');
}
