// The accumulator of interval input (PostgreSQL's pg_itm_in) and its overflow-checked adjusters:
// whole and fractional years, months, days and µs, fractions cascading down as PostgreSQL 15 does.

import { INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, rint } from '../datetime/datetime-core.js';

/** struct pg_itm_in: the fields accumulated while decoding. */
export interface ItmIn {
  usec: bigint;
  mday: number;
  mon: number;
  year: number;
}

export const US_PER_SEC = 1_000_000n;
export const US_PER_MINUTE = 60_000_000n;
export const US_PER_HOUR = 3_600_000_000n;
export const US_PER_DAY_F = 86_400_000_000;

export function addInt64(a: bigint, b: bigint): bigint | null {
  const r = a + b;
  return r < INT64_MIN || r > INT64_MAX ? null : r;
}

export function int32Ok(v: number): boolean {
  return v >= INT32_MIN && v <= INT32_MAX;
}

/** AdjustFractMicroseconds: frac * scale µs, rounded half away from zero past .5. */
export function adjustFractMicroseconds(frac: number, scale: number, itm: ItmIn): boolean {
  if (frac === 0) return true;
  let f = frac * scale;
  let usec = Math.trunc(f);
  f -= usec;
  if (f > 0.5) usec++;
  else if (f < -0.5) usec--;
  const r = addInt64(itm.usec, BigInt(usec));
  if (r === null) return false;
  itm.usec = r;
  return true;
}

export function adjustFractDays(frac: number, scale: number, itm: ItmIn): boolean {
  if (frac === 0) return true;
  let f = frac * scale;
  const extra = Math.trunc(f);
  if (!int32Ok(itm.mday + extra)) return false;
  itm.mday += extra;
  f -= extra;
  return adjustFractMicroseconds(f, US_PER_DAY_F, itm);
}

export function adjustFractYears(frac: number, scale: number, itm: ItmIn): boolean {
  const extra = Math.trunc(rint(frac * scale * 12));
  if (!int32Ok(itm.mon + extra)) return false;
  itm.mon += extra;
  return true;
}

export function adjustMicroseconds(val: bigint, fval: number, scale: bigint, itm: ItmIn): boolean {
  const p = val * scale;
  if (p < INT64_MIN || p > INT64_MAX) return false;
  const r = addInt64(itm.usec, p);
  if (r === null) return false;
  itm.usec = r;
  return adjustFractMicroseconds(fval, Number(scale), itm);
}

export function adjustDays(val: bigint, scale: number, itm: ItmIn): boolean {
  if (val < BigInt(INT32_MIN) || val > BigInt(INT32_MAX)) return false;
  const days = Number(val) * scale;
  if (!int32Ok(days) || !int32Ok(itm.mday + days)) return false;
  itm.mday += days;
  return true;
}

export function adjustMonths(val: bigint, itm: ItmIn): boolean {
  if (val < BigInt(INT32_MIN) || val > BigInt(INT32_MAX)) return false;
  if (!int32Ok(itm.mon + Number(val))) return false;
  itm.mon += Number(val);
  return true;
}

export function adjustYears(val: bigint, scale: number, itm: ItmIn): boolean {
  if (val < BigInt(INT32_MIN) || val > BigInt(INT32_MAX)) return false;
  const years = Number(val) * scale;
  if (!int32Ok(years) || !int32Ok(itm.year + years)) return false;
  itm.year += years;
  return true;
}
