// Output functions: date_out, time_out, timestamp_out, timestamptz_out with DateStyle ISO as
// PostgreSQL 15 prints them ('2026-12-07 05:06:07.5+05:30', '0044-03-15 BC', 'infinity').

import type { TimeZone } from '../timezone/timezone.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  j2date,
  pad,
  TIMESTAMP_NEG_INFINITY,
  TIMESTAMP_POS_INFINITY,
  type Tm,
  timeFields,
  timestampOutOfRange,
  timestampToTm,
  UNIX_EPOCH_JDATE,
} from './datetime-core.js';
import { localTm } from './datetime-zone.js';

/** Seconds with the fraction PostgreSQL prints: 2 digits, then up to 6 without trailing zeros. */
export function secondsText(sec: number, fsec: number): string {
  const s = pad(sec, 2);
  if (fsec === 0) return s;
  let f = String(Math.abs(fsec)).padStart(6, '0');
  let end = f.length;
  while (end > 1 && f[end - 1] === '0') end--;
  f = f.slice(0, end);
  return `${s}.${f}`;
}

function yearText(year: number): string {
  return pad(year > 0 ? year : -(year - 1), 4);
}

/** EncodeTimezone: '+05', '-03:30', '+00:09:21' (gmtoff in seconds east of UTC). */
export function offsetText(gmtoff: number): string {
  let sec = Math.abs(gmtoff);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hour = Math.floor(min / 60);
  min -= hour * 60;
  const sign = gmtoff >= 0 ? '+' : '-';
  if (sec !== 0) return `${sign}${pad(hour, 2)}:${pad(min, 2)}:${pad(sec, 2)}`;
  if (min !== 0) return `${sign}${pad(hour, 2)}:${pad(min, 2)}`;
  return `${sign}${pad(hour, 2)}`;
}

/** date_out. */
export function dateOut(days: number): string {
  if (days === DATE_NEG_INFINITY) return '-infinity';
  if (days === DATE_POS_INFINITY) return 'infinity';
  const [y, m, d] = j2date(days + UNIX_EPOCH_JDATE);
  const text = `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}`;
  return y <= 0 ? `${text} BC` : text;
}

/** time_out: 'HH:MM:SS[.ffffff]' (24:00:00 possible). */
export function timeOut(us: bigint): string {
  const [h, m, s, f] = timeFields(Number(us));
  return `${pad(h, 2)}:${pad(m, 2)}:${secondsText(s, f)}`;
}

function dateTimeText(tm: Tm, zone: string): string {
  const text = `${yearText(tm.year)}-${pad(tm.mon, 2)}-${pad(tm.mday, 2)} ${pad(tm.hour, 2)}:${pad(tm.min, 2)}:${secondsText(tm.sec, tm.fsec)}${zone}`;
  return tm.year <= 0 ? `${text} BC` : text;
}

/** timestamp_out. */
export function timestampOut(us: bigint): string {
  if (us === TIMESTAMP_NEG_INFINITY) return '-infinity';
  if (us === TIMESTAMP_POS_INFINITY) return 'infinity';
  const tm = timestampToTm(us);
  if (tm === null) throw timestampOutOfRange();
  return dateTimeText(tm, '');
}

/** timestamptz_out in a zone. */
export function timestamptzOut(us: bigint, zone: TimeZone): string {
  if (us === TIMESTAMP_NEG_INFINITY) return '-infinity';
  if (us === TIMESTAMP_POS_INFINITY) return 'infinity';
  const { tm, gmtoff } = localTm(us, zone);
  return dateTimeText(tm, offsetText(gmtoff));
}
