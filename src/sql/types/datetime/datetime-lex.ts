// Date/time input tokens, as PostgreSQL 15's ParseDateTime splits text into fields (numbers, dates,
// times, words, signed zones), the keyword tables (datetktbl: months, days, 'now', 'epoch', ...;
// deltatktbl: interval and EXTRACT units), and the error codes the decoders return.

import { fixedAbbrev } from '../timezone/timezone-abbrevs.js';

/** Field kinds ParseDateTime assigns. */
export enum Ft {
  Number = 0,
  String = 1,
  Date = 2,
  Time = 3,
  Tz = 4,
  Special = 6,
}

export interface Field {
  text: string;
  type: Ft;
}

/** Why a date/time input was refused (PostgreSQL's DTERR_* codes). */
export enum DtErr {
  BadFormat = -1,
  FieldOverflow = -2,
  MdFieldOverflow = -3,
  IntervalOverflow = -4,
  TzDispOverflow = -5,
  BadTimezone = -6,
}

/** Token types (datetkn.type) and the field bits of DTK_M(). */
export enum Tk {
  Reserv = 0,
  Month = 1,
  Year = 2,
  Day = 3,
  Julian = 4,
  Tz = 5,
  Dtz = 6,
  DynTz = 7,
  IgnoreDtf = 8,
  AmPm = 9,
  Hour = 10,
  Minute = 11,
  Second = 12,
  Millisecond = 13,
  Microsecond = 14,
  Doy = 15,
  Dow = 16,
  Units = 17,
  AdBc = 18,
  Ago = 19,
  IsoTime = 23,
  Week = 24,
  Decade = 25,
  Century = 26,
  Millennium = 27,
  DtzMod = 28,
  Unknown = 31,
}

/** Token values (DTK_* codes). */
export enum Dtk {
  Number = 0,
  Date = 2,
  Time = 3,
  Tz = 4,
  Early = 9,
  Late = 10,
  Epoch = 11,
  Now = 12,
  Yesterday = 13,
  Today = 14,
  Tomorrow = 15,
  Zulu = 16,
  Delta = 17,
  Second = 18,
  Minute = 19,
  Hour = 20,
  Day = 21,
  Week = 22,
  Month = 23,
  Quarter = 24,
  Year = 25,
  Decade = 26,
  Century = 27,
  Millennium = 28,
  Millisec = 29,
  Microsec = 30,
  Julian = 31,
  Dow = 32,
  Doy = 33,
  TzHour = 34,
  TzMinute = 35,
  IsoYear = 36,
  IsoDow = 37,
}

export const AM = 0;
export const PM = 1;
export const HR24 = 2;
export const AD = 0;
export const BC = 1;

export function dtkM(t: Tk): number {
  return 1 << t;
}
export const DTK_ALL_SECS_M = dtkM(Tk.Second) | dtkM(Tk.Millisecond) | dtkM(Tk.Microsecond);
export const DTK_DATE_M = dtkM(Tk.Year) | dtkM(Tk.Month) | dtkM(Tk.Day);
export const DTK_TIME_M = dtkM(Tk.Hour) | dtkM(Tk.Minute) | DTK_ALL_SECS_M;

export interface Token {
  type: Tk;
  value: number;
}

function table(entries: [string, Tk, number][]): Map<string, Token> {
  return new Map(entries.map(([k, type, value]) => [k, { type, value }]));
}

/** datetktbl of PostgreSQL 15. */
const DATE_TOKENS = table([
  ['-infinity', Tk.Reserv, Dtk.Early],
  ['ad', Tk.AdBc, AD],
  ['allballs', Tk.Reserv, Dtk.Zulu],
  ['am', Tk.AmPm, AM],
  ['at', Tk.IgnoreDtf, 0],
  ['bc', Tk.AdBc, BC],
  ['d', Tk.Units, Dtk.Day],
  ['dow', Tk.Units, Dtk.Dow],
  ['doy', Tk.Units, Dtk.Doy],
  ['dst', Tk.DtzMod, 3600],
  ['epoch', Tk.Reserv, Dtk.Epoch],
  ['h', Tk.Units, Dtk.Hour],
  ['infinity', Tk.Reserv, Dtk.Late],
  ['isodow', Tk.Units, Dtk.IsoDow],
  ['isoyear', Tk.Units, Dtk.IsoYear],
  ['j', Tk.Units, Dtk.Julian],
  ['jd', Tk.Units, Dtk.Julian],
  ['julian', Tk.Units, Dtk.Julian],
  ['m', Tk.Units, Dtk.Month],
  ['mm', Tk.Units, Dtk.Minute],
  ['now', Tk.Reserv, Dtk.Now],
  ['on', Tk.IgnoreDtf, 0],
  ['pm', Tk.AmPm, PM],
  ['s', Tk.Units, Dtk.Second],
  ['t', Tk.IsoTime, Dtk.Time],
  ['today', Tk.Reserv, Dtk.Today],
  ['tomorrow', Tk.Reserv, Dtk.Tomorrow],
  ['y', Tk.Units, Dtk.Year],
  ['yesterday', Tk.Reserv, Dtk.Yesterday],
  ...(
    [
      ['jan', 'january'],
      ['feb', 'february'],
      ['mar', 'march'],
      ['apr', 'april'],
      ['may'],
      ['jun', 'june'],
      ['jul', 'july'],
      ['aug', 'august'],
      ['sep', 'sept', 'september'],
      ['oct', 'october'],
      ['nov', 'november'],
      ['dec', 'december'],
    ] as string[][]
  ).flatMap((names, i) => names.map((n): [string, Tk, number] => [n, Tk.Month, i + 1])),
  ...(
    [
      ['sun', 'sunday'],
      ['mon', 'monday'],
      ['tue', 'tues', 'tuesday'],
      ['wed', 'wednesday', 'weds'],
      ['thu', 'thur', 'thurs', 'thursday'],
      ['fri', 'friday'],
      ['sat', 'saturday'],
    ] as string[][]
  ).flatMap((names, i) => names.map((n): [string, Tk, number] => [n, Tk.Dow, i])),
]);

/** deltatktbl of PostgreSQL 15 (interval and EXTRACT units). */
const DELTA_TOKENS = table([
  ['@', Tk.IgnoreDtf, 0],
  ['ago', Tk.Ago, 0],
  ...(
    [
      [Dtk.Century, 'c', 'cent', 'centuries', 'century'],
      [Dtk.Day, 'd', 'day', 'days'],
      [Dtk.Decade, 'dec', 'decade', 'decades', 'decs'],
      [Dtk.Hour, 'h', 'hour', 'hours', 'hr', 'hrs'],
      [Dtk.Minute, 'm', 'min', 'mins', 'minute', 'minutes'],
      [Dtk.Microsec, 'microsecon', 'us', 'usec', 'usecond', 'useconds', 'usecs'],
      [Dtk.Millennium, 'mil', 'millennia', 'millennium', 'mils'],
      [Dtk.Millisec, 'millisecon', 'ms', 'msec', 'msecond', 'mseconds', 'msecs'],
      [Dtk.Month, 'mon', 'mons', 'month', 'months'],
      [Dtk.Quarter, 'qtr', 'quarter'],
      [Dtk.Second, 's', 'sec', 'second', 'seconds', 'secs'],
      [Dtk.Tz, 'timezone'],
      [Dtk.TzHour, 'timezone_h'],
      [Dtk.TzMinute, 'timezone_m'],
      [Dtk.Week, 'w', 'week', 'weeks'],
      [Dtk.Year, 'y', 'year', 'years', 'yr', 'yrs'],
    ] as [Dtk, ...string[]][]
  ).flatMap(([v, ...names]) => names.map((n): [string, Tk, number] => [n, Tk.Units, v])),
]);

/** PostgreSQL compares at most TOKMAXLEN characters of a keyword. */
const TOKMAXLEN = 10;

function lookup(tbl: Map<string, Token>, lowtoken: string): Token | undefined {
  return tbl.get(lowtoken.length > TOKMAXLEN ? lowtoken.slice(0, TOKMAXLEN) : lowtoken);
}

/** DecodeSpecial: a date keyword, or type Unknown. */
export function decodeSpecial(lowtoken: string): Token {
  return lookup(DATE_TOKENS, lowtoken) ?? { type: Tk.Unknown, value: 0 };
}

/** DecodeUnits: an interval unit keyword, or type Unknown. */
export function decodeUnits(lowtoken: string): Token {
  return lookup(DELTA_TOKENS, lowtoken) ?? { type: Tk.Unknown, value: 0 };
}

/** A fixed time zone abbreviation as a token (TZ or DTZ, value = seconds east of UTC). */
export function decodeFixedAbbrev(lowtoken: string): Token | undefined {
  const a = fixedAbbrev(lowtoken);
  return a === undefined ? undefined : { type: a.dst ? Tk.Dtz : Tk.Tz, value: a.offset };
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
function isSpace(c: string): boolean {
  return c === ' ' || (c >= '\t' && c <= '\r');
}
function isPunct(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 32 && code < 127 && !isDigit(c) && !isAlpha(c);
}
function lower(c: string): string {
  return c >= 'A' && c <= 'Z' ? c.toLowerCase() : c;
}

/** Most fields PostgreSQL splits an input into (MAXDATEFIELDS). */
export const MAX_DATE_FIELDS = 25;
/** ParseDateTime's work buffer for date/time input (MAXDATELEN + MAXDATEFIELDS). */
export const DATETIME_WORKBUF_CHARS = 128 + MAX_DATE_FIELDS;
/** interval_in's work buffer. */
export const INTERVAL_WORKBUF_CHARS = 256;

/**
 * ParseDateTime: splits input into fields. Letters are lower-cased; returns DtErr.BadFormat when
 * the text has characters no field can hold or more fields/characters than PostgreSQL's buffers.
 */
export function parseDateTime(input: string, bufChars: number): Field[] | DtErr {
  const fields: Field[] = [];
  let used = 0;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (fields.length >= MAX_DATE_FIELDS) return DtErr.BadFormat;
    let text = '';
    let type: Ft;
    const take = (ch: string): boolean => {
      if (used + 1 >= bufChars) return false;
      used++;
      text += ch;
      return true;
    };
    if (isDigit(c)) {
      while (i < n && isDigit(input[i]!)) if (!take(input[i++]!)) return DtErr.BadFormat;
      const d = input[i] ?? '';
      if (d === ':') {
        type = Ft.Time;
        do if (!take(input[i++]!)) return DtErr.BadFormat;
        while (i < n && (isDigit(input[i]!) || input[i] === ':' || input[i] === '.'));
      } else if (d === '-' || d === '/' || d === '.') {
        if (!take(input[i++]!)) return DtErr.BadFormat;
        if (i < n && isDigit(input[i]!)) {
          type = d === '.' ? Ft.Number : Ft.Date;
          while (i < n && isDigit(input[i]!)) if (!take(input[i++]!)) return DtErr.BadFormat;
          if (input[i] === d) {
            type = Ft.Date;
            if (!take(input[i++]!)) return DtErr.BadFormat;
            while (i < n && (isDigit(input[i]!) || input[i] === d))
              if (!take(input[i++]!)) return DtErr.BadFormat;
          }
        } else {
          type = Ft.Date;
          while (i < n && (isDigit(input[i]!) || isAlpha(input[i]!) || input[i] === d))
            if (!take(lower(input[i++]!))) return DtErr.BadFormat;
        }
      } else type = Ft.Number;
    } else if (c === '.') {
      if (!take(input[i++]!)) return DtErr.BadFormat;
      while (i < n && isDigit(input[i]!)) if (!take(input[i++]!)) return DtErr.BadFormat;
      type = Ft.Number;
    } else if (isAlpha(c)) {
      type = Ft.String;
      while (i < n && isAlpha(input[i]!)) if (!take(lower(input[i++]!))) return DtErr.BadFormat;
      const d = input[i] ?? '';
      let isDate = d === '-' || d === '/' || d === '.';
      if (!isDate && (d === '+' || isDigit(d))) isDate = lookup(DATE_TOKENS, text) === undefined;
      if (isDate) {
        type = Ft.Date;
        do if (!take(lower(input[i++]!))) return DtErr.BadFormat;
        while (i < n && /[-+/_.:A-Za-z0-9]/.test(input[i]!));
      }
    } else if (c === '+' || c === '-') {
      if (!take(input[i++]!)) return DtErr.BadFormat;
      while (i < n && isSpace(input[i]!)) i++;
      if (i < n && isDigit(input[i]!)) {
        type = Ft.Tz;
        do if (!take(input[i++]!)) return DtErr.BadFormat;
        while (i < n && (isDigit(input[i]!) || input[i] === ':' || input[i] === '.' || input[i] === '-'));
      } else if (i < n && isAlpha(input[i]!)) {
        type = Ft.Special;
        while (i < n && isAlpha(input[i]!)) if (!take(lower(input[i++]!))) return DtErr.BadFormat;
      } else return DtErr.BadFormat;
    } else if (isPunct(c)) {
      i++;
      continue;
    } else return DtErr.BadFormat;
    used++; // the field's terminator
    fields.push({ text, type });
  }
  return fields;
}
