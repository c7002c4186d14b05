// ALTER TABLE on a multi-primary pair: every form (constraints, column type, default, NOT NULL,
// renames, several actions at once) made on node 1 while node 2, cut off by a partition, keeps
// writing in the old shape; after healing both nodes hold the same rows and the same schema, the
// writes made concurrently are not lost, and the new constraints are enforced on both. DDL needs
// the cluster DDL lock (a majority of the masters: both of two), so node 1 takes it in an open
// transaction before the partition and commits its ALTERs while cut off, within the lock's lease.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let pair: Cluster;

before(async () => {
  pair = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'alt', proxied: [[0, 1]] });
});

after(async () => {
  await pair?.stop();
});

/** The user schema of a node as SQLite holds it (tables, indexes; capture triggers left out). */
function schemaOf(i: number, tables: string[]): string[] {
  const db = new Database(path.join(pair.nodes[i]!.dataDir, 'chorus.db'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    return (
      db
        .prepare(
          `SELECT type || ' ' || name || ': ' || sql AS s FROM sqlite_schema
            WHERE tbl_name IN (${tables.map(() => '?').join(', ')}) AND name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'
            ORDER BY type, name`,
        )
        .pluck()
        .all(...tables) as string[]
    ).map((s) => s.replaceAll(/\s+/g, ' '));
  } finally {
    db.close();
  }
}

async function failsWith(i: number, sql: string, code: string): Promise<void> {
  await assert.rejects(pair.sql(i, sql), (err: { code?: string }) => err.code === code);
}

test('ALTER TABLE forms made on one node while the other writes in the old shape converge', async () => {
  await pair.sql(0, 'CREATE TABLE altp (id int PRIMARY KEY)');
  await pair.sql(0, 'INSERT INTO altp VALUES (1), (2), (3)');
  await pair.sql(0, 'CREATE TABLE altc (id int PRIMARY KEY, email text, n text, code int, pid int)');
  await pair.sql(0, "INSERT INTO altc VALUES (1, 'a@x', '10', 1, 1), (2, 'b@x', '20', 2, 2)");
  await pair.waitConverged(['altp', 'altc'], 10_000);

  const proxy = pair.proxy(0, 1);
  await pair.sql(0, 'BEGIN');
  await pair.sql(0, 'ALTER TABLE altc ADD CONSTRAINT altc_email_key UNIQUE (email)');
  proxy.partition();
  // Without a majority, DDL is refused on node 2.
  await failsWith(1, 'ALTER TABLE altc ADD COLUMN x int', '55000');
  // Node 2 writes in the old shape: new rows (n as text), a changed email, a changed n.
  await pair.sql(1, "INSERT INTO altc VALUES (3, 'c@x', '30', 3, 3), (4, 'd@x', '40', 4, NULL)");
  await pair.sql(1, "UPDATE altc SET email = 'b2@x' WHERE id = 2");
  await pair.sql(1, "UPDATE altc SET n = '11' WHERE id = 1");
  // Node 1 changes the shape meanwhile.
  await pair.sql(0, 'ALTER TABLE altc ADD CHECK (code >= 0)');
  await pair.sql(0, 'ALTER TABLE altc ADD FOREIGN KEY (pid) REFERENCES altp (id) ON DELETE CASCADE');
  await pair.sql(0, 'ALTER TABLE altc ALTER COLUMN n TYPE int USING n::int');
  await pair.sql(0, 'ALTER TABLE altc ALTER COLUMN code SET DEFAULT 7, ALTER COLUMN code SET NOT NULL');
  await pair.sql(0, 'ALTER TABLE altc RENAME CONSTRAINT altc_code_check TO altc_code_nonneg');
  await pair.sql(0, 'ALTER TABLE altc RENAME COLUMN email TO mail');
  await pair.sql(0, 'ALTER TABLE altc ADD CONSTRAINT altc_n_check CHECK (n > 0)');
  await pair.sql(0, 'ALTER TABLE altc DROP CONSTRAINT altc_n_check');
  await pair.sql(0, "INSERT INTO altc (id, mail, n, pid) VALUES (5, 'e@x', 50, 1)");
  await pair.sql(0, 'COMMIT');
  proxy.heal();

  await pair.waitConverged(['altp', 'altc'], 20_000);
  assert.deepEqual(schemaOf(0, ['altp', 'altc']), schemaOf(1, ['altp', 'altc']));
  for (const i of [0, 1]) {
    assert.deepEqual(await pair.sql(i, 'SELECT id, mail, n, code, pid FROM altc ORDER BY id'), [
      { id: 1, mail: 'a@x', n: 11, code: 1, pid: 1 },
      { id: 2, mail: 'b2@x', n: 20, code: 2, pid: 2 },
      { id: 3, mail: 'c@x', n: 30, code: 3, pid: 3 },
      { id: 4, mail: 'd@x', n: 40, code: 4, pid: null },
      { id: 5, mail: 'e@x', n: 50, code: 7, pid: 1 },
    ]);
    await failsWith(i, "INSERT INTO altc (id, mail, n) VALUES (10, 'a@x', 1)", '23505');
    await failsWith(i, "INSERT INTO altc (id, mail, n, code) VALUES (10, 'z@x', 1, -1)", '23514');
    await failsWith(i, "INSERT INTO altc (id, mail, n, pid) VALUES (10, 'z@x', 1, 99)", '23503');
    await failsWith(i, "INSERT INTO altc (id, mail, n, code) VALUES (10, 'z@x', 1, NULL)", '23502');
    await failsWith(i, "INSERT INTO altc (id, mail, n) VALUES (10, 'z@x', 'x')", '22P02');
  }
  // Writes after the changes replicate in the new shape; the FK's ON DELETE CASCADE acts on both.
  await pair.sql(1, 'DELETE FROM altp WHERE id = 3');
  await pair.sql(1, "UPDATE altc SET mail = 'a2@x', n = n + 1 WHERE id = 1");
  await pair.waitConverged(['altp', 'altc'], 10_000);
  assert.deepEqual(await pair.sql(0, 'SELECT id, mail, n FROM altc WHERE id IN (1, 3) ORDER BY id'), [
    { id: 1, mail: 'a2@x', n: 12 },
  ]);
  // A table renamed while the other node writes to it under its old name.
  await pair.sql(0, 'BEGIN');
  await pair.sql(0, 'ALTER TABLE altp RENAME TO altp2');
  proxy.partition();
  await pair.sql(1, 'INSERT INTO altp VALUES (4)');
  await pair.sql(0, 'COMMIT');
  proxy.heal();
  await pair.waitConverged(['altp2', 'altc'], 10_000);
  assert.deepEqual(await pair.sql(0, 'SELECT id FROM altp2 ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 4 }]);
  assert.deepEqual(schemaOf(0, ['altp2', 'altc']), schemaOf(1, ['altp2', 'altc']));
});

test('a default set or dropped after ADD COLUMN leaves older rows as they were on both nodes', async () => {
  await pair.sql(0, 'CREATE TABLE altd (id int PRIMARY KEY)');
  await pair.sql(0, 'INSERT INTO altd VALUES (1)');
  // The second node writes once the CREATE TABLE reached it (CI once inserted before: 42P01).
  await eventually('altd on the second node', 10_000, () =>
    pair.sql(1, 'SELECT 1 FROM altd LIMIT 1').then(() => true),
  );
  await pair.sql(1, 'INSERT INTO altd VALUES (2)');
  await pair.waitConverged(['altd'], 10_000);
  await pair.sql(0, 'ALTER TABLE altd ADD COLUMN c int');
  await pair.sql(0, 'ALTER TABLE altd ADD COLUMN d int DEFAULT 7');
  await pair.waitConverged(['altd'], 10_000);
  // Each node holds rows stored before the ADD COLUMNs (short records) that the next ALTERs meet.
  await pair.sql(1, 'ALTER TABLE altd ALTER COLUMN c SET DEFAULT 5, ALTER COLUMN d DROP DEFAULT');
  // The insert on the first node takes the new defaults only once the second node's ALTER reached it.
  await eventually('the new defaults on node 1', 10_000, async () => {
    const rows = await pair.sql(
      0,
      "SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'altd' AND column_name IN ('c', 'd') ORDER BY column_name",
    );
    return JSON.stringify(rows) ===
      JSON.stringify([
        { column_name: 'c', column_default: '5' },
        { column_name: 'd', column_default: null },
      ])
      ? true
      : undefined;
  });
  await pair.sql(0, 'INSERT INTO altd (id) VALUES (3)');
  await pair.waitConverged(['altd'], 10_000);
  assert.deepEqual(schemaOf(0, ['altd']), schemaOf(1, ['altd']));
  for (const i of [0, 1]) {
    assert.deepEqual(await pair.sql(i, 'SELECT id, c, d FROM altd ORDER BY id'), [
      { id: 1, c: null, d: 7 },
      { id: 2, c: null, d: 7 },
      { id: 3, c: 5, d: null },
    ]);
  }
  await failsWith(0, 'ALTER TABLE altd ALTER COLUMN c SET NOT NULL', '23502');
});
