// Temporary tables across real connections (pg and postgres.js): private to their session,
// found before a permanent table of the same name, rolled back with their transaction, read on the
// writer (a read waits for another session's open write transaction and never sees its rows),
// prepared statements re-resolving names as PostgreSQL's do, cursors over them, and the data
// migration shape ORMs send (CREATE TEMPORARY TABLE ... AS SELECT in a transaction).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { NodeProcess } from '../support/launcher.js';

let server: NodeProcess;
const clients: pg.Client[] = [];

before(async () => {
  server = await NodeProcess.start({ nodeId: 'temp-tables' });
});

after(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server?.cleanup();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: server.connectionString });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

async function rows(c: pg.Client, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  return (await c.query({ text: sql, values: params, rowMode: 'array' })).rows;
}

async function fails(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('temporary tables across sessions', () => {
  test('each session sees its own temp table, before the permanent one of the same name', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await rows(a, 'CREATE TABLE it_t (id int PRIMARY KEY, v text)');
    await rows(a, "INSERT INTO it_t VALUES (1, 'perm')");
    await rows(a, 'CREATE TEMP TABLE it_t (id int PRIMARY KEY, v text)');
    await rows(a, 'INSERT INTO it_t VALUES ($1, $2)', [2, 'temp a']);
    assert.deepEqual(await rows(a, 'SELECT id, v FROM it_t'), [[2, 'temp a']]);
    assert.deepEqual(await rows(a, 'SELECT id, v FROM public.it_t'), [[1, 'perm']]);
    assert.deepEqual(await rows(b, 'SELECT id, v FROM it_t'), [[1, 'perm']]);
    await fails(rows(b, 'SELECT * FROM pg_temp.it_t'), '42P01');
    await rows(b, 'CREATE TEMP TABLE it_t (id int PRIMARY KEY, v text)');
    await rows(b, "INSERT INTO it_t VALUES (3, 'temp b')");
    assert.deepEqual(await rows(b, 'SELECT id, v FROM it_t'), [[3, 'temp b']]);
    assert.deepEqual(await rows(a, 'SELECT id, v FROM it_t WHERE id > $1', [0]), [[2, 'temp a']]);
    assert.deepEqual(await rows(a, 'UPDATE it_t SET v = $1 RETURNING v', ['a2']), [['a2']]);
    await rows(a, 'DROP TABLE it_t');
    assert.deepEqual(await rows(a, 'SELECT id, v FROM it_t'), [[1, 'perm']]);
    assert.deepEqual(await rows(b, 'SELECT id, v FROM it_t'), [[3, 'temp b']]);
  });

  test('a session that ends takes its temp tables with it; others are not touched', async () => {
    const a = await client();
    const b = await client();
    await rows(a, 'CREATE TEMP TABLE it_gone (id int)');
    await rows(b, 'CREATE TEMP TABLE it_kept (id int)');
    await rows(b, 'INSERT INTO it_kept VALUES (1)');
    await a.end();
    const c = await client();
    await fails(rows(c, 'SELECT * FROM it_gone'), '42P01');
    assert.deepEqual(await rows(b, 'SELECT id FROM it_kept'), [[1]]);
  });

  test('CREATE TEMP TABLE and rows written in a block roll back with it', async () => {
    const a = await client();
    await rows(a, 'BEGIN');
    await rows(a, 'CREATE TEMP TABLE it_rb (id int)');
    await rows(a, 'INSERT INTO it_rb VALUES (1)');
    assert.deepEqual(await rows(a, 'SELECT count(*)::int FROM it_rb'), [[1]]);
    await rows(a, 'ROLLBACK');
    await fails(rows(a, 'SELECT * FROM it_rb'), '42P01');
    await rows(a, 'CREATE TEMP TABLE it_rows (id int)');
    await rows(a, 'INSERT INTO it_rows VALUES (1)');
    await rows(a, 'BEGIN');
    await rows(a, 'INSERT INTO it_rows VALUES (2)');
    await rows(a, 'ROLLBACK');
    assert.deepEqual(await rows(a, 'SELECT id FROM it_rows'), [[1]]);
  });

  test('a read of a temp table waits for another session’s write transaction and sees none of it', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await rows(a, 'CREATE TABLE it_shared (id int PRIMARY KEY)');
    await rows(a, 'CREATE TEMP TABLE it_mine (id int)');
    await rows(a, 'INSERT INTO it_mine VALUES (1)');
    await rows(b, 'BEGIN');
    await rows(b, 'INSERT INTO it_shared VALUES (1)');
    let done = false;
    const read = rows(a, 'SELECT m.id, (SELECT count(*)::int FROM it_shared) FROM it_mine m').then((r) => {
      done = true;
      return r;
    });
    // b holds the writer: a's read cannot run on the writer connection inside b's transaction.
    await rows(b, 'SELECT 1');
    assert.equal(done, false);
    await rows(b, 'ROLLBACK');
    assert.deepEqual(await read, [[1, 0]]);
  });

  test('prepared statements re-resolve a name once a temp table shadows it (as in PostgreSQL)', async () => {
    const a = await client();
    await rows(a, 'CREATE TABLE it_prep (v text)');
    await rows(a, "INSERT INTO it_prep VALUES ('perm')");
    const q = {
      name: 'it_prep_q',
      text: 'SELECT v FROM it_prep WHERE $1::int = 1',
      values: [1],
      rowMode: 'array' as const,
    };
    assert.deepEqual((await a.query(q)).rows, [['perm']]);
    await rows(a, 'CREATE TEMP TABLE it_prep (v text)');
    await rows(a, "INSERT INTO it_prep VALUES ('temp')");
    assert.deepEqual((await a.query(q)).rows, [['temp']]);
    await rows(a, 'DROP TABLE it_prep');
    assert.deepEqual((await a.query(q)).rows, [['perm']]);
  });

  test('a cursor reads a temp table; ON COMMIT DELETE ROWS empties it at each commit', async () => {
    const a = await client();
    await rows(a, 'CREATE TEMP TABLE it_cur (id int) ON COMMIT DELETE ROWS');
    await rows(a, 'BEGIN');
    await rows(a, 'INSERT INTO it_cur VALUES (1), (2), (3), (4), (5)');
    await rows(a, 'DECLARE it_c CURSOR FOR SELECT id FROM it_cur ORDER BY id');
    assert.deepEqual(await rows(a, 'FETCH 2 FROM it_c'), [[1], [2]]);
    assert.deepEqual(await rows(a, 'FETCH 2 FROM it_c'), [[3], [4]]);
    await rows(a, 'COMMIT');
    assert.deepEqual(await rows(a, 'SELECT count(*)::int FROM it_cur'), [[0]]);
  });

  test('an ORM-style data migration through a temporary table (postgres.js, prepared statements)', async () => {
    const sql = postgres(server.connectionString, { max: 1, onnotice: () => undefined });
    try {
      await sql`CREATE TABLE it_users (id int PRIMARY KEY, email text, active boolean)`;
      await sql`INSERT INTO it_users VALUES (1, 'a@x', true), (2, 'b@x', false), (3, 'c@x', true)`;
      await sql`CREATE TABLE it_active (id int PRIMARY KEY, email text)`;
      await sql.begin(async (tx) => {
        await tx`CREATE TEMPORARY TABLE "it_tmp_users" AS SELECT id, email FROM it_users WHERE active`;
        await tx`INSERT INTO it_active SELECT * FROM "it_tmp_users" WHERE id > ${0}`;
        await tx`DROP TABLE "it_tmp_users"`;
      });
      const got = await sql`SELECT id, email FROM it_active ORDER BY id`;
      assert.deepEqual(
        got.map((r) => [r.id, r.email]),
        [
          [1, 'a@x'],
          [3, 'c@x'],
        ],
      );
      await assert.rejects(
        sql`SELECT * FROM it_tmp_users`,
        (e: Error & { code?: string }) => e.code === '42P01',
      );
    } finally {
      await sql.end();
    }
  });
});
