// VACUUM on an embedded node: only VACUUM FULL rewrites the database file (SQLite's VACUUM); a
// plain VACUUM leaves freed pages on SQLite's free list, where later writes reuse them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type ChorusNode, openNode } from '../../src/node/node.js';
import { databaseFileName } from '../../src/storage/engine/engine.js';

let dir: string;
let node: ChorusNode;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'chorus-vacuum-'));
  node = openNode({ load: { flags: { dataDir: dir, nodeId: 'vac1', logLevel: 'silent' } } });
});
after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Free pages of the committed database, read on a connection of its own. */
function freePages(): number {
  const db = new Database(join(dir, databaseFileName), { readonly: true, fileMustExist: true });
  try {
    return Number(db.pragma('freelist_count', { simple: true }));
  } finally {
    db.close();
  }
}

test('a plain VACUUM keeps the free pages; VACUUM FULL rewrites the file without them', async () => {
  await node.exec('CREATE TABLE vac_t (id int PRIMARY KEY, v text)');
  await node.exec("INSERT INTO vac_t SELECT g, repeat('x', 500) FROM generate_series(1, 2000) g");
  await node.exec('DELETE FROM vac_t WHERE id > 10');
  const freed = freePages();
  assert.ok(freed > 100, `deleting rows frees pages (${freed})`);
  for (const sql of [
    'VACUUM',
    'VACUUM vac_t',
    'VACUUM ANALYZE vac_t',
    'VACUUM (VERBOSE, FULL false) vac_t',
  ]) {
    const r = await node.query(sql);
    assert.equal(r.tag, 'VACUUM', sql);
    assert.equal(freePages(), freed, `${sql} rewrites nothing`);
  }
  await assert.rejects(
    node.exec('BEGIN; VACUUM vac_t; COMMIT'),
    /VACUUM cannot run inside a transaction block/,
  );
  const full = await node.query('VACUUM (FULL) vac_t');
  assert.equal(full.tag, 'VACUUM');
  assert.equal(freePages(), 0, 'VACUUM FULL rewrites the file');
  assert.equal(Number((await node.query('SELECT count(*) AS n FROM vac_t')).rows[0]!.n), 10);
});
