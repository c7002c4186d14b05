// Byte formats of numeric: the storage value (an order-preserving, prefix-free key followed by
// the display scale, see sql/DESIGN.md "numeric key") and PostgreSQL's wire binary format
// (numeric_send / numeric_recv).
//
// Key layout. One tag byte orders the classes: 0x01 -Infinity, 0x02 negative, 0x03 zero,
// 0x04 positive, 0x05 +Infinity, 0x06 NaN. A nonzero finite value continues with its decimal
// weight (floor(log10|v|) + 2^23, 3 bytes big-endian) and its significant digits (no leading or
// trailing zeros) in pairs from the first one, a lone last digit padded with 0: every pair X but
// the last is the byte 2X+1, the last is 2X (odd bytes continue, an even byte ends the key).
// Negative values store those bytes inverted, so larger magnitudes sort first. Two keys compare
// with memcmp exactly as numericCmp compares the values, and no key is a prefix of another, so a
// stored value (key || scale as 2 bytes big-endian) compares with key(c)||0x0000 and
// key(c)||0xffff as its key compares with key(c).

import { ChorusError } from '../../../errors.js';
import {
  absBig,
  applyNumericTypmod,
  checkNumericRange,
  type FiniteNumeric,
  finite,
  NUMERIC_MAX_INTEGER_DIGITS,
  NUMERIC_MAX_STORED_SCALE_DIGITS,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_POS_INFINITY,
  type Numeric,
  nbaseDigits,
  pow10,
  truncUnscaled,
} from './numeric.js';

const TAG_NEG_INFINITY = 0x01;
const TAG_NEGATIVE = 0x02;
const TAG_ZERO = 0x03;
const TAG_POSITIVE = 0x04;
const TAG_POS_INFINITY = 0x05;
const TAG_NAN = 0x06;
const WEIGHT_BYTES = 3;
const WEIGHT_BIAS = 1 << 23;
const SCALE_BYTES = 2;

/** The order-preserving key of a value (without the scale): equal values have equal keys. */
export function numericKey(n: Numeric): Buffer {
  if (n.kind === 'nan') return Buffer.of(TAG_NAN);
  if (n.kind === 'inf') return Buffer.of(n.negative ? TAG_NEG_INFINITY : TAG_POS_INFINITY);
  if (n.unscaled === 0n) return Buffer.of(TAG_ZERO);
  const all = absBig(n.unscaled).toString();
  const digits = all.replace(/0+$/, '');
  const pairs = Math.ceil(digits.length / 2);
  const key = Buffer.allocUnsafe(1 + WEIGHT_BYTES + pairs);
  key[0] = n.unscaled < 0n ? TAG_NEGATIVE : TAG_POSITIVE;
  key.writeUIntBE(all.length - 1 - n.scale + WEIGHT_BIAS, 1, WEIGHT_BYTES);
  const padded = digits.length % 2 === 0 ? digits : `${digits}0`;
  for (let i = 0; i < pairs; i++) {
    const pair = Number(padded.slice(2 * i, 2 * i + 2));
    key[1 + WEIGHT_BYTES + i] = i === pairs - 1 ? 2 * pair : 2 * pair + 1;
  }
  if (n.unscaled < 0n) for (let i = 1; i < key.length; i++) key[i] = ~key[i]! & 0xff;
  return key;
}

/** The storage value: key, then the display scale (2 bytes big-endian). */
export function encodeNumeric(n: Numeric): Buffer {
  const key = numericKey(n);
  const out = Buffer.allocUnsafe(key.length + SCALE_BYTES);
  key.copy(out);
  out.writeUInt16BE(n.kind === 'finite' ? n.scale : 0, key.length);
  return out;
}

/** The key part of a storage value (what SQL gets with substr(x, 1, length(x) - 2)). */
export function storedNumericKey(stored: Buffer): Buffer {
  return stored.subarray(0, keyLength(stored));
}

/** Length of the key part of a storage value. */
export function keyLength(stored: Buffer): number {
  return stored.length - SCALE_BYTES;
}

/** Bounds for range comparisons of stored values against n: every stored value equal to n lies in [low, high]. */
export function numericKeyBounds(n: Numeric): { low: Buffer; high: Buffer } {
  const key = numericKey(n);
  return {
    low: Buffer.concat([key, Buffer.of(0x00, 0x00)]),
    high: Buffer.concat([key, Buffer.of(0xff, 0xff)]),
  };
}

function corrupt(detail: string): ChorusError {
  return new ChorusError('XX001', 'invalid numeric value in storage', { detail });
}

/** A storage value back to the value; malformed bytes are XX001 (data corrupted). */
export function decodeNumeric(stored: Buffer): Numeric {
  if (stored.length < 1 + SCALE_BYTES) throw corrupt(`${stored.length} bytes`);
  const keyEnd = keyLength(stored);
  const scale = stored.readUInt16BE(keyEnd);
  const tag = stored[0];
  if (tag === TAG_NAN || tag === TAG_POS_INFINITY || tag === TAG_NEG_INFINITY) {
    if (keyEnd !== 1 || scale !== 0) throw corrupt('special value with digits or a scale');
    return tag === TAG_NAN
      ? NUMERIC_NAN
      : tag === TAG_POS_INFINITY
        ? NUMERIC_POS_INFINITY
        : NUMERIC_NEG_INFINITY;
  }
  if (scale > NUMERIC_MAX_STORED_SCALE_DIGITS) throw corrupt(`scale ${scale}`);
  if (tag === TAG_ZERO) {
    if (keyEnd !== 1) throw corrupt('zero with digits');
    return finite(0n, scale);
  }
  if ((tag !== TAG_POSITIVE && tag !== TAG_NEGATIVE) || keyEnd < 2 + WEIGHT_BYTES) {
    throw corrupt(`tag ${tag} with a ${keyEnd}-byte key`);
  }
  const negative = tag === TAG_NEGATIVE;
  const byteAt = (i: number): number => (negative ? ~stored[i]! & 0xff : stored[i]!);
  let weight = 0;
  for (let i = 1; i <= WEIGHT_BYTES; i++) weight = weight * 256 + byteAt(i);
  weight -= WEIGHT_BIAS;
  let digits = '';
  for (let i = 1 + WEIGHT_BYTES; i < keyEnd; i++) {
    const b = byteAt(i);
    const last = i === keyEnd - 1;
    if (b > 199 || (b % 2 === 1) === last || (last && b === 0)) throw corrupt(`digit byte ${b} at ${i}`);
    digits += String(b >> 1).padStart(2, '0');
  }
  if (digits[0] === '0') throw corrupt('leading zero digit');
  digits = digits.replace(/0+$/, '');
  const fractionDigits = digits.length - 1 - weight;
  if (fractionDigits > scale || weight >= NUMERIC_MAX_INTEGER_DIGITS) {
    throw corrupt(`weight ${weight} with ${digits.length} digits at scale ${scale}`);
  }
  const unscaled = BigInt(digits) * pow10(scale - fractionDigits);
  return finite(negative ? -unscaled : unscaled, scale);
}

// ---------------------------------------------------------------------------------------------
// Wire binary format: int16 ndigits, int16 weight, uint16 sign, uint16 dscale, base-10000 digits.

const WIRE_POSITIVE = 0x0000;
const WIRE_NEGATIVE = 0x4000;
const WIRE_NAN = 0xc000;
const WIRE_POS_INFINITY = 0xd000;
const WIRE_NEG_INFINITY = 0xf000;
const WIRE_HEADER_BYTES = 8;
/** numeric_send reads the display scale of an infinity from its header bits: 32. */
const WIRE_INFINITY_DSCALE = 32;

function wireHeader(ndigits: number, weight: number, sign: number, dscale: number): Buffer {
  const b = Buffer.alloc(WIRE_HEADER_BYTES + 2 * ndigits);
  b.writeInt16BE(ndigits, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeUInt16BE(dscale, 6);
  return b;
}

/** numeric_send: the value in PostgreSQL's binary format, byte for byte. */
export function numericToBinary(n: Numeric): Buffer {
  if (n.kind === 'nan') return wireHeader(0, 0, WIRE_NAN, 0);
  if (n.kind === 'inf') {
    return wireHeader(0, 0, n.negative ? WIRE_NEG_INFINITY : WIRE_POS_INFINITY, WIRE_INFINITY_DSCALE);
  }
  const { weight, digits } = nbaseDigits(n);
  const b = wireHeader(digits.length, weight, n.unscaled < 0n ? WIRE_NEGATIVE : WIRE_POSITIVE, n.scale);
  for (const [i, d] of digits.entries()) b.writeInt16BE(d, WIRE_HEADER_BYTES + 2 * i);
  return b;
}

function badBinary(what: string): ChorusError {
  return new ChorusError('22P03', `invalid ${what} in external "numeric" value`);
}

/**
 * numeric_recv: PostgreSQL's binary format to a value. Digits past the display scale are
 * truncated, then the typmod (PostgreSQL's encoding, -1 for none) and the storage limits apply.
 */
export function numericFromBinary(buf: Buffer, typmod = -1): Numeric {
  if (buf.length < WIRE_HEADER_BYTES) throw new ChorusError('08P01', 'insufficient data left in message');
  const ndigits = buf.readUInt16BE(0);
  const weight = buf.readInt16BE(2);
  const sign = buf.readUInt16BE(4);
  const dscale = buf.readUInt16BE(6);
  const ok = [WIRE_POSITIVE, WIRE_NEGATIVE, WIRE_NAN, WIRE_POS_INFINITY, WIRE_NEG_INFINITY];
  if (!ok.includes(sign)) throw badBinary('sign');
  if (dscale > NUMERIC_MAX_STORED_SCALE_DIGITS) throw badBinary('scale');
  let text = '';
  for (let i = 0; i < ndigits; i++) {
    const at = WIRE_HEADER_BYTES + 2 * i;
    if (at + 2 > buf.length) throw new ChorusError('08P01', 'insufficient data left in message');
    const d = buf.readInt16BE(at);
    if (d < 0 || d > 9999) throw badBinary('digit');
    text += String(d).padStart(4, '0');
  }
  if (buf.length !== WIRE_HEADER_BYTES + 2 * ndigits) {
    throw new ChorusError('22P03', 'incorrect binary data format');
  }
  if (sign === WIRE_NAN) return applyNumericTypmod(NUMERIC_NAN, typmod);
  if (sign === WIRE_POS_INFINITY || sign === WIRE_NEG_INFINITY) {
    return applyNumericTypmod(
      sign === WIRE_POS_INFINITY ? NUMERIC_POS_INFINITY : NUMERIC_NEG_INFINITY,
      typmod,
    );
  }
  let value: FiniteNumeric = finite(0n, dscale);
  const magnitude = text === '' ? 0n : BigInt(text);
  if (magnitude !== 0n) {
    // value = magnitude × 10^(4·(weight - ndigits + 1)), truncated to dscale digits
    const exp10 = 4 * (weight - ndigits + 1);
    const signed = sign === WIRE_NEGATIVE ? -magnitude : magnitude;
    const unscaled = exp10 >= 0 ? signed * pow10(exp10 + dscale) : truncUnscaled(signed, -exp10, dscale);
    value = finite(unscaled, dscale);
  }
  return checkNumericRange(applyNumericTypmod(value, typmod));
}
