// PostgreSQL's binary send format of a value, computed from its text output, for the driver matrix's
// hard-coded expectations of binary results (node-postgres with `binary: true`). Covers the types the
// matrix selects: bool, int2/4/8, float4/8, numeric, text/varchar/bpchar/json, jsonb, bytea, date, time,
// timestamp, timestamptz (text with a numeric UTC offset), interval (IntervalStyle postgres) and uuid.

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/** numeric: ndigits, weight, sign, dscale, then base-10000 digits (no leading or trailing zero digits). */
function numeric(text: string): Buffer {
  const special: Record<string, number> = { NaN: 0xc000, Infinity: 0xd000, '-Infinity': 0xf000 };
  if (text in special) return Buffer.concat([int16(0), int16(0), uint16(special[text]!), int16(0)]);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`numeric text ${text}`);
  const [, sign, int = '', frac = ''] = m;
  const intPadded = int.padStart(Math.ceil(int.length / 4) * 4, '0');
  const fracPadded = frac.padEnd(Math.ceil(frac.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < intPadded.length; i += 4) groups.push(Number(intPadded.slice(i, i + 4)));
  const intGroups = groups.length;
  for (let i = 0; i < fracPadded.length; i += 4) groups.push(Number(fracPadded.slice(i, i + 4)));
  let first = 0;
  while (first < groups.length && groups[first] === 0) first++;
  let end = groups.length;
  while (end > first && groups[end - 1] === 0) end--;
  const digits = groups.slice(first, end);
  const weight = digits.length === 0 ? 0 : intGroups - 1 - first;
  const negative = sign === '-' && digits.length > 0;
  return Buffer.concat([
    int16(digits.length),
    int16(weight),
    uint16(negative ? 0x4000 : 0),
    int16(frac.length),
    ...digits.map(int16),
  ]);
}

/** Microseconds of a `[-]hh:mm:ss[.ffffff]` clock. */
function clockMicros(text: string): bigint {
  const m = /^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`time text ${text}`);
  const us =
    ((BigInt(m[2]!) * 60n + BigInt(m[3]!)) * 60n + BigInt(m[4]!)) * 1_000_000n +
    BigInt((m[5] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -us : us;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` → microseconds since 2000-01-01 (UTC when an offset is given). */
function stampMicros(text: string): bigint {
  if (text === 'infinity') return INT64_MAX;
  if (text === '-infinity') return INT64_MIN;
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-])(\d\d)(?::(\d\d))?)?$/.exec(text);
  if (!m) throw new Error(`timestamp text ${text}`);
  const dayMs = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - PG_EPOCH_MS;
  const offsetMin = m[5] ? (Number(m[6]) * 60 + Number(m[7] ?? 0)) * (m[5] === '-' ? -1 : 1) : 0;
  return BigInt(dayMs - offsetMin * 60_000) * 1000n + clockMicros(m[4]!);
}

function date(text: string): Buffer {
  if (text === 'infinity') return int32(0x7fffffff);
  if (text === '-infinity') return int32(-0x80000000);
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text);
  if (!m) throw new Error(`date text ${text}`);
  return int32((Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - PG_EPOCH_MS) / 86_400_000);
}

/** interval in IntervalStyle postgres: `1 year 2 mons -3 days -04:05:06.5` → µs, days, months. */
function interval(text: string): Buffer {
  let months = 0;
  let days = 0;
  let us = 0n;
  const units: Record<string, (n: number) => void> = {
    year: (n) => {
      months += 12 * n;
    },
    mon: (n) => {
      months += n;
    },
    day: (n) => {
      days += n;
    },
  };
  for (const token of text.match(/[+-]?\d+ \w+|[+-]?\d+:\d\d:\d\d(?:\.\d+)?/g) ?? []) {
    const unit = /^([+-]?\d+) (year|mon|day)s?$/.exec(token);
    if (unit) units[unit[2]!]!(Number(unit[1]));
    else us += clockMicros(token.replace(/^\+/, ''));
  }
  return Buffer.concat([int64(us), int32(days), int32(months)]);
}

/** PostgreSQL's binary send format for a value of type `oid` whose text output is `text`. */
export function binaryCell(oid: number, text: string): Buffer {
  switch (oid) {
    case 16:
      return Buffer.from([text === 't' ? 1 : 0]);
    case 21:
      return int16(Number(text));
    case 23:
      return int32(Number(text));
    case 20:
      return int64(BigInt(text));
    case 700: {
      const b = Buffer.alloc(4);
      b.writeFloatBE(Number(text));
      return b;
    }
    case 701: {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(text));
      return b;
    }
    case 1700:
      return numeric(text);
    case 25:
    case 1042:
    case 1043:
    case 114:
    case 16384: // an enum (driver-matrix-dsl.ts OID.enum): enum_send is the label
      return Buffer.from(text, 'utf8');
    case 3802:
      return Buffer.concat([Buffer.from([1]), Buffer.from(text, 'utf8')]);
    case 17:
      return Buffer.from(text.slice(2), 'hex');
    case 1082:
      return date(text);
    case 1083:
      return int64(clockMicros(text));
    case 1114:
    case 1184:
      return int64(stampMicros(text));
    case 1186:
      return interval(text);
    case 2950:
      return Buffer.from(text.replace(/-/g, ''), 'hex');
    default:
      throw new Error(`driver matrix: no binary encoding for type ${oid} (value ${text})`);
  }
}
