// jsonb's btree ordering (PostgreSQL's compareJsonbContainers) as a byte string: two jsonb values
// compare as their keys compare byte-wise, and are equal (jsonb `=`) exactly when their keys are.
// The order: null < string < number < boolean < array < object; arrays by element count, then
// element by element; objects by pair count, then key, value, key, value ... in storage order
// (shorter keys first); numbers as numeric (1 = 1.0), strings byte-wise (C collation). A top-level
// scalar is PostgreSQL's "raw scalar" pseudo-array of one element: it sorts after `[]` and before
// every other array (its element count is compared first, then the raw-scalar flag).

import type { JsonValue } from './json.js';
import { parseNumeric } from './numeric/numeric.js';
import { numericKey } from './numeric/numeric-key.js';

const tag = { null: 0x01, string: 0x02, number: 0x03, bool: 0x04, array: 0x05, object: 0x06 } as const;

class KeyWriter {
  private parts: Uint8Array[] = [];

  byte(b: number): void {
    this.parts.push(Uint8Array.of(b));
  }

  count(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
  }

  /** A string, order-preserving and prefix-free: 0x00 escaped as 00 01, terminated by 00 00. */
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.includes(0)) {
      const out: number[] = [];
      for (const c of bytes) {
        out.push(c);
        if (c === 0) out.push(1);
      }
      this.parts.push(Uint8Array.from(out));
    } else this.parts.push(bytes);
    this.parts.push(Uint8Array.of(0, 0));
  }

  raw(b: Uint8Array): void {
    this.parts.push(b);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function write(w: KeyWriter, v: JsonValue): void {
  switch (v.kind) {
    case 'null':
      w.byte(tag.null);
      return;
    case 'string':
      w.byte(tag.string);
      w.string(v.value);
      return;
    case 'number':
      w.byte(tag.number);
      w.raw(numericKey(parseNumeric(v.text)));
      return;
    case 'bool':
      w.byte(tag.bool);
      w.byte(v.value ? 1 : 0);
      return;
    case 'array':
      w.byte(tag.array);
      w.count(v.items.length);
      w.byte(1); // a real array (a raw scalar has 0 here)
      for (const x of v.items) write(w, x);
      return;
    case 'object': {
      w.byte(tag.object);
      w.count(v.entries.length);
      for (const [k, x] of storageOrder(v.entries)) {
        w.string(k);
        write(w, x);
      }
      return;
    }
  }
}

/** Object pairs in jsonb's storage order (shorter keys first, then byte order). */
function storageOrder(entries: readonly [string, JsonValue][]): [string, JsonValue][] {
  return entries
    .map((e) => [Buffer.from(e[0], 'utf8'), e] as const)
    .sort(([a], [b]) => (a.length !== b.length ? a.length - b.length : Buffer.compare(a, b)))
    .map(([, e]) => e);
}

/** The order/equality key of a jsonb value (as parsed from its stored normal form). */
export function jsonbSortKey(v: JsonValue): Buffer {
  const w = new KeyWriter();
  if (v.kind === 'array' || v.kind === 'object') write(w, v);
  else {
    // A raw scalar: an array of one element flagged as raw.
    w.byte(tag.array);
    w.count(1);
    w.byte(0);
    write(w, v);
  }
  return w.done();
}

/** PostgreSQL's jsonb comparison (-1, 0, 1). */
export function jsonbCompare(a: JsonValue, b: JsonValue): number {
  return Math.sign(Buffer.compare(jsonbSortKey(a), jsonbSortKey(b)));
}
