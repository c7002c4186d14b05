// Review of replicated ALTER TABLE (branch h14-alter): concurrent ALTERs on two multi-primary nodes
// and ALTERs racing writes. DDL takes the cluster DDL lock (a majority of the masters: both of a
// pair), so conflicting DDL cannot run concurrently: during a partition it is refused on both sides
// (55000), and two ALTERs sent at once run one after the other (the second sees the first, as on
// PostgreSQL). ALTERs racing writes take the lock in an open transaction, then the pair is cut and
// the other node writes before the ALTER commits. Each test waits until both nodes applied
// everything (equal applied vectors), then compares rows AND schemas, integrity, and the conflict
// records of values a node had to give up.
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

/** Both nodes hold the same applied vector (every transaction reached both). */
async function settled(): Promise<void> {
  await eventually('equal applied vectors', 20_000, async () => {
    const [x, y] = await Promise.all([pair.vector(0), pair.vector(1)]);
    return JSON.stringify(x) === JSON.stringify(y) ? true : undefined;
  });
}

/** After a heal: both nodes have their peer link up again (DDL needs it). */
async function linkedAgain(): Promise<void> {
  await eventually('peer links up', 20_000, async () => {
    for (const i of [0, 1]) {
      const rows = await pair.sql(
        i,
        "SELECT count(*)::int AS n FROM replicate.connections WHERE state = 'active'",
      );
      if (Number(rows[0]!.n) < 1) return undefined;
    }
    return true;
  });
}

/** Both nodes refuse DDL while the pair is partitioned (no majority of the masters). */
async function refusedWhilePartitioned(a: string, b: string): Promise<void> {
  const proxy = pair.proxy(0, 1);
  proxy.partition();
  try {
    await assert.rejects(pair.sql(0, a), (e: { code?: string }) => e.code === '55000', `node 1: ${a}`);
    await assert.rejects(pair.sql(1, b), (e: { code?: string }) => e.code === '55000', `node 2: ${b}`);
  } finally {
    proxy.heal();
  }
  await linkedAgain();
  await settled();
}

/**
 * `a` on node 1 and `b` on node 2 sent at the same moment, the pair connected: they run one after
 * the other. Returns each one's outcome (null, or the SQLSTATE it failed with).
 */
async function atOnce(a: string, b: string): Promise<[string | null, string | null]> {
  const outcome = (p: Promise<unknown>): Promise<string | null> =>
    p.then(
      () => null,
      (e: { code?: string }) => e.code ?? 'unknown',
    );
  const r = await Promise.all([outcome(pair.sql(0, a)), outcome(pair.sql(1, b))]);
  await settled();
  return r;
}

/**
 * Node 1 takes the DDL lock and runs `ddl` in an open transaction; the pair is cut; node 2 runs
 * `writes` (they cannot see the ALTER); node 1 commits within the lock's lease; the pair heals.
 */
async function raced(ddl: string[], writes: string[]): Promise<void> {
  const proxy = pair.proxy(0, 1);
  await pair.sql(0, 'BEGIN');
  try {
    for (const s of ddl) await pair.sql(0, s);
    proxy.partition();
    for (const s of writes) await pair.sql(1, s);
    await pair.sql(0, 'COMMIT');
  } catch (e) {
    await pair.sql(0, 'ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    proxy.heal();
  }
  await linkedAgain();
  await settled();
}

async function conflictsOf(table: string, type: string): Promise<number> {
  let n = 0;
  for (const i of [0, 1]) {
    const rows = await pair.sql(
      i,
      'SELECT count(*)::int AS n FROM replicate.conflicts WHERE table_name = $1 AND conflict_type = $2',
      [table, type],
    );
    n += Number(rows[0]!.n);
  }
  return n;
}

function intact(table: string): void {
  for (const i of [0, 1])
    assert.deepEqual(
      integrityOf(i, table),
      [{ integrity_check: 'ok' }],
      `integrity of ${table} on node ${i + 1}`,
    );
}

async function setup(stmts: string[], tables: string[]): Promise<void> {
  for (const s of stmts) await pair.sql(0, s);
  await pair.waitConverged(tables, 10_000);
}

function sameEverywhere(tables: string[]): void {
  assert.deepEqual(schemaOf(1, tables), schemaOf(0, tables), 'schemas differ between the nodes');
  for (const t of tables) assert.deepEqual(storedRows(1, t), storedRows(0, t), `rows of ${t} differ`);
}

test('concurrent RENAME COLUMN of one column to two names: refused apart, serialized together', async () => {
  await setup(['CREATE TABLE rv1 (id int PRIMARY KEY, c text)', "INSERT INTO rv1 VALUES (1, 'a')"], ['rv1']);
  await refusedWhilePartitioned(
    'ALTER TABLE rv1 RENAME COLUMN c TO x',
    'ALTER TABLE rv1 RENAME COLUMN c TO y',
  );
  sameEverywhere(['rv1']);
  // Together: one renames c, the other then finds no column c (as two PostgreSQL sessions would).
  const r = await atOnce('ALTER TABLE rv1 RENAME COLUMN c TO x', 'ALTER TABLE rv1 RENAME COLUMN c TO y');
  assert.deepEqual([...r].sort(), [null, '42703'].sort(), JSON.stringify(r));
  const name = r[0] === null ? 'x' : 'y';
  // Later writes on node 1 reach node 2 under the one name both nodes have.
  await pair.sql(0, `INSERT INTO rv1 (id, ${name}) VALUES (2, $1)`, ['written-after']);
  await settled();
  assert.ok(
    storedRows(1, 'rv1').some((r) => r.includes("'written-after'")),
    'node 2 lost a write of node 1',
  );
  sameEverywhere(['rv1']);
});

test('concurrent RENAME TO of one table to two names: refused apart, serialized together', async () => {
  await setup(['CREATE TABLE rv2 (id int PRIMARY KEY, c text)', "INSERT INTO rv2 VALUES (1, 'a')"], ['rv2']);
  await refusedWhilePartitioned('ALTER TABLE rv2 RENAME TO rv2a', 'ALTER TABLE rv2 RENAME TO rv2b');
  const r = await atOnce('ALTER TABLE rv2 RENAME TO rv2a', 'ALTER TABLE rv2 RENAME TO rv2b');
  assert.deepEqual([...r].sort(), [null, '42P01'].sort(), JSON.stringify(r));
  const name = r[0] === null ? 'rv2a' : 'rv2b';
  await pair.sql(0, `INSERT INTO ${name} VALUES (2, 'written-after')`);
  await settled();
  assert.deepEqual(schemaOf(1, ['rv2', 'rv2a', 'rv2b']), schemaOf(0, ['rv2', 'rv2a', 'rv2b']));
  sameEverywhere([name]);
  assert.equal(storedRows(1, name).length, 2);
});

test('concurrent ALTER COLUMN TYPE int→bigint and int→text: one type on both nodes', async () => {
  await setup(['CREATE TABLE rv3 (id int PRIMARY KEY, n int)', 'INSERT INTO rv3 VALUES (1, 10)'], ['rv3']);
  await refusedWhilePartitioned(
    'ALTER TABLE rv3 ALTER COLUMN n TYPE bigint',
    'ALTER TABLE rv3 ALTER COLUMN n TYPE text',
  );
  const r = await atOnce(
    'ALTER TABLE rv3 ALTER COLUMN n TYPE bigint',
    'ALTER TABLE rv3 ALTER COLUMN n TYPE text',
  );
  // bigint then text; or text then no automatic cast back to bigint (42804), as on PostgreSQL.
  assert.ok(r[1] === null && (r[0] === null || r[0] === '42804'), JSON.stringify(r));
  intact('rv3');
  sameEverywhere(['rv3']);
});

test('concurrent non-commuting USING conversions: applied in one order on both nodes', async () => {
  await setup(['CREATE TABLE rv4 (id int PRIMARY KEY, n int)', 'INSERT INTO rv4 VALUES (1, 10)'], ['rv4']);
  await refusedWhilePartitioned(
    'ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n * 2',
    'ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n + 1',
  );
  const r = await atOnce(
    'ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n * 2',
    'ALTER TABLE rv4 ALTER COLUMN n TYPE int USING n + 1',
  );
  assert.deepEqual(r, [null, null]);
  sameEverywhere(['rv4']);
  const n = (await pair.sql(0, 'SELECT n FROM rv4 WHERE id = 1'))[0]!.n;
  assert.ok(n === 21 || n === 22, `n = ${String(n)}: one conversion then the other`);
});

test('USING over another column is refused on a replicated table; a one-column USING races a write', async () => {
  await setup(
    [
      'CREATE TABLE rv5 (id int PRIMARY KEY, n text, k int)',
      "INSERT INTO rv5 VALUES (1, '1', 100), (2, '2', 200)",
    ],
    ['rv5'],
  );
  // A peer converts a row change written before the ALTER from that change alone (its k of another
  // moment): refused rather than converted differently on each node.
  await assert.rejects(
    pair.sql(0, 'ALTER TABLE rv5 ALTER COLUMN n TYPE int USING n::int + k'),
    (e: { code?: string; hint?: string }) => e.code === '0A000' && /alone/.test(e.hint ?? ''),
  );
  await raced(
    ['ALTER TABLE rv5 ALTER COLUMN n TYPE int USING n::int'],
    ["UPDATE rv5 SET n = '7' WHERE id = 1"],
  );
  sameEverywhere(['rv5']);
  // The write is kept and converted as the ALTER converted every other row.
  for (const i of [0, 1])
    assert.deepEqual(
      await pair.sql(i, 'SELECT id, n FROM rv5 ORDER BY id'),
      [
        { id: 1, n: 7 },
        { id: 2, n: 2 },
      ],
      `node ${i + 1}`,
    );
});

test('USING over another column, with a concurrent write of that other column: refused', async () => {
  await setup(
    ['CREATE TABLE rv6 (id int PRIMARY KEY, n text, k int)', "INSERT INTO rv6 VALUES (1, '1', 100)"],
    ['rv6'],
  );
  for (const i of [0, 1])
    await assert.rejects(
      pair.sql(i, 'ALTER TABLE rv6 ALTER COLUMN n TYPE int USING n::int + k'),
      (e: { code?: string }) => e.code === '0A000',
    );
  await pair.sql(1, 'UPDATE rv6 SET k = 500 WHERE id = 1');
  await settled();
  sameEverywhere(['rv6']);
});

test('concurrent ADD CONSTRAINT of one name with two definitions: one definition on both nodes', async () => {
  await setup(['CREATE TABLE rv7 (id int PRIMARY KEY, v int)', 'INSERT INTO rv7 VALUES (1, 10)'], ['rv7']);
  await refusedWhilePartitioned(
    'ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v > 0)',
    'ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v < 100)',
  );
  const r = await atOnce(
    'ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v > 0)',
    'ALTER TABLE rv7 ADD CONSTRAINT rv7_v CHECK (v < 100)',
  );
  assert.deepEqual([...r].sort(), [null, '42710'].sort(), JSON.stringify(r));
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
  await refusedWhilePartitioned(
    'ALTER TABLE rv8 DROP CONSTRAINT rv8_v',
    'ALTER TABLE rv8 DROP CONSTRAINT rv8_v, ADD CONSTRAINT rv8_v CHECK (v < 50)',
  );
  const r = await atOnce(
    'ALTER TABLE rv8 DROP CONSTRAINT rv8_v',
    'ALTER TABLE rv8 DROP CONSTRAINT rv8_v, ADD CONSTRAINT rv8_v CHECK (v < 50)',
  );
  // Node 2's replacement then node 1's drop, or node 1's drop then no rv8_v to drop on node 2.
  assert.ok(r[0] === null && (r[1] === null || r[1] === '42704'), JSON.stringify(r));
  sameEverywhere(['rv8']);
});

test('RENAME COLUMN on one node while the other changes its type: same schema and values', async () => {
  await setup(['CREATE TABLE rv9 (id int PRIMARY KEY, n text)', "INSERT INTO rv9 VALUES (1, '5')"], ['rv9']);
  await refusedWhilePartitioned(
    'ALTER TABLE rv9 RENAME COLUMN n TO m',
    'ALTER TABLE rv9 ALTER COLUMN n TYPE int USING n::int',
  );
  const r = await atOnce(
    'ALTER TABLE rv9 RENAME COLUMN n TO m',
    'ALTER TABLE rv9 ALTER COLUMN n TYPE int USING n::int',
  );
  assert.ok(r[0] === null && (r[1] === null || r[1] === '42703'), JSON.stringify(r));
  sameEverywhere(['rv9']);
});

test('RENAME COLUMN c TO d on one node while the other adds a column d', async () => {
  await setup(
    ['CREATE TABLE rv10 (id int PRIMARY KEY, c text)', "INSERT INTO rv10 VALUES (1, 'a')"],
    ['rv10'],
  );
  await refusedWhilePartitioned('ALTER TABLE rv10 RENAME COLUMN c TO d', 'ALTER TABLE rv10 ADD COLUMN d int');
  const r = await atOnce('ALTER TABLE rv10 RENAME COLUMN c TO d', 'ALTER TABLE rv10 ADD COLUMN d int');
  assert.deepEqual([...r].sort(), [null, '42701'].sort(), JSON.stringify(r));
  sameEverywhere(['rv10']);
});

test('a conversion that turns a concurrent write into NULL is recorded as a conflict', async () => {
  await setup(
    ['CREATE TABLE rv11 (id int PRIMARY KEY, n text)', "INSERT INTO rv11 VALUES (1, '1')"],
    ['rv11'],
  );
  await raced(
    ['ALTER TABLE rv11 ALTER COLUMN n TYPE int USING n::int'],
    ["INSERT INTO rv11 VALUES (2, 'abc')"],
  );
  sameEverywhere(['rv11']);
  assert.deepEqual(storedRows(0, 'rv11'), ['id=1:integer n=1:integer', 'id=2:integer n=NULL:null']);
  // Node 2 acknowledged 'abc'; the int column cannot hold it (PostgreSQL would have refused the
  // ALTER, 22P02, had the row been there): the record keeps the value given up.
  // Each node records what it did: node 2 converted its row, node 1 the change arriving late.
  assert.equal(await conflictsOf('rv11', 'conversion_conflict'), 2);
  for (const i of [0, 1]) {
    const rec = await pair.sql(i, "SELECT master_1_value FROM replicate.conflicts WHERE table_name = 'rv11'");
    assert.deepEqual(rec, [{ master_1_value: { n: 'abc' } }], `node ${i + 1}`);
  }
  // Where the rows are there when the ALTER runs, it is PostgreSQL's error.
  await pair.sql(0, "INSERT INTO rv11 VALUES (3, '3')");
  await pair.sql(0, 'ALTER TABLE rv11 ALTER COLUMN n TYPE text');
  await pair.sql(0, "UPDATE rv11 SET n = 'x' WHERE id = 3");
  await assert.rejects(
    pair.sql(0, 'ALTER TABLE rv11 ALTER COLUMN n TYPE int USING n::int'),
    (e: { code?: string }) => e.code === '22P02',
  );
});

test('a conversion failing on a NOT NULL column: same rows, no text left in an int column', async () => {
  await setup(
    ['CREATE TABLE rv12 (id int PRIMARY KEY, n text NOT NULL)', "INSERT INTO rv12 VALUES (1, '1')"],
    ['rv12'],
  );
  await raced(
    ['ALTER TABLE rv12 ALTER COLUMN n TYPE int USING n::int'],
    ["INSERT INTO rv12 VALUES (2, 'abc')"],
  );
  for (const i of [0, 1]) {
    for (const r of storedRows(i, 'rv12'))
      assert.ok(!r.includes(':text'), `node ${i + 1} holds text in int column n: ${r}`);
  }
  intact('rv12');
  sameEverywhere(['rv12']);
  // The row cannot be kept anywhere (NULL is refused): removed on both nodes, and recorded.
  assert.deepEqual(storedRows(1, 'rv12'), ['id=1:integer n=1:integer']);
  assert.ok((await conflictsOf('rv12', 'constraint_conflict')) >= 1);
});

test('SET NOT NULL concurrent with an insert of NULL leaves no database integrity_check fails', async () => {
  await setup(['CREATE TABLE rv13 (id int PRIMARY KEY, v int)', 'INSERT INTO rv13 VALUES (1, 1)'], ['rv13']);
  await raced(['ALTER TABLE rv13 ALTER COLUMN v SET NOT NULL'], ['INSERT INTO rv13 VALUES (2, NULL)']);
  intact('rv13');
  // The row with NULL on node 2 must at least be findable by the query that looks for it.
  const seen = await pair.sql(1, 'SELECT count(*)::int AS n FROM rv13 WHERE v IS NULL');
  const stored = storedRows(1, 'rv13').filter((r) => r.includes('v=NULL')).length;
  assert.equal(seen[0]!.n, stored, 'WHERE v IS NULL does not find the NULL row node 2 holds');
  // The NOT NULL refuses it on both nodes: removed where it was, refused where it arrived.
  sameEverywhere(['rv13']);
  assert.deepEqual(storedRows(0, 'rv13'), ['id=1:integer v=1:integer']);
  assert.equal(await conflictsOf('rv13', 'constraint_conflict'), 2);
});

test('ADD CHECK concurrent with a violating insert leaves no database integrity_check fails', async () => {
  await setup(['CREATE TABLE rv14 (id int PRIMARY KEY, v int)', 'INSERT INTO rv14 VALUES (1, 1)'], ['rv14']);
  await raced(
    ['ALTER TABLE rv14 ADD CONSTRAINT rv14_pos CHECK (v > 0)'],
    ['INSERT INTO rv14 VALUES (2, -5)'],
  );
  intact('rv14');
  sameEverywhere(['rv14']);
  assert.deepEqual(storedRows(1, 'rv14'), ['id=1:integer v=1:integer']);
  assert.equal(await conflictsOf('rv14', 'constraint_conflict'), 2);
  // A later update that violates it is refused as a constraint error on both nodes.
  for (const i of [0, 1])
    await assert.rejects(
      pair.sql(i, 'UPDATE rv14 SET v = -1 WHERE id = 1'),
      (e: { code?: string }) => e.code === '23514',
    );
});

test('ADD UNIQUE concurrent with a duplicate insert: same schema on both nodes', async () => {
  await setup(
    ['CREATE TABLE rv15 (id int PRIMARY KEY, e text)', "INSERT INTO rv15 VALUES (1, 'a')"],
    ['rv15'],
  );
  await raced(
    ['ALTER TABLE rv15 ADD CONSTRAINT rv15_e_key UNIQUE (e)'],
    ["INSERT INTO rv15 VALUES (2, 'a')"],
  );
  sameEverywhere(['rv15']);
  // The later write keeps the value, as for any unique collision; both nodes record it.
  assert.deepEqual(storedRows(0, 'rv15'), ["id=2:integer e='a':text"]);
  assert.equal(await conflictsOf('rv15', 'unique_conflict'), 2);
  assert.ok(schemaOf(1, ['rv15']).some((s) => s.startsWith('index rv15_e_key')));
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
  await raced(
    ['ALTER TABLE rv30c ADD FOREIGN KEY (pid) REFERENCES rv30p (id) ON DELETE CASCADE'],
    ['DELETE FROM rv30p WHERE id = 2'],
  );
  // Node 1 cascades the arriving delete to child 20 (recorded: its delete had not seen the key);
  // node 2 finds child 20 without its parent when the foreign key arrives, and removes it the same
  // way (recorded). One record on each node.
  sameEverywhere(['rv30p', 'rv30c']);
  assert.deepEqual(storedRows(1, 'rv30c'), ['id=10:integer pid=1:integer']);
  assert.equal(await conflictsOf('rv30c', 'constraint_conflict'), 2);
  intact('rv30c');
});

test('DROP of a CREATE TABLE UNIQUE concurrent with a new table referencing it', async () => {
  await setup(
    ['CREATE TABLE rv31p (id int PRIMARY KEY, code int UNIQUE)', 'INSERT INTO rv31p VALUES (1, 100)'],
    ['rv31p'],
  );
  await refusedWhilePartitioned(
    'ALTER TABLE rv31p DROP CONSTRAINT rv31p_code_key',
    'CREATE TABLE rv31c (id int PRIMARY KEY, code int REFERENCES rv31p (code))',
  );
  const r = await atOnce(
    'ALTER TABLE rv31p DROP CONSTRAINT rv31p_code_key',
    'CREATE TABLE rv31c (id int PRIMARY KEY, code int REFERENCES rv31p (code))',
  );
  // Either the drop, then no unique constraint to reference (42830); or the table, then the drop
  // is refused for the foreign key that depends on it (2BP01). As on PostgreSQL.
  assert.ok((r[0] === null && r[1] === '42830') || (r[0] === '2BP01' && r[1] === null), JSON.stringify(r));
  assert.deepEqual(schemaOf(1, ['rv31p', 'rv31c']), schemaOf(0, ['rv31p', 'rv31c']));
  sameEverywhere(r[1] === null ? ['rv31p', 'rv31c'] : ['rv31p']);
  // Both nodes still accept ordinary writes to both tables.
  for (const i of [0, 1]) {
    if (r[1] === null) await pair.sql(i, `INSERT INTO rv31c VALUES (${i + 1}, 100)`);
    await pair.sql(i, `DELETE FROM rv31p WHERE id = 999`);
  }
});

test('RENAME COLUMN of a CRDT counter concurrent with increments on both nodes', async () => {
  await setup(
    ['CREATE TABLE rv40 (id text PRIMARY KEY, n CRDT_COUNTER)', "INSERT INTO rv40 VALUES ('p', 0)"],
    ['rv40'],
  );
  await pair.sql(0, "UPDATE rv40 SET n = crdt_increment(n, 1) WHERE id = 'p'");
  await pair.sql(0, "UPDATE rv40 SET n = crdt_increment(n, 10) WHERE id = 'p'");
  await settled();
  await raced(
    ['ALTER TABLE rv40 RENAME COLUMN n TO views'],
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
