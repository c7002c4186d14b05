// Unit tests for numeric's byte formats: the storage key (order, prefix-freedom, round trip,
// range bounds, corruption checks) and the wire binary format (numeric_send output produced by
// PostgreSQL 15.18 in the table below, numeric_recv's checks).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChorusError } from '../../src/errors.js';
import {
  finite,
  makeNumericTypmod,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_POS_INFINITY,
  type Numeric,
  numericCmp,
  numericToText,
  parseNumeric,
} from '../../src/sql/types/numeric/numeric.js';
import {
  decodeNumeric,
  encodeNumeric,
  keyLength,
  numericFromBinary,
  numericKey,
  numericKeyBounds,
  numericToBinary,
  storedNumericKey,
} from '../../src/sql/types/numeric/numeric-key.js';

function sqlstateOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ChorusError) return err.sqlstate;
    throw err;
  }
  return 'no error';
}

const P = parseNumeric;

// ['send', value, hex of numeric_send(value::numeric)]
const PG_SEND: ReadonlyArray<ReadonlyArray<string>> = [
  ['send', '-34', '00010000400000000022'],
  ['send', '-8183500e5', '00020002400000001ff71388'],
  ['send', '0.53', '0001ffff0000000214b4'],
  ['send', '0.937801', '0002ffff0000000624a20064'],
  ['send', '0.065328446', '0003ffff00000009028d0b1c1770'],
  ['send', '33.9292', '00020000000000040021244c'],
  ['send', '8092085270.17077366863298', '000700020000000e005023f8149606ab1cc621b82648'],
  ['send', '-48', '00010000400000000030'],
  ['send', '-0.00000', '0000000000000005'],
  ['send', '7699575633574325345e19', '0006000900000000004c26e51601166f09e61388'],
  ['send', '0.00000000000000000041412587068123', '0004fffb000000200029101d22021fbb'],
  ['send', '8086653.74', '0003000100000002032819fd1ce8'],
  ['send', '0', '0000000000000000'],
  ['send', '1', '00010000000000000001'],
  ['send', '-1.50', '000200004000000200011388'],
  ['send', '0.000', '0000000000000003'],
  ['send', '12345.678', '0003000100000003000109291a7c'],
  ['send', '-12345.678', '0003000140000003000109291a7c'],
  ['send', 'NaN', '00000000c0000000'],
  ['send', 'Infinity', '00000000d0000020'],
  ['send', '-Infinity', '00000000f0000020'],
  ['send', '1e131071', '00017fff0000000003e8'],
  ['send', '1e-16383', '0001f00000003fff000a'],
  ['send', '9999.9999', '0002000000000004270f270f'],
  ['send', '10000', '00010001000000000001'],
  ['send', '0.0001', '0001ffff000000040001'],
  ['send', '-0.00012', '0002ffff40000005000107d0'],
];

test('numeric_send byte for byte, and numeric_recv reads it back', () => {
  for (const [, text, hex] of PG_SEND) {
    const n = P(text!);
    assert.equal(numericToBinary(n).toString('hex'), hex, text);
    assert.equal(numericToText(numericFromBinary(Buffer.from(hex!, 'hex'))), numericToText(n), text);
  }
});

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('numeric_recv checks', () => {
  // digits past the display scale are truncated: 0.1234 sent with dscale 2
  assert.equal(numericToText(numericFromBinary(h('0001 ffff 0000 0002 04d2'))), '0.12');
  assert.equal(numericToText(numericFromBinary(h('0001 ffff 4000 0002 04d2'))), '-0.12');
  // typmod after truncation
  assert.equal(
    numericToText(numericFromBinary(h('0002 0000 0000 0004 0001 1388'), makeNumericTypmod(5, 0))),
    '2',
  );
  const errors: Array<[string, string, string]> = [
    ['0000 0000 d000 0000', '22003', 'Infinity under a typmod'],
    ['0000 0000 1000 0000', '22P03', 'bad sign'],
    ['0000 0000 0000 4000', '22P03', 'scale above 16383'],
    ['0001 0000 0000 0000 2710', '22P03', 'digit 10000'],
    ['0002 0000 0000 0000 0001', '08P01', 'fewer digits than announced'],
    ['0000 0000 0000', '08P01', 'short header'],
    ['0001 0000 0000 0000 0001 0000', '22P03', 'trailing bytes'],
  ];
  for (const [hex, code, what] of errors) {
    assert.equal(
      sqlstateOf(() => numericFromBinary(h(hex), makeNumericTypmod(5, 0))),
      code,
      what,
    );
  }
  // the largest weight the format can carry: 10^131068
  assert.equal(numericToText(numericFromBinary(h('0001 7fff 0000 0000 0001'))).length, 131069);
});

/** Finite values over the whole range, zeros with scales, and the special values. */
const numericArb: fc.Arbitrary<Numeric> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(NUMERIC_NAN, NUMERIC_POS_INFINITY, NUMERIC_NEG_INFINITY) },
  {
    weight: 2,
    arbitrary: fc
      .record({ scale: fc.integer({ min: 0, max: 6 }) })
      .map(({ scale }) => finite(0n, scale) as Numeric),
  },
  {
    weight: 10,
    arbitrary: fc
      .record({
        mantissa: fc.oneof(
          fc.bigInt({ min: -999n, max: 999n }),
          fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        ),
        zeros: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3000 })),
        scale: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 16383 })),
      })
      .map(({ mantissa, zeros, scale }) => finite(mantissa * 10n ** BigInt(zeros), scale) as Numeric),
  },
);

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);

test('keys compare with memcmp as the values compare, and are prefix-free', () => {
  fc.assert(
    fc.property(numericArb, numericArb, (a, b) => {
      const ka = numericKey(a);
      const kb = numericKey(b);
      assert.equal(sign(Buffer.compare(ka, kb)), numericCmp(a, b));
      if (!ka.equals(kb)) {
        const shorter = ka.length <= kb.length ? ka : kb;
        const longer = shorter === ka ? kb : ka;
        assert.ok(!longer.subarray(0, shorter.length).equals(shorter), 'one key is a prefix of the other');
      }
      // a stored value against the bounds of another value's key
      const stored = encodeNumeric(a);
      const { low, high } = numericKeyBounds(b);
      const cmp = numericCmp(a, b);
      assert.equal(Buffer.compare(stored, low) >= 0, cmp >= 0);
      assert.equal(Buffer.compare(stored, high) <= 0, cmp <= 0);
    }),
    { numRuns: 1000 },
  );
});

test('stored values decode to the same value and scale', () => {
  fc.assert(
    fc.property(numericArb, (n) => {
      const stored = encodeNumeric(n);
      const back = decodeNumeric(stored);
      assert.deepEqual(back, n.kind === 'finite' ? finite(n.unscaled, n.scale) : n);
      assert.ok(storedNumericKey(stored).equals(numericKey(n)));
      assert.equal(keyLength(stored), numericKey(n).length);
    }),
    { numRuns: 1000 },
  );
});

test('equal values share a key; their scales differ after it', () => {
  assert.ok(numericKey(P('1.5')).equals(numericKey(P('1.50'))));
  assert.ok(numericKey(P('-0.000')).equals(numericKey(P('0'))));
  assert.ok(numericKey(P('100')).equals(numericKey(P('1e2'))));
  assert.ok(Buffer.compare(encodeNumeric(P('1.5')), encodeNumeric(P('1.50'))) < 0);
  assert.deepEqual([...encodeNumeric(P('1.50'))], [0x04, 0x80, 0x00, 0x00, 30, 0x00, 0x02]);
  assert.deepEqual([...encodeNumeric(P('-1.5'))], [0x02, 0x7f, 0xff, 0xff, 225, 0x00, 0x01]);
  assert.deepEqual([...encodeNumeric(P('NaN'))], [0x06, 0x00, 0x00]);
});

test('malformed stored values are XX001', () => {
  const bad = [
    '',
    '04',
    '0700 00', // unknown tag
    '06 0001', // NaN with a scale
    '0300 0000', // zero with digits (key longer than the tag)
    '04 800000 1e', // no scale bytes after the digits: the last key byte is odd
    '04 800000 1f 0001', // last digit byte odd
    '04 800000 1e1e 0001', // digit byte after the last one
    '04 800000 0a 0000', // leading zero digit
    '04 800000 d0 0000', // digit byte above 199
    '04 7fffff 1e 0000', // fractional digits beyond the scale
    '04 800000 1e 4000', // scale above 16383
    '04 820000 02 0000', // weight beyond 10^131072
  ];
  for (const hex of bad) {
    assert.equal(
      sqlstateOf(() => decodeNumeric(h(hex))),
      'XX001',
      hex,
    );
  }
});
