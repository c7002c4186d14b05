// to_char's formatters as pure logic: the picture parser, date/time and number pictures, and C's
// printf float conversions, against answers PostgreSQL 15 gives (test/compat/functions-14.sql
// compares many more through a real server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatExponent, formatFixed } from '../../src/sql/runtime/formatting/float-text.js';
import { parseFormat } from '../../src/sql/runtime/formatting/format-parse.js';
import { formatDateTime, type TmToChar } from '../../src/sql/runtime/formatting/to-char-datetime.js';
import { formatNumber } from '../../src/sql/runtime/formatting/to-char-number.js';
import { finite } from '../../src/sql/types/numeric/numeric.js';

function tm(fields: Partial<TmToChar>): TmToChar {
  return {
    year: 2004,
    mon: 2,
    mday: 29,
    hour: 23,
    min: 59,
    sec: 59,
    fsec: 999999,
    yday: 60,
    wday: 0,
    gmtoff: 0,
    tzn: null,
    ...fields,
  };
}

describe('picture parsing', () => {
  test('keywords take the longest listed spelling; FM, TH and quoted text', () => {
    const nodes = parseFormat('FMHH24th "HH" MONTH', true);
    assert.deepEqual(nodes[0], {
      kind: 'key',
      key: 'HH24',
      name: 'HH24',
      fm: true,
      tm: false,
      th: 'th',
      sp: false,
    });
    assert.deepEqual(
      nodes.slice(1, 5).map((n) => (n.kind === 'char' ? n.text : n.key)),
      [' ', 'H', 'H', ' '],
    );
    assert.equal(nodes[5]?.kind === 'key' && nodes[5].key, 'MONTH');
  });
  test('lower-case keywords that mean the upper-case ones are folded', () => {
    const [n] = parseFormat('yyyy', true);
    assert.equal(n?.kind === 'key' && n.key, 'YYYY');
    const [m] = parseFormat('month', true);
    assert.equal(m?.kind === 'key' && m.key, 'month');
  });
});

describe('date/time pictures', () => {
  test('names, FM, ordinals and 12-hour clock', () => {
    assert.equal(
      formatDateTime('FMDay, DDth Month YYYY HH12:MI:SS.US PM', tm({}), false),
      'Sunday, 29th February  2004 11:59:59.999999 PM',
    );
  });
  test('BC years, centuries and ISO years', () => {
    assert.equal(
      formatDateTime('YYYY BC CC IYYY', tm({ year: 0, mon: 1, mday: 1, wday: 6 }), false),
      '0001 BC -01 0002',
    );
  });
  test('intervals print negative fields and refuse calendar-only patterns', () => {
    const iv = tm({ year: 0, mon: 0, mday: -3, hour: -4, min: -5, sec: -6, fsec: 0, yday: -3 });
    assert.equal(formatDateTime('HH24:MI:SS DD', iv, true), '-04:-05:-06 -3');
    assert.throws(
      () => formatDateTime('Day', iv, true),
      (e: Error & { sqlstate?: string }) => e.sqlstate === '22007',
    );
  });
});

describe('number pictures', () => {
  const numeric = (unscaled: bigint, scale: number) => ({
    kind: 'numeric' as const,
    value: finite(unscaled, scale),
  });
  test('grouping, FM and rounding of numerics', () => {
    assert.equal(formatNumber('FM9,999.99', numeric(12345678n, 4)), '1,234.57');
    assert.equal(formatNumber('9.99EEEE', numeric(1234n, 6)), ' 1.23e-03');
  });
  test('floats: sign, half-even rounding, digits limited to DBL_DIG', () => {
    assert.equal(formatNumber('9.99', { kind: 'float', value: -0.5, float4: false }), ' -.50');
    assert.equal(formatNumber('9', { kind: 'float', value: 2.5, float4: false }), ' 2');
    assert.equal(formatNumber('FM9', { kind: 'float', value: 3.5, float4: false }), '4');
    assert.equal(
      formatNumber('999999999999999999.999', { kind: 'float', value: 123456789012345.67, float4: false }),
      '    123456789012346',
    );
    assert.equal(formatNumber('9.99EEEE', { kind: 'float', value: 1e10, float4: false }), ' 1.00e+10');
  });
  test('integers: roman numerals, brackets, ordinals', () => {
    assert.equal(formatNumber('RN', { kind: 'int', value: 485n, bits: 32 }), '        CDLXXXV');
    assert.equal(formatNumber('999PR', { kind: 'int', value: -12n, bits: 32 }), ' <12>');
    assert.equal(formatNumber('999th', { kind: 'int', value: 12n, bits: 32 }), '  12th');
  });
  test('bad pictures are PostgreSQL syntax errors', () => {
    for (const bad of ['9.9.9', 'S9S', '9PR9', 'EEEE9']) {
      assert.throws(
        () => formatNumber(bad, { kind: 'int', value: 1n, bits: 32 }),
        (e: Error & { sqlstate?: string }) => e.sqlstate === '42601',
        bad,
      );
    }
  });
});

describe("C's printf for doubles", () => {
  test('%.*f rounds the exact binary value half to even', () => {
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(0.125, 2), '0.12');
    assert.equal(formatFixed(1.005, 2), '1.00'); // 1.005 is 1.00499999999999989...
    assert.equal(formatFixed(-0, 1), '-0.0');
    assert.equal(formatFixed(1e21, 0), '1000000000000000000000');
    assert.equal(formatFixed(Number.NaN, 2), 'NaN');
  });
  test('%+.*e', () => {
    assert.equal(formatExponent(12345, 2), '+1.23e+04');
    assert.equal(formatExponent(9.995, 2), '+9.99e+00');
    assert.equal(formatExponent(9.9951, 2), '+1.00e+01');
    assert.equal(formatExponent(-0.000123, 1), '-1.2e-04');
    assert.equal(formatExponent(0, 3), '+0.000e+00');
    assert.equal(formatExponent(5e-324, 1), '+4.9e-324');
  });
});
