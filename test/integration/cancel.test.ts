// Query cancellation (CancelRequest on a second connection) and connection loss in the middle of a
// transaction, with postgres.js and node-postgres against a real ChorusDB server process.
//
// The cancelable situation: session A holds the writer (BEGIN + INSERT), session B's write waits for
// it. The lock timeout is set high (20 s) so that a 57014 can only come from the cancel, never from
// the timeout (which would be 55P03).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { NodeProcess } from '../support/launcher.js';
import { stillPending, waitForWriterWait, writerWaits } from '../support/writer-waits.js';

let server: NodeProcess;
const pgClients: pg.Client[] = [];

before(async () => {
  server = await NodeProcess.start({ configToml: '[server]\nwriter_lock_timeout_ms = 20000\n' });
});

after(async () => {
  await Promise.all(pgClients.map((c) => c.end().catch(() => undefined)));
  await server?.cleanup();
});

async function pgConnect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  pgClients.push(client);
  return client;
}

function sqlConnect(): postgres.Sql {
  return postgres(server.connectionString, { max: 1, onnotice: () => undefined });
}

async function ids(client: pg.Client, table: string): Promise<number[]> {
  const res = await client.query(`SELECT id FROM ${table} ORDER BY id`);
  return res.rows.map((r) => r.id as number);
}

/** Sends a raw CancelRequest (a separate connection, as libpq does) and waits for the server to close it. */
async function sendCancelRequest(processID: number, secretKey: number): Promise<void> {
  const msg = Buffer.alloc(16);
  msg.writeInt32BE(16, 0);
  msg.writeInt32BE(80877102, 4);
  msg.writeInt32BE(processID, 8);
  msg.writeInt32BE(secretKey | 0, 12);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.pgPort }, () => socket.write(msg));
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

/** Drops the client's TCP connection without sending Terminate. */
function destroySocket(client: pg.Client): void {
  (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
}

function backendKey(client: pg.Client): { processID: number; secretKey: number } {
  const c = client as unknown as { processID: number | null; secretKey: number | null };
  assert.equal(typeof c.processID, 'number', 'BackendKeyData received');
  assert.equal(typeof c.secretKey, 'number');
  return { processID: c.processID!, secretKey: c.secretKey! };
}

describe('cancel', () => {
  test('postgres.js: canceling a write that waits for the writer gives 57014; the connection still works', async () => {
    const a = await pgConnect();
    const probe = await pgConnect();
    const sql = sqlConnect();
    try {
      await a.query('CREATE TABLE cancel_pjs (id INTEGER PRIMARY KEY, who TEXT)');
      await sql`SELECT 1`; // B is connected before the scenario starts
      await a.query('BEGIN');
      await a.query("INSERT INTO cancel_pjs VALUES (1, 'a')");
      const waitsBefore = await writerWaits(server);
      let code: string | undefined;
      await sql
        .begin(async (tx) => {
          await tx`SELECT count(*) FROM cancel_pjs`;
          const q = tx`INSERT INTO cancel_pjs VALUES (2, 'b')`;
          const outcome = q.execute().then(
            () => 'inserted',
            (e: postgres.PostgresError) => e.code,
          );
          // Only once the server has B queued for the writer (so the cancel must go to the server).
          await waitForWriterWait(server, probe, waitsBefore);
          q.cancel();
          code = await outcome;
          throw new Error('roll back');
        })
        .catch((e: Error) => assert.equal(e.message, 'roll back'));
      assert.equal(code, '57014');
      await a.query("INSERT INTO cancel_pjs VALUES (3, 'a')");
      await a.query('COMMIT');
      // B's connection is usable and not stuck in a transaction.
      const [row] = await sql`SELECT count(*) AS n FROM cancel_pjs`;
      assert.equal(Number(row!.n), 2);
      await sql`INSERT INTO cancel_pjs VALUES (${4}, ${'b'})`;
      assert.deepEqual(await ids(probe, 'cancel_pjs'), [1, 3, 4], 'the canceled insert did not happen');
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      await sql.end();
    }
  });

  test('pg: canceling an autocommit INSERT that waits for the writer gives 57014', async () => {
    const a = await pgConnect();
    const b = await pgConnect();
    const probe = await pgConnect();
    try {
      await a.query('CREATE TABLE cancel_autocommit (id INTEGER PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO cancel_autocommit VALUES (1)');
      const waitsBefore = await writerWaits(server);
      const outcome = b.query('INSERT INTO cancel_autocommit VALUES (2)').then(
        () => 'inserted',
        (e: pg.DatabaseError) => e.code,
      );
      await waitForWriterWait(server, probe, waitsBefore);
      const key = backendKey(b);
      // The server handles a CancelRequest before it closes that connection: once this resolves,
      // B's wait has been abandoned, so A's COMMIT right after cannot hand the writer to B.
      await sendCancelRequest(key.processID, key.secretKey);
      await a.query('COMMIT');
      assert.equal(await outcome, '57014');
      await b.query('INSERT INTO cancel_autocommit VALUES (3)');
      assert.deepEqual(await ids(probe, 'cancel_autocommit'), [1, 3]);
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
    }
  });

  test('pg: CancelRequest with the BackendKeyData cancels; a wrong secret key does not', async () => {
    const a = await pgConnect();
    const b = await pgConnect();
    const probe = await pgConnect();
    try {
      await a.query('CREATE TABLE cancel_pg (id INTEGER PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO cancel_pg VALUES (1)');
      await b.query('BEGIN');
      const waitsBefore = await writerWaits(server);
      const outcome = b.query('INSERT INTO cancel_pg VALUES (2)').then(
        () => 'inserted',
        (e: pg.DatabaseError) => e.code,
      );
      await waitForWriterWait(server, probe, waitsBefore);
      const key = backendKey(b);
      await sendCancelRequest(key.processID, key.secretKey ^ 0x5a5a5a5a);
      await sendCancelRequest(key.processID + 1000, key.secretKey);
      assert.ok(
        await stillPending(outcome, () => probe.query('SELECT 1')),
        'a CancelRequest with a wrong key must not cancel',
      );
      await sendCancelRequest(key.processID, key.secretKey);
      assert.equal(await outcome, '57014');
      // A canceled statement fails the block, as any error does.
      await assert.rejects(b.query('SELECT 1'), { code: '25P02' });
      assert.equal((await b.query('ROLLBACK')).command, 'ROLLBACK');
      await a.query('COMMIT');
      await b.query('INSERT INTO cancel_pg VALUES (3)');
      assert.deepEqual(await ids(b, 'cancel_pg'), [1, 3]);
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      await b.query('ROLLBACK').catch(() => undefined);
    }
  });

  test('a CancelRequest for an idle connection is harmless', async () => {
    const b = await pgConnect();
    const key = backendKey(b);
    await sendCancelRequest(key.processID, key.secretKey);
    const res = await b.query('SELECT 2 AS two');
    assert.deepEqual(res.rows, [{ two: 2 }]);
  });

  test('pg_sleep works in a SELECT', async () => {
    const b = await pgConnect();
    const res = await b.query('SELECT pg_sleep(0.05) AS slept, 7 AS after');
    assert.equal(res.rows.length, 1);
    assert.equal(res.rows[0].after, 7);
  });
});

describe('connection loss', () => {
  test('closing a connection (Terminate) in the middle of a transaction rolls it back and frees the writer', async () => {
    const a = new pg.Client({ connectionString: server.connectionString });
    a.on('error', () => undefined);
    await a.connect();
    const b = await pgConnect();
    await b.query('CREATE TABLE loss_terminate (id INTEGER PRIMARY KEY)');
    await a.query('BEGIN');
    await a.query('INSERT INTO loss_terminate VALUES (1)');
    await a.end();
    // The writer is free: with a 20 s lock timeout a leaked writer would make this wait and the
    // test fail on its own timeout.
    await b.query('INSERT INTO loss_terminate VALUES (2)');
    assert.deepEqual(await ids(b, 'loss_terminate'), [2]);
  });

  test('an abruptly dropped socket in the middle of a transaction rolls it back and frees the writer', async () => {
    const a = new pg.Client({ connectionString: server.connectionString });
    a.on('error', () => undefined);
    await a.connect();
    const b = await pgConnect();
    const probe = await pgConnect();
    await b.query('CREATE TABLE loss_abrupt (id INTEGER PRIMARY KEY)');
    await a.query('BEGIN');
    await a.query('INSERT INTO loss_abrupt VALUES (1)');
    const waitsBefore = await writerWaits(server);
    // B queues for the writer, then A's socket is destroyed without a Terminate message.
    const bOutcome = b.query('INSERT INTO loss_abrupt VALUES (2)').then(
      () => 'inserted',
      (e: pg.DatabaseError) => `error ${e.code}`,
    );
    await waitForWriterWait(server, probe, waitsBefore);
    destroySocket(a);
    assert.equal(await bOutcome, 'inserted', 'B got the writer after A vanished');
    assert.deepEqual(await ids(b, 'loss_abrupt'), [2], "A's uncommitted row is gone");
  });

  test('a writer waiting inside a transaction whose connection drops never commits; the next writer proceeds', async () => {
    const a = await pgConnect();
    const c = await pgConnect();
    const probe = await pgConnect();
    const b = new pg.Client({ connectionString: server.connectionString });
    b.on('error', () => undefined);
    await b.connect();
    try {
      await a.query('CREATE TABLE loss_waiter (id INTEGER PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO loss_waiter VALUES (1)');
      await b.query('BEGIN');
      const waitsBefore = await writerWaits(server);
      const bOutcome = b.query('INSERT INTO loss_waiter VALUES (2)').then(
        () => 'inserted',
        () => 'failed',
      );
      await waitForWriterWait(server, probe, waitsBefore);
      destroySocket(b);
      assert.equal(await bOutcome, 'failed');
      await a.query('COMMIT');
      await c.query('INSERT INTO loss_waiter VALUES (3)');
      assert.deepEqual(
        await ids(probe, 'loss_waiter'),
        [1, 3],
        "the dropped session's insert was never committed",
      );
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
    }
  });
});
