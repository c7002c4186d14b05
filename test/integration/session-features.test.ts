// Session features across real connections: advisory locks held, waited for, timed out, canceled
// and released when a session ends; cursors reading the snapshot of their DECLARE while another
// session writes; the extended protocol's portal suspension through postgres.js cursor().
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

let server: NodeProcess;
const clients: pg.Client[] = [];

before(async () => {
  server = await NodeProcess.start({ nodeId: 'session-features' });
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

async function one(c: pg.Client, sql: string, params: unknown[] = []): Promise<unknown> {
  const r = await c.query({ text: sql, values: params, rowMode: 'array' });
  return r.rows[0]?.[0];
}

/**
 * Waits until some session is queued for an exclusive lock on `key` held shared by another: a
 * queued exclusive request makes a new shared request fail (the lock manager does not let shared
 * lockers overtake it), which `probe` observes with pg_try_advisory_lock_shared.
 */
async function waitForQueuedExclusive(probe: pg.Client, key: number): Promise<void> {
  await eventually('a session queued for the lock', 10_000, async () => {
    const got = await one(probe, 'SELECT pg_try_advisory_lock_shared($1)', [key]);
    if (got === false) return true;
    await one(probe, 'SELECT pg_advisory_unlock_shared($1)', [key]);
    return undefined;
  });
}

async function sendCancelRequest(c: pg.Client): Promise<void> {
  const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
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

describe('advisory locks across sessions', () => {
  test('a waiting lock is granted when the holder releases it, in queue order', async () => {
    const [a, b, probe] = await Promise.all([client(), client(), client()]);
    assert.equal(await one(a, 'SELECT pg_try_advisory_lock_shared(101)'), true);
    const waiting = one(b, 'SELECT pg_advisory_lock(101)');
    await waitForQueuedExclusive(probe, 101);
    assert.equal(await one(a, 'SELECT pg_advisory_unlock_shared(101)'), true);
    assert.equal(await waiting, '');
    // b holds it now: nobody else gets it until b lets go.
    assert.equal(await one(probe, 'SELECT pg_try_advisory_lock(101)'), false);
    assert.equal(await one(b, 'SELECT pg_advisory_unlock(101)'), true);
    assert.equal(await one(probe, 'SELECT pg_try_advisory_lock(101)'), true);
    assert.equal(await one(probe, 'SELECT pg_advisory_unlock(101)'), true);
  });

  test('transaction-level locks are held to COMMIT (kysely migrations take one)', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query('BEGIN');
    await a.query('SELECT pg_advisory_xact_lock(3853314791062309107)');
    assert.equal(await one(b, 'SELECT pg_try_advisory_xact_lock(3853314791062309107)'), false);
    await a.query('COMMIT');
    assert.equal(await one(b, 'SELECT pg_try_advisory_xact_lock(3853314791062309107)'), true);
    // Outside a block the lock ended with b's statement.
    assert.equal(await one(a, 'SELECT pg_try_advisory_lock(3853314791062309107)'), true);
    await a.query('SELECT pg_advisory_unlock_all()');
  });

  test('lock_timeout, statement_timeout and CancelRequest end a wait (55P03 / 57014)', async () => {
    const [a, b, probe] = await Promise.all([client(), client(), client()]);
    await a.query('SELECT pg_advisory_lock(202)');
    await b.query("SET lock_timeout = '50ms'");
    await assert.rejects(b.query('SELECT pg_advisory_lock(202)'), { code: '55P03' });
    await b.query('RESET lock_timeout');
    await b.query("SET statement_timeout = '50ms'");
    await assert.rejects(b.query('SELECT pg_advisory_lock(202)'), { code: '57014' });
    await b.query('RESET statement_timeout');
    // Shared holder + queued exclusive lets the probe see the wait before canceling it.
    await a.query('SELECT pg_advisory_lock_shared(203)');
    const canceled = b.query('SELECT pg_advisory_lock(203)').then(
      () => null,
      (e: { code?: string }) => e.code,
    );
    await waitForQueuedExclusive(probe, 203);
    await sendCancelRequest(b);
    assert.equal(await canceled, '57014');
    // The canceled waiter left the queue: a shared request is granted again.
    assert.equal(await one(probe, 'SELECT pg_try_advisory_lock_shared(203)'), true);
    await probe.query('SELECT pg_advisory_unlock_all()');
    await a.query('SELECT pg_advisory_unlock_all()');
    assert.equal(await one(b, 'SELECT pg_try_advisory_lock(202)'), true);
    await b.query('SELECT pg_advisory_unlock_all()');
  });

  test('a cycle of waits fails one session with 40P01; the other gets its lock', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query('SELECT pg_advisory_lock(301)');
    await b.query('SELECT pg_advisory_lock(302)');
    const aWaits = a.query('SELECT pg_advisory_lock(302)');
    // b's request closes the cycle only once a is queued: retry until b fails with 40P01.
    await eventually('the deadlock to be detected', 10_000, async () => {
      try {
        await b.query("SET lock_timeout = '20ms'");
        await b.query('SELECT pg_advisory_lock(301)');
        return undefined;
      } catch (e) {
        return (e as { code?: string }).code === '40P01' ? true : undefined;
      }
    });
    await b.query('SELECT pg_advisory_unlock_all()');
    await aWaits;
    assert.equal(await one(a, 'SELECT pg_advisory_unlock(302)'), true);
    await a.query('SELECT pg_advisory_unlock_all()');
  });

  test("a session's locks are released when its connection ends", async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query('SELECT pg_advisory_lock(401), pg_advisory_lock(4, 1)');
    assert.equal(await one(b, 'SELECT pg_try_advisory_lock(401)'), false);
    await a.end();
    await eventually('the lock to be released', 10_000, async () =>
      (await one(b, 'SELECT pg_try_advisory_lock(401)')) === true ? true : undefined,
    );
    assert.equal(await one(b, 'SELECT pg_try_advisory_lock(4, 1)'), true);
    await b.query('SELECT pg_advisory_unlock_all()');
  });

  test('parameters: the key as $1 (text and binary via postgres.js)', async () => {
    const sql = postgres(server.connectionString, { max: 1, onnotice: () => undefined });
    try {
      const [r] = await sql`SELECT pg_try_advisory_lock(${501}) AS "lockObtained"`;
      assert.equal(r!.lockObtained, true);
      const [u] = await sql`SELECT pg_advisory_unlock(${'501'}) AS released`;
      assert.equal(u!.released, true);
    } finally {
      await sql.end();
    }
  });
});

describe('cursors', () => {
  test('a cursor reads the rows as of its DECLARE while another session writes', async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query('CREATE TABLE cur_snap (id int PRIMARY KEY, v text)');
    await a.query("INSERT INTO cur_snap SELECT g, 'v' || g FROM generate_series(1, 3000) g");
    await a.query('BEGIN');
    await a.query('DECLARE c SCROLL CURSOR FOR SELECT id, v FROM cur_snap ORDER BY id');
    const first = await a.query('FETCH 1000 FROM c');
    assert.equal(first.rowCount, 1000);
    await b.query("INSERT INTO cur_snap SELECT g, 'new' FROM generate_series(3001, 3500) g");
    await b.query('DELETE FROM cur_snap WHERE id <= 10');
    const rest = await a.query('FETCH ALL FROM c');
    assert.equal(rest.rowCount, 2000);
    assert.equal(rest.rows.at(-1).id, 3000);
    const back = await a.query('FETCH ABSOLUTE 5 FROM c');
    assert.deepEqual(back.rows, [{ id: 5, v: 'v5' }]);
    await a.query('COMMIT');
    await assert.rejects(a.query('FETCH 1 FROM c'), { code: '34000' });
    await a.query('DROP TABLE cur_snap');
  });

  test('portal suspension: postgres.js cursor() reads in batches', async () => {
    const a = await client();
    await a.query('CREATE TABLE cur_portal (id int PRIMARY KEY)');
    await a.query('INSERT INTO cur_portal SELECT g FROM generate_series(1, 2500) g');
    const sql = postgres(server.connectionString, { max: 1, onnotice: () => undefined });
    try {
      const seen: number[] = [];
      let batches = 0;
      for await (const rows of sql`SELECT id FROM cur_portal ORDER BY id`.cursor(300)) {
        batches++;
        assert.ok(rows.length <= 300);
        for (const r of rows) seen.push(r.id as number);
      }
      assert.equal(batches, 9);
      assert.deepEqual(
        seen,
        Array.from({ length: 2500 }, (_, i) => i + 1),
      );
    } finally {
      await sql.end();
    }
    await a.query('DROP TABLE cur_portal');
  });
});
