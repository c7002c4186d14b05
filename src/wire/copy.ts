// COPY's pure data parts: the streaming reader of COPY FROM STDIN data in text and CSV format
// (rows may span CopyData messages) and row formatting for COPY TO STDOUT. The COPY statement is
// parsed in copy-statement.ts. No I/O and no database access here; the wire connection drives both.

import { ChorusError } from '../errors.js';
import type { CopyOptions } from './copy-statement.js';

/** Most bytes one COPY FROM data line (or CSV record) may buffer before it is complete. */
export const copyLineBytesMax = 16 * 1024 * 1024;

/** A field of COPY FROM data: its text, or null for the NULL marker. */
export type CopyField = string | null;

export function badCopyData(message: string): ChorusError {
  return new ChorusError('22P04', message);
}

/**
 * Streaming reader of COPY FROM STDIN data: push() each CopyData payload and get back the rows it
 * completed; finish() at CopyDone returns the last row when it had no newline. Lines are split on
 * bytes (CSV: outside quotes), so UTF-8 characters split across messages are fine.
 */
export class CopyInParser {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of `pending` already scanned without finding the end of the line. */
  private scanned = 0;
  private inQuote = false;
  private headerPending: boolean;
  /** The end-of-data marker line \. was seen: the rest is ignored. */
  ended = false;
  private readonly quoteByte: number;
  private readonly escapeByte: number;

  constructor(
    private readonly opts: CopyOptions,
    private readonly lineBytesMax = copyLineBytesMax,
  ) {
    this.headerPending = opts.header;
    this.quoteByte = opts.quote.charCodeAt(0);
    this.escapeByte = opts.escape.charCodeAt(0);
  }

  /** Bytes held for an incomplete line. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): CopyField[][] {
    if (this.ended) return [];
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const rows: CopyField[][] = [];
    let lineStart = 0;
    let i = this.scanned;
    const csv = this.opts.format === 'csv';
    const n = buf.length;
    while (i < n) {
      if (csv) {
        const b = buf[i]!;
        if (this.inQuote) {
          if (b === this.escapeByte && this.escapeByte !== this.quoteByte && i + 1 < n) {
            i += 2;
            continue;
          }
          if (b === this.escapeByte && this.escapeByte !== this.quoteByte) break; // need the next byte
          if (b === this.quoteByte) this.inQuote = false;
          i++;
          continue;
        }
        if (b === this.quoteByte) {
          this.inQuote = true;
          i++;
          continue;
        }
        if (b !== 0x0a) {
          i++;
          continue;
        }
      } else {
        const nl = buf.indexOf(0x0a, i);
        if (nl < 0) {
          i = n;
          break;
        }
        i = nl;
      }
      // buf[i] is a line end.
      const row = this.line(buf, lineStart, i);
      if (row) rows.push(row);
      i++;
      lineStart = i;
      if (this.ended) {
        this.pending = Buffer.alloc(0);
        this.scanned = 0;
        return rows;
      }
    }
    this.pending = lineStart === 0 ? buf : buf.subarray(lineStart);
    if (this.pending.length > 0 && lineStart > 0) this.pending = Buffer.from(this.pending);
    this.scanned = i - lineStart;
    if (this.pending.length > this.lineBytesMax) {
      throw new ChorusError('54000', `COPY data line is too long (limit ${this.lineBytesMax} bytes)`);
    }
    return rows;
  }

  /** End of data: the last line may lack its newline. */
  finish(): CopyField[][] {
    if (this.ended || this.pending.length === 0) return [];
    if (this.inQuote) throw badCopyData('unterminated CSV quoted field');
    const buf = this.pending;
    this.pending = Buffer.alloc(0);
    this.scanned = 0;
    const row = this.line(buf, 0, buf.length);
    return row ? [row] : [];
  }

  private line(buf: Buffer, start: number, end: number): CopyField[] | null {
    let e = end;
    if (e > start && buf[e - 1] === 0x0d) e--;
    const text = buf.toString('utf8', start, e);
    if (text === '\\.') {
      this.ended = true;
      return null;
    }
    if (this.headerPending) {
      this.headerPending = false;
      return null;
    }
    return this.opts.format === 'csv' ? parseCsvLine(text, this.opts) : parseTextLine(text, this.opts);
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** One line of text-format COPY data (without its newline) into fields. */
export function parseTextLine(line: string, opts: Pick<CopyOptions, 'delimiter' | 'null'>): CopyField[] {
  const delim = opts.delimiter;
  if (!line.includes('\\')) {
    return line.split(delim).map((f) => (f === opts.null ? null : f));
  }
  const out: CopyField[] = [];
  let raw = '';
  let val = '';
  const n = line.length;
  let i = 0;
  const end = (): void => {
    out.push(raw === opts.null ? null : val);
    raw = '';
    val = '';
  };
  while (i < n) {
    const c = line[i]!;
    if (c === delim) {
      end();
      i++;
      continue;
    }
    if (c !== '\\' || i + 1 >= n) {
      raw += c;
      val += c;
      i++;
      continue;
    }
    const d = line[i + 1]!;
    const startRaw = i;
    i += 2;
    switch (d) {
      case 'b':
        val += '\b';
        break;
      case 'f':
        val += '\f';
        break;
      case 'n':
        val += '\n';
        break;
      case 'r':
        val += '\r';
        break;
      case 't':
        val += '\t';
        break;
      case 'v':
        val += '\v';
        break;
      case 'x': {
        let v = 0;
        let digits = 0;
        while (digits < 2 && i < n && hexValue(line.charCodeAt(i)) >= 0) {
          v = v * 16 + hexValue(line.charCodeAt(i));
          i++;
          digits++;
        }
        val += digits === 0 ? 'x' : String.fromCharCode(v);
        break;
      }
      default:
        if (d >= '0' && d <= '7') {
          let v = d.charCodeAt(0) - 48;
          let digits = 1;
          while (digits < 3 && i < n && line[i]! >= '0' && line[i]! <= '7') {
            v = v * 8 + (line.charCodeAt(i) - 48);
            i++;
            digits++;
          }
          val += String.fromCharCode(v & 0xff);
        } else val += d;
    }
    raw += line.slice(startRaw, i);
  }
  end();
  return out;
}

/** One CSV record (may contain newlines inside quotes, without its final newline) into fields. */
export function parseCsvLine(
  line: string,
  opts: Pick<CopyOptions, 'delimiter' | 'null' | 'quote' | 'escape'>,
): CopyField[] {
  const { delimiter, quote, escape: esc } = opts;
  const out: CopyField[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    let val = '';
    let quoted = false;
    let raw = '';
    while (i < n && line[i] !== delimiter) {
      const c = line[i]!;
      if (c === quote) {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) throw badCopyData('unterminated CSV quoted field');
          const q = line[i]!;
          if (q === esc && i + 1 < n && (line[i + 1] === quote || (esc !== quote && line[i + 1] === esc))) {
            val += line[i + 1];
            i += 2;
            continue;
          }
          if (q === quote) {
            i++;
            break;
          }
          val += q;
          i++;
        }
        continue;
      }
      val += c;
      raw += c;
      i++;
    }
    // PostgreSQL: a field is NULL when it matches the null string and was not quoted.
    out.push(!quoted && raw === opts.null ? null : val);
    if (i >= n) break;
    i++; // the delimiter
  }
  return out;
}

/** A text-format COPY TO field with its escapes (null becomes the NULL marker). */
export function formatTextField(v: string | null, opts: Pick<CopyOptions, 'delimiter' | 'null'>): string {
  if (v === null) return opts.null;
  let out = '';
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    let esc: string | null = null;
    if (c === 92) esc = '\\\\';
    else if (c === 10) esc = '\\n';
    else if (c === 13) esc = '\\r';
    else if (c === 9) esc = '\\t';
    else if (c === 8) esc = '\\b';
    else if (c === 12) esc = '\\f';
    else if (c === 11) esc = '\\v';
    else if (v[i] === opts.delimiter) esc = `\\${opts.delimiter}`;
    if (esc !== null) {
      out += v.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return from === 0 ? v : out + v.slice(from);
}

/** A CSV COPY TO field, quoted when it must be (null becomes the null string, unquoted). */
export function formatCsvField(
  v: string | null,
  opts: Pick<CopyOptions, 'delimiter' | 'null' | 'quote' | 'escape'>,
): string {
  if (v === null) return opts.null;
  const needs =
    v === opts.null ||
    v.includes(opts.delimiter) ||
    v.includes(opts.quote) ||
    v.includes('\n') ||
    v.includes('\r') ||
    v.startsWith('\\.');
  if (!needs) return v;
  let body = '';
  for (const ch of v) {
    if (ch === opts.quote || ch === opts.escape) body += opts.escape;
    body += ch;
  }
  return `${opts.quote}${body}${opts.quote}`;
}

/** One COPY TO data line, with its newline. */
export function formatCopyRow(values: readonly (string | null)[], opts: CopyOptions): string {
  const f = opts.format === 'csv' ? formatCsvField : formatTextField;
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += opts.delimiter;
    line += f(values[i] ?? null, opts);
  }
  return `${line}\n`;
}
