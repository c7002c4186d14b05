// Parsing of TRUNCATE and ALTER TABLE ... ADD PRIMARY KEY (src/sql/table-statements.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { significant, tokenize } from '../../src/sql/lexer.js';
import { parseAddPrimaryKey, parseDropTable, parseTruncate } from '../../src/sql/table-statements.js';

const sig = (sql: string) => significant(tokenize(sql));

describe('table statements', () => {
  test('TRUNCATE: table lists, ONLY, *, qualified and quoted names, RESTART IDENTITY', () => {
    assert.deepEqual(parseTruncate(sig('TRUNCATE TABLE a, b RESTART IDENTITY CASCADE')), {
      tables: ['a', 'b'],
      restartIdentity: true,
    });
    assert.deepEqual(parseTruncate(sig('truncate only public."Mixed Case" *, c continue identity')), {
      tables: ['Mixed Case', 'c'],
      restartIdentity: false,
    });
    assert.equal(parseTruncate(sig('TRUNCATE')), null);
    assert.equal(parseTruncate(sig('DELETE FROM a')), null);
  });

  test('ADD PRIMARY KEY: with and without a constraint name; other ALTER forms are not it', () => {
    assert.deepEqual(parseAddPrimaryKey(sig('alter table pgbench_branches add primary key (bid)')), {
      table: 'pgbench_branches',
      columns: ['bid'],
      constraint: null,
    });
    assert.deepEqual(
      parseAddPrimaryKey(sig('ALTER TABLE IF EXISTS ONLY s.t ADD CONSTRAINT t_pk PRIMARY KEY ("A", b)')),
      { table: 't', columns: ['A', 'b'], constraint: 't_pk' },
    );
    assert.equal(parseAddPrimaryKey(sig('ALTER TABLE t ADD COLUMN c int')), null);
    assert.equal(parseAddPrimaryKey(sig('ALTER TABLE t ADD PRIMARY KEY (a) DEFERRABLE')), null);
    assert.equal(parseAddPrimaryKey(sig('ALTER TABLE t ADD PRIMARY KEY ()')), null);
  });

  test('DROP TABLE lists with IF EXISTS and CASCADE', () => {
    assert.deepEqual(parseDropTable(sig('DROP TABLE IF EXISTS a, public.b, "C" CASCADE')), {
      tables: ['a', 'b', 'C'],
      ifExists: true,
      option: true,
    });
    assert.deepEqual(parseDropTable(sig('drop table t')), { tables: ['t'], ifExists: false, option: false });
    assert.equal(parseDropTable(sig('DROP TABLE a CASCADE nonsense')), null);
    assert.equal(parseDropTable(sig('DROP VIEW v')), null);
  });
});
