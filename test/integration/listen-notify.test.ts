// LISTEN / UNLISTEN / NOTIFY / pg_notify() through the real `pg` driver, the same sequence run
// against a ChorusDB node and a real PostgreSQL 15: payloads, order, folding of duplicates,
// ROLLBACK and ROLLBACK TO, the sender's pid, own notifications, errors. And postgres.js's sql.listen.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';
import { eventually } from '../support/wait.js';

let node: NodeProcess | undefined;
let real: PostgresServer | undefined;
let skip: string | undefined;

before(async () => {
  const found = await findPostgres();
  if ('skip' in found) skip = found.skip;
  [node, real] = await Promise.all([
    NodeProcess.start({ nodeId: 'notify-1' }),
    skip ? undefined : PostgresServer.start(),
  ]);
});

after(async () => {
  await node?.cleanup();
  await real?.stop();
});

type Received = { channel: string; payload: string; from: 'sender' | 'self' | number };

async function connect(url: string): Promise<pg.Client & { processID?: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c as pg.Client & { processID?: number };
}

async function error(c: pg.Client, sql: string, params: unknown[] = []): Promise<string> {
  return c.query(sql, params).then(
    () => 'no error',
    (e: pg.DatabaseError) => `${e.code} ${e.message}`,
  );
}

/** The sequence, run against one server: what the listener received and what each step answered. */
async function sequence(url: string): Promise<{ received: Received[]; answers: unknown[] }> {
  const listener = await connect(url);
  const sender = await connect(url);
  const received: Received[] = [];
  const senderPid = sender.processID;
  const listenerPid = listener.processID;
  listener.on('notification', (n) =>
    received.push({
      channel: n.channel,
      payload: n.payload ?? '',
      from: n.processId === senderPid ? 'sender' : n.processId === listenerPid ? 'self' : n.processId,
    }),
  );
  const answers: unknown[] = [];
  const ask = async (c: pg.Client, sql: string, params: unknown[] = []): Promise<void> => {
    const r = await c.query(sql, params);
    const results = Array.isArray(r) ? r : [r];
    answers.push(
      results.map((x: pg.QueryResult) => [x.command, x.fields.map((f) => [f.name, f.dataTypeID]), x.rows]),
    );
  };
  try {
    await ask(listener, 'LISTEN notify_t1');
    await ask(listener, 'LISTEN "Notify_T2"');
    await ask(sender, "NOTIFY notify_t1, 'a'");
    await ask(sender, `SELECT pg_notify('Notify_T2', 'b')`);
    await ask(sender, 'NOTIFY notify_t1');
    await ask(
      sender,
      "BEGIN; NOTIFY notify_t1, 'x'; NOTIFY notify_t1, 'x'; NOTIFY notify_t1, 'y'; NOTIFY \"Notify_T2\", 'x'; COMMIT",
    );
    await ask(sender, 'BEGIN');
    await ask(sender, "NOTIFY notify_t1, 'x'");
    await ask(sender, "SELECT pg_notify('notify_t1', 'x') AS n");
    await ask(sender, "NOTIFY notify_t1, 'z'");
    await ask(sender, 'COMMIT');
    await ask(sender, "BEGIN; NOTIFY notify_t1, 'rolled back'; ROLLBACK");
    await ask(
      sender,
      "BEGIN; NOTIFY notify_t1, 'k1'; SAVEPOINT s; NOTIFY notify_t1, 'gone'; ROLLBACK TO s; NOTIFY notify_t1, 'k2'; COMMIT",
    );
    await ask(sender, "NOTIFY notify_t1, 'implicit'; NOTIFY notify_t1, 'implicit'");
    await ask(sender, 'SELECT pg_notify($1, $2)', ['notify_t1', 'param é']);
    await ask(sender, 'SELECT pg_notify($1, NULL)', ['notify_t1']);
    answers.push(await error(sender, "SELECT pg_notify('', 'x')"));
    answers.push(await error(sender, "SELECT pg_notify(NULL, 'x')"));
    answers.push(await error(sender, 'SELECT pg_notify($1, $2)', [`c${'a'.repeat(63)}`, 'x']));
    answers.push(await error(sender, 'SELECT pg_notify($1, $2)', ['notify_t1', 'x'.repeat(8000)]));
    await ask(sender, 'SELECT pg_notify($1, $2)', ['notify_t1', 'x'.repeat(7999)]);
    // LISTEN and UNLISTEN inside a block take effect at COMMIT.
    await ask(listener, 'BEGIN');
    await ask(listener, 'LISTEN notify_t3');
    await ask(listener, 'UNLISTEN "Notify_T2"');
    await ask(listener, 'SELECT pg_listening_channels()');
    await ask(listener, 'COMMIT');
    await ask(listener, 'SELECT * FROM pg_listening_channels() AS c(ch)');
    await ask(sender, 'NOTIFY "Notify_T2", \'not listened any more\'');
    await ask(sender, "NOTIFY notify_t3, 'listened now'");
    // Its own notifications reach a listening session too.
    await ask(listener, "NOTIFY notify_t1, 'self'");
    await ask(listener, 'BEGIN; LISTEN notify_t4; ROLLBACK');
    await ask(sender, "NOTIFY notify_t4, 'never'");
    await ask(listener, 'UNLISTEN *');
    await ask(listener, 'SELECT pg_listening_channels()');
    await ask(listener, 'LISTEN notify_end');
    await ask(sender, "NOTIFY notify_end, 'end'");
    await eventually('the last notification', 10_000, async () =>
      received.some((n) => n.channel === 'notify_end') ? true : undefined,
    );
    return { received, answers };
  } finally {
    await listener.end();
    await sender.end();
  }
}

test('LISTEN / NOTIFY through pg: the same notifications and answers as PostgreSQL 15', async (t) => {
  if (skip) return t.skip(skip);
  const chorus = await sequence(node!.connectionString);
  const pgReal = await sequence(real!.connectionString);
  assert.deepEqual(chorus.answers, pgReal.answers);
  assert.deepEqual(chorus.received, pgReal.received);
  // What the sequence shows, spelled out (so a change in both would be seen too).
  const payloads = chorus.received.map(
    (n) => `${n.channel}:${n.payload.length > 20 ? n.payload.length : n.payload}`,
  );
  assert.deepEqual(payloads.slice(0, 9), [
    'notify_t1:a',
    'Notify_T2:b',
    'notify_t1:',
    'notify_t1:x',
    'notify_t1:y',
    'Notify_T2:x',
    'notify_t1:x',
    'notify_t1:z',
    'notify_t1:k1',
  ]);
  assert.ok(!payloads.includes('notify_t1:rolled back') && !payloads.includes('notify_t1:gone'));
  assert.deepEqual(
    chorus.received.find((n) => n.payload === 'self'),
    { channel: 'notify_t1', payload: 'self', from: 'self' },
  );
});

test('postgres.js sql.listen receives notifications from NOTIFY and pg_notify', async () => {
  const sql = postgres(node!.connectionString, { max: 2, onnotice: () => undefined });
  try {
    const got: string[] = [];
    await sql.listen('notify_pgjs', (payload) => got.push(payload));
    await sql`SELECT pg_notify('notify_pgjs', ${'one'})`;
    await sql.unsafe("NOTIFY notify_pgjs, 'two'");
    await sql.begin(async (tx) => {
      await tx`SELECT pg_notify('notify_pgjs', 'three')`;
      await tx`SELECT pg_notify('notify_pgjs', 'three')`;
    });
    await eventually('three notifications', 10_000, async () => (got.length >= 3 ? true : undefined));
    assert.deepEqual(got, ['one', 'two', 'three']);
  } finally {
    await sql.end();
  }
});
