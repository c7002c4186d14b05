// PostgreSQL NUMERIC binary format: decimal text <-> base-10000 digits, plus the exponent
// expansion that turns JS number text into plain decimal text.

import { ChorusError } from '../errors.js';
import { Oid } from '../sql/types/oids.js';

const numericPos = 0x0000;
const numericNeg = 0x4000;
const numericNaN = 0xc000;
const numericPInf = 0xd000;
const numericNInf = 0xf000;
const numericPattern = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;

export function expandExponent(s: string): string {
  const m = numericPattern.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return s;
  const [, sign, int = '', frac = '', exp = '0'] = m;
  const digits = int + frac;
  const point = int.length + Number(exp);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  out = out.replace(/^0+(?=\d)/, '');
  return sign === '-' ? `-${out}` : out;
}

function badBinary(oid: number, len: number): ChorusError {
  return new ChorusError('22P03', `incorrect binary data format: ${len} bytes for type oid ${oid}`);
}

function numericHeader(ndigits: number, weight: number, sign: number, dscale: number): Buffer {
  const b = Buffer.allocUnsafe(8 + ndigits * 2);
  b.writeInt16BE(ndigits, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(sign, 4);
  b.writeInt16BE(dscale, 6);
  return b;
}

export function encodeNumericBinary(text: string): Buffer {
  const t = text.trim();
  const special = t.toLowerCase();
  if (special === 'nan') return numericHeader(0, 0, numericNaN, 0);
  if (special === 'infinity' || special === '+infinity') return numericHeader(0, 0, numericPInf, 0);
  if (special === '-infinity') return numericHeader(0, 0, numericNInf, 0);
  const m = numericPattern.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
    throw new ChorusError('22P02', `invalid input syntax for type numeric: "${text}"`);
  }
  const [, sign, int = '', frac = '', expText = '0'] = m;
  const exp = Number(expText);
  const dscale = Math.max(0, frac.length - exp);
  let digits = int + frac;
  let point = int.length + exp; // decimal digits before the decimal point
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  if (dscale > 0x3fff || (digits !== '' && (point > 131072 || point < -16383))) {
    throw new ChorusError('22003', `value overflows numeric format: "${text}"`);
  }
  if (digits === '') return numericHeader(0, 0, numericPos, dscale);
  const padLeft = (((4 - point) % 4) + 4) % 4;
  const aligned = '0'.repeat(padLeft) + digits;
  const groups = Math.ceil(aligned.length / 4);
  const padded = aligned.padEnd(groups * 4, '0');
  const b = numericHeader(groups, (point + padLeft) / 4 - 1, sign === '-' ? numericNeg : numericPos, dscale);
  for (let i = 0; i < groups; i++) b.writeInt16BE(Number(padded.slice(i * 4, i * 4 + 4)), 8 + i * 2);
  return b;
}

export function decodeNumericBinary(raw: Buffer): string {
  if (raw.length < 8) throw badBinary(Oid.numeric, raw.length);
  const ndigits = raw.readInt16BE(0);
  const weight = raw.readInt16BE(2);
  const sign = raw.readUInt16BE(4);
  const dscale = raw.readInt16BE(6);
  if (ndigits < 0 || raw.length !== 8 + ndigits * 2 || dscale < 0) throw badBinary(Oid.numeric, raw.length);
  if (sign === numericNaN) return 'NaN';
  if (sign === numericPInf) return 'Infinity';
  if (sign === numericNInf) return '-Infinity';
  if (sign !== numericPos && sign !== numericNeg)
    throw new ChorusError('22P03', 'invalid sign in external numeric value');
  const digit = (i: number): number => {
    if (i < 0 || i >= ndigits) return 0;
    const d = raw.readInt16BE(8 + i * 2);
    if (d < 0 || d > 9999) throw new ChorusError('22P03', 'invalid digit in external numeric value');
    return d;
  };
  let int = '';
  for (let i = 0; i <= weight; i++) int += i === 0 ? String(digit(i)) : String(digit(i)).padStart(4, '0');
  if (int === '') int = '0';
  let frac = '';
  for (let j = 1; frac.length < dscale; j++) frac += String(digit(weight + j)).padStart(4, '0');
  frac = frac.slice(0, dscale);
  const body = frac === '' ? int : `${int}.${frac}`;
  return sign === numericNeg && /[1-9]/.test(body) ? `-${body}` : body;
}
