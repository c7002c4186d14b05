// ALTER TABLE's storage side: the stored definition read and written back (table-def.ts), the
// constraints with their names (constraints.ts), edits run on a database in origin and peer mode
// (table-alter.ts, table-rebuild.ts) and old-shape row changes put through recorded shape changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ShapeUpgrader } from '../../src/replication/apply/ddl/shape-upgrade.js';
import { internalSchemaSql } from '../../src/storage/engine/internal-schema.js';
import { storedConstraints } from '../../src/storage/tables/constraints.js';
import { recordShapeChange, renameColumn, renameTable } from '../../src/storage/tables/shape-changes.js';
import { alterTable } from '../../src/storage/tables/table-alter.js';
import { parseTableDef, tableDefSql } from '../../src/storage/tables/table-def.js';

const created =
  'CREATE TABLE "t" ("id" INTEGER CONSTRAINT "t_pkey" PRIMARY KEY AUTOINCREMENT, "a" TEXT NOT NULL DEFAULT (\'x\' /* pg: \'x\'::text */), ' +
  '"b" INTEGER REFERENCES "u" ("id") ON DELETE SET NULL, c VARCHAR(20) UNIQUE, ' +
  'CONSTRAINT "t_a_key" UNIQUE ("a"), CONSTRAINT "t_b_check" CHECK ("b" > 0), CHECK (c <> \'\'))';

test('a stored definition reads into columns and constraints and writes back', () => {
  const def = parseTableDef(created);
  assert.equal(def.name, 't');
  assert.deepEqual(
    def.columns.map((c) => [c.name, c.type, c.notNull, c.default, c.other]),
    [
      ['id', 'INTEGER', false, null, ['CONSTRAINT "t_pkey" PRIMARY KEY AUTOINCREMENT']],
      ['a', 'TEXT', true, "('x' /* pg: 'x'::text */)", []],
      ['b', 'INTEGER', false, null, ['REFERENCES "u" ("id") ON DELETE SET NULL']],
      ['c', 'VARCHAR(20)', false, null, ['UNIQUE']],
    ],
  );
  assert.deepEqual(
    def.constraints.map((c) => [c.name, c.kind]),
    [
      ['t_a_key', 'unique'],
      ['t_b_check', 'check'],
      [null, 'check'],
    ],
  );
  // Written back and read again: the same model.
  assert.deepEqual(parseTableDef(tableDefSql(def)), def);
});

test("an identity column's marker comment survives a rewrite of the definition", () => {
  const def = parseTableDef(
    'CREATE TABLE "i" ("id" INTEGER CONSTRAINT "i_pkey" PRIMARY KEY AUTOINCREMENT /* identity d */, "x" INTEGER)',
  );
  assert.deepEqual(def.columns[0]!.other, ['CONSTRAINT "i_pkey" PRIMARY KEY AUTOINCREMENT /* identity d */']);
  assert.match(tableDefSql(def), /AUTOINCREMENT \/\* identity d \*\/, "x"/);
});

function db(): Database.Database {
  const d = new Database(':memory:');
  d.pragma('foreign_keys = ON');
  d.exec(internalSchemaSql);
  d.exec('CREATE TABLE "u" ("id" INTEGER PRIMARY KEY)');
  d.exec('INSERT INTO u VALUES (1), (2)');
  d.exec(created);
  d.exec("INSERT INTO t (id, a, b, c) VALUES (1, 'p', 1, '10'), (2, 'q', 2, '20')");
  return d;
}

test('constraints are listed with PostgreSQL names, unnamed ones named as PostgreSQL names them', () => {
  const d = db();
  assert.deepEqual(
    storedConstraints(d, 't').map((c) => [c.name, c.type, c.columns.join(','), c.refTable]),
    [
      ['t_pkey', 'p', 'id', null],
      ['t_b_fkey', 'f', 'b', 'u'],
      ['t_c_key', 'u', 'c', null],
      ['t_a_key', 'u', 'a', null],
      ['t_b_check', 'c', '', null],
      ['t_check', 'c', '', null],
    ],
  );
});

test('edits change the definition in place; rows stay and values are converted', () => {
  const d = db();
  const rowids = d.prepare('SELECT rowid FROM t ORDER BY id').pluck().all();
  alterTable(
    d,
    't',
    [
      { kind: 'set_type', column: 'c', type: 'INTEGER', convert: 'CAST("c" AS INTEGER)' },
      { kind: 'set_not_null', column: 'c', notNull: true },
      { kind: 'add_constraint', name: 't_c_check', body: 'CHECK ("c" < 100)' },
      { kind: 'add_unique', name: 't_b_key', columns: ['b'] },
      { kind: 'drop_constraint', name: 't_b_check' },
      { kind: 'rename_constraint', from: 't_check', to: 't_c_nonempty' },
      { kind: 'set_default', column: 'a', default: null },
    ],
    'origin',
  );
  assert.deepEqual(d.prepare('SELECT rowid FROM t ORDER BY id').pluck().all(), rowids);
  assert.deepEqual(d.prepare('SELECT c, typeof(c) AS t FROM t ORDER BY id').raw().all(), [
    [10, 'integer'],
    [20, 'integer'],
  ]);
  assert.throws(
    () => d.exec("INSERT INTO t (id, a, b, c) VALUES (3, 'r', 1, 5)"),
    /UNIQUE constraint failed: t.b/,
  );
  assert.throws(
    () => d.exec("INSERT INTO t (id, a, c) VALUES (3, 'r', 500)"),
    /CHECK constraint failed: t_c_check/,
  );
  assert.throws(() => d.exec("INSERT INTO t (id, a) VALUES (3, 'r')"), /NOT NULL constraint failed: t.c/);
  assert.throws(() => d.exec('INSERT INTO t (id, c) VALUES (3, 5)'), /NOT NULL constraint failed: t.a/);
  d.exec("INSERT INTO t (id, a, b, c) VALUES (3, 'r', NULL, 5)");
  assert.deepEqual(
    storedConstraints(d, 't').map((c) => c.name),
    ['t_pkey', 't_b_fkey', 't_c_key', 't_a_key', 't_c_nonempty', 't_c_check', 't_b_key'],
  );
  assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
});

test('origin mode refuses an edit that does not fit; peer mode skips it and goes on', () => {
  const d = db();
  assert.throws(
    () => alterTable(d, 't', [{ kind: 'drop_constraint', name: 'nope' }], 'origin'),
    /constraint "nope" of relation "t" does not exist/,
  );
  const out = alterTable(
    d,
    't',
    [
      { kind: 'drop_constraint', name: 'nope' },
      { kind: 'add_constraint', name: 't_a_key', body: 'CHECK (1)' },
      { kind: 'set_not_null', column: 'b', notNull: true },
    ],
    'peer',
  );
  assert.deepEqual(
    out.skipped.map((s) => s.edit.kind),
    ['drop_constraint', 'add_constraint'],
  );
  assert.throws(
    () => d.exec("INSERT INTO t (id, a, c) VALUES (5, 'z', 'z')"),
    /NOT NULL constraint failed: t.b/,
  );
});

test('a peer turns a value the new type cannot hold into NULL, the rest converted', () => {
  const d = db();
  d.exec("INSERT INTO t (id, a, b, c) VALUES (3, 'r', 1, 'oops')");
  d.function('to_int', (v: unknown) => {
    if (!/^[0-9]+$/.test(String(v))) throw new Error(`invalid input syntax for type integer: "${v}"`);
    return Number(v);
  });
  const convert = 'to_int("c")';
  assert.throws(() =>
    alterTable(d, 't', [{ kind: 'set_type', column: 'c', type: 'INTEGER', convert }], 'origin'),
  );
  const nulled: unknown[] = [];
  const refused: unknown[] = [];
  alterTable(d, 't', [{ kind: 'set_type', column: 'c', type: 'INTEGER', convert }], 'peer', undefined, {
    nulled: (rowid, column, old) => nulled.push([rowid, column, old]),
    refuse: (rowid, constraint) => refused.push([rowid, constraint]),
    keepOne: (rowids) => rowids[0]!,
  });
  assert.deepEqual(nulled, [[3, 'c', 'oops']]);
  assert.deepEqual(refused, []);
  assert.deepEqual(d.prepare('SELECT id, c FROM t ORDER BY id').raw().all(), [
    [1, 10],
    [2, 20],
    [3, null],
  ]);
});

test('dropping a UNIQUE constraint of the table text copies the table, keeping rows and indexes', () => {
  const d = db();
  d.exec('CREATE INDEX t_b_idx ON t (b)');
  alterTable(d, 't', [{ kind: 'drop_constraint', name: 't_a_key' }], 'origin');
  d.exec("INSERT INTO t (id, a, b, c) VALUES (3, 'p', 1, '30')");
  assert.equal(d.prepare('SELECT count(*) FROM t').pluck().get(), 3);
  assert.ok(d.prepare("SELECT 1 FROM sqlite_schema WHERE name = 't_b_idx'").get());
  // A table others reference is not copied (dropping it would fire their ON DELETE actions).
  assert.throws(
    () => alterTable(d, 'u', [{ kind: 'drop_constraint', name: 'u_pkey' }], 'origin'),
    /which table "t" references/,
  );
});

test('renames carry row clocks; an old-shape row change is renamed and converted on arrival', () => {
  const d = db();
  d.prepare("INSERT INTO _chorus_rowmeta (tbl, pk, vv, cols) VALUES ('t', '[1]', '{}', ?)").run(
    JSON.stringify({ c: ['k', 'n1', 1], a: ['k', 'n1', 1] }),
  );
  renameColumn(d, 't', 'c', 'code');
  recordShapeChange(d, 't', 'n1', 5, { kind: 'rename_column', from: 'c', to: 'code' });
  alterTable(
    d,
    't',
    [{ kind: 'set_type', column: 'code', type: 'INTEGER', convert: 'CAST("code" AS INTEGER)' }],
    'origin',
  );
  recordShapeChange(d, 't', 'n1', 6, { kind: 'convert', column: 'code', sql: 'CAST("code" AS INTEGER)' });
  renameTable(d, 't', 't2');
  recordShapeChange(d, 't2', 'n1', 7, { kind: 'rename_table', from: 't' });
  assert.deepEqual(
    JSON.parse(d.prepare("SELECT cols FROM _chorus_rowmeta WHERE tbl = 't2'").pluck().get() as string),
    {
      a: ['k', 'n1', 1],
      code: ['k', 'n1', 1],
    },
  );
  const up = new ShapeUpgrader(d);
  const old = { tbl: 't', op: 'UPDATE' as const, pk: '[1]', cols: '{"c":"42","a":"z"}' };
  assert.deepEqual(up.upgrade(old, { n1: 4 }).entry, { ...old, tbl: 't2', cols: '{"a":"z","code":42}' });
  // Seen the rename but not the conversion; seen everything: as it is.
  assert.deepEqual(up.upgrade({ ...old, cols: '{"code":"7"}' }, { n1: 5 }).entry.cols, '{"code":7}');
  const seen = { ...old, tbl: 't2', cols: '{"code":7}' };
  assert.equal(up.upgrade(seen, { n1: 7 }).entry, seen);
  // A value the conversion cannot hold becomes NULL and is reported with its old value.
  d.function('to_int', (v: unknown) => {
    if (!/^[0-9]+$/.test(String(v))) throw new Error(`invalid input syntax for type integer: "${v}"`);
    return Number(v);
  });
  recordShapeChange(d, 't2', 'n1', 8, { kind: 'convert', column: 'a', sql: 'to_int("a")' });
  recordShapeChange(d, 't2', 'n1', 8, { kind: 'constrain' });
  up.invalidate();
  const bad = up.upgrade({ ...seen, cols: '{"a":"x1"}' }, { n1: 7 });
  assert.deepEqual(bad, {
    entry: { ...seen, cols: '{"a":null}' },
    constrained: true,
    nulled: [{ column: 'a', old: '{"a":"x1"}' }],
  });
});

test('a new default leaves rows stored before ADD COLUMN as they read; their triggers do not fire', () => {
  for (const mode of ['origin', 'peer'] as const) {
    const d = new Database(':memory:');
    d.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    d.exec("INSERT INTO t VALUES (1, 'a')");
    // SQLite stores these rows without the columns added next and reads them as the current default.
    d.exec('ALTER TABLE t ADD COLUMN c INTEGER');
    d.exec('ALTER TABLE t ADD COLUMN d INTEGER DEFAULT (7 /* pg: 7 */)');
    // Not a literal: every row is rewritten.
    d.exec("ALTER TABLE t ADD COLUMN e INTEGER DEFAULT (CAST('4' AS INTEGER))");
    d.exec("INSERT INTO t (id, v, c) VALUES (2, 'b', 3)");
    d.exec('CREATE TABLE fired (n INTEGER)');
    d.exec('CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN INSERT INTO fired VALUES (new.id); END');
    alterTable(
      d,
      't',
      [
        { kind: 'set_default', column: 'c', default: '(5 /* pg: 5 */)' },
        { kind: 'set_default', column: 'd', default: null },
        { kind: 'set_default', column: 'e', default: '9' },
      ],
      mode,
    );
    assert.deepEqual(d.prepare('SELECT id, v, c, d, e FROM t ORDER BY id').raw().all(), [
      [1, 'a', null, 7, 4],
      [2, 'b', 3, 7, 4],
    ]);
    d.exec("INSERT INTO t (id, v) VALUES (3, 'c')");
    assert.deepEqual(d.prepare('SELECT c, d, e FROM t WHERE id = 3').raw().get(), [5, null, 9]);
    assert.equal(d.prepare('SELECT count(*) FROM fired').pluck().get(), 0);
    d.exec('UPDATE t SET v = v WHERE id = 1');
    assert.equal(d.prepare('SELECT count(*) FROM fired').pluck().get(), 1, 'the trigger is back');
    assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
  }
});
