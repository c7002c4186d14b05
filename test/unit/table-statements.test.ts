// Reading of DROP and TRUNCATE from the parse tree (src/sql/analyze/ddl/drop-statements.ts) and
// of ALTER TABLE ... ADD PRIMARY KEY (src/sql/table-statements.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readDrop, readTruncate } from '../../src/sql/analyze/ddl/drop-statements.js';
import { significant, tokenize } from '../../src/sql/lexer.js';
import { parseAddPrimaryKey } from '../../src/sql/table-statements.js';

const sig = (sql: string) => significant(tokenize(sql));

describe('table statements', () => {
  test('TRUNCATE: table lists, ONLY, *, qualified and quoted names, RESTART IDENTITY, CASCADE', () => {
    assert.deepEqual(readTruncate('TRUNCATE TABLE a, b RESTART IDENTITY CASCADE'), {
      tables: [
        { schema: null, name: 'a' },
        { schema: null, name: 'b' },
      ],
      restartIdentity: true,
      cascade: true,
    });
    assert.deepEqual(readTruncate('truncate only public."Mixed Case", C * continue identity'), {
      tables: [
        { schema: 'public', name: 'Mixed Case' },
        { schema: null, name: 'c' },
      ],
      restartIdentity: false,
      cascade: false,
    });
    assert.equal(readTruncate('DELETE FROM a'), null);
    assert.throws(() => readTruncate('TRUNCATE db.s.t'), { sqlstate: '0A000' });
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

  test('DROP TABLE / VIEW / INDEX lists with IF EXISTS and CASCADE', () => {
    assert.deepEqual(readDrop('DROP TABLE IF EXISTS a, public.b, "C" CASCADE'), {
      kind: 'table',
      names: [
        { schema: null, name: 'a' },
        { schema: 'public', name: 'b' },
        { schema: null, name: 'C' },
      ],
      ifExists: true,
      cascade: true,
    });
    assert.deepEqual(readDrop('drop view V restrict'), {
      kind: 'view',
      names: [{ schema: null, name: 'v' }],
      ifExists: false,
      cascade: false,
    });
    assert.equal(readDrop('DROP INDEX CONCURRENTLY i')?.kind, 'index');
    assert.equal(readDrop('DROP FUNCTION f'), null);
    assert.equal(readDrop('SELECT 1'), null);
  });
});
