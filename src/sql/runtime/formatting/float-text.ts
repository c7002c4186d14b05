// C's printf("%.*f") and printf("%+.*e") for doubles, exactly as glibc prints them: the double's
// exact binary value rounded half-to-even at the requested digit (JavaScript's toFixed rounds ties
// away from zero and gives up past 1e21). Non-finite values print as PostgreSQL's snprintf prints
// them (NaN, Infinity, -Infinity).

/** The exact value of a finite double as (negative, digits, scale): |x| = digits / 10^scale. */
function exactDecimal(x: number): { negative: boolean; digits: bigint; scale: number } {
  const negative = x < 0 || Object.is(x, -0);
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  if (e >= 0) return { negative, digits: mant << BigInt(e), scale: 0 };
  // mant / 2^-e = mant * 5^-e / 10^-e
  return { negative, digits: mant * 5n ** BigInt(-e), scale: -e };
}

/** digits / 10^scale rounded half-to-even to `keep` decimal places (as an integer of 10^-keep). */
function roundTo(digits: bigint, scale: number, keep: number): bigint {
  if (keep >= scale) return digits * 10n ** BigInt(keep - scale);
  const div = 10n ** BigInt(scale - keep);
  const q = digits / div;
  const r = digits % div;
  const twice = r * 2n;
  if (twice > div || (twice === div && q % 2n === 1n)) return q + 1n;
  return q;
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return null;
}

/** printf("%.*f", precision, x). */
export function formatFixed(x: number, precision: number): string {
  const nf = nonFinite(x);
  if (nf !== null) return nf;
  const { negative, digits, scale } = exactDecimal(x);
  const n = roundTo(digits, scale, precision)
    .toString()
    .padStart(precision + 1, '0');
  const body = precision > 0 ? `${n.slice(0, n.length - precision)}.${n.slice(n.length - precision)}` : n;
  return negative ? `-${body}` : body;
}

/** printf("%+.*e", precision, x): a sign always, at least two exponent digits. */
export function formatExponent(x: number, precision: number): string {
  const nf = nonFinite(x);
  if (nf !== null) return nf === 'NaN' || nf === 'Infinity' ? `+${nf}` : nf;
  const { negative, digits, scale } = exactDecimal(x);
  const sign = negative ? '-' : '+';
  if (digits === 0n) {
    return `${sign}0${precision > 0 ? `.${'0'.repeat(precision)}` : ''}e+00`;
  }
  // digits / 10^scale = d.ddd x 10^exp
  let exp = digits.toString().length - 1 - scale;
  let m = roundTo(digits, scale, precision - exp);
  if (m.toString().length > precision + 1) {
    exp++;
    m = roundTo(digits, scale, precision - exp);
  }
  const s = m.toString();
  const mantissa = precision > 0 ? `${s[0]}.${s.slice(1)}` : s;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
}
