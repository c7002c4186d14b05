// Review of replicated ALTER TABLE (branch h14-alter): concurrent ALTERs on two multi-primary nodes
// and ALTERs racing writes. Each test partitions the pair, changes both sides, heals, waits until
// both nodes applied everything (equal applied vectors), then compares rows AND schemas — or
// requires that a difference is at least recorded in replicate.conflicts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let pair: Cluster;

before(async () => {
  pair = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'rva', proxied: [[0, 1]] });
});

after(async () => {
  await pair?.stop();
});

function openDb(i: number): Database.Database {
  return new Database(path.join(pair.nodes[i]!.dataDir, 'chorus.db'), {
    readonly: true,
    fileMustExist: true,
  });
}

/** The user schema of a node as SQLite holds it (tables, indexes; internal objects left out). */
function schemaOf(i: number, tables: string[]): string[] {
  const db = openDb(i);
  try {
    return (
      db
        .prepare(
          `SELECT type || ' ' || name || ': ' || sql AS s FROM sqlite_schema
            WHERE tbl_name IN (${tables.map(() => '?').join(', ')}) AND sql IS NOT NULL AND name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'
            ORDER BY type, name`,
        )
        .pluck()
        .all(...tables) as string[]
    ).map((s) => s.replaceAll(/\s+/g, ' '));
  } finally {
    db.close();
  }
}

/** Rows of a table as SQLite stores them (values with their storage class), whatever its columns. */
function storedRows(i: number, table: string): string[] {
  const db = openDb(i);
  try {
    const cols = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
    const list = cols.map((c) => `'${c}=' || quote("${c}") || ':' || typeof("${c}")`).join(" || ' ' || ");
    return db.prepare(`SELECT ${list} FROM "${table}" ORDER BY 1`).pluck().all() as string[];
  } finally {
    db.close();
  }
}

function integrityOf(i: number, table: string): string[] {
  const db = openDb(i);
  try {
    return db.pragma(`integrity_check("${table}")`, { simple: false }) as string[];
  } finally {
    db.close();
  }
}

async function conflictCount(table: string): Promise<number> {
  let n = 0;
  for (const i of [0, 1]) {
    const rows = await pair.sql(
      i,
      'SELECT count(*)::int AS n FROM replicate.conflicts WHERE table_name = $1',
      [table],
    );
    n += Number(rows[0]!.n);
  }
  return n;
}

/** Partition, run `a` on node 1 and `b` on node 2, heal, wait until both applied everything. */
async function concurrently(a: string[], b: string[]): Promise<void> {
  const proxy = pair.proxy(0, 1);
  proxy.partition();
  try {
    for (const s of a) await pair.sql(0, s);
    for (const s of b) await pair.sql(1, s);
  } finally {
    proxy.heal();
  }
  await settled();
}

/** Both nodes hold the same applied vector (every transaction reached both). */
async function settled(): Promise<void> {
  await eventually('equal applied vectors', 20_000, async () => {
    const [x, y] = await Promise.all([pair.vector(0), pair.vector(1)]);
    return JSON.stringify(x) === JSON.stringify(y) ? true : undefined;
  });
}

async function setup(stmts: string[], tables: string[]): Promise<void> {
  for (const s of stmts) await pair.sql(0, s);
  await pair.waitConverged(tables, 10_000);
}

function sameEverywhere(tables: string[]): void {
  assert.deepEqual(schemaOf(1, tables), schemaOf(0, tables), 'schemas differ between the nodes');
  for (const t of tables) assert.deepEqual(storedRows(1, t), storedRows(0, t), `rows of ${t} differ`);
}

test('concurrent RENAME COLUMN of one column to two names: same schema, later writes not lost', async () => {
  await setup(['CREATE TABLE rv1 (id int PRIMARY KEY, c text)', "INSERT INTO rv1 VALUES (1, 'a')"], ['rv1']);
  await concurrently(['ALTER TABLE rv1 RENAME COLUMN c TO x'], ['ALTER TABLE rv1 RENAME COLUMN c TO y']);
  // Later writes on node 1 reach node 2 (or the difference is at least recorded).
  await pair.sql(0, 'INSERT INTO rv1 VALUES (2, $1)', ['written-after']);
  await settled();
  const bRows = storedRows(1, 'rv1');
  assert.ok(
    bRows.some((r) => r.includes("'written-after'")) || (await conflictCount('rv1')) > 0,
    `node 2 lost a write made on node 1 without any conflict record: ${JSON.stringify(bRows)}`,
  );
  sameEverywhere(['rv1']);
});

test('concurrent RENAME TO of one table to two names: same schema, later writes not lost', async () => {
  await setup(['CREATE TABLE rv2 (id int PRIMARY KEY, c text)', "INSERT INTO rv2 VALUES (1, 'a')"], ['rv2']);
  await concurrently(['ALTER TABLE rv2 RENAME TO rv2a'], ['ALTER TABLE rv2 RENAME TO rv2b']);
  await pair.sql(0, "INSERT INTO rv2a VALUES (2, 'written-after')");
  await settled();
  assert.deepEqual(schemaOf(1, ['rv2', 'rv2a', 'rv2b']), schemaOf(0, ['rv2', 'rv2a', 'rv2b']));
});

test('concurrent ALTER COLUMN TYPE int→bigint and int→text: one type on both nodes', async () => {
  await setup(['CREATE TABLE rv3 (id int PRIMARY KEY, n int)', 'INSERT INTO rv3 VALUES (1, 10)'], ['rv3']);
  await concurrently(
    ['ALTER TABLE rv3 ALTER COLUMN n TYPE bigint'],
    ['ALTER TABLE rv3 ALTER COLUMN n TYPE text'],
  );
  for (const i of [0, 1])
    assert.deepEqual(integrityOf(i, 'rv3'), [{ integrity_check: 'ok' }], `node ${i + 1}`);
  sameEverywhere(['rv3']);
});

test('concurrent non-commuting USING conversions: same values on both nodes', async () => {
  await setup(['CREATE TABLE rv4 (id int PRIMARY KEY, n int)', 'INSERT INTO rv4 VALUES (1, 10)'], ['rv4']);
  await concurrently(
    ['ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n * 2'],
    ['ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n + 1'],
  );
  sameEverywhere(['rv4']);
});

test('USING over another column, with a concurrent write of the converted column', async () => {
  await setup(
    [
      'CREATE TABLE rv5 (id int PRIMARY KEY, n text, k int)',
      "INSERT INTO rv5 VALUES (1, '1', 100), (2, '2', 200)",
    ],
    ['rv5'],
  );
  await concurrently(
    ['ALTER TABLE rv5 ALTER COLUMN n TYPE int USING n::int + k'],
    ["UPDATE rv5 SET n = '7' WHERE id = 1"],
  );
  sameEverywhere(['rv5']);
  // The write is kept and converted as the ALTER converted every other row: 7 + 100.
  for (const i of [0, 1])
    assert.deepEqual(await pair.sql(i, 'SELECT n FROM rv5 WHERE id = 1'), [{ n: 107 }], `node ${i + 1}`);
});

test('USING over another column, with a concurrent write of that other column', async () => {
  await setup(
    ['CREATE TABLE rv6 (id int PRIMARY KEY, n text, k int)', "INSERT INTO rv6 VALUES (1, '1', 100)"],
    ['rv6'],
  );
  await concurrently(
    ['ALTER TABLE rv6 ALTER COLUMN n TYPE int USING n::int + k'],
    ['UPDATE rv6 SET k = 500 WHERE id = 1'],
  );
  sameEverywhere(['rv6']);
});

test('concurrent ADD CONSTRAINT of one name with two definitions: one definition on both nodes', async () => {
  await setup(['CREATE TABLE rv7 (id int PRIMARY KEY, v int)', 'INSERT INTO rv7 VALUES (1, 10)'], ['rv7']);
  await concurrently(
    ['ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v > 0)'],
    ['ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v < 100)'],
  );
  sameEverywhere(['rv7']);
});

test('DROP CONSTRAINT on one node while the other replaces it: same constraints on both nodes', async () => {
  await setup(
    [
      'CREATE TABLE rv8 (id int PRIMARY KEY, v int, CONSTRAINT rv8_v CHECK (v > 0))',
      'INSERT INTO rv8 VALUES (1, 10)',
    ],
    ['rv8'],
  );
  await concurrently(
    ['ALTER TABLE rv8 DROP CONSTRAINT rv8_v'],
    ['ALTER TABLE rv8 DROP CONSTRAINT rv8_v', 'ALTER TABLE rv8 ADD CONSTRAINT rv8_v CHECK (v < 50)'],
  );
  sameEverywhere(['rv8']);
});

test('RENAME COLUMN on one node while the other changes its type: same schema and values', async () => {
  await setup(['CREATE TABLE rv9 (id int PRIMARY KEY, n text)', "INSERT INTO rv9 VALUES (1, '5')"], ['rv9']);
  await concurrently(
    ['ALTER TABLE rv9 RENAME COLUMN n TO m'],
    ['ALTER TABLE rv9 ALTER COLUMN n TYPE int USING n::int'],
  );
  sameEverywhere(['rv9']);
});

test('RENAME COLUMN c TO d on one node while the other adds a column d', async () => {
  await setup(
    ['CREATE TABLE rv10 (id int PRIMARY KEY, c text)', "INSERT INTO rv10 VALUES (1, 'a')"],
    ['rv10'],
  );
  await concurrently(['ALTER TABLE rv10 RENAME COLUMN c TO d'], ['ALTER TABLE rv10 ADD COLUMN d int']);
  sameEverywhere(['rv10']);
});

test('a conversion that turns a concurrent write into NULL is recorded as a conflict', async () => {
  await setup(
    ['CREATE TABLE rv11 (id int PRIMARY KEY, n text)', "INSERT INTO rv11 VALUES (1, '1')"],
    ['rv11'],
  );
  await concurrently(
    ['ALTER TABLE rv11 ALTER COLUMN n TYPE int USING n::int'],
    ["INSERT INTO rv11 VALUES (2, 'abc')"],
  );
  sameEverywhere(['rv11']);
  // Node 2 acknowledged 'abc'; PostgreSQL would have refused the ALTER (22P02). It is now NULL.
  assert.ok((await conflictCount('rv11')) > 0, 'an acknowledged value became NULL with no conflict record');
});

test('a conversion failing on a NOT NULL column: same rows, no text left in an int column', async () => {
  await setup(
    ['CREATE TABLE rv12 (id int PRIMARY KEY, n text NOT NULL)', "INSERT INTO rv12 VALUES (1, '1')"],
    ['rv12'],
  );
  await concurrently(
    ['ALTER TABLE rv12 ALTER COLUMN n TYPE int USING n::int'],
    ["INSERT INTO rv12 VALUES (2, 'abc')"],
  );
  for (const i of [0, 1]) {
    for (const r of storedRows(i, 'rv12'))
      assert.ok(!r.includes(':text'), `node ${i + 1} holds text in int column n: ${r}`);
  }
  sameEverywhere(['rv12']);
});

test('SET NOT NULL concurrent with an insert of NULL leaves no database integrity_check fails', async () => {
  await setup(['CREATE TABLE rv13 (id int PRIMARY KEY, v int)', 'INSERT INTO rv13 VALUES (1, 1)'], ['rv13']);
  await concurrently(['ALTER TABLE rv13 ALTER COLUMN v SET NOT NULL'], ['INSERT INTO rv13 VALUES (2, NULL)']);
  for (const i of [0, 1])
    assert.deepEqual(integrityOf(i, 'rv13'), [{ integrity_check: 'ok' }], `node ${i + 1}`);
  // The row with NULL on node 2 must at least be findable by the query that looks for it.
  const seen = await pair.sql(1, 'SELECT count(*)::int AS n FROM rv13 WHERE v IS NULL');
  const stored = storedRows(1, 'rv13').filter((r) => r.includes('v=NULL')).length;
  assert.equal(seen[0]!.n, stored, 'WHERE v IS NULL does not find the NULL row node 2 holds');
});

test('ADD CHECK concurrent with a violating insert leaves no database integrity_check fails', async () => {
  await setup(['CREATE TABLE rv14 (id int PRIMARY KEY, v int)', 'INSERT INTO rv14 VALUES (1, 1)'], ['rv14']);
  await concurrently(
    ['ALTER TABLE rv14 ADD CONSTRAINT rv14_pos CHECK (v > 0)'],
    ['INSERT INTO rv14 VALUES (2, -5)'],
  );
  for (const i of [0, 1])
    assert.deepEqual(integrityOf(i, 'rv14'), [{ integrity_check: 'ok' }], `node ${i + 1}`);
});

test('ADD UNIQUE concurrent with a duplicate insert: same schema on both nodes', async () => {
  await setup(
    ['CREATE TABLE rv15 (id int PRIMARY KEY, e text)', "INSERT INTO rv15 VALUES (1, 'a')"],
    ['rv15'],
  );
  await concurrently(
    ['ALTER TABLE rv15 ADD CONSTRAINT rv15_e_key UNIQUE (e)'],
    ["INSERT INTO rv15 VALUES (2, 'a')"],
  );
  sameEverywhere(['rv15']);
});

// Single-node answers, checked against PostgreSQL 15 (expected values are PostgreSQL's).

test('DROP CONSTRAINT c, ADD CONSTRAINT c in one statement (PostgreSQL drops first)', async () => {
  await pair.sql(0, 'CREATE TABLE rv20 (id int PRIMARY KEY, v int, CONSTRAINT rv20_v CHECK (v > 0))');
  await pair.sql(0, 'ALTER TABLE rv20 DROP CONSTRAINT rv20_v, ADD CONSTRAINT rv20_v CHECK (v < 50)');
  await assert.rejects(
    pair.sql(0, 'INSERT INTO rv20 VALUES (1, 60)'),
    (e: { code?: string }) => e.code === '23514',
  );
  await pair.sql(0, 'INSERT INTO rv20 VALUES (2, -1)');
});

test('pg_constraint after RENAME CONSTRAINT and ADD CHECK (what ORMs introspect)', async () => {
  await pair.sql(0, 'CREATE TABLE rv21 (id int PRIMARY KEY, v int UNIQUE)');
  await pair.sql(0, 'ALTER TABLE rv21 RENAME CONSTRAINT rv21_v_key TO rv21_v_uniq');
  await pair.sql(0, 'ALTER TABLE rv21 ADD CONSTRAINT rv21_w CHECK (v > 0)');
  assert.deepEqual(
    await pair.sql(
      0,
      "SELECT conname::text AS conname, contype::text AS contype FROM pg_constraint WHERE conrelid = 'rv21'::regclass ORDER BY 1",
    ),
    [
      { conname: 'rv21_pkey', contype: 'p' },
      { conname: 'rv21_v_uniq', contype: 'u' },
      { conname: 'rv21_w', contype: 'c' },
    ],
  );
});

test('pg_constraint keeps constraint names across RENAME COLUMN and RENAME TO', async () => {
  await pair.sql(0, 'CREATE TABLE rv22 (id int PRIMARY KEY, v int UNIQUE)');
  await pair.sql(0, 'ALTER TABLE rv22 RENAME COLUMN v TO v2');
  await pair.sql(0, 'ALTER TABLE rv22 RENAME TO rv22b');
  assert.deepEqual(
    await pair.sql(
      0,
      "SELECT conname::text AS conname FROM pg_constraint WHERE conrelid = 'rv22b'::regclass ORDER BY 1",
    ),
    [{ conname: 'rv22_pkey' }, { conname: 'rv22_v_key' }],
  );
});

test('ADD FOREIGN KEY ... ON DELETE CASCADE concurrent with a delete of a parent row', async () => {
  await setup(
    [
      'CREATE TABLE rv30p (id int PRIMARY KEY)',
      'INSERT INTO rv30p VALUES (1), (2)',
      'CREATE TABLE rv30c (id int PRIMARY KEY, pid int)',
      'INSERT INTO rv30c VALUES (10, 1), (20, 2)',
    ],
    ['rv30p', 'rv30c'],
  );
  await concurrently(
    ['ALTER TABLE rv30c ADD FOREIGN KEY (pid) REFERENCES rv30p (id) ON DELETE CASCADE'],
    ['DELETE FROM rv30p WHERE id = 2'],
  );
  // Node 1 cascades the arriving delete to child 20; node 2 keeps child 20, now without its parent.
  const same =
    JSON.stringify(storedRows(0, 'rv30c')) === JSON.stringify(storedRows(1, 'rv30c')) ||
    (await conflictCount('rv30c')) + (await conflictCount('rv30p')) > 0;
  assert.ok(
    same,
    `child rows differ with no conflict record: ${JSON.stringify([storedRows(0, 'rv30c'), storedRows(1, 'rv30c')])}`,
  );
});

test('DROP of a CREATE TABLE UNIQUE concurrent with a new table referencing it', async () => {
  await setup(
    ['CREATE TABLE rv31p (id int PRIMARY KEY, code int UNIQUE)', 'INSERT INTO rv31p VALUES (1, 100)'],
    ['rv31p'],
  );
  await concurrently(
    ['ALTER TABLE rv31p DROP CONSTRAINT rv31p_code_key'],
    ['CREATE TABLE rv31c (id int PRIMARY KEY, code int REFERENCES rv31p (code))'],
  );
  sameEverywhere(['rv31p', 'rv31c']);
  // Both nodes must still accept ordinary writes to both tables.
  for (const i of [0, 1]) {
    await pair.sql(i, `INSERT INTO rv31c VALUES (${i + 1}, 100)`);
    await pair.sql(i, `DELETE FROM rv31p WHERE id = 999`);
  }
});

test('RENAME COLUMN of a CRDT counter concurrent with increments on both nodes', async () => {
  await setup(
    ['CREATE TABLE rv40 (id text PRIMARY KEY, n CRDT_COUNTER)', "INSERT INTO rv40 VALUES ('p', 0)"],
    ['rv40'],
  );
  await pair.sql(0, "UPDATE rv40 SET n = crdt_increment(n, 1) WHERE id = 'p'");
  await settled();
  await concurrently(
    ["UPDATE rv40 SET n = crdt_increment(n, 10) WHERE id = 'p'", 'ALTER TABLE rv40 RENAME COLUMN n TO views'],
    ["UPDATE rv40 SET n = crdt_increment(n, 100) WHERE id = 'p'"],
  );
  await pair.sql(1, "UPDATE rv40 SET views = crdt_increment(views, 1000) WHERE id = 'p'");
  await pair.sql(0, "UPDATE rv40 SET views = crdt_increment(views, 10000) WHERE id = 'p'");
  await settled();
  for (const i of [0, 1])
    assert.deepEqual(
      await pair.sql(i, "SELECT views::int AS v FROM rv40 WHERE id = 'p'"),
      [{ v: 11111 }],
      `node ${i + 1}`,
    );
  sameEverywhere(['rv40']);
});

test('ALTER COLUMN TYPE ... USING n + 1 on a UNIQUE column (PostgreSQL converts every row at once)', async () => {
  await pair.sql(0, 'CREATE TABLE rv41 (id int PRIMARY KEY, n int UNIQUE)');
  await pair.sql(0, 'INSERT INTO rv41 VALUES (1, 1), (2, 2), (3, 3)');
  await pair.sql(0, 'ALTER TABLE rv41 ALTER COLUMN n TYPE bigint USING n + 1');
  assert.deepEqual(await pair.sql(0, 'SELECT id, n::int AS n FROM rv41 ORDER BY id'), [
    { id: 1, n: 2 },
    { id: 2, n: 3 },
    { id: 3, n: 4 },
  ]);
});
