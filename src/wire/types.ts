// PostgreSQL type OIDs and conversions between SQLite values and the wire's text and binary formats:
// result encoding (encodeText / encodeBinary) and Bind parameter decoding (decodeParam).

import { ChorusError } from '../errors.js';
import { Oid } from '../sql/types/oids.js';
import {
  dateTimeText,
  formatDate,
  formatTime,
  formatTimestamp,
  int64Max,
  int64Min,
  parseDate,
  parseTime,
  parseTimestamp,
} from './datetime.js';
import { decodeNumericBinary, encodeNumericBinary, expandExponent } from './numeric.js';

export { oidForDeclaredType, oidForValue, typeSize } from '../sql/types/column-types.js';
export { Oid };

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function hexText(u: Uint8Array): string {
  return `\\x${asBuffer(u).toString('hex')}`;
}

/** PostgreSQL's float text form: shortest round-trip digits, Infinity / -Infinity / NaN, and -0. */
function floatText(n: number): string {
  if (n === 0 && 1 / n < 0) return '-0';
  return String(n);
}

function intText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    return Number.isInteger(v) && Math.abs(v) >= 1e21 ? BigInt(v).toString() : String(v);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  return anyText(v);
}

function boolText(v: unknown): string {
  switch (typeof v) {
    case 'bigint':
      return v === 0n ? 'f' : 't';
    case 'number':
      return v === 0 ? 'f' : 't';
    case 'boolean':
      return v ? 't' : 'f';
    case 'string': {
      const b = parseBool(v);
      return b === null ? v : b ? 't' : 'f';
    }
    default:
      return anyText(v);
  }
}

function anyText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return floatText(v);
  if (v instanceof Uint8Array) return hexText(v);
  return String(v);
}

/** Text-format cell for a value of the given column type (null stays null). Runs per cell. */
export function encodeText(oid: number, v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  switch (oid) {
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
      return typeof v === 'string' ? v : anyText(v);
    case Oid.int4:
    case Oid.int8:
    case Oid.int2:
    case Oid.oid:
      return typeof v === 'bigint' ? v.toString() : intText(v);
    case Oid.float8:
    case Oid.float4:
      if (typeof v === 'number') return floatText(v);
      return typeof v === 'bigint' ? v.toString() : anyText(v);
    case Oid.bool:
      return boolText(v);
    case Oid.numeric:
      return typeof v === 'string' ? v : numericText(v);
    case Oid.bytea:
      if (v instanceof Uint8Array) return hexText(v);
      return `\\x${Buffer.from(anyText(v), 'utf8').toString('hex')}`;
    case Oid.timestamptz:
    case Oid.timestamp:
    case Oid.date:
      return typeof v === 'string' ? dateTimeText(oid, v) : anyText(v);
    default:
      return typeof v === 'bigint' ? v.toString() : anyText(v);
  }
}

function outOfRange(typeName: string): ChorusError {
  return new ChorusError('22003', `value out of range for type ${typeName}`);
}

const intTypeNames: Readonly<Record<number, string>> = Object.freeze({
  [Oid.int2]: 'smallint',
  [Oid.int4]: 'integer',
  [Oid.int8]: 'bigint',
  [Oid.oid]: 'oid',
});

function intTypeName(oid: number): string {
  return intTypeNames[oid] ?? 'integer';
}

/** An integer value as a bigint, or a 22P02 error naming the type. */
function toBigInt(oid: number, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') return parseIntText(oid, v);
  throw new ChorusError('22P02', `invalid input syntax for type ${intTypeName(oid)}: "${anyText(v)}"`);
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** Binary-format cell for a value of the given column type (null stays null). */
export function encodeBinary(oid: number, v: unknown): Buffer | null {
  if (v === null || v === undefined) return null;
  switch (oid) {
    case Oid.int2: {
      const n = toBigInt(oid, v);
      if (n < -32768n || n > 32767n) throw outOfRange('smallint');
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(Number(n), 0);
      return b;
    }
    case Oid.int4: {
      const n = toBigInt(oid, v);
      if (n < -2147483648n || n > 2147483647n) throw outOfRange('integer');
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(Number(n), 0);
      return b;
    }
    case Oid.int8: {
      const n = toBigInt(oid, v);
      if (n < int64Min || n > int64Max) throw outOfRange('bigint');
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(n, 0);
      return b;
    }
    case Oid.oid: {
      const n = toBigInt(oid, v);
      if (n < 0n || n > 4294967295n) throw outOfRange('oid');
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(Number(n), 0);
      return b;
    }
    case Oid.float4:
    case Oid.float8: {
      const n = typeof v === 'number' ? v : parseFloatText(oid, anyText(v));
      const b = Buffer.allocUnsafe(oid === Oid.float4 ? 4 : 8);
      if (oid === Oid.float4) b.writeFloatBE(n, 0);
      else b.writeDoubleBE(n, 0);
      return b;
    }
    case Oid.bool: {
      const t = boolText(v);
      if (t !== 't' && t !== 'f')
        throw new ChorusError('22P02', `invalid input syntax for type boolean: "${t}"`);
      return Buffer.from([t === 't' ? 1 : 0]);
    }
    case Oid.bytea:
      return v instanceof Uint8Array ? Buffer.from(v) : utf8(anyText(v));
    case Oid.jsonb: {
      const s = anyText(v);
      const b = Buffer.allocUnsafe(1 + Buffer.byteLength(s));
      b[0] = 1;
      b.write(s, 1, 'utf8');
      return b;
    }
    case Oid.numeric:
      return encodeNumericBinary(typeof v === 'string' ? v : numericText(v));
    case Oid.timestamp:
    case Oid.timestamptz: {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(parseTimestamp(anyText(v), oid === Oid.timestamptz), 0);
      return b;
    }
    case Oid.date: {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(parseDate(anyText(v)), 0);
      return b;
    }
    case Oid.time: {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(parseTime(anyText(v)), 0);
      return b;
    }
    case Oid.uuid:
      if (v instanceof Uint8Array && v.byteLength === 16) return Buffer.from(v);
      return uuidBytes(anyText(v));
    default: {
      const t = encodeText(oid, v);
      return typeof t === 'string' ? utf8(t) : t;
    }
  }
}

function uuidBytes(s: string): Buffer {
  const hex = s
    .trim()
    .replace(/^\{|\}$/g, '')
    .replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex))
    throw new ChorusError('22P02', `invalid input syntax for type uuid: "${s}"`);
  return Buffer.from(hex, 'hex');
}

function parseIntText(oid: number, s: string): bigint {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) {
    throw new ChorusError('22P02', `invalid input syntax for type ${intTypeName(oid)}: "${s}"`);
  }
  return BigInt(t);
}

function parseIntParam(oid: number, s: string): bigint {
  const n = parseIntText(oid, s);
  const [lo, hi] =
    oid === Oid.int2
      ? [-32768n, 32767n]
      : oid === Oid.int4
        ? [-2147483648n, 2147483647n]
        : oid === Oid.oid
          ? [0n, 4294967295n]
          : [int64Min, int64Max];
  if (n < lo || n > hi) {
    throw new ChorusError('22003', `value "${s}" is out of range for type ${intTypeName(oid)}`);
  }
  return n;
}

const floatPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseFloatText(oid: number, s: string): number {
  const t = s.trim();
  if (floatPattern.test(t)) return Number(t);
  switch (t.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'infinity':
    case '+infinity':
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-infinity':
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default:
      throw new ChorusError(
        '22P02',
        `invalid input syntax for type ${oid === Oid.float4 ? 'real' : 'double precision'}: "${s}"`,
      );
  }
}

/** PostgreSQL's boolean input: unique prefixes of true/false/yes/no, on/off, 1/0; null if none. */
function parseBool(s: string): boolean | null {
  const t = s.trim().toLowerCase();
  if (t === '') return null;
  if ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1') return true;
  if ('false'.startsWith(t) || 'no'.startsWith(t) || t === 'off' || t === 'of' || t === '0') return false;
  return null;
}

/** bytea text input: hex format (\x...) or the escape format (\\ and \ooo octal). */
function parseByteaText(raw: Buffer): Buffer {
  if (raw.length >= 2 && raw[0] === 0x5c && raw[1] === 0x78) {
    const hex = raw.toString('latin1', 2).replace(/\s+/g, '');
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new ChorusError('22P02', 'invalid hexadecimal data for type bytea');
    }
    return Buffer.from(hex, 'hex');
  }
  if (raw.indexOf(0x5c) < 0) return Buffer.from(raw);
  const out = Buffer.allocUnsafe(raw.length);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== 0x5c) {
      out[o++] = c;
    } else if (raw[i + 1] === 0x5c) {
      out[o++] = 0x5c;
      i++;
    } else {
      const d = raw.toString('latin1', i + 1, i + 4);
      if (!/^[0-3][0-7]{2}$/.test(d)) throw new ChorusError('22P02', 'invalid input syntax for type bytea');
      out[o++] = Number.parseInt(d, 8);
      i += 3;
    }
  }
  return out.subarray(0, o);
}

function badBinary(oid: number, len: number): ChorusError {
  return new ChorusError('22P03', `incorrect binary data format: ${len} bytes for type oid ${oid}`);
}

function fixedLength(oid: number, raw: Buffer, len: number): void {
  if (raw.length !== len) throw badBinary(oid, raw.length);
}

function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function formatInterval(raw: Buffer): string {
  const micros = raw.readBigInt64BE(0);
  const days = raw.readInt32BE(8);
  const months = raw.readInt32BE(12);
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const parts: string[] = [];
  if (months !== 0) parts.push(`${months} mons`);
  if (days !== 0) parts.push(`${days} days`);
  parts.push(`${neg ? '-' : ''}${formatTime(abs)}`);
  return parts.join(' ');
}

/** Converts a Bind parameter into a value better-sqlite3 can bind. */
export function decodeParam(
  oid: number,
  format: 0 | 1,
  raw: Buffer | null,
): null | number | bigint | string | Buffer {
  if (raw === null) return null;
  if (format === 0) {
    switch (oid) {
      case Oid.int2:
      case Oid.int4:
      case Oid.int8:
      case Oid.oid:
        return parseIntParam(oid, raw.toString('utf8'));
      case Oid.float4:
      case Oid.float8:
        return parseFloatText(oid, raw.toString('utf8'));
      case Oid.bool: {
        const s = raw.toString('utf8');
        const b = parseBool(s);
        if (b === null) throw new ChorusError('22P02', `invalid input syntax for type boolean: "${s}"`);
        return b ? 1n : 0n;
      }
      case Oid.bytea:
        return parseByteaText(raw);
      default:
        return raw.toString('utf8');
    }
  }
  switch (oid) {
    case Oid.int2:
      fixedLength(oid, raw, 2);
      return BigInt(raw.readInt16BE(0));
    case Oid.int4:
      fixedLength(oid, raw, 4);
      return BigInt(raw.readInt32BE(0));
    case Oid.int8:
      fixedLength(oid, raw, 8);
      return raw.readBigInt64BE(0);
    case Oid.oid:
      fixedLength(oid, raw, 4);
      return BigInt(raw.readUInt32BE(0));
    case Oid.float4:
      fixedLength(oid, raw, 4);
      return raw.readFloatBE(0);
    case Oid.float8:
      fixedLength(oid, raw, 8);
      return raw.readDoubleBE(0);
    case Oid.bool:
      fixedLength(oid, raw, 1);
      return raw[0] === 0 ? 0n : 1n;
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
    case Oid.name:
    case Oid.json:
    case Oid.unknown:
      return raw.toString('utf8');
    case Oid.jsonb:
      if (raw.length < 1 || raw[0] !== 1) throw new ChorusError('22P03', 'unsupported jsonb version number');
      return raw.toString('utf8', 1);
    case Oid.uuid:
      fixedLength(oid, raw, 16);
      return formatUuid(raw);
    case Oid.timestamp:
    case Oid.timestamptz: {
      fixedLength(oid, raw, 8);
      const ts = formatTimestamp(raw.readBigInt64BE(0));
      return oid === Oid.timestamptz && ts !== 'infinity' && ts !== '-infinity' ? addUtcSuffix(ts) : ts;
    }
    case Oid.date:
      fixedLength(oid, raw, 4);
      return formatDate(raw.readInt32BE(0));
    case Oid.time: {
      fixedLength(oid, raw, 8);
      const us = raw.readBigInt64BE(0);
      if (us < 0n || us > 86_400_000_000n) throw badBinary(oid, raw.length);
      return formatTime(us);
    }
    case Oid.interval:
      fixedLength(oid, raw, 16);
      return formatInterval(raw);
    case Oid.numeric:
      return decodeNumericBinary(raw);
    default:
      // bytea, unspecified (0) and types we cannot interpret: the raw bytes.
      return Buffer.from(raw);
  }
}

function addUtcSuffix(ts: string): string {
  return ts.endsWith(' BC') ? `${ts.slice(0, -3)}+00 BC` : `${ts}+00`;
}

/** Plain decimal text (never exponent notation) for a number or bigint in a numeric column. */
function numericText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'number') return anyText(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  const s = String(v);
  return s.includes('e') ? expandExponent(s) : s;
}
