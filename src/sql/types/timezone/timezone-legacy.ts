// The legacy zones PostgreSQL's tzdata (2025b, as Debian ships it) still defines on their own —
// EST, MST, HST, EST5EDT, CST6CDT, MST7MDT, PST8PDT, CET, MET, EET, WET — while ICU now treats
// them as links (EST5EDT → America/New_York, with local mean time and New York's own history).
// Their zic rules (US 'u', central-European 'c', EU 'E') are evaluated here.

/** Structurally the TimeZone of timezone.ts. */
export interface LegacyZone {
  readonly name: string;
  readonly fixedOffset: number | null;
  offsetAt(utcSec: number): number;
}

/** zic rules: from to month day at[s|u] save(h). 'o' = only that year, 'ma' = every year after. */
const RULES: Record<string, string> = {
  u: `1918 1919 Mar lastSu 2 1;1918 1919 O lastSu 2 0;1942 o F 9 2 1;1945 o Au 14 23u 1;1945 o S 30 2 0;
      1967 2006 O lastSu 2 0;1967 1973 Ap lastSu 2 1;1974 o Ja 6 2 1;1975 o F lastSu 2 1;
      1976 1986 Ap lastSu 2 1;1987 2006 Ap Su>=1 2 1;2007 ma Mar Su>=8 2 1;2007 ma N Su>=1 2 0`,
  c: `1916 o Ap 30 23 1;1916 o O 1 1 0;1917 1918 Ap M>=15 2s 1;1917 1918 S M>=15 2s 0;1940 o Ap 1 2s 1;
      1942 o N 2 2s 0;1943 o Mar 29 2s 1;1943 o O 4 2s 0;1944 1945 Ap M>=1 2s 1;1944 o O 2 2s 0;
      1945 o S 16 2s 0;1977 1980 Ap Su>=1 2s 1;1977 o S lastSu 2s 0;1978 o O 1 2s 0;
      1979 1995 S lastSu 2s 0;1981 ma Mar lastSu 2s 1;1996 ma O lastSu 2s 0`,
  E: `1977 1980 Ap Su>=1 1u 1;1977 o S lastSu 1u 0;1978 o O 1 1u 0;1979 1995 S lastSu 1u 0;
      1981 ma Mar lastSu 1u 1;1996 ma O lastSu 1u 0`,
};

/** name → [standard offset in hours, rule set]. */
const ZONES: Record<string, [number, string | null]> = {
  EST: [-5, null],
  MST: [-7, null],
  HST: [-10, null],
  EST5EDT: [-5, 'u'],
  CST6CDT: [-6, 'u'],
  MST7MDT: [-7, 'u'],
  PST8PDT: [-8, 'u'],
  CET: [1, 'c'],
  MET: [1, 'c'],
  EET: [2, 'E'],
  WET: [0, 'E'],
};

const SECS_PER_DAY = 86_400;
const MONTHS = ['Ja', 'F', 'Mar', 'Ap', 'May', 'Jun', 'Jul', 'Au', 'S', 'O', 'N', 'D'];
const DOWS = ['Su', 'M', 'Tu', 'W', 'Th', 'F', 'Sa'];
/** Transitions are tabulated up to this year; later instants repeat with the 400-year cycle. */
const LAST_TABLE_YEAR = 2400;
const CYCLE_400Y_SECS = 146_097 * SECS_PER_DAY;
const LAST_TABLE_SECS = 13_569_465_600; // 2400-01-01

interface Rule {
  from: number;
  to: number;
  month: number;
  day: string;
  at: number;
  atKind: 'w' | 's' | 'u';
  save: number;
}

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

function monthLength(y: number, m: number): number {
  return daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
}

function dow(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Day of month of a zic day spec ('30', 'lastSu', 'Su>=8') in a year and month. */
function dayOfMonth(spec: string, y: number, m: number): number {
  if (spec.startsWith('last')) {
    const want = DOWS.indexOf(spec.slice(4));
    let d = monthLength(y, m);
    while (dow(daysFromCivil(y, m, d)) !== want) d--;
    return d;
  }
  const ge = /^(\w+)>=(\d+)$/.exec(spec);
  if (ge) {
    const want = DOWS.indexOf(ge[1]!);
    let d = Number(ge[2]);
    while (dow(daysFromCivil(y, m, d)) !== want) d++;
    return d;
  }
  return Number(spec);
}

function parseRules(text: string): Rule[] {
  return text
    .split(';')
    .map((r) => r.trim().split(/\s+/))
    .map(([from, to, month, day, at, save]) => {
      const kind = at!.endsWith('s') ? 's' : at!.endsWith('u') ? 'u' : 'w';
      return {
        from: Number(from),
        to: to === 'o' ? Number(from) : to === 'ma' ? LAST_TABLE_YEAR : Number(to),
        month: MONTHS.indexOf(month!) + 1,
        day: day!,
        at: Number(at!.replace(/[su]$/, '')) * 3600,
        atKind: kind,
        save: Number(save) * 3600,
      };
    });
}

class RuleZone implements LegacyZone {
  readonly fixedOffset = null;
  private table: { at: number; offset: number }[] | undefined;
  constructor(
    readonly name: string,
    private readonly std: number,
    private readonly rules: Rule[],
  ) {}

  private build(): { at: number; offset: number }[] {
    const out: { at: number; offset: number }[] = [];
    let save = 0;
    for (let y = this.rules[0]!.from; y < LAST_TABLE_YEAR; y++) {
      const inYear = this.rules
        .filter((r) => r.from <= y && y <= r.to)
        .map((r) => ({
          r,
          local: daysFromCivil(y, r.month, dayOfMonth(r.day, y, r.month)) * SECS_PER_DAY + r.at,
        }))
        .sort((a, b) => a.local - b.local);
      for (const { r, local } of inYear) {
        const at = r.atKind === 'u' ? local : r.atKind === 's' ? local - this.std : local - this.std - save;
        save = r.save;
        out.push({ at, offset: this.std + save });
      }
    }
    return out;
  }

  offsetAt(utcSec: number): number {
    this.table ??= this.build();
    let t = utcSec;
    if (t >= LAST_TABLE_SECS) t -= Math.ceil((t - LAST_TABLE_SECS + 1) / CYCLE_400Y_SECS) * CYCLE_400Y_SECS;
    const tbl = this.table;
    let lo = 0;
    let hi = tbl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tbl[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? this.std : tbl[lo - 1]!.offset;
  }
}

const cache = new Map<string, LegacyZone>();

/** The legacy zone of a name (case-insensitive), if it is one of them. */
export function legacyZone(name: string): LegacyZone | null {
  const key = name.toUpperCase();
  const def = ZONES[key];
  if (def === undefined) return null;
  let z = cache.get(key);
  if (z === undefined) {
    const std = def[0] * 3600;
    z =
      def[1] === null
        ? { name: key, fixedOffset: std, offsetAt: () => std }
        : new RuleZone(key, std, parseRules(RULES[def[1]]!));
    cache.set(key, z);
  }
  return z;
}
