// Character sets of the regex engine: sorted code point ranges with an ASCII lookup table, and the
// C locale's character classes and case folding (the database's locale is C, so classes and case
// apply to ASCII only, as in a PostgreSQL database created with `initdb --locale=C`).

/** The largest Unicode code point. */
export const codePointMax = 0x10ffff;

/** An immutable set of code points. */
export class CharSet {
  /** Sorted, disjoint, non-adjacent inclusive ranges: [lo0, hi0, lo1, hi1, ...]. */
  readonly ranges: readonly number[];
  private readonly ascii: Uint8Array;

  constructor(ranges: number[]) {
    this.ranges = normalize(ranges);
    this.ascii = new Uint8Array(128);
    const r = this.ranges;
    for (let i = 0; i < r.length && r[i]! < 128; i += 2) {
      for (let c = r[i]!; c <= Math.min(r[i + 1]!, 127); c++) this.ascii[c] = 1;
    }
  }

  has(c: number): boolean {
    if (c < 128) return this.ascii[c] === 1;
    const r = this.ranges;
    let lo = 0;
    let hi = r.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (c < r[mid * 2]!) hi = mid - 1;
      else if (c > r[mid * 2 + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: CharSet): CharSet {
    return new CharSet([...this.ranges, ...other.ranges]);
  }

  complement(): CharSet {
    const out: number[] = [];
    let next = 0;
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i]! > next) out.push(next, r[i]! - 1);
      next = r[i + 1]! + 1;
    }
    if (next <= codePointMax) out.push(next, codePointMax);
    return new CharSet(out);
  }

  without(c: number): CharSet {
    if (!this.has(c)) return this;
    const out: number[] = [];
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      const lo = r[i]!;
      const hi = r[i + 1]!;
      if (c < lo || c > hi) out.push(lo, hi);
      else {
        if (lo < c) out.push(lo, c - 1);
        if (c < hi) out.push(c + 1, hi);
      }
    }
    return new CharSet(out);
  }
}

function normalize(ranges: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

export const anyChar = new CharSet([0, codePointMax]);
export const newline = 10;

function isAsciiAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Word characters for \m \M \y \Y and \w: [[:alnum:]_]. */
export function isWordChar(c: number): boolean {
  return isAsciiAlpha(c) || (c >= 48 && c <= 57) || c === 95;
}

function asciiWhere(test: (c: number) => boolean): CharSet {
  const out: number[] = [];
  for (let c = 0; c < 128; c++) if (test(c)) out.push(c, c);
  return new CharSet(out);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isGraph = (c: number): boolean => c >= 33 && c <= 126;

/** PostgreSQL's class names ([[:name:]]) in the C locale. */
export const classSets: ReadonlyMap<string, CharSet> = new Map([
  ['alnum', asciiWhere((c) => isAsciiAlpha(c) || isDigit(c))],
  ['alpha', asciiWhere(isAsciiAlpha)],
  ['ascii', new CharSet([0, 127])],
  ['blank', asciiWhere((c) => c === 32 || c === 9)],
  ['cntrl', asciiWhere((c) => c < 32 || c === 127)],
  ['digit', asciiWhere(isDigit)],
  ['graph', asciiWhere(isGraph)],
  ['lower', asciiWhere((c) => c >= 97 && c <= 122)],
  ['print', asciiWhere((c) => c >= 32 && c <= 126)],
  ['punct', asciiWhere((c) => isGraph(c) && !isAsciiAlpha(c) && !isDigit(c))],
  ['space', asciiWhere((c) => c === 32 || (c >= 9 && c <= 13))],
  ['upper', asciiWhere((c) => c >= 65 && c <= 90)],
  ['xdigit', asciiWhere((c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))],
  ['word', asciiWhere(isWordChar)],
]);

/** The class a name means, with PostgreSQL's rule that upper and lower mean alpha when case is ignored. */
export function classSet(name: string, icase: boolean): CharSet | undefined {
  return classSets.get(icase && (name === 'upper' || name === 'lower') ? 'alpha' : name);
}

/** The characters of lo..hi, with their other case when case is ignored (ASCII letters only). */
export function rangeSet(lo: number, hi: number, icase: boolean): CharSet {
  const out = [lo, hi];
  if (icase) {
    for (let c = Math.max(lo, 65); c <= Math.min(hi, 122); c++) {
      if (isAsciiAlpha(c)) out.push(c ^ 32, c ^ 32);
    }
  }
  return new CharSet(out);
}
