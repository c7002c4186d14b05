// Write routing's forwarded units with real processes (a sync primary and its standby): COPY FROM
// through a standby goes to the primary in chunks inside its transaction (psql; pgbench -i timed
// against the primary directly); SQL PREPARE / EXECUTE / DEALLOCATE of a write route; enum result
// columns keep the primary's type OIDs (pg, psql); a routed result past [ha]
// routed_result_bytes_max fails with 54000 and is undone; a forwarded write of another epoch is
// refused with 40001 and counted (a peer that dials the primary as a standby would).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import type { Link, PeerMessage } from '../../src/replication/link/link.js';
import { TcpPeerNetwork } from '../../src/replication/link/transport.js';
import { NodeProcess } from '../support/launcher.js';
import { findPgbench } from '../support/pgbench.js';
import { findPsql, runPsql } from '../support/psql.js';
import { eventually } from '../support/wait.js';

const secret = 'write-routing-units-secret';
/** routed_result_bytes_max small enough for a test to pass it with a few thousand rows. */
const resultBytesMax = 200_000;
const configToml = `[ha]\nsync_timeout_ms = 10000\nrouted_result_bytes_max = ${resultBytesMax}\n`;

let primary: NodeProcess;
let standby: NodeProcess;
const closers: (() => Promise<void>)[] = [];

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

before(async () => {
  primary = await NodeProcess.start({
    nodeId: 'wu-primary',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'synchronous' },
    configToml,
  });
  standby = await NodeProcess.start({
    nodeId: 'wu-standby',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${primary.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  await eventually('the standby to know the sync mode', 20_000, async () =>
    (await q(standby, 'SELECT sync_mode FROM pg_replication_status'))[0]?.sync_mode === 'sync'
      ? true
      : undefined,
  );
});

after(async () => {
  for (const c of closers) await c();
  for (const n of [primary, standby]) await n?.cleanup();
});

test('COPY FROM through the standby (psql): chunks inside one transaction, a bad row undoes all', async (t) => {
  const psql = findPsql();
  if (!psql) {
    t.skip('psql is not installed');
    return;
  }
  await q(standby, 'CREATE TABLE wu_copy (id int PRIMARY KEY, note text)');
  // ~20 chunks of copyChunkBytesMax (256 KiB).
  const rows = 50_000;
  const note = 'n'.repeat(100);
  const data = Array.from({ length: rows }, (_, i) => `${i}\t${note}\n`).join('');
  const ok = await runPsql(psql, {
    port: standby.pgPort,
    args: ['-c', 'COPY wu_copy FROM STDIN'],
    input: data,
    timeoutMs: 120_000,
  });
  assert.equal(ok.stderr, '');
  assert.equal(ok.stdout.trim(), `COPY ${rows}`);
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n, max(id) AS m FROM wu_copy'), [
    { n: rows, m: rows - 1 },
  ]);
  // A bad row after several chunks went upstream: the error, and none of the rows stay.
  const bad = `${Array.from({ length: 10_000 }, (_, i) => `${rows + i}\t${note}\n`).join('')}oops\tx\n`;
  const failed = await runPsql(psql, {
    port: standby.pgPort,
    args: ['-c', 'COPY wu_copy FROM STDIN'],
    input: bad,
    timeoutMs: 120_000,
  });
  assert.match(failed.stderr, /invalid input syntax for type integer: "oops"/);
  // Inside a client's block: COPY's rows roll back with it.
  const block = await runPsql(psql, {
    port: standby.pgPort,
    args: ['-c', 'BEGIN', '-c', 'COPY wu_copy FROM STDIN', '-c', 'ROLLBACK'],
    input: `${Array.from({ length: 5000 }, (_, i) => `${rows + 20_000 + i}\tb\n`).join('')}`,
    timeoutMs: 120_000,
  });
  assert.equal(block.stderr, '');
  assert.match(block.stdout, /COPY 5000/);
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM wu_copy'), [{ n: rows }]);
  assert.deepEqual(await q(standby, 'SELECT count(*)::int AS n FROM wu_copy'), [{ n: rows }]);
});

test('pgbench -i -s 1: through the standby, and on the primary directly (times printed)', async (t) => {
  const found = findPgbench();
  if ('skip' in found) {
    t.skip(found.skip);
    return;
  }
  const timed = (node: NodeProcess): number => {
    const start = performance.now();
    execFileSync(found.path, ['-i', '-s', '1', '-q', node.connectionString], { stdio: 'pipe' });
    return (performance.now() - start) / 1000;
  };
  const onPrimary = timed(primary);
  const viaStandby = timed(standby);
  t.diagnostic(
    `pgbench -i -s 1: primary ${onPrimary.toFixed(2)} s, via the standby ${viaStandby.toFixed(2)} s`,
  );
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM pgbench_accounts'), [{ n: 100_000 }]);
  assert.deepEqual(await q(standby, 'SELECT count(*)::int AS n FROM pgbench_accounts'), [{ n: 100_000 }]);
});

test('SQL PREPARE / EXECUTE / DEALLOCATE of a write on the standby route its statement', async () => {
  await q(primary, 'CREATE TABLE wu_prep (id int PRIMARY KEY, note text)');
  await eventually('the standby to hold wu_prep', 20_000, async () =>
    (await errorOf(q(standby, 'SELECT * FROM wu_prep'))) === null ? true : undefined,
  );
  const c = await connect(standby);
  try {
    assert.equal(
      (await c.query('PREPARE wu_ins (int, text) AS INSERT INTO wu_prep VALUES ($1, $2) RETURNING id, note'))
        .command,
      'PREPARE',
    );
    const r = await c.query("EXECUTE wu_ins(1, 'one')");
    assert.equal(r.command, 'INSERT');
    assert.deepEqual(r.rows, [{ id: 1, note: 'one' }]);
    // Inside a block (the block runs upstream from the EXECUTE on), then rolled back.
    await c.query('BEGIN');
    await c.query("EXECUTE wu_ins(2, 'two')");
    assert.deepEqual((await c.query('SELECT id FROM wu_prep ORDER BY id')).rows, [{ id: 1 }, { id: 2 }]);
    await c.query('ROLLBACK');
    // An error of the routed statement comes back as it is.
    assert.equal((await errorOf(c.query("EXECUTE wu_ins(1, 'again')")))?.code, '23505');
    // PREPARE inside a routed block, EXECUTE with a $n parameter of the extended protocol.
    await c.query('BEGIN');
    await c.query("INSERT INTO wu_prep VALUES (3, 'three')");
    await c.query('PREPARE wu_upd AS UPDATE wu_prep SET note = $1 WHERE id = 3');
    assert.equal((await c.query('EXECUTE wu_upd($1)', ['THREE'])).rowCount, 1);
    await c.query('COMMIT');
    assert.equal((await c.query('DEALLOCATE wu_ins')).command, 'DEALLOCATE');
    assert.equal((await errorOf(c.query("EXECUTE wu_ins(4, 'four')")))?.code, '26000');
    assert.deepEqual((await c.query('SELECT id, note FROM wu_prep ORDER BY id')).rows, [
      { id: 1, note: 'one' },
      { id: 3, note: 'THREE' },
    ]);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT id, note FROM wu_prep ORDER BY id'), [
    { id: 1, note: 'one' },
    { id: 3, note: 'THREE' },
  ]);
});

test("enum result columns keep the primary's type OIDs (pg type parsers, psql)", async () => {
  await q(primary, "CREATE TYPE wu_mood AS ENUM ('sad', 'ok', 'happy')");
  await q(primary, 'CREATE TABLE wu_enum (id int PRIMARY KEY, m wu_mood)');
  await eventually('the standby to hold wu_enum', 20_000, async () =>
    (await errorOf(q(standby, 'SELECT * FROM wu_enum'))) === null ? true : undefined,
  );
  const [{ oid, arr }] = (await q(
    primary,
    "SELECT oid::int AS oid, typarray::int AS arr FROM pg_type WHERE typname = 'wu_mood'",
  )) as { oid: number; arr: number }[];
  assert.ok(oid > 0 && arr > 0);
  const sql = "INSERT INTO wu_enum VALUES ($1, 'ok') RETURNING id, m, ARRAY[m] AS ms";
  const fields = async (node: NodeProcess, id: number): Promise<unknown> => {
    const c = await connect(node);
    try {
      // A parser keyed on the enum's OID: it sees the enum's values only if the OID came through.
      const types = {
        getTypeParser: (typeId: number, format?: string) =>
          typeId === oid ? (v: string) => `mood:${v}` : pg.types.getTypeParser(typeId, format as 'text'),
      };
      const r = await c.query({ text: sql, values: [id], types });
      return { rows: r.rows, fields: r.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]) };
    } finally {
      await c.end();
    }
  };
  const viaStandby = (await fields(standby, 1)) as { rows: unknown[]; fields: unknown[] };
  const onPrimary = (await fields(primary, 2)) as { rows: unknown[]; fields: unknown[] };
  assert.deepEqual(viaStandby.fields, [
    ['id', 23, -1],
    ['m', oid, -1],
    ['ms', arr, -1],
  ]);
  assert.deepEqual(viaStandby.fields, onPrimary.fields);
  assert.deepEqual(viaStandby.rows, [{ id: 1, m: 'mood:ok', ms: '{ok}' }]);
  // A type the routed block created (the standby has not seen it): its OID still comes through.
  const c = await connect(standby);
  try {
    await c.query('BEGIN');
    await c.query("CREATE TYPE wu_new AS ENUM ('x', 'y')");
    // Extended protocol: the standby cannot plan it (it keeps the text for the primary).
    const r = await c.query('SELECT $1::wu_new AS v', ['y']);
    const newOid = (await c.query("SELECT oid::int AS o FROM pg_type WHERE typname = 'wu_new'")).rows[0].o;
    assert.deepEqual(
      r.fields.map((f) => f.dataTypeID),
      [newOid],
    );
    assert.deepEqual(r.rows, [{ v: 'y' }]);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
  const psql = findPsql();
  if (psql) {
    // psql prints the routed RETURNING as it prints the primary's; \gdesc names the enum types.
    const run = async (node: NodeProcess, id: number) =>
      runPsql(psql, {
        port: node.pgPort,
        args: [],
        input: `INSERT INTO wu_enum VALUES (${id}, 'sad') RETURNING m, ARRAY[m] AS ms;\nINSERT INTO wu_enum VALUES (0, 'sad') RETURNING m, ARRAY[m] AS ms \\gdesc\n`,
      });
    const a = await run(standby, 3);
    const b = await run(primary, 4);
    assert.equal(a.stderr, '');
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /m\s+\| wu_mood\n\s*ms\s+\| wu_mood\[\]/);
  }
});

test('a routed result past routed_result_bytes_max: 54000 and the statement is undone', async () => {
  await q(standby, 'CREATE TABLE wu_big (id int PRIMARY KEY, pad text)');
  // 5,000 rows of ~108 bytes each: past 200,000 bytes.
  const big =
    "INSERT INTO wu_big SELECT g, repeat('p', 100) FROM generate_series(1, 5000) g RETURNING id, pad";
  const e = await errorOf(q(standby, big));
  assert.equal(e?.code, '54000');
  assert.match(e?.message ?? '', /larger than 200000 bytes: the statement was undone/);
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM wu_big'), [{ n: 0 }]);
  // The same through the extended protocol, and inside a block (which fails, then rolls back).
  const c = await connect(standby);
  try {
    assert.equal((await errorOf(c.query(big.replace('5000', '$1::int'), [5000])))?.code, '54000');
    await c.query('BEGIN');
    await c.query('INSERT INTO wu_big VALUES (0, $1)', ['kept?']);
    assert.equal((await errorOf(c.query(big)))?.code, '54000');
    assert.equal((await errorOf(c.query('SELECT 1')))?.code, '25P02');
    await c.query('ROLLBACK');
    // Under the limit it works.
    const r = await c.query(big.replace('5000', '100'));
    assert.equal(r.rowCount, 100);
  } finally {
    await c.end();
  }
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM wu_big'), [{ n: 100 }]);
});

/** Joins the primary's peer port as a standby would and sends one fwd_req; resolves with its fwd_end. */
async function forwardAs(epoch: number): Promise<PeerMessage> {
  const got: PeerMessage[] = [];
  const net = new TcpPeerNetwork({
    nodeId: `wu-fake-${epoch}`,
    clusterName: 'chorus',
    clusterSecret: secret,
    bind: null,
    peers: [`127.0.0.1:${primary.haPort}`],
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 5_000,
    replicationTimeoutMs: 5_000,
    frameBytesMax: 8 * 1024 * 1024,
    compression: { enabled: false, thresholdBytes: 1024 },
    sendBufferBytesMax: 4 * 1024 * 1024,
    reconnect: { initialMs: 20, maxMs: 200 },
    logger: pino({ level: 'silent' }),
  });
  let link: Link | null = null;
  await net.start((up) => {
    link = up;
    return { onMessage: (_l, m) => got.push(m), onClose: () => undefined };
  });
  closers.push(() => net.stop());
  await eventually('a link to the primary', 10_000, async () => (link && !link.closed ? true : undefined));
  link!.send({
    t: 'fwd_req',
    sid: 1,
    rid: 1,
    epoch,
    user: 'wu',
    startup: {},
    settings: [],
    reset: [],
    stmts: [{ text: 'CREATE TABLE wu_fenced (id int)', simple: true, params: [], oids: [] }],
  });
  const end = await eventually('the fwd_end', 10_000, async () => got.find((m) => m.t === 'fwd_end'));
  await net.stop();
  return end;
}

async function staleRefused(): Promise<number> {
  const body = await (await fetch(`${primary.httpUrl}/metrics`)).text();
  const m = /^chorus_ha_stale_epoch_refused(?:\{[^}]*\})? (\d+)/m.exec(body);
  assert.ok(m, 'chorus_ha_stale_epoch_refused is exported');
  return Number(m[1]);
}

// Last: a newer epoch fences the primary.
test('a forwarded write from another epoch is refused (40001, counted); a newer one fences the primary', async () => {
  const epoch = Number(
    (await q(standby, 'SELECT fencing_token FROM pg_replication_primary'))[0]?.fencing_token,
  );
  assert.ok(epoch >= 1);
  const before = await staleRefused();
  const older = await forwardAs(epoch - 1);
  assert.deepEqual(
    { code: (older.error as { sqlstate: string }).sqlstate, status: older.status },
    { code: '40001', status: 'I' },
  );
  assert.match((older.error as { message: string }).message, /a failover happened/);
  assert.equal(await staleRefused(), before + 1);
  // The same epoch runs (the fake peer's write is real).
  assert.equal((await forwardAs(epoch)).error, null);
  assert.deepEqual(await q(primary, 'SELECT count(*)::int AS n FROM wu_fenced'), [{ n: 0 }]);
  const newer = await forwardAs(epoch + 1);
  assert.equal((newer.error as { sqlstate: string }).sqlstate, '40001');
  assert.equal(await staleRefused(), before + 2);
  // A standby knew of a newer epoch: this primary was deposed, and takes no more writes.
  await eventually('the primary to step down', 10_000, async () =>
    (await q(primary, 'SELECT role FROM pg_replication_status'))[0]?.role === 'standby' ? true : undefined,
  );
});
