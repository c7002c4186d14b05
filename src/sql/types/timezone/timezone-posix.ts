// POSIX TZ strings as PostgreSQL's tzparse reads them when a name is not an IANA zone: 'UTC+3'
// (3 hours WEST of UTC), '<+05>-05', '+02:00', 'EST5EDT4,M3.2.0/2,M11.1.0/2'. Daylight time without
// rules follows ',M3.2.0,M11.1.0'; rules apply to every year (PostgreSQL extrapolates them).

/** Structurally the TimeZone of timezone.ts (kept here so the modules do not import each other). */
export interface PosixZone {
  readonly name: string;
  readonly fixedOffset: number | null;
  offsetAt(utcSec: number): number;
}

const SECS_PER_HOUR = 3600;
const SECS_PER_DAY = 86_400;
/** POSIX offsets and rule times stop below a week of hours. */
const MAX_POSIX_HOURS = 167;
const DEFAULT_RULES = ',M3.2.0,M11.1.0';
const RULE_CACHE_MAX_YEARS = 4096;

type Rule =
  | { kind: 'julian'; day: number; time: number }
  | { kind: 'yday'; day: number; time: number }
  | { kind: 'mwd'; month: number; week: number; dow: number; time: number };

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  cur(): string {
    return this.s[this.pos] ?? '';
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** A zone name: quoted <...> or the run up to a digit, sign or comma. */
function zoneName(c: Cursor): string | null {
  const start = c.pos;
  if (c.cur() === '<') {
    c.pos++;
    while (c.cur() !== '' && c.cur() !== '>') c.pos++;
    if (c.cur() !== '>') return null;
    c.pos++;
    return c.s.slice(start + 1, c.pos - 1);
  }
  while (c.cur() !== '' && !isDigit(c.cur()) && c.cur() !== ',' && c.cur() !== '-' && c.cur() !== '+')
    c.pos++;
  return c.s.slice(start, c.pos);
}

function num(c: Cursor, min: number, max: number): number | null {
  if (!isDigit(c.cur())) return null;
  let n = 0;
  while (isDigit(c.cur())) {
    n = n * 10 + Number(c.cur());
    if (n > max) return null;
    c.pos++;
  }
  return n < min ? null : n;
}

/** hh[:mm[:ss]] in seconds. */
function secs(c: Cursor): number | null {
  const h = num(c, 0, MAX_POSIX_HOURS);
  if (h === null) return null;
  let total = h * SECS_PER_HOUR;
  if (c.cur() === ':') {
    c.pos++;
    const m = num(c, 0, 59);
    if (m === null) return null;
    total += m * 60;
    if (c.cur() === ':') {
      c.pos++;
      const s = num(c, 0, 60);
      if (s === null) return null;
      total += s;
    }
  }
  return total;
}

/** [+-]hh[:mm[:ss]], POSIX sign (positive = west of UTC). */
function offset(c: Cursor): number | null {
  let sign = 1;
  if (c.cur() === '-') {
    sign = -1;
    c.pos++;
  } else if (c.cur() === '+') c.pos++;
  const v = secs(c);
  return v === null ? null : sign * v;
}

function rule(c: Cursor): Rule | null {
  let r: Rule;
  if (c.cur() === 'J') {
    c.pos++;
    const day = num(c, 1, 365);
    if (day === null) return null;
    r = { kind: 'julian', day, time: 2 * SECS_PER_HOUR };
  } else if (c.cur() === 'M') {
    c.pos++;
    const month = num(c, 1, 12);
    if (month === null || c.cur() !== '.') return null;
    c.pos++;
    const week = num(c, 1, 5);
    if (week === null || c.cur() !== '.') return null;
    c.pos++;
    const dow = num(c, 0, 6);
    if (dow === null) return null;
    r = { kind: 'mwd', month, week, dow, time: 2 * SECS_PER_HOUR };
  } else if (isDigit(c.cur())) {
    const day = num(c, 0, 365);
    if (day === null) return null;
    r = { kind: 'yday', day, time: 2 * SECS_PER_HOUR };
  } else return null;
  if (c.cur() === '/') {
    c.pos++;
    const t = offset(c);
    if (t === null) return null;
    r.time = t;
  }
  return r;
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Seconds since 1970 of January 1st 00:00 UTC of a year. */
function janFirst(year: number): number {
  const y = year - 1;
  const days = 365 * (year - 1970) + (Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) - 477;
  return days * SECS_PER_DAY;
}

/** UTC second of a rule's transition in a year, the local rule time read at `posixOffset`. */
function transitionTime(year: number, r: Rule, posixOffset: number): number {
  const leap = isLeap(year);
  let value = janFirst(year);
  if (r.kind === 'julian') {
    value += (r.day - 1) * SECS_PER_DAY;
    if (leap && r.day >= 60) value += SECS_PER_DAY;
  } else if (r.kind === 'yday') {
    value += r.day * SECS_PER_DAY;
  } else {
    for (let i = 0; i < r.month - 1; i++)
      value += (MONTH_DAYS[i]! + (i === 1 && leap ? 1 : 0)) * SECS_PER_DAY;
    const firstDow = (((Math.floor(value / SECS_PER_DAY) + 4) % 7) + 7) % 7;
    const monthLen = MONTH_DAYS[r.month - 1]! + (r.month === 2 && leap ? 1 : 0);
    let d = r.dow - firstDow;
    if (d < 0) d += 7;
    for (let i = 1; i < r.week; i++) {
      if (d + 7 >= monthLen) break;
      d += 7;
    }
    value += d * SECS_PER_DAY;
  }
  return value + r.time + posixOffset;
}

class PosixRuleZone implements PosixZone {
  readonly fixedOffset = null;
  private readonly years = new Map<number, [number, number]>();
  constructor(
    readonly name: string,
    private readonly stdOffset: number,
    private readonly dstOffset: number,
    private readonly start: Rule,
    private readonly end: Rule,
  ) {}

  /** [DST start, DST end] of a year in UTC seconds. */
  private bounds(year: number): [number, number] {
    let b = this.years.get(year);
    if (b === undefined) {
      b = [transitionTime(year, this.start, this.stdOffset), transitionTime(year, this.end, this.dstOffset)];
      if (this.years.size >= RULE_CACHE_MAX_YEARS) this.years.clear();
      this.years.set(year, b);
    }
    return b;
  }

  offsetAt(utcSec: number): number {
    const year = 1970 + Math.floor(utcSec / (365.2425 * SECS_PER_DAY));
    let inDst: boolean | null = null;
    let last = Number.NEGATIVE_INFINITY;
    for (let y = year - 1; y <= year + 1; y++) {
      const [s, e] = this.bounds(y);
      if (s <= utcSec && s > last) {
        last = s;
        inDst = true;
      }
      if (e <= utcSec && e > last) {
        last = e;
        inDst = false;
      }
    }
    return inDst === true ? -this.dstOffset : -this.stdOffset;
  }
}

/** A POSIX TZ string (upper-cased, as pg_tzset passes it) as a zone; null when it does not parse. */
export function parsePosixZone(name: string): PosixZone | null {
  const c = new Cursor(name);
  if (zoneName(c) === null || c.cur() === '') return null;
  const std = offset(c);
  if (std === null) return null;
  if (c.cur() === '') {
    const east = -std;
    return { name, fixedOffset: east, offsetAt: () => east };
  }
  const dstName = zoneName(c);
  if (dstName === null || dstName === '') return null; // an empty STD name is allowed, an empty DST name not
  let dst = std - SECS_PER_HOUR;
  if (c.cur() !== '' && c.cur() !== ',' && c.cur() !== ';') {
    const d = offset(c);
    if (d === null) return null;
    dst = d;
  }
  const rules = c.cur() === '' ? new Cursor(DEFAULT_RULES) : c;
  if (rules.cur() !== ',' && rules.cur() !== ';') return null;
  rules.pos++;
  const start = rule(rules);
  if (start === null || rules.cur() !== ',') return null;
  rules.pos++;
  const end = rule(rules);
  if (end === null || rules.cur() !== '') return null;
  return new PosixRuleZone(name, std, dst, start, end);
}
