// Values of each PostgreSQL type between their three forms: PostgreSQL text (input and output
// functions), the storage form SQLite holds (sql/DESIGN.md), and the wire's binary format. One
// codec per type; the front end, the runtime functions, the wire layer and COPY all use these.

import { ChorusError } from '../../errors.js';
import { arrayCodec } from './array/array-codec.js';
import { defaultEnv, type StorageValue, type TypeCodec, type ValueEnv } from './codec.js';
import { dateTimeCodecs } from './datetime/values-datetime.js';
import { enumCodecOf } from './enum.js';
import { numericCodec } from './numeric/values-numeric.js';
import { A, type PgType, T, type TypeRef, typeByOid } from './pg-types.js';
import { jsonbCodec, jsonCodec } from './values-json.js';
import { simpleCodecs } from './values-simple.js';

const codecs = new Map<number, TypeCodec>();
/** Types registered with a codec that pg-types.ts does not list (the catalog's, catalog-types.ts). */
const registeredTypes = new Map<number, PgType>();

/** Register codecs by type OID (numeric and datetime modules register theirs at load). */
export function registerCodecs(entries: Iterable<[PgType, TypeCodec]>): void {
  for (const [t, c] of entries) {
    codecs.set(t.oid, c);
    registeredTypes.set(t.oid, t);
  }
}

registerCodecs(simpleCodecs());
registerCodecs([
  [T.numeric, numericCodec],
  [T.json, jsonCodec],
  [T.jsonb, jsonbCodec],
  [T.date, dateTimeCodecs.date],
  [T.time, dateTimeCodecs.time],
  [T.timestamp, dateTimeCodecs.timestamp],
  [T.timestamptz, dateTimeCodecs.timestamptz],
  [T.interval, dateTimeCodecs.interval],
]);

// Array types: built over their element's codec.
registerCodecs(Object.values(A).map((a) => [a, arrayCodec(a.elem!, codecs.get(a.elem!.oid)!)]));

export function codecFor(type: PgType): TypeCodec {
  const c = codecs.get(type.oid) ?? enumCodecOf(type);
  if (!c) throw new ChorusError('0A000', `type ${type.name} is not supported here`);
  return c;
}

/** Text → storage value of a type (its input function, then the typmod as an assignment). */
export function inputValue(
  ref: TypeRef,
  text: string,
  position?: number,
  env: ValueEnv = defaultEnv,
): StorageValue {
  try {
    const c = codecFor(ref.type);
    const v = c.input(text, -1, env);
    return ref.typmod >= 0 && c.typmod ? c.typmod(v, ref.typmod, false) : v;
  } catch (e) {
    if (e instanceof ChorusError && position !== undefined && e.position === undefined) {
      throw new ChorusError(e.sqlstate, e.message, { detail: e.detail, hint: e.hint, position });
    }
    throw e;
  }
}

export function applyTypmodValue(
  ref: TypeRef,
  v: StorageValue,
  explicit: boolean,
  position?: number,
): StorageValue {
  const c = codecFor(ref.type);
  if (!c.typmod || v === null || ref.typmod < 0) return v;
  try {
    return c.typmod(v, ref.typmod, explicit);
  } catch (e) {
    if (e instanceof ChorusError && position !== undefined && e.position === undefined) {
      throw new ChorusError(e.sqlstate, e.message, { detail: e.detail, hint: e.hint, position });
    }
    throw e;
  }
}

export function outputText(
  type: PgType,
  v: StorageValue,
  typmod = -1,
  env: ValueEnv = defaultEnv,
): string | null {
  if (v === null) return null;
  return codecFor(type).output(v, typmod, env);
}

export function codecByOid(oid: number): TypeCodec | undefined {
  return codecs.get(oid);
}

export function typeForOid(oid: number): PgType {
  const t = typeByOid(oid) ?? registeredTypes.get(oid);
  if (!t) throw new ChorusError('42704', `type with OID ${oid} does not exist`);
  return t;
}

/** A storage value as a SQLite literal. */
export function sqlLiteral(v: StorageValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return `'NaN'`;
    if (Object.is(v, -0)) return '-0.0';
    if (v === Number.POSITIVE_INFINITY) return '9e999';
    if (v === Number.NEGATIVE_INFINITY) return '-9e999';
    const s = String(v);
    // Keep it a REAL literal in SQLite (1 would be an integer).
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return `x'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
}

/** Bytes of the display scale at the end of a numeric's storage BLOB. */
const numericScaleBytes = 2;

/** SQL literals of a numeric constant's key bounds: key||0x0000 and key||0xffff (see compare.ts). */
export function numericBoundsSql(blob: Uint8Array): { low: string; high: string } {
  const key = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength - numericScaleBytes);
  return {
    low: `x'${key.toString('hex')}0000'`,
    high: `x'${key.toString('hex')}ffff'`,
  };
}

export { defaultEnv, type StorageValue, type TypeCodec, type ValueEnv } from './codec.js';
export { T };
