// Float statistics as PostgreSQL 15 computes them (float.c), so results match to the last digit:
// the two-variable aggregates corr, covar_*, regr_* over PostgreSQL's float8_regr_accum state
// (N, Sx, Sxx, Sy, Syy, Sxy by the Youngs-Cramer update), and width_bucket over float8.
//
// | function                               | does                                                  |
// |----------------------------------------|-------------------------------------------------------|
// | aggregate pg_regr(y, x, kind)          | kind: corr, covar_pop, covar_samp, regr_slope, ...;   |
// |                                        | rows where y or x is NULL are skipped                 |
// | aggregate pg_regr_count(y, x)          | rows where neither is NULL (int8)                     |
// | pg_float_width_bucket(x, lo, hi, n)    | width_bucket(float8, float8, float8, int4)            |

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import type { StorageValue } from '../types/values.js';
import { floatOf, floatStorage } from '../types/values-simple.js';
import { defineAggregate } from './aggregate-functions.js';

interface RegrAcc {
  n: number;
  sx: number;
  sxx: number;
  sy: number;
  syy: number;
  sxy: number;
  kind: string;
}

const overflow = (): ChorusError => new ChorusError('22003', 'value out of range: overflow');

/** PostgreSQL's float8_regr_accum. */
function regrStep(a: RegrAcc, y: number, x: number): void {
  const n0 = a.n;
  const sx0 = a.sx;
  const sy0 = a.sy;
  a.n += 1;
  a.sx += x;
  a.sy += y;
  if (n0 > 0) {
    const tmpX = x * a.n - a.sx;
    const tmpY = y * a.n - a.sy;
    const scale = 1.0 / (a.n * n0);
    a.sxx += tmpX * tmpX * scale;
    a.syy += tmpY * tmpY * scale;
    a.sxy += tmpX * tmpY * scale;
    const inf = (v: number) => v === Infinity || v === -Infinity;
    if (inf(a.sx) || inf(a.sxx) || inf(a.sy) || inf(a.syy) || inf(a.sxy)) {
      if (
        ((inf(a.sx) || inf(a.sxx)) && !inf(sx0) && !inf(x)) ||
        ((inf(a.sy) || inf(a.syy)) && !inf(sy0) && !inf(y)) ||
        (inf(a.sxy) && !inf(sx0) && !inf(x) && !inf(sy0) && !inf(y))
      )
        throw overflow();
      if (inf(a.sxx)) a.sxx = Number.NaN;
      if (inf(a.syy)) a.syy = Number.NaN;
      if (inf(a.sxy)) a.sxy = Number.NaN;
    }
  } else {
    if (!Number.isFinite(x)) {
      a.sxx = Number.NaN;
      a.sxy = Number.NaN;
    }
    if (!Number.isFinite(y)) {
      a.syy = Number.NaN;
      a.sxy = Number.NaN;
    }
  }
}

/** The final functions (float8_regr_sxx, ..., float8_corr, float8_regr_intercept). */
function regrResult(a: RegrAcc): StorageValue {
  const { n, sx, sxx, sy, syy, sxy } = a;
  if (n < 1) return null;
  let v: number | null;
  switch (a.kind) {
    case 'regr_sxx':
      v = sxx;
      break;
    case 'regr_syy':
      v = syy;
      break;
    case 'regr_sxy':
      v = sxy;
      break;
    case 'regr_avgx':
      v = sx / n;
      break;
    case 'regr_avgy':
      v = sy / n;
      break;
    case 'covar_pop':
      v = sxy / n;
      break;
    case 'covar_samp':
      v = n < 2 ? null : sxy / (n - 1);
      break;
    case 'corr':
      v = sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
      break;
    case 'regr_r2':
      v = sxx === 0 ? null : syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
      break;
    case 'regr_slope':
      v = sxx === 0 ? null : sxy / sxx;
      break;
    case 'regr_intercept':
      v = sxx === 0 ? null : (sy - (sx * sxy) / sxx) / n;
      break;
    default:
      throw new ChorusError('XX000', `pg_regr: unknown aggregate ${a.kind}`);
  }
  return v === null ? null : floatStorage(v);
}

/** PostgreSQL's width_bucket_float8. */
export function floatWidthBucket(operand: number, b1: number, b2: number, count: number): number {
  const err = (m: string) => new ChorusError('2201G', m);
  if (count <= 0) throw err('count must be greater than zero');
  if (Number.isNaN(operand) || Number.isNaN(b1) || Number.isNaN(b2)) {
    throw err('operand, lower bound, and upper bound cannot be NaN');
  }
  if (!Number.isFinite(b1) || !Number.isFinite(b2)) throw err('lower and upper bounds must be finite');
  const top = (): number => {
    if (count + 1 > 2147483647) throw new ChorusError('22003', 'integer out of range');
    return count + 1;
  };
  if (b1 < b2) {
    if (operand < b1) return 0;
    if (operand >= b2) return top();
    return Math.trunc((count * (operand - b1)) / (b2 - b1) + 1);
  }
  if (b1 > b2) {
    if (operand > b1) return 0;
    if (operand <= b2) return top();
    return Math.trunc((count * (b1 - operand)) / (b1 - b2) + 1);
  }
  throw err('lower bound cannot equal upper bound');
}

export function registerStatFunctions(db: Database.Database): void {
  defineAggregate(db, 'pg_regr', {
    start: (): RegrAcc => ({ n: 0, sx: 0, sxx: 0, sy: 0, syy: 0, sxy: 0, kind: '' }),
    step: (acc: RegrAcc, y: unknown, x: unknown, kind: unknown) => {
      acc.kind = String(kind);
      if (y === null || x === null) return acc;
      regrStep(acc, floatOf(y as StorageValue), floatOf(x as StorageValue));
      return acc;
    },
    result: regrResult,
  } as never);
  defineAggregate(db, 'pg_regr_count', {
    start: () => ({ n: 0n }),
    step: (acc: { n: bigint }, y: unknown, x: unknown) => {
      if (y !== null && x !== null) acc.n++;
      return acc;
    },
    result: (acc: { n: bigint }) => acc.n,
  } as never);
  db.function('pg_float_width_bucket', { deterministic: true }, (x, lo, hi, n) => {
    if (x === null || lo === null || hi === null || n === null) return null;
    return floatWidthBucket(
      floatOf(x as StorageValue),
      floatOf(lo as StorageValue),
      floatOf(hi as StorageValue),
      Number(n),
    );
  });
}
