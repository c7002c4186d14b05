// Unit tests for PostgreSQL's equality and order where the stored form is not canonical: jsonb's
// btree order as a byte key (expected orders produced by PostgreSQL 15.18), the key tuples the
// DISTINCT aggregates sort by, min / max among equal values and the `_distinct` aggregate forms.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { compareKeys, sqlValueCompare } from '../../src/sql/runtime/aggregate-functions.js';
import { registerRuntime } from '../../src/sql/runtime/register.js';
import { encodeInterval } from '../../src/sql/types/interval/interval.js';
import { parseJson } from '../../src/sql/types/json.js';
import { jsonbCompare, jsonbSortKey } from '../../src/sql/types/jsonb-order.js';
import { parseNumeric } from '../../src/sql/types/numeric/numeric.js';
import { encodeNumeric } from '../../src/sql/types/numeric/numeric-key.js';

const j = (text: string) => parseJson(text, 'jsonb');

test('jsonb order: PostgreSQL 15 sorts these values in this order', () => {
  // SELECT x FROM (VALUES ...) v(x) ORDER BY x on PostgreSQL 15.18.
  const expected = [
    '[]',
    'null',
    '""',
    '"a"',
    '"b"',
    '"é"',
    '0',
    '1',
    '2',
    'false',
    'true',
    '[null]',
    '[1]',
    '[[]]',
    '[1, 2]',
    '{}',
    '{"a": 1}',
  ];
  const sorted = [...expected].reverse().sort((a, b) => jsonbCompare(j(a), j(b)));
  assert.deepEqual(sorted, expected);
});

test('jsonb order: objects by pair count, then keys in storage order (shorter first), then values', () => {
  assert.equal(jsonbCompare(j('{"aa": 1, "c": 1}'), j('{"b": 1, "d": 1}')), 1);
  assert.equal(jsonbCompare(j('{"b": 1}'), j('{"a": 2}')), 1);
  assert.equal(jsonbCompare(j('{"a": 1, "b": 2, "c": 3}'), j('{"z": 9}')), 1);
  assert.equal(jsonbCompare(j('{"a": 1}'), j('{"a": 2}')), -1);
  assert.equal(jsonbCompare(j('[1, 2, 3]'), j('{}')), -1);
});

test('jsonb equality: numbers as numeric, nested too', () => {
  assert.equal(jsonbCompare(j('1'), j('1.0')), 0);
  assert.equal(jsonbCompare(j('[1.0, {"a": 2.50}]'), j('[1, {"a": 2.5}]')), 0);
  assert.equal(jsonbCompare(j('1e400'), j('1.00000000000000000001')), 1);
  assert.equal(jsonbCompare(j('-1e-400'), j('0')), -1);
  assert.deepEqual(jsonbSortKey(j('[1.0]')), jsonbSortKey(j('[1]')));
});

test('jsonb order: a raw scalar sorts after [] and before every other array', () => {
  assert.equal(jsonbCompare(j('1'), j('[]')), 1);
  assert.equal(jsonbCompare(j('null'), j('[]')), 1);
  assert.equal(jsonbCompare(j('"z"'), j('[null]')), -1);
  assert.equal(jsonbCompare(j('true'), j('[1, 2]')), -1);
  assert.equal(jsonbCompare(j('[[1]]'), j('[1]')), 1);
});

test('jsonb keys: strings are prefix-free (a prefix sorts first, NUL bytes escaped)', () => {
  assert.equal(jsonbCompare(j('"a"'), j('"ab"')), -1);
  assert.equal(jsonbCompare(j('["a", "b"]'), j('["ab", "a"]')), -1);
  assert.equal(jsonbCompare(j('{"a": "x"}'), j('{"a": "x\\u0001"}')), -1);
});

test('DISTINCT keys: SQLite order across storage classes, directions and NULL placement', () => {
  assert.ok(sqlValueCompare(1n, 2.5) < 0);
  assert.ok(sqlValueCompare(3, 'NaN') < 0);
  assert.ok(sqlValueCompare('z', Buffer.from([0])) < 0);
  assert.equal(sqlValueCompare(-0, 0), 0);
  assert.ok(sqlValueCompare('\u{1F600}', '\uFFFD') > 0); // byte order of UTF-8, not UTF-16
  assert.equal(compareKeys('a', [null], [1n]), 1);
  assert.equal(compareKeys('A', [null], [1n]), -1);
  assert.equal(compareKeys('d', [null], [1n]), -1);
  assert.equal(compareKeys('D', [null], [1n]), 1);
  assert.equal(compareKeys('d', [2n], [1n]), -1);
  assert.equal(compareKeys('aa', ['x', 1n], ['x', 2n]), -1);
  assert.equal(compareKeys('a', [null], [null]), 0);
});

function openDb(): Database.Database {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  registerRuntime(db, 'test');
  return db;
}

test('DISTINCT aggregate forms: first of each equal run, in key order', () => {
  const db = openDb();
  const num = (t: string) => encodeNumeric(parseNumeric(t));
  db.exec('CREATE TABLE t (o INTEGER, x BLOB, s TEXT)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?)');
  for (const [o, x, s] of [
    [1, '1.50', 'b'],
    [2, '1.5', 'a'],
    [3, '2', 'b'],
    [4, '2.0', null],
  ] as const) {
    ins.run(o, num(x), s);
  }
  const sum = db
    .prepare(
      "SELECT pg_numeric_out(pg_numeric_sum_distinct('a', substr(x, 1, length(x) - 2), x)) FROM (SELECT * FROM t ORDER BY o)",
    )
    .pluck()
    .get();
  assert.equal(sum, '3.50');
  const agg = db.prepare("SELECT pg_string_agg_distinct('da', s, ',', s, ',') FROM t").pluck().get();
  assert.equal(agg, 'b,a');
});

test('min / max: the later of equal values wins, the earlier for bpchar; window form over frames', () => {
  const db = openDb();
  const iv = (months: number, days: number) => encodeInterval({ months, days, micros: 0n });
  const get = (sql: string, ...p: unknown[]) =>
    db
      .prepare(sql)
      .raw()
      .get(...p) as unknown[];
  const [mx, mn] = get(
    'SELECT pg_interval_out(pg_max(x, 1186)), pg_interval_out(pg_min(x, 1186)) FROM (SELECT ? x UNION ALL SELECT ?)',
    iv(1, 0),
    iv(0, 30),
  );
  assert.deepEqual([mx, mn], ['30 days', '30 days']);
  assert.deepEqual(get("SELECT pg_max(x, 1042), pg_min(x, 1042) FROM (SELECT 'a' x UNION ALL SELECT 'a ')"), [
    'a',
    'a',
  ]);
  const rows = db
    .prepare(
      'SELECT pg_max_w(x, 20) OVER (ORDER BY o ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (SELECT 1 o, 5 x UNION ALL SELECT 2, 1 UNION ALL SELECT 3, 2 UNION ALL SELECT 4, NULL)',
    )
    .pluck()
    .all();
  assert.deepEqual(rows, [5n, 5n, 2n, 2n]);
});
