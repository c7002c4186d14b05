// Transaction semantics through node-postgres against real ChorusDB server processes: commit and
// rollback visibility, the failed-block rule (25P02), savepoints, READ ONLY, the single writer
// (waiting, 55P03 timeout), read committed isolation for readers and the implicit transaction of a
// multi-statement simple query.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { stillPending, waitForWriterWait, writerWaits } from '../support/writer-waits.js';

let server: NodeProcess;
const clients: pg.Client[] = [];

before(async () => {
  // A generous lock timeout: tests where a writer waits must not time out on a slow machine.
  server = await NodeProcess.start({ configToml: '[server]\nwriter_lock_timeout_ms = 20000\n' });
});

after(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server?.cleanup();
});

async function connect(node: NodeProcess = server): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: node.connectionString });
  // Errors of a connection the server closes surface on the query; keep the emitter quiet.
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function ids(client: pg.Client, table: string): Promise<number[]> {
  const res = await client.query(`SELECT id FROM ${table} ORDER BY id`);
  return res.rows.map((r) => r.id as number);
}

describe('commit and rollback', () => {
  test('COMMIT makes changes visible to other sessions; ROLLBACK discards them', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('CREATE TABLE tx_basic (id INTEGER PRIMARY KEY, v TEXT)');
    assert.equal((await a.query('BEGIN')).command, 'BEGIN');
    await a.query("INSERT INTO tx_basic VALUES (1, 'one')");
    await a.query("INSERT INTO tx_basic VALUES (2, 'two')");
    assert.deepEqual(await ids(a, 'tx_basic'), [1, 2], 'own uncommitted rows are visible');
    assert.deepEqual(await ids(b, 'tx_basic'), [], 'others do not see uncommitted rows');
    assert.equal((await a.query('COMMIT')).command, 'COMMIT');
    assert.deepEqual(await ids(b, 'tx_basic'), [1, 2]);

    await a.query('BEGIN');
    await a.query("INSERT INTO tx_basic VALUES (3, 'three')");
    await a.query("UPDATE tx_basic SET v = 'changed' WHERE id = 1");
    await a.query('DELETE FROM tx_basic WHERE id = 2');
    assert.deepEqual(await ids(a, 'tx_basic'), [1, 3]);
    assert.equal((await a.query('ROLLBACK')).command, 'ROLLBACK');
    assert.deepEqual(await ids(a, 'tx_basic'), [1, 2]);
    const rows = await b.query('SELECT id, v FROM tx_basic ORDER BY id');
    assert.deepEqual(rows.rows, [
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
    ]);
  });

  test('BEGIN ... END and START TRANSACTION also work', async () => {
    const a = await connect();
    await a.query('CREATE TABLE tx_syntax (id INTEGER PRIMARY KEY)');
    await a.query('START TRANSACTION');
    await a.query('INSERT INTO tx_syntax VALUES (1)');
    await a.query('COMMIT');
    await a.query('BEGIN');
    await a.query('INSERT INTO tx_syntax VALUES (2)');
    await a.query('END');
    const b = await connect();
    assert.deepEqual(await ids(b, 'tx_syntax'), [1, 2]);
  });

  test('an error inside a block makes later statements fail with 25P02 until ROLLBACK', async () => {
    const a = await connect();
    await a.query('CREATE TABLE tx_failed (id INTEGER PRIMARY KEY)');
    await a.query('INSERT INTO tx_failed VALUES (1)');
    await a.query('BEGIN');
    await a.query('INSERT INTO tx_failed VALUES (2)');
    await assert.rejects(a.query('INSERT INTO tx_failed VALUES (1)'), { code: '23505' });
    await assert.rejects(a.query('SELECT 1'), { code: '25P02' });
    await assert.rejects(a.query('INSERT INTO tx_failed VALUES (3)'), { code: '25P02' });
    await assert.rejects(a.query({ text: 'SELECT $1::text', values: ['x'] }), { code: '25P02' });
    assert.equal((await a.query('ROLLBACK')).command, 'ROLLBACK');
    assert.deepEqual(await ids(a, 'tx_failed'), [1], 'row 2 of the failed block is gone');
    // The session works normally again.
    await a.query('INSERT INTO tx_failed VALUES (4)');
    assert.deepEqual(await ids(a, 'tx_failed'), [1, 4]);
  });

  test('COMMIT of a failed block answers ROLLBACK and discards its changes', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('CREATE TABLE tx_failed_commit (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await a.query('BEGIN');
    await a.query("INSERT INTO tx_failed_commit VALUES (1, 'kept?')");
    await assert.rejects(a.query('INSERT INTO tx_failed_commit VALUES (2, NULL)'), { code: '23502' });
    const commit = await a.query('COMMIT');
    assert.equal(commit.command, 'ROLLBACK');
    assert.deepEqual(await ids(a, 'tx_failed_commit'), []);
    assert.deepEqual(await ids(b, 'tx_failed_commit'), []);
    // Not in a transaction any more: a statement runs on its own.
    await a.query("INSERT INTO tx_failed_commit VALUES (3, 'after')");
    assert.deepEqual(await ids(b, 'tx_failed_commit'), [3]);
  });

  test('ROLLBACK TO SAVEPOINT recovers a failed block; earlier work is kept', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('CREATE TABLE tx_savepoint (id INTEGER PRIMARY KEY)');
    await a.query('BEGIN');
    await a.query('INSERT INTO tx_savepoint VALUES (1)');
    await a.query('SAVEPOINT sp1');
    await a.query('INSERT INTO tx_savepoint VALUES (2)');
    await assert.rejects(a.query('INSERT INTO tx_savepoint VALUES (1)'), { code: '23505' });
    await assert.rejects(a.query('SELECT 1'), { code: '25P02' });
    await a.query('ROLLBACK TO SAVEPOINT sp1');
    assert.deepEqual(await ids(a, 'tx_savepoint'), [1], 'work after the savepoint is undone');
    await a.query('INSERT INTO tx_savepoint VALUES (3)');
    await a.query('SAVEPOINT sp2');
    await a.query('INSERT INTO tx_savepoint VALUES (4)');
    await a.query('RELEASE SAVEPOINT sp2');
    assert.equal((await a.query('COMMIT')).command, 'COMMIT');
    assert.deepEqual(await ids(b, 'tx_savepoint'), [1, 3, 4]);
  });

  test('BEGIN READ ONLY rejects writes with 25006 but allows reads', async () => {
    const a = await connect();
    await a.query('CREATE TABLE tx_read_only (id INTEGER PRIMARY KEY)');
    await a.query('INSERT INTO tx_read_only VALUES (1)');
    await a.query('BEGIN READ ONLY');
    assert.deepEqual(await ids(a, 'tx_read_only'), [1]);
    await assert.rejects(a.query('INSERT INTO tx_read_only VALUES (2)'), { code: '25006' });
    await a.query('ROLLBACK');
    await a.query('INSERT INTO tx_read_only VALUES (3)');
    assert.deepEqual(await ids(a, 'tx_read_only'), [1, 3]);
  });

  test('several statements in one simple query without BEGIN run as one implicit transaction', async () => {
    const a = await connect();
    await a.query('CREATE TABLE tx_implicit (id INTEGER PRIMARY KEY)');
    await assert.rejects(
      a.query(
        'INSERT INTO tx_implicit VALUES (1); INSERT INTO tx_implicit VALUES (2); INSERT INTO tx_implicit VALUES (1)',
      ),
      { code: '23505' },
    );
    assert.deepEqual(await ids(a, 'tx_implicit'), [], 'the error rolled back the whole message');
    // Not left in a failed or open transaction.
    await a.query('INSERT INTO tx_implicit VALUES (10); INSERT INTO tx_implicit VALUES (11)');
    const b = await connect();
    assert.deepEqual(await ids(b, 'tx_implicit'), [10, 11]);
    // An error in a later statement (after a SELECT) also rolls back the earlier ones.
    await assert.rejects(
      a.query(
        'INSERT INTO tx_implicit VALUES (12); SELECT * FROM tx_implicit; SELECT * FROM tx_no_such_table',
      ),
      { code: '42P01' },
    );
    assert.deepEqual(await ids(b, 'tx_implicit'), [10, 11]);
  });

  test('a multi-statement simple query with its own BEGIN/COMMIT commits', async () => {
    const a = await connect();
    await a.query('CREATE TABLE tx_explicit_multi (id INTEGER PRIMARY KEY)');
    await a.query(
      'BEGIN; INSERT INTO tx_explicit_multi VALUES (1); INSERT INTO tx_explicit_multi VALUES (2); COMMIT',
    );
    const b = await connect();
    assert.deepEqual(await ids(b, 'tx_explicit_multi'), [1, 2]);
  });
});

describe('single writer and readers', () => {
  test('a second writer waits for an open write transaction and proceeds after COMMIT', async () => {
    const a = await connect();
    const b = await connect();
    const probe = await connect();
    await a.query('CREATE TABLE tx_wait (id INTEGER PRIMARY KEY, who TEXT)');
    await a.query('BEGIN');
    await a.query("INSERT INTO tx_wait VALUES (1, 'a')");
    const waitsBefore = await writerWaits(server);
    const bInsert = b.query("INSERT INTO tx_wait VALUES (2, 'b')");
    await waitForWriterWait(server, probe, waitsBefore);
    assert.ok(
      await stillPending(bInsert, () => a.query("INSERT INTO tx_wait VALUES (3, 'a')")),
      'B is blocked while A holds the writer',
    );
    assert.deepEqual(await ids(probe, 'tx_wait'), [], 'nothing committed yet');
    await a.query('COMMIT');
    const res = await bInsert;
    assert.equal(res.rowCount, 1);
    assert.deepEqual(await ids(probe, 'tx_wait'), [1, 2, 3]);
  });

  test('a writer waits for a transaction that wrote, even when that transaction only reads afterwards', async () => {
    const a = await connect();
    const b = await connect();
    const probe = await connect();
    await a.query('CREATE TABLE tx_wait_update (id INTEGER PRIMARY KEY, n INT)');
    await a.query('INSERT INTO tx_wait_update VALUES (1, 0)');
    await a.query('BEGIN');
    await a.query('UPDATE tx_wait_update SET n = n + 1 WHERE id = 1');
    await a.query('SELECT * FROM tx_wait_update');
    const waitsBefore = await writerWaits(server);
    const bUpdate = b.query('UPDATE tx_wait_update SET n = n + 10 WHERE id = 1');
    await waitForWriterWait(server, probe, waitsBefore);
    await a.query('COMMIT');
    await bUpdate;
    const res = await probe.query('SELECT n FROM tx_wait_update WHERE id = 1');
    assert.equal(res.rows[0].n, 11, 'both updates applied, serialized');
  });

  test('BEGIN + SELECT does not take the writer: another session writes at once', async () => {
    const a = await connect();
    const b = await connect();
    await a.query('CREATE TABLE tx_reader_tx (id INTEGER PRIMARY KEY)');
    await a.query('BEGIN');
    assert.deepEqual(await ids(a, 'tx_reader_tx'), []);
    const waitsBefore = await writerWaits(server);
    // With a 20 s lock timeout, a wrongly blocked writer would hang here until A commits; the test
    // would then fail on its own timeout rather than pass.
    await b.query('INSERT INTO tx_reader_tx VALUES (1)');
    await b.query('INSERT INTO tx_reader_tx VALUES (2)');
    await b.query('SELECT 1');
    assert.equal(await writerWaits(server), waitsBefore, 'B never waited for the writer');
    await a.query('COMMIT');
    assert.deepEqual(await ids(a, 'tx_reader_tx'), [1, 2]);
  });

  test('readers are not blocked by an open write transaction and see only committed rows', async () => {
    const writer = await connect();
    const reader = await connect();
    await writer.query('CREATE TABLE tx_read_committed (id INTEGER PRIMARY KEY, v TEXT)');
    await writer.query("INSERT INTO tx_read_committed VALUES (1, 'committed')");
    await writer.query('BEGIN');
    await writer.query("INSERT INTO tx_read_committed VALUES (2, 'uncommitted')");
    await writer.query("UPDATE tx_read_committed SET v = 'uncommitted change' WHERE id = 1");
    const waitsBefore = await writerWaits(server);
    const seen = await reader.query('SELECT id, v FROM tx_read_committed ORDER BY id');
    assert.deepEqual(seen.rows, [{ id: 1, v: 'committed' }]);
    assert.equal(Number((await reader.query('SELECT count(*) AS n FROM tx_read_committed')).rows[0].n), 1);
    // A reader inside its own transaction: read committed, each statement sees the latest commit.
    await reader.query('BEGIN');
    assert.deepEqual(await ids(reader, 'tx_read_committed'), [1]);
    await writer.query('COMMIT');
    assert.deepEqual(await ids(reader, 'tx_read_committed'), [1, 2], 'new commit visible inside the block');
    await reader.query('COMMIT');
    assert.equal(await writerWaits(server), waitsBefore, 'readers never waited for the writer');
    const after = await reader.query('SELECT v FROM tx_read_committed WHERE id = 1');
    assert.equal(after.rows[0].v, 'uncommitted change');
  });

  test('a writer gets 55P03 after server.writer_lock_timeout_ms; the holder is unaffected', async () => {
    const node = await NodeProcess.start({ configToml: '[server]\nwriter_lock_timeout_ms = 300\n' });
    try {
      const a = await connect(node);
      const b = await connect(node);
      await a.query('CREATE TABLE tx_timeout (id INTEGER PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO tx_timeout VALUES (1)');
      const err = await b.query('INSERT INTO tx_timeout VALUES (2)').then(
        () => assert.fail('B inserted while A held the writer'),
        (e: pg.DatabaseError) => e,
      );
      assert.equal(err.code, '55P03');
      // B was not in a block: it is not left in a failed transaction.
      assert.deepEqual(await ids(b, 'tx_timeout'), []);
      // Inside an explicit block, the timeout fails the block.
      await b.query('BEGIN');
      await assert.rejects(b.query('INSERT INTO tx_timeout VALUES (3)'), { code: '55P03' });
      await assert.rejects(b.query('SELECT 1'), { code: '25P02' });
      await b.query('ROLLBACK');
      await a.query('INSERT INTO tx_timeout VALUES (4)');
      await a.query('COMMIT');
      await b.query('INSERT INTO tx_timeout VALUES (5)');
      assert.deepEqual(await ids(b, 'tx_timeout'), [1, 4, 5]);
    } finally {
      await node.cleanup();
    }
  });
});
