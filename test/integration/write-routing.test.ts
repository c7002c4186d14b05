// Transparent write routing with real processes: a primary in sync mode and a standby started with
// seed 001's CLI lines. Writes on the standby run on the primary and answer as if local (command
// tag, RETURNING rows, SQLSTATEs); a transaction block from its first write runs there as a whole;
// prepared statements route with their parameters; a session reads its own writes on the standby
// at once (1,000 times, also where the commit's acknowledgement does not wait for that standby); an
// async primary's standby refuses writes (25006) unless route_writes_in_async; pgbench -i lands on
// the primary; a client leaving or the primary dying mid-block never leaves a half-done write.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'write-routing-test-secret';
const configToml = '[ha]\nsync_timeout_ms = 10000\n';

let primary: NodeProcess;
let standby: NodeProcess;
const extra: NodeProcess[] = [];

async function connect(node: NodeProcess): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: node.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function q(node: NodeProcess, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = await connect(node);
  try {
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

const errorOf = (p: Promise<unknown>): Promise<pg.DatabaseError | null> =>
  p.then(
    () => null,
    (e: pg.DatabaseError) => e,
  );

async function linked(p: NodeProcess, n: number): Promise<void> {
  await eventually(`${n} standby linked to ${p.nodeId}`, 20_000, async () =>
    (await q(p, 'SELECT standby_count FROM pg_replication_status'))[0]?.standby_count === n
      ? true
      : undefined,
  );
}

function startStandby(id: string, of: NodeProcess): Promise<NodeProcess> {
  return NodeProcess.start({
    nodeId: id,
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${of.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
}

before(async () => {
  primary = await NodeProcess.start({
    nodeId: 'wr-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'synchronous' },
    configToml,
  });
  standby = await startStandby('wr-standby', primary);
  await linked(primary, 1);
  await q(primary, 'CREATE TABLE users (id int PRIMARY KEY, name text)');
  await eventually('standby to hold users', 20_000, async () =>
    (await errorOf(q(standby, 'SELECT * FROM users'))) === null ? true : undefined,
  );
  // The standby learned the primary's sync mode.
  await eventually('standby to know the sync mode', 20_000, async () =>
    (await q(standby, 'SELECT sync_mode FROM pg_replication_status'))[0]?.sync_mode === 'sync'
      ? true
      : undefined,
  );
});

after(async () => {
  for (const n of [primary, standby, ...extra]) await n?.cleanup();
});

test("seed 001's TWR example: INSERT on a standby returns INSERT 0 1 and the row is on the primary", async () => {
  const c = await connect(standby);
  try {
    const r = await c.query("INSERT INTO users VALUES (3, 'Charlie')");
    assert.equal(r.command, 'INSERT');
    assert.equal(r.rowCount, 1);
    // Read-your-writes: the standby's next read sees it.
    assert.deepEqual((await c.query('SELECT * FROM users WHERE id = 3')).rows, [{ id: 3, name: 'Charlie' }]);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT * FROM users WHERE id = 3'), [{ id: 3, name: 'Charlie' }]);
});

test('through psql: the command tag is INSERT 0 1', async (t) => {
  if (spawnSync('psql', ['--version']).status !== 0) {
    t.skip('psql is not installed');
    return;
  }
  const out = execFileSync(
    'psql',
    ['-X', '-d', standby.connectionString, '-c', "INSERT INTO users VALUES (40, 'Psql')"],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(out.trim(), 'INSERT 0 1');
  assert.deepEqual(await q(primary, 'SELECT name FROM users WHERE id = 40'), [{ name: 'Psql' }]);
});

test('RETURNING rows come back with their types; UPDATE and DELETE tags', async () => {
  const c = await connect(standby);
  try {
    const r = await c.query(
      "INSERT INTO users VALUES (4, 'Dana'), (5, 'Eve') RETURNING id, name, id * 2 AS twice",
    );
    assert.equal(r.command, 'INSERT');
    assert.equal(r.rowCount, 2);
    assert.deepEqual(r.rows, [
      { id: 4, name: 'Dana', twice: 8 },
      { id: 5, name: 'Eve', twice: 10 },
    ]);
    assert.deepEqual(
      r.fields.map((f) => f.dataTypeID),
      [23, 25, 23],
    );
    const u = await c.query("UPDATE users SET name = 'Evelyn' WHERE id = 5");
    assert.equal(u.command, 'UPDATE');
    assert.equal(u.rowCount, 1);
    const d = await c.query('DELETE FROM users WHERE id = 4');
    assert.equal(d.command, 'DELETE');
    assert.equal(d.rowCount, 1);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT id, name FROM users WHERE id IN (4, 5) ORDER BY id'), [
    { id: 5, name: 'Evelyn' },
  ]);
});

test('a unique violation comes back with its SQLSTATE, message and detail', async () => {
  const e = await errorOf(q(standby, "INSERT INTO users VALUES (3, 'again')"));
  assert.equal(e?.code, '23505');
  assert.equal(e?.message, 'duplicate key value violates unique constraint "users_pkey"');
  assert.equal(e?.detail, 'Key (id)=(3) already exists.');
});

test('a transaction block is routed as a whole from its first write', async () => {
  const c = await connect(standby);
  try {
    await c.query('BEGIN');
    await c.query("INSERT INTO users VALUES (10, 'Ten')");
    // Inside the block the read runs on the primary and sees the block's write.
    assert.deepEqual((await c.query('SELECT name FROM users WHERE id = 10')).rows, [{ name: 'Ten' }]);
    await c.query('ROLLBACK');
    assert.deepEqual((await c.query('SELECT name FROM users WHERE id = 10')).rows, []);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT * FROM users WHERE id = 10'), []);
  // A failed block answers 25P02 until ROLLBACK, then the session works again.
  const c2 = await connect(standby);
  try {
    await c2.query('BEGIN');
    await c2.query("INSERT INTO users VALUES (11, 'Eleven')");
    assert.equal((await errorOf(c2.query("INSERT INTO users VALUES (11, 'dup')")))?.code, '23505');
    assert.equal((await errorOf(c2.query('SELECT 1')))?.code, '25P02');
    await c2.query('ROLLBACK');
    await c2.query('BEGIN');
    await c2.query("INSERT INTO users VALUES (12, 'Twelve')");
    await c2.query('COMMIT');
    assert.deepEqual((await c2.query('SELECT id FROM users WHERE id IN (11, 12)')).rows, [{ id: 12 }]);
  } finally {
    await c2.end();
  }
});

test('prepared statements route with their parameters; settings are replayed upstream', async () => {
  const c = await connect(standby);
  try {
    for (let i = 20; i < 25; i++) {
      const r = await c.query({
        name: 'ins',
        text: 'INSERT INTO users VALUES ($1, $2) RETURNING id',
        values: [i, `u${i}`],
      });
      assert.deepEqual(r.rows, [{ id: i }]);
    }
    await c.query("SET application_name = 'wr-app'");
    const r = await c.query(
      "INSERT INTO users VALUES (30, current_setting('application_name')) RETURNING name",
    );
    assert.deepEqual(r.rows, [{ name: 'wr-app' }]);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM users WHERE id BETWEEN 20 AND 24'), [
    { n: 5 },
  ]);
});

test('a multi-statement query, nextval() and SELECT ... FOR UPDATE route; COPY FROM through psql', async (t) => {
  const c = await connect(standby);
  try {
    // One implicit transaction upstream: the second statement fails, so neither row stays.
    const e = await errorOf(
      c.query("INSERT INTO users VALUES (50, 'a'); INSERT INTO users VALUES (50, 'b')"),
    );
    assert.equal(e?.code, '23505');
    await c.query("INSERT INTO users VALUES (51, 'a'); INSERT INTO users VALUES (52, 'b')");
    assert.deepEqual((await c.query('SELECT id FROM users WHERE id BETWEEN 50 AND 52 ORDER BY id')).rows, [
      { id: 51 },
      { id: 52 },
    ]);
    await c.query('CREATE SEQUENCE wr_seq');
    assert.deepEqual((await c.query("SELECT nextval('wr_seq') AS n")).rows, [{ n: '1' }]);
    assert.deepEqual((await c.query("SELECT nextval('wr_seq') AS n")).rows, [{ n: '2' }]);
    await c.query('BEGIN');
    assert.deepEqual((await c.query('SELECT name FROM users WHERE id = 51 FOR UPDATE')).rows, [
      { name: 'a' },
    ]);
    await c.query("UPDATE users SET name = 'locked' WHERE id = 51");
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, "SELECT nextval('wr_seq') AS n"), [{ n: '3' }]);
  assert.deepEqual(await q(primary, 'SELECT name FROM users WHERE id = 51'), [{ name: 'locked' }]);
  if (spawnSync('psql', ['--version']).status !== 0) {
    t.skip('psql is not installed: COPY FROM not checked');
    return;
  }
  const out = execFileSync('psql', ['-X', '-d', standby.connectionString, '-c', 'COPY users FROM STDIN'], {
    encoding: 'utf8',
    input: '60\tsixty\n61\tsixty-one\n',
  });
  assert.equal(out.trim(), 'COPY 2');
  assert.deepEqual(await q(primary, 'SELECT id FROM users WHERE id IN (60, 61) ORDER BY id'), [
    { id: 60 },
    { id: 61 },
  ]);
});

test('extended protocol inside a routed block: a statement naming a table the block created', async () => {
  const c = await connect(standby);
  try {
    await c.query('BEGIN');
    await c.query('CREATE TABLE wr_new (id int PRIMARY KEY, note text)');
    const r = await c.query('INSERT INTO wr_new VALUES ($1, $2) RETURNING id, note', [1, 'x']);
    assert.deepEqual(r.rows, [{ id: 1, note: 'x' }]);
    assert.deepEqual((await c.query('SELECT note FROM wr_new WHERE id = $1', [1])).rows, [{ note: 'x' }]);
    await c.query('COMMIT');
    // Planned on the standby once the block is over (and the table applied here).
    assert.deepEqual((await c.query('SELECT note FROM wr_new WHERE id = $1', [1])).rows, [{ note: 'x' }]);
  } finally {
    await c.end();
  }
});

test('read-your-writes: 1,000 writes through the standby, each read back at once, never stale', async () => {
  const c = await connect(standby);
  try {
    await c.query('CREATE TABLE ryw (k int PRIMARY KEY, v int)');
    await c.query('INSERT INTO ryw VALUES (1, 0)');
    for (let i = 1; i <= 1000; i++) {
      await c.query('UPDATE ryw SET v = $1 WHERE k = 1', [i]);
      const r = await c.query('SELECT v FROM ryw WHERE k = 1');
      assert.deepEqual(r.rows, [{ v: i }], `iteration ${i}`);
    }
    const lsn = (await c.query('SELECT replicate.last_commit_lsn() AS lsn')).rows[0].lsn;
    assert.ok(Number(lsn) > 0);
    assert.deepEqual((await c.query('SELECT replicate.wait_for_lsn($1, 1000) AS ok', [lsn])).rows, [
      { ok: true },
    ]);
  } finally {
    await c.end();
  }
});

test('async mode without route_writes_in_async refuses writes on a standby (25006)', async () => {
  const p = await NodeProcess.start({
    nodeId: 'wr-async-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
  });
  extra.push(p);
  const s = await startStandby('wr-async-standby', p);
  extra.push(s);
  await linked(p, 1);
  await q(p, 'CREATE TABLE a_items (id int PRIMARY KEY)');
  await eventually('standby to hold a_items', 20_000, async () =>
    (await errorOf(q(s, 'SELECT * FROM a_items'))) === null ? true : undefined,
  );
  const e = await errorOf(q(s, 'INSERT INTO a_items VALUES (1)'));
  assert.equal(e?.code, '25006');
  assert.equal(e?.message, 'cannot execute INSERT in a read-only transaction');
});

test('read-your-writes where the acknowledgement does not wait for the standby (async, route_writes_in_async)', async () => {
  // The async primary of the test above.
  const p = extra.find((n) => n.nodeId === 'wr-async-primary')!;
  const s = await NodeProcess.start({
    nodeId: 'wr-async-routed',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${p.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: '[ha]\nroute_writes_in_async = true\n',
  });
  extra.push(s);
  await linked(p, 2);
  await eventually('standby to hold a_items', 20_000, async () =>
    (await errorOf(q(s, 'SELECT * FROM a_items'))) === null ? true : undefined,
  );
  const c = await connect(s);
  // 300 rounds (the sync test above runs the 1,000): without the wait, the first is stale.
  const rounds = 300;
  try {
    await c.query('INSERT INTO a_items VALUES (0)');
    for (let i = 1; i <= rounds; i++) {
      await c.query('UPDATE a_items SET id = $1 WHERE id = $2', [i, i - 1]);
      assert.deepEqual((await c.query('SELECT id FROM a_items')).rows, [{ id: i }], `iteration ${i}`);
    }
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(p, 'SELECT id FROM a_items'), [{ id: rounds }]);
});

test('pgbench -i -s 1 against the standby lands on the primary', async (t) => {
  if (spawnSync('pgbench', ['--version']).status !== 0) {
    t.skip('pgbench is not installed');
    return;
  }
  execFileSync('pgbench', ['-i', '-s', '1', '-q', standby.connectionString], { stdio: 'pipe' });
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM pgbench_accounts'), [{ n: 100_000 }]);
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM pgbench_branches'), [{ n: 1 }]);
});

test('a client that leaves in a routed block: the primary rolls it back and frees the writer', async () => {
  const c = await connect(standby);
  await c.query('BEGIN');
  await c.query("INSERT INTO users VALUES (70, 'left')");
  await c.end();
  // The writer is free again (the routed session closed), and the row was never committed.
  await eventually('the primary to take a write again', 20_000, async () =>
    (await errorOf(q(primary, "INSERT INTO users VALUES (71, 'after')"))) === null ? true : undefined,
  );
  assert.deepEqual(await q(primary, 'SELECT id FROM users WHERE id IN (70, 71) ORDER BY id'), [{ id: 71 }]);
});

// Last: it kills the primary.
test('the primary goes away during a routed block: a clear 08xxx error, ROLLBACK works, nothing replayed', async () => {
  const c = await connect(standby);
  try {
    await c.query('BEGIN');
    await c.query("INSERT INTO users VALUES (80, 'lost')");
    await primary.kill();
    const e = await errorOf(c.query("INSERT INTO users VALUES (81, 'lost')"));
    assert.match(e?.code ?? '', /^08/);
    assert.match(e?.message ?? '', /primary/);
    await c.query('ROLLBACK');
    // Reads still run on the standby; writes say the primary is not reachable.
    assert.deepEqual((await c.query('SELECT id FROM users WHERE id IN (80, 81)')).rows, []);
    const w = await errorOf(c.query("INSERT INTO users VALUES (82, 'no primary')"));
    assert.equal(w?.code, '08006');
  } finally {
    await c.end();
  }
});
