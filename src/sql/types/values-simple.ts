// Codecs of the types whose storage form is plain: bool, integers, floats, character types, bytea,
// uuid and oid — input and output functions as PostgreSQL 15 writes them (messages included),
// typmods of varchar(n) and char(n), and the binary send/receive formats.

import { ChorusError } from '../../errors.js';
import type { StorageValue, TypeCodec } from './codec.js';
import { charTypmodLength, formatType, type PgType, T, typeByOid } from './pg-types.js';
import { resolveTypeName } from './type-names.js';

const int16Min = -32768n;
const int16Max = 32767n;
const int32Min = -2147483648n;
const int32Max = 2147483647n;
const int64Min = -9223372036854775808n;
const int64Max = 9223372036854775807n;
const oidMax = 4294967295n;
/** PostgreSQL's NAMEDATALEN - 1: the longest name in bytes. */
const nameBytesMax = 63;

const intNames: Record<number, string> = { 16: 'smallint', 32: 'integer', 64: 'bigint' };

export function invalidInput(typeName: string, text: string): ChorusError {
  return new ChorusError('22P02', `invalid input syntax for type ${typeName}: "${text}"`);
}

/** pg_strtoint16/32/64: optional whitespace, sign, decimal digits, optional whitespace. */
export function parseInteger(text: string, bits: 16 | 32 | 64): bigint {
  const m = /^[ \t\n\r\v\f]*([+-]?)(\d+)[ \t\n\r\v\f]*$/.exec(text);
  if (!m) throw invalidInput(intNames[bits]!, text);
  const v = BigInt(m[1] === '-' ? `-${m[2]}` : m[2]!);
  const [min, max] =
    bits === 16 ? [int16Min, int16Max] : bits === 32 ? [int32Min, int32Max] : [int64Min, int64Max];
  if (v < min || v > max) {
    throw new ChorusError('22003', `value "${text}" is out of range for type ${intNames[bits]}`);
  }
  return v;
}

/** Range check of an integer result: 22003 "<type> out of range". */
export function checkIntRange(v: bigint, bits: 16 | 32 | 64): bigint {
  const [min, max] =
    bits === 16 ? [int16Min, int16Max] : bits === 32 ? [int32Min, int32Max] : [int64Min, int64Max];
  if (v < min || v > max) throw new ChorusError('22003', `${intNames[bits]} out of range`);
  return v;
}

const boolWords: readonly [string, boolean, number][] = [
  ['true', true, 1],
  ['false', false, 1],
  ['yes', true, 1],
  ['no', false, 1],
  ['on', true, 2],
  ['off', false, 2],
];

/** parse_bool: true/false/yes/no and their unique prefixes, on/off, 1/0; null when not a boolean. */
export function parseBool(text: string): boolean | null {
  const s = text.trim().toLowerCase();
  if (s === '1') return true;
  if (s === '0') return false;
  if (s.length === 0) return null;
  for (const [word, value, minLen] of boolWords) {
    if (s.length >= minLen && word.startsWith(s)) {
      // "o" alone is ambiguous (on/off)
      if (s === 'o') return null;
      return value;
    }
  }
  return null;
}

/** PostgreSQL's float8out / float4out: shortest round-trip digits, scientific outside [1e-4, 1e15 | 1e6). */
export function floatText(v: number, single: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let exp: string;
  if (single) {
    const f = Math.fround(v);
    exp = f.toExponential();
    for (let p = 1; p <= 9; p++) {
      const candidate = f.toExponential(p - 1);
      if (Math.fround(Number(candidate)) === f) {
        exp = candidate;
        break;
      }
    }
  } else exp = v.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp)!;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const e = Number(m[4]);
  const precision = single ? 6 : 15;
  if (e < -4 || e >= precision) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? `0${ae}` : ae}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** float8in / float4in: decimal or exponent forms, NaN, [+-]Infinity / inf; range errors as PostgreSQL. */
export function parseFloat8(text: string, single: boolean): number {
  const typeName = single ? 'real' : 'double precision';
  const s = text.trim();
  const lower = s.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^[+]?(inf|infinity)$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-(inf|infinity)$/.test(lower)) return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw invalidInput(typeName, text);
  const v = Number(s);
  const tooBig = single ? !Number.isFinite(Math.fround(v)) : !Number.isFinite(v);
  const nonZeroDigits = /[1-9]/.test(s.replace(/[eE].*$/, ''));
  const tooSmall = nonZeroDigits && (single ? Math.fround(v) === 0 : v === 0);
  if (tooBig || tooSmall) {
    throw new ChorusError('22003', `"${text}" is out of range for type ${typeName}`);
  }
  return single ? Math.fround(v) : v;
}

/** A float as stored: NaN as the TEXT 'NaN' (sql/DESIGN.md). */
export function floatStorage(v: number): StorageValue {
  return Number.isNaN(v) ? 'NaN' : v;
}

/** A stored float back to a number. */
export function floatOf(v: StorageValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return v === 'NaN' ? Number.NaN : Number(v);
  return Number.NaN;
}

function checkNoNul(text: string): string {
  if (text.includes('\u0000')) {
    throw new ChorusError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  return text;
}

/** Characters (code points), as PostgreSQL counts string length. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function firstChars(s: string, n: number): string {
  let count = 0;
  let i = 0;
  while (i < s.length && count < n) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

/** varchar(n) / char(n): too long is 22001 unless the excess is spaces; explicit casts truncate. */
function charTypmod(s: string, typmod: number, explicit: boolean, padded: boolean): string {
  const n = charTypmodLength(typmod);
  if (n === null) return s;
  const len = charLength(s);
  if (len > n) {
    const head = firstChars(s, n);
    if (!explicit && /[^ ]/.test(s.slice(head.length))) {
      const label = padded ? `character(${n})` : `character varying(${n})`;
      throw new ChorusError('22001', `value too long for type ${label}`);
    }
    return head;
  }
  return padded && len < n ? s + ' '.repeat(n - len) : s;
}

function textOf(v: StorageValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

function intOf(v: StorageValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(textOf(v));
}

function int(bits: 16 | 32 | 64): TypeCodec {
  const bytes = bits / 8;
  return {
    input: (text) => parseInteger(text, bits),
    output: (v) => intOf(v).toString(),
    toBinary: (v) => {
      const b = Buffer.allocUnsafe(bytes);
      const x = intOf(v);
      if (bits === 16) b.writeInt16BE(Number(x));
      else if (bits === 32) b.writeInt32BE(Number(x));
      else b.writeBigInt64BE(x);
      return b;
    },
    fromBinary: (b) => {
      if (b.length !== bytes) throw badBinary(bits === 16 ? 'smallint' : bits === 32 ? 'integer' : 'bigint');
      return bits === 16
        ? BigInt(b.readInt16BE())
        : bits === 32
          ? BigInt(b.readInt32BE())
          : b.readBigInt64BE();
    },
  };
}

function badBinary(typeName: string): ChorusError {
  return new ChorusError('22P03', `incorrect binary data format in bind parameter of type ${typeName}`);
}

function float(single: boolean): TypeCodec {
  return {
    input: (text) => floatStorage(parseFloat8(text, single)),
    output: (v) => floatText(floatOf(v), single),
    toBinary: (v) => {
      const b = Buffer.allocUnsafe(single ? 4 : 8);
      if (single) b.writeFloatBE(floatOf(v));
      else b.writeDoubleBE(floatOf(v));
      return b;
    },
    fromBinary: (b) => {
      if (b.length !== (single ? 4 : 8)) throw badBinary(single ? 'real' : 'double precision');
      return floatStorage(single ? b.readFloatBE() : b.readDoubleBE());
    },
  };
}

function characters(padded: boolean): TypeCodec {
  return {
    input: (text) => checkNoNul(text),
    output: (v) => textOf(v),
    typmod: (v, typmod, explicit) => charTypmod(textOf(v), typmod, explicit, padded),
    toBinary: (v) => Buffer.from(textOf(v), 'utf8'),
    fromBinary: (b) => checkNoNul(decodeUtf8(b)),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Buffer): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new ChorusError('22021', 'invalid byte sequence for encoding "UTF8"');
  }
}

/** bytea input: '\x' hex, or the escape format (\\ and \ooo). */
export function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x') || text.startsWith('\\X')) {
    const hex = text.slice(2).replace(/[ \t\n\r]/g, '');
    const bad = /[^0-9a-fA-F]/.exec(hex);
    if (bad) throw new ChorusError('22023', `invalid hexadecimal digit: "${bad[0]}"`);
    if (hex.length % 2 !== 0)
      throw new ChorusError('22023', 'invalid hexadecimal data: odd number of digits');
    return Buffer.from(hex, 'hex');
  }
  const out: number[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    if (bytes[i + 1] === 0x5c) {
      out.push(0x5c);
      i++;
      continue;
    }
    const o = text.length >= 0 ? bytes.subarray(i + 1, i + 4).toString('latin1') : '';
    if (/^[0-3][0-7][0-7]$/.test(o)) {
      out.push(Number.parseInt(o, 8));
      i += 3;
      continue;
    }
    throw new ChorusError('22P02', 'invalid input syntax for type bytea');
  }
  return Buffer.from(out);
}

function bytesOf(v: StorageValue): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(textOf(v), 'utf8');
}

const bytea: TypeCodec = {
  input: (text) => parseBytea(text),
  output: (v) => `\\x${bytesOf(v).toString('hex')}`,
  toBinary: (v) => bytesOf(v),
  fromBinary: (b) => Buffer.from(b),
};

/** uuid_in: 32 hex digits, optional braces, a hyphen allowed after each group of four digits. */
export function parseUuid(text: string): string {
  let s = text;
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw invalidInput('uuid', text);
    s = s.slice(1, -1);
  }
  let hex = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '-' && hex.length > 0 && hex.length % 4 === 0 && i + 1 < s.length && s[i + 1] !== '-') continue;
    if (!/[0-9a-fA-F]/.test(c)) throw invalidInput('uuid', text);
    hex += c;
  }
  if (hex.length !== 32) throw invalidInput('uuid', text);
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const uuid: TypeCodec = {
  input: (text) => parseUuid(text),
  output: (v) => textOf(v),
  toBinary: (v) => Buffer.from(textOf(v).replaceAll('-', ''), 'hex'),
  fromBinary: (b) => {
    if (b.length !== 16) throw badBinary('uuid');
    return parseUuid(b.toString('hex'));
  },
};

const bool: TypeCodec = {
  input: (text) => {
    const b = parseBool(text);
    if (b === null) throw invalidInput('boolean', text);
    return b ? 1n : 0n;
  },
  output: (v) => (v === 0n || v === 0 || v === '0' ? 'f' : 't'),
  toBinary: (v) => Buffer.from([v === 0n || v === 0 ? 0 : 1]),
  fromBinary: (b) => {
    if (b.length !== 1) throw badBinary('boolean');
    return b[0] ? 1n : 0n;
  },
};

const oid: TypeCodec = {
  input: (text) => {
    const m = /^\s*(-?\d+)\s*$/.exec(text);
    if (!m) throw invalidInput('oid', text);
    let v = BigInt(m[1]!);
    if (v < -2147483648n || v > oidMax)
      throw new ChorusError('22003', `value "${text}" is out of range for type oid`);
    if (v < 0n) v += oidMax + 1n;
    return v;
  },
  output: (v) => intOf(v).toString(),
  toBinary: (v) => {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(Number(intOf(v)));
    return b;
  },
  fromBinary: (b) => {
    if (b.length !== 4) throw badBinary('oid');
    return BigInt(b.readUInt32BE());
  },
};

/** regtype: an oid that reads and prints as the type's name (format_type's spelling). */
const regtype: TypeCodec = {
  ...oid,
  input: (text, typmod, env) => {
    const t = text.trim();
    if (/^-?\d+$/.test(t)) return oid.input(t, typmod, env);
    // pg_catalog.int4, "pg_catalog"."int4", "int4": the type's own name, quotes keeping its case.
    const q = /^(?:(?:"pg_catalog"|pg_catalog)\s*\.\s*)?(?:"([^"]+)"|([^".]+))$/i.exec(t);
    const lower = q ? (q[1] ?? q[2]!.toLowerCase()) : t.toLowerCase();
    const found =
      (lower === 'character' ? T.bpchar : undefined) ??
      [...Object.values(T)].find((x) => formatType(x) === lower) ??
      (() => {
        try {
          return resolveTypeName([lower], []).type;
        } catch {
          return undefined;
        }
      })();
    if (!found) throw new ChorusError('42704', `type "${t}" does not exist`);
    return BigInt(found.oid);
  },
  output: (v) => {
    const type = typeByOid(Number(intOf(v)));
    // format_type without a typmod: bpchar is "character" (with typmod -1 it would be "bpchar").
    if (type === T.bpchar) return 'character';
    return type ? formatType(type) : intOf(v).toString();
  },
};

/** void: what a function that returns nothing returns (pg_sleep); prints as an empty string. */
const voidCodec: TypeCodec = {
  input: () => '',
  output: () => '',
  toBinary: () => Buffer.alloc(0),
  fromBinary: () => '',
};

const name: TypeCodec = {
  input: (text) => {
    checkNoNul(text);
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= nameBytesMax) return text;
    let end = nameBytesMax;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    return bytes.subarray(0, end).toString('utf8');
  },
  output: (v) => textOf(v),
  toBinary: (v) => Buffer.from(textOf(v), 'utf8'),
  fromBinary: (b) => decodeUtf8(b),
};

export function simpleCodecs(): [PgType, TypeCodec][] {
  return [
    [T.bool, bool],
    [T.int2, int(16)],
    [T.int4, int(32)],
    [T.int8, int(64)],
    [T.float4, float(true)],
    [T.float8, float(false)],
    [T.text, characters(false)],
    [T.varchar, characters(false)],
    [T.bpchar, characters(true)],
    [T.name, name],
    [T.bytea, bytea],
    [T.uuid, uuid],
    [T.oid, oid],
    [T.regclass, oid],
    [T.regtype, regtype],
    [T.void, voidCodec],
    [T.unknown, characters(false)],
  ];
}
