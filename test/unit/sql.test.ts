// The SQL lexer, statement splitting, classification and literal normalization.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify, commandTag } from '../../src/sql/classify.js';
import { significant, splitStatements, tokenize } from '../../src/sql/lexer.js';
import { normalizeLiterals } from '../../src/sql/normalize.js';

test('strings, quoted identifiers, comments and dollar quotes are single tokens', () => {
  const toks = significant(
    tokenize(
      `SELECT 'it''s; --x', "we""ird", $tag$ a;b $tag$, E'\\n', x'00ff' /* c; /* nested */ */ -- tail;`,
    ),
  );
  assert.deepEqual(
    toks.map((t) => [t.kind, t.value]),
    [
      ['ident', 'SELECT'],
      ['string', "it's; --x"],
      ['comma', ','],
      ['qident', 'we"ird'],
      ['comma', ','],
      ['string', ' a;b '],
      ['comma', ','],
      ['string', '\n'],
      ['comma', ','],
      ['blob', '00ff'],
    ],
  );
});

test('unterminated strings and comments are syntax errors', () => {
  for (const sql of ["SELECT 'abc", 'SELECT "abc', 'SELECT /* x', 'SELECT $q$ x']) {
    assert.throws(() => tokenize(sql), { sqlstate: '42601' }, sql);
  }
});

test('parameters and operators', () => {
  const toks = significant(tokenize("a::int = $1 AND b->>'k' <> ? OR c => :name"));
  assert.deepEqual(
    toks.filter((t) => t.kind === 'param' || t.kind === 'op').map((t) => t.text),
    ['::', '=', '$1', '->>', '<>', '?', '=>', ':name'],
  );
});

test('splitStatements splits at top-level semicolons only', () => {
  const parts = splitStatements(
    "INSERT INTO t VALUES ('a;b'); ; SELECT 1 -- c;\n; CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = CASE WHEN 1 THEN 2 END; SELECT 1; END; SELECT 2",
  );
  assert.deepEqual(
    parts.map((p) => p.sql),
    [
      "INSERT INTO t VALUES ('a;b')",
      'SELECT 1',
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = CASE WHEN 1 THEN 2 END; SELECT 1; END',
      'SELECT 2',
    ],
  );
  assert.deepEqual(splitStatements('  ;  -- nothing\n'), []);
});

test('classification and command tags', () => {
  const cases: [string, string, string][] = [
    ['select 1', 'select', 'SELECT 3'],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'insert', 'INSERT 0 3'],
    ['update t set a = 1', 'update', 'UPDATE 3'],
    ['DELETE FROM t', 'delete', 'DELETE 3'],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', 'begin', 'BEGIN'],
    ['end', 'commit', 'COMMIT'],
    ['ROLLBACK TO SAVEPOINT a', 'rollback_to', 'ROLLBACK'],
    ['CREATE UNLOGGED TABLE IF NOT EXISTS "My T" (a int)', 'create_table', 'CREATE TABLE'],
    ['CREATE UNIQUE INDEX i ON t (a)', 'create_index', 'CREATE INDEX'],
    ['DROP TABLE IF EXISTS main.t', 'drop_table', 'DROP TABLE'],
    ['ALTER TABLE t ADD COLUMN b int', 'alter_table', 'ALTER TABLE'],
    ['SET search_path = public', 'set', 'SET'],
  ];
  for (const [sql, kind, tag] of cases) {
    const c = classify(tokenize(sql));
    assert.equal(c.kind, kind, sql);
    assert.equal(commandTag(c, 3), tag, sql);
  }
  const t = classify(tokenize('CREATE UNLOGGED TABLE IF NOT EXISTS "My T" (a int)'));
  assert.equal(t.table, 'My T');
  assert.equal(t.unlogged, true);
  assert.equal(classify(tokenize('DROP TABLE IF EXISTS main.t')).table, 't');
  assert.equal(classify(tokenize('create temp table x (a)')).temporary, true);
});

test('normalization parameterizes literals only where meaning and column names cannot change', () => {
  const n = (sql: string) => normalizeLiterals(tokenize(sql));
  assert.deepEqual(n("SELECT v FROM t WHERE id = 42 AND name = 'x'"), {
    sql: 'SELECT v FROM t WHERE id = ? AND name = ?',
    params: [42n, 'x'],
  });
  assert.deepEqual(n("INSERT INTO t VALUES (1, 'a', 2.5)"), {
    sql: 'INSERT INTO t VALUES (?, ?, ?)',
    params: [1n, 'a', 2.5],
  });
  assert.deepEqual(n('UPDATE t SET a = a + 5 WHERE id = 3 RETURNING a, 1'), {
    sql: 'UPDATE t SET a = a + ? WHERE id = ? RETURNING a, 1',
    params: [5n, 3n],
  });
  // select lists, function arguments inside them, ORDER BY / GROUP BY positions stay literal
  assert.equal(n("SELECT 1, upper('x') FROM t"), null);
  assert.deepEqual(n('SELECT a FROM t WHERE b IN (SELECT 1 FROM u WHERE c = 7) ORDER BY 1'), {
    sql: 'SELECT a FROM t WHERE b IN (SELECT 1 FROM u WHERE c = ?) ORDER BY 1',
    params: [7n],
  });
  assert.equal(n('SELECT a FROM t GROUP BY 1'), null);
  // statements with their own parameters, DDL and huge integers are left alone
  assert.equal(n('SELECT a FROM t WHERE id = $1 AND b = 2'), null);
  assert.equal(n('CREATE TABLE t (a VARCHAR(10))'), null);
  assert.deepEqual(n('SELECT a FROM t WHERE id = 123456789012345678901234'), null);
});
