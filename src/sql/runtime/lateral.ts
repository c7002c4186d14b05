// LATERAL subqueries over SQLite, which has none: a FROM-clause subquery cannot see the items before
// it, but a table-valued function's arguments can. A correlated LATERAL subquery is run as a scalar
// subquery whose rows pg_lateral_pack() serializes (every SQLite value exactly: integer, real with
// -0, text, blob, NULL), and the table-valued pg_lateral_rows() yields them again as columns c1..cN.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';

/** Columns a correlated LATERAL subquery may have (the width of pg_lateral_rows). */
export const lateralColumnsMax = 100;

type Value = null | bigint | number | string | Uint8Array;

/** One value as JSON: null, or a tagged string (i: integer, r: real, s: text, b: blob in hex). */
function encode(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? 'r-0' : `r${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`;
  throw new ChorusError('XX000', `pg_lateral_pack: unexpected value ${typeof v}`);
}

function decode(v: string | null): Value {
  if (v === null) return null;
  const body = v.slice(1);
  switch (v[0]) {
    case 'i':
      return BigInt(body);
    case 'r':
      return Number(body);
    case 's':
      return body;
    case 'b':
      return Buffer.from(body, 'hex');
    default:
      throw new ChorusError('XX000', 'pg_lateral_rows: malformed rows');
  }
}

export function registerLateralFunctions(db: Database.Database): void {
  db.aggregate('pg_lateral_pack', {
    safeIntegers: true,
    varargs: true,
    start: () => [] as (string | null)[][],
    step: (rows: (string | null)[][], ...values: unknown[]) => {
      rows.push(values.map(encode));
    },
    result: (rows: (string | null)[][]) => JSON.stringify(rows),
  });
  const columns = Array.from({ length: lateralColumnsMax }, (_, i) => `c${i + 1}`);
  db.table('pg_lateral_rows', {
    columns,
    parameters: ['packed'],
    safeIntegers: true,
    *rows(packed: unknown) {
      if (typeof packed !== 'string') return;
      for (const row of JSON.parse(packed) as (string | null)[][]) {
        const out: Value[] = row.map(decode);
        while (out.length < lateralColumnsMax) out.push(null);
        yield out;
      }
    },
  });
}
