// The ddl chaos checker on hand-made histories: it accepts a run where columns were added, renamed
// and dropped while rows were written, and catches a lost insert, a lost value (the planted
// old-shape-ignores-renames bug's symptom), a value never written, a missing default and a schema
// or rows that differ between nodes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDdl, type DdlRead } from '../../chaos/ddl-checker.js';
import { History } from '../../chaos/history.js';

/** Operations [node, f, value, outcome] run one after another (process = node). */
function history(ops: [node: number, f: string, value: unknown, outcome: 'ok' | 'fail' | 'info'][]) {
  const h = new History(null);
  for (const [node, f, v, outcome] of ops) h.complete(h.invoke(node, node, f, v), outcome);
  return h.ops;
}

const ops = history([
  [0, 'ddl-insert', { id: 1, u: 1 }, 'ok'],
  [1, 'ddl-insert', { id: 2, u: 2 }, 'ok'],
  [2, 'ddl-insert', { id: 3, u: 2 }, 'ok'], // a duplicate: removed by the unique constraint
  [0, 'ddl-change', { kind: 'add', g: 1, type: 'INTEGER', default: null }, 'ok'],
  [1, 'ddl-change', { kind: 'add', g: 2, type: 'BIGINT', default: -2 }, 'ok'],
  [2, 'ddl-change', { kind: 'add', g: 3, type: 'INTEGER', default: null }, 'ok'],
  [1, 'ddl-write', { id: 1, g: 1, column: 'c1', v: 10 }, 'ok'],
  [0, 'ddl-change', { kind: 'rename', g: 1 }, 'ok'],
  [2, 'ddl-write', { id: 2, g: 1, column: 'c1', v: 11 }, 'ok'], // old name, concurrent with the rename
  [1, 'ddl-write', { id: 2, g: 3, column: 'c3', v: 12 }, 'ok'],
  [2, 'ddl-change', { kind: 'drop', g: 3, column: 'c3' }, 'ok'],
  [0, 'ddl-write', { id: 1, g: 2, column: 'c2', v: 13 }, 'fail'],
  [0, 'ddl-insert', { id: 4, u: 4, g: 2, column: 'c2', v: 14 }, 'info'],
  [1, 'ddl-change', { kind: 'add-unique' }, 'ok'],
]);

const columns = [
  { name: 'id', type: 'integer', default: null },
  { name: 'node', type: 'integer', default: null },
  { name: 'u', type: 'integer', default: null },
  { name: 'r1', type: 'integer', default: null },
  { name: 'c2', type: 'bigint', default: "'-2'::integer" },
];
const indexes = ['CREATE UNIQUE INDEX chaos_ddl_u ON public.chaos_ddl USING btree (u)'];

function read(over: Partial<DdlRead> = {}): DdlRead {
  return {
    columns,
    indexes,
    rows: [
      { id: 1, node: 0, u: 1, r1: 10, c2: -2 },
      { id: 2, node: 1, u: 2, r1: 11, c2: -2 },
      { id: 4, node: 0, u: 4, r1: null, c2: 14 },
    ],
    conflicts: [{ id: 3, type: 'unique_conflict' }],
    ...over,
  };
}

describe('ddl checker', () => {
  test('accepts equal nodes holding every acknowledged row and value, defaults where nothing was written', () => {
    const r = checkDdl(ops, [read(), read(), read()]);
    assert.deepEqual(r.problems, []);
    assert.equal(r.stats.cells_checked, 3 * 3 * 2);
  });

  test('a value written in the old shape and dropped where the rename came first is lost', () => {
    const rows = read().rows.map((row) => (row.id === 2 ? { ...row, r1: null } : row));
    const r = checkDdl(ops, [read(), read({ rows }), read()]);
    assert.equal(r.valid, false);
    assert.match(r.problems.join('\n'), /node 1: rows differ/);
    assert.match(r.problems.join('\n'), /node 1: 1 acknowledged values lost .*2\.r1 = null, acknowledged 11/);
  });

  test('an acknowledged insert missing without a conflict record is lost; with one it is explained', () => {
    const rows = read().rows.filter((row) => row.id !== 1);
    const lost = checkDdl(ops, [read({ rows }), read({ rows }), read({ rows })]);
    assert.match(
      lost.problems.join('\n'),
      /node 0: 1 acknowledged inserts lost without a conflict record: 1/,
    );
    const conflicts = [...read().conflicts, { id: 1, type: 'unique_conflict' }];
    assert.equal(checkDdl(ops, [read({ rows, conflicts }), read({ rows }), read({ rows })]).valid, true);
  });

  test('a value never written to the cell, a failed write, or NULL in a column with a default', () => {
    const bad = read().rows.map((row) => (row.id === 1 ? { ...row, c2: 13 } : row));
    const nulled = read().rows.map((row) => (row.id === 2 ? { ...row, c2: null } : row));
    for (const rows of [bad, nulled]) {
      const r = checkDdl(ops, [read({ rows }), read({ rows }), read({ rows })]);
      assert.match(r.problems.join('\n'), /cells hold a value never written there/);
    }
  });

  test('different schemas, a column never added or renamed, a type that is not the one added', () => {
    const noIndex = checkDdl(ops, [read(), read({ indexes: [] }), read()]);
    assert.match(noIndex.problems.join('\n'), /node 1: schema differs/);
    const invented = [...columns, { name: 'c9', type: 'integer', default: null }];
    const renamedC2 = columns.map((c) => (c.name === 'c2' ? { ...c, name: 'r2' } : c));
    const retyped = columns.map((c) => (c.name === 'r1' ? { ...c, type: 'bigint' } : c));
    assert.match(checkDdl(ops, [read({ columns: invented })]).problems.join('\n'), /c9 was never added/);
    assert.match(checkDdl(ops, [read({ columns: renamedC2 })]).problems.join('\n'), /r2: no RENAME/);
    assert.match(checkDdl(ops, [read({ columns: retyped })]).problems.join('\n'), /r1 is bigint/);
  });

  test('an acknowledged write replaced by an earlier write of the same node is lost', () => {
    const seq = history([
      [0, 'ddl-insert', { id: 1, u: 1 }, 'ok'],
      [0, 'ddl-change', { kind: 'add', g: 1, type: 'INTEGER', default: null }, 'ok'],
      [0, 'ddl-write', { id: 1, g: 1, column: 'c1', v: 5 }, 'ok'],
      [0, 'ddl-write', { id: 1, g: 1, column: 'c1', v: 6 }, 'ok'],
    ]);
    const cols = [...columns.slice(0, 3), { name: 'c1', type: 'integer', default: null }];
    const at = (v: number): DdlRead => ({
      columns: cols,
      indexes,
      rows: [{ id: 1, node: 0, u: 1, c1: v }],
      conflicts: [],
    });
    assert.equal(checkDdl(seq, [at(6)]).valid, true);
    assert.match(checkDdl(seq, [at(5)]).problems.join('\n'), /overwrote the later 6/);
  });
});
