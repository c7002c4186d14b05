// The replication log's CHECK on `op` as comparisons, not `IN (...)` (whose constant list SQLite
// turns into a temporary index on every capture trigger run): a data directory written before is
// upgraded when the node opens it, keeps its log and its LSN counter, and the rule still holds; the
// LSN is read from main's sqlite_sequence, whatever TEMP tables with AUTOINCREMENT exist.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { openNode } from '../../src/node/node.js';
import { databaseFileName } from '../../src/storage/engine/engine.js';
import { writeTableText } from '../../src/storage/tables/table-rebuild.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const oldCheck = "CHECK (op IN ('INSERT', 'UPDATE', 'DELETE', 'DDL'))";

function logTableSql(dir: string): string {
  const db = new Database(join(dir, databaseFileName), { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT sql FROM sqlite_schema WHERE name = '_chorus_log'").pluck().get() as string;
  } finally {
    db.close();
  }
}

test('a log written with the IN (...) check is upgraded in place at open; its rows and LSNs stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-logcheck-'));
  dirs.push(dir);
  const open = () => openNode({ load: { flags: { dataDir: dir, nodeId: 'lc1', logLevel: 'silent' } } });
  let node = open();
  await node.exec('CREATE TABLE lc (id int PRIMARY KEY, v text)');
  await node.exec("INSERT INTO lc VALUES (1, 'a'), (2, 'b')");
  await node.close();
  assert.doesNotMatch(logTableSql(dir), /op IN/, 'a new data directory has the comparisons');

  // The data directory as an earlier version left it.
  const db = new Database(join(dir, databaseFileName));
  const lastLsn = Number(db.prepare('SELECT max(lsn) FROM _chorus_log').pluck().get());
  db.transaction(() =>
    writeTableText(db, '_chorus_log', logTableSql(dir).replace(/CHECK \(op = 'INSERT' OR [^)]*\)/, oldCheck)),
  )();
  db.close();
  assert.match(logTableSql(dir), /op IN \('INSERT'/);

  node = open();
  try {
    // The check of the new text makes a TEMP copy of the table, whose AUTOINCREMENT gives the writer
    // a temp.sqlite_sequence: the LSN must still be read from main's (review finding, helper-57).
    assert.equal(node.engine.currentLsn(), lastLsn, 'the LSN right after the upgrade');
    assert.doesNotMatch(logTableSql(dir), /op IN/);
    assert.match(logTableSql(dir), /CHECK \(op = 'INSERT' OR op = 'UPDATE' OR op = 'DELETE' OR op = 'DDL'\)/);
    await node.exec("INSERT INTO lc VALUES (3, 'c')");
    const rows = node.engine.writer
      .prepare("SELECT lsn, op FROM _chorus_log WHERE tbl = 'lc' ORDER BY lsn")
      .all() as { lsn: bigint; op: string }[];
    assert.deepEqual(
      rows.map((r) => r.op),
      ['DDL', 'INSERT', 'INSERT', 'INSERT'],
    );
    assert.ok(Number(rows[3]!.lsn) > lastLsn, 'the LSN counter continues after the upgrade');
    assert.equal(node.engine.currentLsn(), Number(rows[3]!.lsn));
    const status = (await node.query('SELECT current_lsn FROM pg_replication_status')).rows[0]!;
    assert.equal(Number(status.current_lsn), Number(rows[3]!.lsn), 'pg_replication_status.current_lsn');
    assert.throws(
      () =>
        node.engine.writer.prepare("INSERT INTO _chorus_log (txid, tbl, op) VALUES (1, 'lc', 'BAD')").run(),
      /CHECK constraint failed/,
    );
  } finally {
    await node.close();
  }
});

test("a temporary table with a serial key leaves the LSN as it is (temp.sqlite_sequence is not the log's)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-logcheck-'));
  dirs.push(dir);
  const node = openNode({ load: { flags: { dataDir: dir, nodeId: 'lc2', logLevel: 'silent' } } });
  try {
    await node.exec('CREATE TABLE lt (id int PRIMARY KEY)');
    await node.exec('INSERT INTO lt VALUES (1)');
    const before = node.engine.currentLsn();
    assert.ok(before > 0);
    await node.exec(
      'BEGIN; CREATE TEMP TABLE ltt (id serial PRIMARY KEY); INSERT INTO ltt DEFAULT VALUES; COMMIT',
    );
    assert.equal(node.engine.currentLsn(), before);
    await node.exec('INSERT INTO lt VALUES (2)');
    assert.ok(node.engine.currentLsn() > before);
  } finally {
    await node.close();
  }
});
