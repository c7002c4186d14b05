// Unit tests for wire type conversion: declared-type mapping, text and binary result encoding
// (checked against PostgreSQL's binary formats computed by hand), and Bind parameter decoding.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import {
  decodeParam,
  encodeBinary,
  encodeText,
  Oid,
  oidForDeclaredType,
  oidForValue,
  typeSize,
} from '../../src/wire/types.js';

function sqlstate(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ChorusError, `expected ChorusError, got ${String(err)}`);
    assert.equal(err.sqlstate, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('typeSize', () => {
  assert.equal(typeSize(Oid.int2), 2);
  assert.equal(typeSize(Oid.int4), 4);
  assert.equal(typeSize(Oid.int8), 8);
  assert.equal(typeSize(Oid.float4), 4);
  assert.equal(typeSize(Oid.float8), 8);
  assert.equal(typeSize(Oid.bool), 1);
  assert.equal(typeSize(Oid.date), 4);
  assert.equal(typeSize(Oid.timestamp), 8);
  assert.equal(typeSize(Oid.timestamptz), 8);
  assert.equal(typeSize(Oid.uuid), 16);
  assert.equal(typeSize(Oid.oid), 4);
  assert.equal(typeSize(Oid.text), -1);
  assert.equal(typeSize(Oid.numeric), -1);
});

test('oidForDeclaredType', () => {
  const cases: [string | null | undefined, number | null][] = [
    ['INTEGER', Oid.int4],
    ['int', Oid.int4],
    ['Int4', Oid.int4],
    ['serial', Oid.int4],
    ['BIGINT', Oid.int8],
    ['bigserial', Oid.int8],
    ['int8', Oid.int8],
    ['smallint', Oid.int2],
    ['INT2', Oid.int2],
    ['REAL', Oid.float8],
    ['float4', Oid.float4],
    ['double precision', Oid.float8],
    ['DOUBLE', Oid.float8],
    ['float', Oid.float8],
    ['NUMERIC(10,2)', Oid.numeric],
    ['decimal', Oid.numeric],
    ['text', Oid.text],
    ['VARCHAR(255)', Oid.varchar],
    ['character varying(20)', Oid.varchar],
    ['char(3)', Oid.bpchar],
    ['CHARACTER', Oid.bpchar],
    ['bpchar', Oid.bpchar],
    ['BOOLEAN', Oid.bool],
    ['bool', Oid.bool],
    ['BLOB', Oid.bytea],
    ['bytea', Oid.bytea],
    ['json', Oid.json],
    ['JSONB', Oid.jsonb],
    ['timestamp', Oid.timestamp],
    ['TIMESTAMP WITHOUT TIME ZONE', Oid.timestamp],
    ['timestamp(3) with time zone', Oid.timestamptz],
    ['timestamptz', Oid.timestamptz],
    ['date', Oid.date],
    ['time', Oid.time],
    ['uuid', Oid.uuid],
    ['interval', Oid.interval],
    ['  Text  ', Oid.text],
    ['', null],
    [null, null],
    [undefined, null],
    ['geometry', null],
    ['constructor', null],
  ];
  for (const [decl, oid] of cases) assert.equal(oidForDeclaredType(decl), oid, String(decl));
});

test('oidForValue', () => {
  assert.equal(oidForValue(1n), Oid.int4);
  assert.equal(oidForValue(-2147483648n), Oid.int4);
  assert.equal(oidForValue(2147483648n), Oid.int8);
  assert.equal(oidForValue(7), Oid.int4);
  assert.equal(oidForValue(1.5), Oid.float8);
  assert.equal(oidForValue('x'), Oid.text);
  assert.equal(oidForValue(new Uint8Array([1])), Oid.bytea);
  assert.equal(oidForValue(Buffer.from([1])), Oid.bytea);
  assert.equal(oidForValue(null), Oid.text);
});

test('encodeText', () => {
  assert.equal(encodeText(Oid.int4, null), null);
  assert.equal(encodeText(Oid.bool, 1n), 't');
  assert.equal(encodeText(Oid.bool, 0n), 'f');
  assert.equal(encodeText(Oid.bool, 1), 't');
  assert.equal(encodeText(Oid.bool, 'true'), 't');
  assert.equal(encodeText(Oid.bool, 'f'), 'f');
  assert.equal(encodeText(Oid.float8, 1.5), '1.5');
  assert.equal(encodeText(Oid.float8, 0.1 + 0.2), '0.30000000000000004');
  assert.equal(encodeText(Oid.float8, Number.POSITIVE_INFINITY), 'Infinity');
  assert.equal(encodeText(Oid.float8, Number.NEGATIVE_INFINITY), '-Infinity');
  assert.equal(encodeText(Oid.float8, Number.NaN), 'NaN');
  assert.equal(encodeText(Oid.float4, -0), '-0');
  assert.equal(encodeText(Oid.float8, 3n), '3');
  assert.equal(encodeText(Oid.int8, 9007199254740993n), '9007199254740993');
  assert.equal(encodeText(Oid.int4, 42), '42');
  assert.equal(encodeText(Oid.numeric, 1e21), '1000000000000000000000');
  assert.equal(encodeText(Oid.numeric, 1.5e-7), '0.00000015');
  assert.equal(encodeText(Oid.numeric, '12.50'), '12.50');
  assert.equal(encodeText(Oid.numeric, 12n), '12');
  assert.equal(encodeText(Oid.bytea, Buffer.from([0xde, 0xad, 0x01])), '\\xdead01');
  assert.equal(encodeText(Oid.bytea, new Uint8Array([0xab])), '\\xab');
  assert.equal(encodeText(Oid.bytea, 'hi'), '\\x6869');
  assert.equal(encodeText(Oid.text, 'héllo'), 'héllo');
  assert.equal(encodeText(Oid.text, 5n), '5');
  assert.equal(encodeText(Oid.text, 2.5), '2.5');
  assert.equal(encodeText(Oid.varchar, new Uint8Array([1, 2])), '\\x0102');
  assert.equal(encodeText(Oid.timestamp, '2024-01-02 03:04:05'), '2024-01-02 03:04:05');
  assert.equal(encodeText(Oid.json, '{"a":1}'), '{"a":1}');
  assert.equal(
    encodeText(Oid.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  );
  assert.equal(encodeText(Oid.date, 20240102), '20240102');
});

test('encodeBinary: integers, floats, bool, text, bytea, jsonb, uuid, oid', () => {
  assert.deepEqual(encodeBinary(Oid.int2, -2n), h('fffe'));
  assert.deepEqual(encodeBinary(Oid.int4, 1n), h('00000001'));
  assert.deepEqual(encodeBinary(Oid.int4, 7), h('00000007'));
  assert.deepEqual(encodeBinary(Oid.int8, -1n), h('ffffffffffffffff'));
  assert.deepEqual(encodeBinary(Oid.int8, 9223372036854775807n), h('7fffffffffffffff'));
  sqlstate(() => encodeBinary(Oid.int2, 32768n), '22003', /smallint/);
  sqlstate(() => encodeBinary(Oid.int4, 2147483648n), '22003', /integer/);
  sqlstate(() => encodeBinary(Oid.int8, 2n ** 63n), '22003', /bigint/);
  sqlstate(() => encodeBinary(Oid.int4, 1.5), '22P02');
  assert.deepEqual(encodeBinary(Oid.float8, 1.5), h('3ff8000000000000'));
  assert.deepEqual(encodeBinary(Oid.float4, 1.5), h('3fc00000'));
  assert.deepEqual(encodeBinary(Oid.float8, 2n), h('4000000000000000'));
  assert.deepEqual(encodeBinary(Oid.bool, 1n), h('01'));
  assert.deepEqual(encodeBinary(Oid.bool, 0n), h('00'));
  assert.deepEqual(encodeBinary(Oid.text, 'é'), Buffer.from('é'));
  assert.deepEqual(encodeBinary(Oid.varchar, 12n), Buffer.from('12'));
  assert.deepEqual(encodeBinary(Oid.bytea, new Uint8Array([1, 2, 3])), h('010203'));
  assert.deepEqual(encodeBinary(Oid.jsonb, '{"a":1}'), Buffer.concat([h('01'), Buffer.from('{"a":1}')]));
  assert.deepEqual(encodeBinary(Oid.json, '[1]'), Buffer.from('[1]'));
  assert.deepEqual(
    encodeBinary(Oid.uuid, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'),
    h('a0eebc999c0b4ef8bb6d6bb9bd380a11'),
  );
  sqlstate(() => encodeBinary(Oid.uuid, 'nope'), '22P02', /uuid/);
  assert.deepEqual(encodeBinary(Oid.oid, 4294967295n), h('ffffffff'));
  assert.deepEqual(encodeBinary(Oid.interval, '1 day'), Buffer.from('1 day'));
  assert.equal(encodeBinary(Oid.int4, null), null);
});

test('encodeBinary: numeric matches PostgreSQL binary NUMERIC', () => {
  // Layout: int16 ndigits, int16 weight, uint16 sign (0 pos, 0x4000 neg, 0xC000 NaN), int16 dscale,
  // then ndigits base-10000 digits, most significant first; the value is sum(d[i] * 10000^(weight-i)).
  const cases: [string | number | bigint, string][] = [
    ['0', '0000 0000 0000 0000'],
    ['0.00', '0000 0000 0000 0002'],
    ['1', '0001 0000 0000 0000 0001'],
    // -1.5 = -(1 + 5000/10000): digits [1, 5000], weight 0, dscale 1.
    ['-1.5', '0002 0000 4000 0001 0001 1388'],
    // 12345.6789 = 1*10000^1 + 2345*10000^0 + 6789*10000^-1.
    ['12345.6789', '0003 0001 0000 0004 0001 0929 1a85'],
    // 0.0001 = 1*10000^-1.
    ['0.0001', '0001 ffff 0000 0004 0001'],
    // 10000 = 1*10000^1 (trailing zero digit groups are stripped).
    ['10000', '0001 0001 0000 0000 0001'],
    ['1.50', '0002 0000 0000 0002 0001 1388'],
    [-1.5, '0002 0000 4000 0001 0001 1388'],
    ['NaN', '0000 0000 c000 0000'],
    ['1.5e3', '0001 0000 0000 0000 05dc'],
  ];
  for (const [v, want] of cases) {
    assert.deepEqual(encodeBinary(Oid.numeric, v), h(want), String(v));
  }
  // 123456789012345678901234567890 groups from the decimal point: 12|3456|7890|1234|5678|9012|3456|7890
  assert.deepEqual(
    encodeBinary(Oid.numeric, 123456789012345678901234567890n),
    h('0008 0007 0000 0000 000c 0d80 1ed2 04d2 162e 2334 0d80 1ed2'),
  );
  sqlstate(() => encodeBinary(Oid.numeric, 'abc'), '22P02', /numeric/);
  sqlstate(() => encodeBinary(Oid.numeric, '1e999999'), '22003');
});

test('numeric binary round-trips through decodeParam', () => {
  const values = [
    '0',
    '1',
    '-1.5',
    '12345.6789',
    '0.0001',
    '10000',
    '1.50',
    '-0.000000123',
    '99999999.99999999',
    'NaN',
  ];
  for (const v of values) {
    const bin = encodeBinary(Oid.numeric, v)!;
    assert.equal(decodeParam(Oid.numeric, 1, bin), v);
  }
  assert.equal(decodeParam(Oid.numeric, 1, h('0000 0000 d000 0000')), 'Infinity');
  sqlstate(() => decodeParam(Oid.numeric, 1, h('0001 0000 0000')), '22P03');
  sqlstate(() => decodeParam(Oid.numeric, 1, h('0001 0000 0000 0000 2710')), '22P03');
});

const micros = (iso: string, extraUs = 0): bigint =>
  BigInt(Date.parse(iso) - Date.parse('2000-01-01T00:00:00Z')) * 1000n + BigInt(extraUs);

test('encodeBinary: timestamp, timestamptz, date, time', () => {
  const be64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const be32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  assert.deepEqual(encodeBinary(Oid.timestamp, '2000-01-01 00:00:00'), be64(0n));
  assert.deepEqual(
    encodeBinary(Oid.timestamp, '2024-01-02 03:04:05.123456'),
    be64(micros('2024-01-02T03:04:05Z', 123456)),
  );
  assert.deepEqual(encodeBinary(Oid.timestamp, '2024-01-02T03:04:05Z'), be64(micros('2024-01-02T03:04:05Z')));
  // timestamp without time zone ignores an offset; timestamptz converts it to UTC.
  assert.deepEqual(
    encodeBinary(Oid.timestamp, '2024-01-02 03:04:05+02'),
    be64(micros('2024-01-02T03:04:05Z')),
  );
  assert.deepEqual(
    encodeBinary(Oid.timestamptz, '2024-01-02 03:04:05+02'),
    be64(micros('2024-01-02T01:04:05Z')),
  );
  assert.deepEqual(
    encodeBinary(Oid.timestamptz, '2024-01-02T03:04:05.5-05:30'),
    be64(micros('2024-01-02T08:34:05Z', 500000)),
  );
  assert.deepEqual(encodeBinary(Oid.timestamp, '1999-12-31 23:59:59'), be64(-1_000_000n));
  assert.deepEqual(encodeBinary(Oid.timestamp, '1970-01-01'), be64(micros('1970-01-01T00:00:00Z')));
  assert.deepEqual(encodeBinary(Oid.timestamp, 'infinity'), be64(2n ** 63n - 1n));
  assert.deepEqual(encodeBinary(Oid.timestamp, '-infinity'), be64(-(2n ** 63n)));
  sqlstate(() => encodeBinary(Oid.timestamp, 'yesterday'), '22007', /timestamp/);
  sqlstate(() => encodeBinary(Oid.timestamp, '2023-02-29 00:00:00'), '22007');
  sqlstate(() => encodeBinary(Oid.timestamptz, '2023-01-01 25:00:00'), '22007');
  assert.deepEqual(encodeBinary(Oid.date, '2000-01-01'), be32(0));
  assert.deepEqual(encodeBinary(Oid.date, '2000-01-02'), be32(1));
  assert.deepEqual(encodeBinary(Oid.date, '1999-12-31'), be32(-1));
  assert.deepEqual(
    encodeBinary(Oid.date, '2024-02-29'),
    be32((Date.UTC(2024, 1, 29) - Date.UTC(2000, 0, 1)) / 86_400_000),
  );
  sqlstate(() => encodeBinary(Oid.date, '2024-13-01'), '22007', /date/);
  assert.deepEqual(encodeBinary(Oid.time, '01:02:03.5'), be64(3723500000n));
});

test('decodeParam: text format', () => {
  const t = (s: string): Buffer => Buffer.from(s, 'utf8');
  assert.equal(decodeParam(Oid.int4, 0, null), null);
  assert.equal(decodeParam(Oid.int4, 0, t(' 42 ')), 42n);
  assert.equal(decodeParam(Oid.int8, 0, t('-9223372036854775808')), -9223372036854775808n);
  assert.equal(decodeParam(Oid.int2, 0, t('+7')), 7n);
  sqlstate(() => decodeParam(Oid.int4, 0, t('4x')), '22P02', /invalid input syntax for type integer: "4x"/);
  sqlstate(() => decodeParam(Oid.int4, 0, t('')), '22P02');
  sqlstate(() => decodeParam(Oid.int2, 0, t('40000')), '22003', /smallint/);
  sqlstate(() => decodeParam(Oid.int4, 0, t('2147483648')), '22003');
  assert.equal(decodeParam(Oid.float8, 0, t('1.25')), 1.25);
  assert.equal(decodeParam(Oid.float8, 0, t('-1e3')), -1000);
  assert.equal(decodeParam(Oid.float4, 0, t('Infinity')), Number.POSITIVE_INFINITY);
  assert.equal(decodeParam(Oid.float8, 0, t('-Infinity')), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(decodeParam(Oid.float8, 0, t('NaN'))));
  sqlstate(() => decodeParam(Oid.float8, 0, t('0x10')), '22P02', /double precision/);
  for (const s of ['t', 'TRUE', ' yes ', 'on', '1', 'y']) assert.equal(decodeParam(Oid.bool, 0, t(s)), 1n, s);
  for (const s of ['f', 'false', 'No', 'off', '0', 'n']) assert.equal(decodeParam(Oid.bool, 0, t(s)), 0n, s);
  sqlstate(() => decodeParam(Oid.bool, 0, t('maybe')), '22P02', /boolean/);
  assert.deepEqual(decodeParam(Oid.bytea, 0, t('\\xDEad01')), h('dead01'));
  assert.deepEqual(decodeParam(Oid.bytea, 0, t('plain')), Buffer.from('plain'));
  assert.deepEqual(decodeParam(Oid.bytea, 0, t('a\\\\b\\001')), Buffer.from([0x61, 0x5c, 0x62, 1]));
  sqlstate(() => decodeParam(Oid.bytea, 0, t('\\xabc')), '22P02');
  for (const oid of [
    0,
    Oid.text,
    Oid.varchar,
    Oid.json,
    Oid.jsonb,
    Oid.timestamp,
    Oid.date,
    Oid.uuid,
    Oid.numeric,
  ]) {
    assert.equal(decodeParam(oid, 0, t('2024-01-02 é')), '2024-01-02 é');
  }
});

test('decodeParam: binary format', () => {
  assert.equal(decodeParam(Oid.int2, 1, h('fffe')), -2n);
  assert.equal(decodeParam(Oid.int4, 1, h('7fffffff')), 2147483647n);
  assert.equal(decodeParam(Oid.int8, 1, h('8000000000000000')), -(2n ** 63n));
  assert.equal(decodeParam(Oid.oid, 1, h('ffffffff')), 4294967295n);
  assert.equal(decodeParam(Oid.float4, 1, h('3fc00000')), 1.5);
  assert.equal(decodeParam(Oid.float8, 1, h('3ff8000000000000')), 1.5);
  assert.equal(decodeParam(Oid.bool, 1, h('01')), 1n);
  assert.equal(decodeParam(Oid.bool, 1, h('00')), 0n);
  assert.deepEqual(decodeParam(Oid.bytea, 1, h('00ff')), h('00ff'));
  assert.deepEqual(decodeParam(0, 1, h('00ff')), h('00ff'));
  assert.equal(decodeParam(Oid.text, 1, Buffer.from('héllo')), 'héllo');
  assert.equal(decodeParam(Oid.json, 1, Buffer.from('{}')), '{}');
  assert.equal(decodeParam(Oid.jsonb, 1, Buffer.from('\u0001{"a":1}')), '{"a":1}');
  sqlstate(() => decodeParam(Oid.jsonb, 1, Buffer.from('{"a":1}')), '22P03');
  assert.equal(
    decodeParam(Oid.uuid, 1, h('a0eebc999c0b4ef8bb6d6bb9bd380a11')),
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  );
  const ts = encodeBinary(Oid.timestamp, '2024-01-02 03:04:05.123456')!;
  assert.equal(decodeParam(Oid.timestamp, 1, ts), '2024-01-02 03:04:05.123456');
  assert.equal(decodeParam(Oid.timestamptz, 1, ts), '2024-01-02 03:04:05.123456+00');
  const before = encodeBinary(Oid.timestamp, '1969-07-20 20:17:40')!;
  assert.equal(decodeParam(Oid.timestamp, 1, before), '1969-07-20 20:17:40.000000');
  assert.equal(decodeParam(Oid.timestamp, 1, h('7fffffffffffffff')), 'infinity');
  assert.equal(decodeParam(Oid.date, 1, h('00000000')), '2000-01-01');
  assert.equal(decodeParam(Oid.date, 1, h('ffffffff')), '1999-12-31');
  assert.equal(decodeParam(Oid.date, 1, encodeBinary(Oid.date, '0044-03-15')!), '0044-03-15');
  assert.equal(decodeParam(Oid.date, 1, encodeBinary(Oid.date, '0044-03-15 BC')!), '0044-03-15 BC');
  assert.equal(decodeParam(Oid.time, 1, encodeBinary(Oid.time, '23:59:59.999999')!), '23:59:59.999999');
  assert.equal(
    decodeParam(Oid.interval, 1, h('0000000000000001 00000002 00000003')),
    '3 mons 2 days 00:00:00.000001',
  );
  assert.equal(decodeParam(Oid.numeric, 1, encodeBinary(Oid.numeric, '-12.340')!), '-12.340');
  sqlstate(() => decodeParam(Oid.int4, 1, h('0001')), '22P03');
  sqlstate(() => decodeParam(Oid.int8, 1, h('00')), '22P03');
  sqlstate(() => decodeParam(Oid.float8, 1, h('00000000')), '22P03');
  sqlstate(() => decodeParam(Oid.uuid, 1, h('00')), '22P03');
  sqlstate(() => decodeParam(Oid.timestamp, 1, h('00')), '22P03');
  sqlstate(() => decodeParam(Oid.date, 1, h('00')), '22P03');
});

test('timestamps round-trip through binary for many dates', () => {
  for (let y = 1; y <= 9999; y += 97) {
    for (const md of ['01-01', '02-28', '03-01', '12-31']) {
      const text = `${String(y).padStart(4, '0')}-${md} 12:34:56.000789`;
      assert.equal(decodeParam(Oid.timestamp, 1, encodeBinary(Oid.timestamp, text)!), text);
    }
  }
});
