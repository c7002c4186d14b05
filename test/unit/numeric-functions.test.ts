// Unit tests for the SQLite numeric functions and aggregates: storage blobs in and out, NULL
// handling, errors reaching the caller as ChorusErrors, aggregates and window frames (expected
// values produced by PostgreSQL 15.18), and SQLite's own ordering of stored values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ChorusError } from '../../src/errors.js';
import { registerNumericFunctions } from '../../src/sql/runtime/numeric-functions.js';
import { numericToText, parseNumeric } from '../../src/sql/types/numeric/numeric.js';
import { decodeNumeric, encodeNumeric } from '../../src/sql/types/numeric/numeric-key.js';

function openDb(): Database.Database {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  registerNumericFunctions(db);
  return db;
}

const db = openDb();
const num = (text: string): Buffer => encodeNumeric(parseNumeric(text));
const text = (v: unknown): string | null => (v === null ? null : numericToText(decodeNumeric(v as Buffer)));

/** The single value of a one-column query. */
function value(sql: string, ...params: unknown[]): unknown {
  return db
    .prepare(sql)
    .pluck()
    .get(...params);
}

function sqlstate(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ChorusError, `expected a ChorusError, got ${String(err)}`);
    return `${err.sqlstate} ${err.message}`;
  }
  return 'no error';
}

test('scalar functions take and return storage blobs', () => {
  assert.equal(text(value('select pg_numeric_add(?, ?)', num('1.5'), num('2.25'))), '3.75');
  assert.equal(text(value('select pg_numeric_div(?, ?)', num('1'), num('3'))), '0.33333333333333333333');
  assert.equal(text(value('select pg_numeric_in(?, -1)', ' 1.50 ')), '1.50');
  assert.equal(text(value('select pg_numeric_in(?, ?)', '123.456', (10n << 16n) + 2n + 4n)), '123.46');
  assert.equal(text(value('select pg_numeric_typmod(?, ?)', num('123.456'), (5n << 16n) + 1n + 4n)), '123.5');
  assert.equal(value('select pg_numeric_out(?)', num('-0.0050')), '-0.0050');
  assert.equal(text(value('select pg_numeric_from_int(?)', -42n)), '-42');
  assert.equal(text(value('select pg_numeric_from_float(?)', 0.1)), '0.1');
  assert.equal(text(value("select pg_numeric_from_float('NaN')")), 'NaN');
  assert.equal(text(value('select pg_numeric_from_float4(?)', Math.fround(1.1))), '1.1');
  assert.equal(value('select pg_numeric_to_int4(?)', num('2.5')), 3n);
  assert.equal(value('select pg_numeric_to_int8(?)', num('-9223372036854775808')), -9223372036854775808n);
  assert.equal(value('select pg_numeric_to_float8(?)', num('1.25')), 1.25);
  assert.equal(value('select pg_numeric_to_float8(?)', num('NaN')), 'NaN');
  assert.equal(value('select pg_numeric_cmp(?, ?)', num('1.50'), num('1.5')), 0n);
  assert.equal(value('select pg_numeric_cmp(?, ?)', num('NaN'), num('Infinity')), 1n);
  assert.equal(text(value('select pg_numeric_round(?)', num('-2.5'))), '-3');
  assert.equal(text(value('select pg_numeric_round(?, -2)', num('1250'))), '1300');
  assert.equal(text(value('select pg_numeric_trunc(?, 1)', num('-1.99'))), '-1.9');
  assert.equal(text(value('select pg_numeric_power(?, ?)', num('2'), num('10'))), '1024.0000000000000000');
  assert.equal(text(value('select pg_numeric_log(?, ?)', num('2'), num('8'))), '3.0000000000000000');
  assert.equal(text(value('select pg_numeric_sqrt(?)', num('2'))), '1.414213562373095');
  assert.equal(value('select pg_numeric_scale(?)', num('1.500')), 3n);
  assert.equal(value('select pg_numeric_scale(?)', num('Infinity')), null);
  assert.equal(value('select pg_numeric_min_scale(?)', num('1.500')), 1n);
  assert.equal(value('select pg_numeric_width_bucket(?, ?, ?, 5)', num('5'), num('0'), num('10')), 3n);
  // an INTEGER where a numeric is expected is taken as that integer
  assert.equal(text(value('select pg_numeric_mul(?, 3)', num('1.5'))), '4.5');
  assert.ok((value('select pg_numeric_key(?)', num('1.50')) as Buffer).equals(num('1.5').subarray(0, -2)));
});

test('NULL in, NULL out', () => {
  assert.equal(value('select pg_numeric_add(?, null)', num('1')), null);
  assert.equal(value('select pg_numeric_in(null, -1)'), null);
  assert.equal(value('select pg_numeric_round(?, null)', num('1')), null);
  assert.equal(value('select pg_numeric_cmp(null, null)'), null);
  assert.equal(value('select pg_numeric_to_float8(null)'), null);
});

test('errors reach the caller with their SQLSTATE', () => {
  assert.equal(
    sqlstate(() => value('select pg_numeric_div(?, ?)', num('1'), num('0'))),
    '22012 division by zero',
  );
  assert.equal(
    sqlstate(() => value("select pg_numeric_in('abc', -1)")),
    '22P02 invalid input syntax for type numeric: "abc"',
  );
  assert.equal(
    sqlstate(() => value('select pg_numeric_to_int2(?)', num('40000'))),
    '22003 smallint out of range',
  );
  assert.equal(
    sqlstate(() => value('select pg_numeric_ln(?)', num('-1'))),
    '2201E cannot take logarithm of a negative number',
  );
  assert.equal(
    sqlstate(() => value("select pg_numeric_add('x', 1)")),
    'XX000 pg_numeric_add: argument 1 must be a numeric value, got string',
  );
});

test('aggregates as PostgreSQL computes them', () => {
  db.exec('create table nums (i integer, x blob, n integer)');
  const insert = db.prepare('insert into nums values (?, ?, ?)');
  insert.run(1n, num('1.5'), 1n);
  insert.run(2n, num('2.25'), 2n);
  insert.run(3n, num('3'), 2n);
  insert.run(4n, null, null);
  const row = (sql: string): Record<string, unknown> => db.prepare(sql).get() as Record<string, unknown>;
  const r = row(`select pg_numeric_sum(x) s, pg_numeric_avg(x) a, pg_numeric_var_samp(x) vs,
    pg_numeric_stddev_samp(x) ss, pg_numeric_stddev_pop(x) sp, pg_numeric_min(x) mn, pg_numeric_max(x) mx,
    pg_int8_sum(n) isum, pg_int_avg(n) iavg, pg_int_var_samp(n) ivs, pg_int_stddev_pop(n) isp from nums`);
  assert.deepEqual(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, text(v)])), {
    s: '6.75',
    a: '2.2500000000000000',
    vs: '0.56250000000000000000',
    ss: '0.75000000000000000000',
    sp: '0.61237243569579452455',
    mn: '1.5',
    mx: '3',
    isum: '5',
    iavg: '1.6666666666666667',
    ivs: '0.33333333333333333333',
    isp: '0.47140452079103168293',
  });
  // no rows, one row
  assert.equal(value('select pg_numeric_sum(x) from nums where i > 10'), null);
  assert.equal(value('select pg_numeric_avg(x) from nums where i > 10'), null);
  assert.equal(value('select pg_numeric_var_samp(x) from nums where i = 1'), null);
  assert.equal(text(value('select pg_numeric_var_pop(x) from nums where i = 1')), '0');
  // sum(int8) and avg(int8) do not overflow
  const big = `(select 9223372036854775807 v union all select 9223372036854775807 union all select 1)`;
  assert.equal(text(value(`select pg_int8_sum(v) from ${big}`)), '18446744073709551615');
  assert.equal(text(value(`select pg_int_avg(v) from ${big}`)), '6148914691236517205');
  assert.equal(text(value(`select pg_int_var_pop(v) from ${big}`)), '18904575940052136850877814157893988808');
  // NaN and infinities
  const special = (a: string, b: string, agg: string): string | null =>
    text(value(`select ${agg}(v) from (select ? v union all select ?)`, num(a), num(b)));
  assert.equal(special('Infinity', '1', 'pg_numeric_sum'), 'Infinity');
  assert.equal(special('Infinity', '1', 'pg_numeric_avg'), 'Infinity');
  assert.equal(special('Infinity', '1', 'pg_numeric_var_samp'), 'NaN');
  assert.equal(special('Infinity', '-Infinity', 'pg_numeric_sum'), 'NaN');
  assert.equal(special('NaN', '-Infinity', 'pg_numeric_avg'), 'NaN');
  // min/max keep the later of equal values, as numeric_smaller does
  assert.equal(special('1.5', '1.50', 'pg_numeric_min'), '1.50');
});

test('window frames: rows leave the frame and the sum scale follows the rows present', () => {
  db.exec('create table win (i integer, x blob)');
  const insert = db.prepare('insert into win values (?, ?)');
  for (const [i, x] of [
    [1n, '1.125'],
    [2n, '2.5'],
    [3n, '-3'],
    [4n, '4'],
    [5n, 'NaN'],
    [6n, '6.0'],
  ] as const) {
    insert.run(i, num(x));
  }
  const rows = db
    .prepare(
      `select pg_numeric_sum(x) over w s, pg_numeric_avg(x) over w a, pg_numeric_var_samp(x) over w v,
        pg_numeric_stddev_pop(x) over w d from win window w as (order by i rows between 1 preceding and current row)
        order by i`,
    )
    .all() as Array<Record<string, unknown>>;
  const got = rows.map((r) => [text(r.s), text(r.a), text(r.v), text(r.d)]);
  assert.deepEqual(got, [
    ['1.125', '1.12500000000000000000', null, '0'],
    ['3.625', '1.8125000000000000', '0.94531250000000000000', '0.68750000000000000000'],
    ['-0.5', '-0.25000000000000000000', '15.1250000000000000', '2.7500000000000000'],
    ['1', '0.50000000000000000000', '24.5000000000000000', '3.5000000000000000'],
    ['NaN', 'NaN', 'NaN', 'NaN'],
    ['NaN', 'NaN', 'NaN', 'NaN'],
  ]);
});

test("SQLite's own ordering of stored values is numeric order; keys compare across scales", () => {
  const local = openDb();
  local.exec('create table t (x blob)');
  const values = ['10', '-Infinity', '1.50', '-2', '0', 'NaN', '1.5', '-0.001', 'Infinity', '9.99', '1e-20'];
  const insert = local.prepare('insert into t values (?)');
  for (const v of values) insert.run(num(v));
  const ordered = (local.prepare('select x from t order by x').pluck().all() as Buffer[]).map(text);
  assert.deepEqual(ordered, [
    '-Infinity',
    '-2',
    '-0.001',
    '0',
    '0.00000000000000000001',
    '1.5',
    '1.50',
    '9.99',
    '10',
    'Infinity',
    'NaN',
  ]);
  const equal = local
    .prepare('select count(*) from t where substr(x, 1, length(x) - 2) = pg_numeric_key(?)')
    .pluck()
    .get(num('1.500'));
  assert.equal(equal, 2n);
  const below = local
    .prepare('select count(*) from t where x < ?')
    .pluck()
    .get(Buffer.concat([num('1.5').subarray(0, -2), Buffer.of(0, 0)]));
  assert.equal(below, 5n);
  local.close();
});
