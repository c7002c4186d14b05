// The PostgreSQL front end as pure logic: operator and function resolution, parameter type
// inference, result column names and types, literal normalization of simple queries, bind markers,
// and the errors PostgreSQL gives — against an in-memory catalog, no SQLite and no server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Catalog, CatalogColumn, CatalogRelation } from '../../src/sql/analyze/context.js';
import { AnalyzeState } from '../../src/sql/analyze/context.js';
import { selectCandidate } from '../../src/sql/analyze/expr/coercion/resolve.js';
import { StatementAnalyzer } from '../../src/sql/analyze/statement.js';
import { tokenize } from '../../src/sql/lexer.js';
import { normalizeForPg } from '../../src/sql/normalize.js';
import { parseSql } from '../../src/sql/parse/parser.js';
import { numericTypmod, ref, T, type TypeRef } from '../../src/sql/types/pg-types.js';

function column(
  name: string,
  type: TypeRef,
  attnum: number,
  extra: Partial<CatalogColumn> = {},
): CatalogColumn {
  return {
    name,
    type,
    notNull: false,
    defaultSql: null,
    defaultPg: null,
    rowidKey: false,
    generated: false,
    attnum,
    ...extra,
  };
}

const people: CatalogRelation = {
  name: 'people',
  kind: 'table',
  columns: [
    column('id', ref(T.int4), 1, { rowidKey: true, notNull: true }),
    column('name', ref(T.text), 2),
    column('amount', ref(T.numeric, numericTypmod(10, 2)), 3),
    column('seen', ref(T.timestamptz), 4),
  ],
  primaryKey: ['id'],
  uniques: [{ name: 'people_pkey', columns: ['id'], primary: true }],
  fromSql: '"people"',
};

const catalog: Catalog = {
  version: 1,
  relation: (schema, name) => (schema === null && name === 'people' ? people : undefined),
};

function plan(sql: string, declared: (TypeRef | undefined)[] = []) {
  const [stmt] = parseSql(sql);
  return new StatementAnalyzer(catalog, sql, { declaredParams: declared }).plan(stmt!.stmt);
}

function fails(sql: string, sqlstate: string, message?: RegExp): void {
  assert.throws(
    () => plan(sql),
    (e: { sqlstate?: string; message: string }) =>
      e.sqlstate === sqlstate && (message === undefined || message.test(e.message)),
    `${sql} should fail with ${sqlstate}`,
  );
}

describe('PostgreSQL front end', () => {
  test('operator resolution picks what PostgreSQL picks', () => {
    const ops = [
      { name: 'int4eq', argTypes: [T.int4, T.int4] },
      { name: 'int48eq', argTypes: [T.int4, T.int8] },
      { name: 'int8eq', argTypes: [T.int8, T.int8] },
      { name: 'numeric_eq', argTypes: [T.numeric, T.numeric] },
      { name: 'texteq', argTypes: [T.text, T.text] },
    ];
    // an untyped input takes the other input's type (binary_oper_exact)
    assert.deepEqual(
      selectCandidate(ops, [T.int4, T.unknown]).map((o) => o.name),
      ['int4eq'],
    );
    assert.deepEqual(
      selectCandidate(ops, [T.int4, T.int8]).map((o) => o.name),
      ['int48eq'],
    );
    // int2 = numeric: the numeric candidate (int2 casts implicitly to numeric, not numeric to int)
    assert.deepEqual(
      selectCandidate(ops, [T.int2, T.numeric]).map((o) => o.name),
      ['numeric_eq'],
    );
    // two untyped inputs: the string category wins
    assert.deepEqual(
      selectCandidate(ops, [T.unknown, T.unknown]).map((o) => o.name),
      ['texteq'],
    );
    assert.deepEqual(selectCandidate(ops, [T.bool, T.int4]), []);
  });

  test('untyped parameters take their type from context; ParameterDescription reports it', () => {
    assert.deepEqual(
      plan('SELECT count(*) FROM people WHERE length(name) = $1').paramTypes.map((t) => t.type),
      [T.int4],
    );
    assert.deepEqual(
      plan('SELECT * FROM people WHERE amount * 2 > $1').paramTypes.map((t) => t.type),
      [T.numeric],
    );
    assert.deepEqual(
      plan('SELECT $1 + 1, $2 || $3').paramTypes.map((t) => t.type),
      [T.int4, T.text, T.text],
    );
    assert.deepEqual(
      plan('INSERT INTO people (id, seen) VALUES ($1, $2)').paramTypes.map((t) => t.type),
      [T.int4, T.timestamptz],
    );
    // a declared type wins over inference
    assert.deepEqual(
      plan('SELECT $1', [ref(T.int8)]).paramTypes.map((t) => t.type),
      [T.int8],
    );
    fails('SELECT $1 IS NULL', '42P18', /could not determine data type of parameter \$1/);
  });

  test('result columns carry PostgreSQL names and types', () => {
    const cols = plan(
      'SELECT true, count(*), sum(id), avg(id), 1.50::numeric(10,2), now(), 1 + 1, name AS Foo, amount FROM people GROUP BY name, amount',
    ).columns!;
    assert.deepEqual(
      cols.map((c) => [c.name, c.type.type.name, c.type.typmod]),
      [
        ['?column?', 'bool', -1],
        ['count', 'int8', -1],
        ['sum', 'int8', -1],
        ['avg', 'numeric', -1],
        ['numeric', 'numeric', numericTypmod(10, 2)],
        ['now', 'timestamptz', -1],
        ['?column?', 'int4', -1],
        ['foo', 'text', -1],
        ['amount', 'numeric', numericTypmod(10, 2)],
      ],
    );
    assert.equal(plan("SELECT 'four: ' || 2 + 2").columns![0]!.type.type, T.text);
    assert.equal(
      plan("SELECT TIMESTAMP '2026-12-08' - TIMESTAMP '2026-12-07'").columns![0]!.type.type,
      T.interval,
    );
  });

  test('ORDER BY spells out PostgreSQL NULL placement for SQLite', () => {
    assert.match(plan('SELECT id FROM people ORDER BY name').sql, /ORDER BY "people"\."name" NULLS LAST$/);
    assert.match(
      plan('SELECT id FROM people ORDER BY name DESC').sql,
      /ORDER BY "people"\."name" DESC NULLS FIRST$/,
    );
  });

  test("PostgreSQL's errors and positions", () => {
    fails('SELECT nope FROM people', '42703', /column "nope" does not exist/);
    fails('SELECT name FROM nope', '42P01');
    fails('SELECT name + 1 FROM people', '42883', /operator does not exist: text \+ integer/);
    fails(
      'SELECT * FROM people WHERE name',
      '42804',
      /argument of WHERE must be type boolean, not type text/,
    );
    fails('SELECT name, count(*) FROM people', '42803', /must appear in the GROUP BY clause/);
    fails('SELECT id FROM people GROUP BY name', '42803');
    fails(
      "INSERT INTO people (id) VALUES ('34.5')",
      '22P02',
      /invalid input syntax for type integer: "34.5"/,
    );
    assert.throws(
      () => plan('SELECT nam FROM people'),
      (e: { hint?: string; position?: number }) =>
        e.hint === 'Perhaps you meant to reference the column "people.name".' && e.position === 8,
    );
    assert.throws(
      () => parseSql('SELEC 1'),
      (e: { sqlstate?: string; position?: number }) => e.sqlstate === '42601' && e.position === 1,
    );
  });

  test('literals of a simple query become typed parameters, except where they name or type something', () => {
    const n = normalizeForPg(
      tokenize(
        "SELECT 'x', id FROM people WHERE id = 5 AND name = 'bob' AND seen > DATE '2024-01-01' ORDER BY 1 LIMIT 10",
      ),
    );
    assert.ok(n);
    assert.equal(
      n.sql,
      "SELECT 'x', id FROM people WHERE id = $1 AND name = $2 AND seen > DATE '2024-01-01' ORDER BY 1 LIMIT $3",
    );
    assert.deepEqual(n.kinds, ['int4', 'string', 'int4']);
    assert.deepEqual(n.values, ['5', 'bob', '10']);
    assert.deepEqual(normalizeForPg(tokenize('UPDATE t SET x = 3000000000, y = 1.5'))?.kinds, [
      'int8',
      'numeric',
    ]);
    assert.equal(normalizeForPg(tokenize('SELECT 1 WHERE id = $1')), null);
  });

  test('bind markers become positional parameters in the order SQLite reads them', () => {
    const st = new AnalyzeState(catalog, '', [], null);
    const a = st.paramMarker(2);
    const b = st.marker({ kind: 'now' });
    const c = st.paramMarker(1);
    const out = st.finishSql(`f(${c}, ${a}) + ${a} - ${b}`);
    assert.equal(out.sql, 'f(?, ?) + ? - ?');
    assert.deepEqual(out.bind, [
      { kind: 'param', index: 0 },
      { kind: 'param', index: 1 },
      { kind: 'param', index: 1 },
      { kind: 'now' },
    ]);
  });
});
