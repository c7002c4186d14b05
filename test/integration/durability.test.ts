// Durability of a real server process: clean shutdown (SIGTERM) keeps committed data and rolls back open
// transactions; SIGKILL under concurrent load loses no acknowledged write, invents no row, keeps the
// replication log consistent with the table (replay), keeps origin_seq gapless and the database intact.
// Runs with synchronous = "full" (default) and "normal", three kill/restart cycles on one data dir.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { seededRandom } from '../../src/testing/random.js';
import { NodeProcess } from '../support/launcher.js';

const nodes: NodeProcess[] = [];

after(async () => {
  for (const n of nodes) await n.cleanup();
});

async function startNode(opts: Parameters<typeof NodeProcess.start>[0] = {}): Promise<NodeProcess> {
  const n = await NodeProcess.start(opts);
  nodes.push(n);
  return n;
}

async function withClient<T>(node: NodeProcess, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: node.connectionString });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function tableRows(c: pg.Client, table = 't'): Promise<Map<number, number>> {
  const res = await c.query<{ id: unknown; v: unknown }>(`SELECT id, v FROM ${table} ORDER BY id`);
  return new Map(res.rows.map((r) => [Number(r.id), Number(r.v)]));
}

/** Polls `probe` until it returns true or the deadline passes (then fails with `what`). */
async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

/** True when a TCP connection to the port is refused (the listener is closed). */
function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('clean shutdown (SIGTERM)', () => {
  test('committed rows survive SIGTERM + restart, exit code 0', async () => {
    const node = await startNode();
    await withClient(node, async (c) => {
      await c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
      for (let i = 1; i <= 50; i++) await c.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, i * 10]);
      await c.query('BEGIN');
      for (let i = 51; i <= 60; i++) await c.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, i * 10]);
      await c.query('COMMIT');
      await c.query('UPDATE t SET v = -1 WHERE id = 7');
      await c.query('DELETE FROM t WHERE id = 8');
    });
    const exit = await node.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, node.logs());
    await node.restart();
    const rows = await withClient(node, (c) => tableRows(c));
    const expected = new Map<number, number>();
    for (let i = 1; i <= 60; i++) if (i !== 8) expected.set(i, i === 7 ? -1 : i * 10);
    assert.deepEqual(rows, expected);
    await node.stop();
  });

  test('open transaction at shutdown is rolled back; committed data kept; clients get 57P01', async () => {
    const node = await startNode();
    await withClient(node, async (c) => {
      await c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
      for (let i = 1; i <= 5; i++) await c.query('INSERT INTO t (id, v) VALUES ($1, $2)', [i, i]);
    });
    const errors = new Map<string, { code?: string }[]>([
      ['tx', []],
      ['idle', []],
    ]);
    const txClient = new pg.Client({ connectionString: node.connectionString });
    const idleClient = new pg.Client({ connectionString: node.connectionString });
    txClient.on('error', (e) => errors.get('tx')!.push(e as { code?: string }));
    idleClient.on('error', (e) => errors.get('idle')!.push(e as { code?: string }));
    await txClient.connect();
    await idleClient.connect();
    await txClient.query('BEGIN');
    await txClient.query('INSERT INTO t (id, v) VALUES (100, 100), (101, 101)');
    await txClient.query('UPDATE t SET v = 99 WHERE id = 1');
    await txClient.query('DELETE FROM t WHERE id = 2');
    // The transaction sees its own uncommitted changes.
    assert.equal(Number((await txClient.query('SELECT count(*) AS n FROM t')).rows[0].n), 6);

    const exit = await node.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, node.logs());
    await waitFor('idle client told 57P01', () => errors.get('idle')!.some((e) => e.code === '57P01'));
    await waitFor('in-transaction client told 57P01', () =>
      errors.get('tx')!.some((e) => e.code === '57P01'),
    );
    await txClient.end().catch(() => undefined);
    await idleClient.end().catch(() => undefined);

    await node.restart();
    const rows = await withClient(node, (c) => tableRows(c));
    assert.deepEqual(
      rows,
      new Map([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 5],
      ]),
    );
    await node.stop();
  });

  test('a transaction may still COMMIT during the shutdown grace period and is durable', async () => {
    const node = await startNode();
    await withClient(node, (c) => c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)'));
    const txErrors: { code?: string }[] = [];
    const txClient = new pg.Client({ connectionString: node.connectionString });
    txClient.on('error', (e) => txErrors.push(e as { code?: string }));
    await txClient.connect();
    await txClient.query('BEGIN');
    await txClient.query('INSERT INTO t (id, v) VALUES (200, 1)');
    const stopping = node.stop('SIGTERM');
    // The PostgreSQL listener closes as soon as shutdown begins.
    await waitFor('pg listener closed', () => connectRefused(node.pgPort));
    await txClient.query('INSERT INTO t (id, v) VALUES (201, 1)');
    await txClient.query('COMMIT');
    const exit = await stopping;
    assert.deepEqual(exit, { code: 0, signal: null }, node.logs());
    await waitFor('client told 57P01 after its transaction', () => txErrors.some((e) => e.code === '57P01'));
    await txClient.end().catch(() => undefined);
    await node.restart();
    const rows = await withClient(node, (c) => tableRows(c));
    assert.deepEqual(
      rows,
      new Map([
        [200, 1],
        [201, 1],
      ]),
    );
    await node.stop();
  });
});

// ---------------------------------------------------------------------------------------------------
// SIGKILL under load

type State = number | null; // the row's v, or null when absent

interface Op {
  /** tx: a transaction statement by statement; batch: the same one sent whole (it runs in a commit group). */
  kind: 'ins' | 'tx' | 'batch' | 'del';
  ids: number[];
  /** Row states before the op and after it committed: after a crash the rows must match one of the two. */
  before: State[];
  after: State[];
}

interface Model {
  /** Every id any INSERT ever tried. */
  attempted: Set<number>;
  /** Rows known present (acknowledged, not deleted) with their value. */
  confirmed: Map<number, number>;
  /** Per client: confirmed ids it may delete later (persisted across cycles). */
  pools: number[][];
}

interface CycleResult {
  acked: number[];
  uncertain: Op[];
  unexpected: unknown[];
}

const clients = 8;
const loadMs = 1500;

async function runLoadAndKill(
  node: NodeProcess,
  model: Model,
  cycle: number,
  rand: () => number,
  signal: 'SIGKILL' | 'SIGTERM',
): Promise<CycleResult> {
  const ctl = { killed: false, stop: false };
  const result: CycleResult = { acked: new Array(clients).fill(0), uncertain: [], unexpected: [] };
  const conns: pg.Client[] = [];
  for (let k = 0; k < clients; k++) {
    const c = new pg.Client({ connectionString: node.connectionString });
    c.on('error', () => undefined); // the connection dies with the server
    await c.connect();
    conns.push(c);
  }
  const loop = async (k: number): Promise<void> => {
    const c = conns[k]!;
    const pool = model.pools[k]!;
    let counter = 0;
    const nextId = (): number => k * 10_000_000 + cycle * 1_000_000 + ++counter;
    while (!ctl.stop) {
      const r = rand();
      let op: Op;
      if (r < 0.15 && pool.length > 0) {
        const idx = Math.floor(rand() * pool.length);
        const id = pool[idx]!;
        pool.splice(idx, 1);
        op = { kind: 'del', ids: [id], before: [model.confirmed.get(id)!], after: [null] };
      } else if (r < 0.6) {
        const id = nextId();
        op = { kind: 'ins', ids: [id], before: [null], after: [1] };
      } else {
        const a = nextId();
        const b = nextId();
        op = { kind: r < 0.8 ? 'tx' : 'batch', ids: [a, b], before: [null, null], after: [2, 1] };
      }
      if (op.kind !== 'del') for (const id of op.ids) model.attempted.add(id);
      try {
        if (op.kind === 'ins') {
          await c.query('INSERT INTO t (id, v) VALUES ($1, 1)', [op.ids[0]]);
        } else if (op.kind === 'tx') {
          await c.query('BEGIN');
          await c.query('INSERT INTO t (id, v) VALUES ($1, 1)', [op.ids[0]]);
          await c.query('INSERT INTO t (id, v) VALUES ($1, 1)', [op.ids[1]]);
          await c.query('UPDATE t SET v = 2 WHERE id = $1', [op.ids[0]]);
          await c.query('COMMIT');
        } else if (op.kind === 'batch') {
          const [a, b] = op.ids;
          await c.query(
            `BEGIN; INSERT INTO t (id, v) VALUES (${a}, 1); INSERT INTO t (id, v) VALUES (${b}, 1); UPDATE t SET v = 2 WHERE id = ${a}; COMMIT`,
          );
        } else {
          const res = await c.query('DELETE FROM t WHERE id = $1', [op.ids[0]]);
          if (res.rowCount !== 1)
            result.unexpected.push(new Error(`DELETE of confirmed ${op.ids[0]} hit ${res.rowCount}`));
        }
      } catch (e) {
        if (ctl.killed) result.uncertain.push(op);
        else result.unexpected.push(e);
        // Like an application: give up the connection (and any failed transaction) on error, so a
        // SIGTERM shutdown is not kept waiting for the grace period by idle failed transactions.
        await c.end().catch(() => undefined);
        return;
      }
      // Acknowledged: the model now requires the op's "after" state.
      result.acked[k]!++;
      op.ids.forEach((id, i) => {
        const s = op.after[i]!;
        if (s === null) model.confirmed.delete(id);
        else {
          model.confirmed.set(id, s);
          pool.push(id);
        }
      });
    }
  };
  const loops = conns.map((_, k) => loop(k));
  await new Promise((r) => setTimeout(r, loadMs)); // load duration, not a wait for a condition
  ctl.killed = true;
  const exit = signal === 'SIGKILL' ? await node.kill() : await node.stop('SIGTERM');
  ctl.stop = true;
  if (signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
  else
    assert.deepEqual(
      exit,
      { code: 0, signal: null },
      `clean shutdown under load failed\n${node.logs().slice(-4000)}`,
    );
  await Promise.all(loops);
  await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
  return result;
}

interface LogRow {
  lsn: unknown;
  origin: string;
  origin_seq: unknown;
  txid: unknown;
  table_name: string;
  primary_key: unknown;
  operation: string;
  columns: unknown;
}

const asJson = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

async function verifyAfterRestart(node: NodeProcess, model: Model, uncertain: Op[]): Promise<void> {
  await withClient(node, async (c) => {
    const actual = await tableRows(c);
    const stateOf = (id: number): State => actual.get(id) ?? null;

    // No row that was never attempted.
    for (const id of actual.keys())
      assert.ok(model.attempted.has(id), `row ${id} was never inserted by the test`);

    // In-flight ops: all-or-nothing (atomic), either the before or the after state.
    const inFlight = new Set<number>();
    for (const op of uncertain) {
      const got = op.ids.map(stateOf);
      const ok =
        JSON.stringify(got) === JSON.stringify(op.before) || JSON.stringify(got) === JSON.stringify(op.after);
      assert.ok(
        ok,
        `in-flight ${op.kind} on ${op.ids}: got ${JSON.stringify(got)}, expected ${JSON.stringify(op.before)} or ${JSON.stringify(op.after)}`,
      );
      for (const id of op.ids) inFlight.add(id);
    }
    // Everything else exactly as acknowledged.
    let lost = 0;
    let wrong = 0;
    const examples: string[] = [];
    for (const id of model.attempted) {
      if (inFlight.has(id)) continue;
      const want = model.confirmed.get(id) ?? null;
      const got = stateOf(id);
      if (want !== got) {
        if (got === null) lost++;
        else wrong++;
        if (examples.length < 5) examples.push(`id ${id}: want ${want} got ${got}`);
      }
    }
    assert.equal(
      lost + wrong,
      0,
      `${lost} acknowledged rows lost, ${wrong} rows with wrong state: ${examples.join('; ')}`,
    );

    // Resolve in-flight ops to what actually happened, for the next cycle.
    for (const op of uncertain) {
      for (const id of op.ids) {
        const s = stateOf(id);
        if (s === null) model.confirmed.delete(id);
        else {
          model.confirmed.set(id, s);
          model.pools[Math.floor(id / 10_000_000)]!.push(id);
        }
      }
    }

    // The replication log replays to exactly the table.
    const log = (
      await c.query<LogRow>(
        'SELECT lsn, origin, origin_seq, txid, table_name, primary_key, operation, columns FROM replicate.log ORDER BY lsn',
      )
    ).rows;
    const replay = new Map<string, Record<string, unknown>>();
    let prevLsn = 0;
    for (const e of log) {
      const lsn = Number(e.lsn);
      assert.ok(lsn > prevLsn, `log lsn not increasing: ${prevLsn} then ${lsn}`);
      prevLsn = lsn;
      if (e.table_name !== 't' || e.operation === 'DDL') continue;
      const key = JSON.stringify(asJson(e.primary_key));
      const cols = (asJson(e.columns) ?? {}) as Record<string, unknown>;
      if (e.operation === 'INSERT') {
        assert.ok(!replay.has(key), `log INSERT of existing key ${key} at lsn ${lsn}`);
        replay.set(key, { ...cols });
      } else if (e.operation === 'UPDATE') {
        assert.ok(replay.has(key), `log UPDATE of missing key ${key} at lsn ${lsn}`);
        Object.assign(replay.get(key)!, cols);
      } else if (e.operation === 'DELETE') {
        assert.ok(replay.delete(key), `log DELETE of missing key ${key} at lsn ${lsn}`);
      } else assert.fail(`unexpected log operation ${e.operation}`);
    }
    const replayed = new Map([...replay.values()].map((r) => [Number(r.id), Number(r.v)]));
    assert.equal(replayed.size, actual.size, 'replayed log and table differ in row count');
    assert.deepEqual(replayed, actual, 'replaying replicate.log does not reproduce table t');

    // origin_seq: 1..N without gaps, one per transaction of this node.
    const seqByTx = new Map<string, number>();
    for (const e of log) {
      if (e.origin !== node.nodeId) continue;
      const tx = String(e.txid);
      const seq = Number(e.origin_seq);
      const prev = seqByTx.get(tx);
      assert.ok(prev === undefined || prev === seq, `txid ${tx} has origin_seq ${prev} and ${seq}`);
      seqByTx.set(tx, seq);
    }
    const seqs = [...new Set(seqByTx.values())].sort((a, b) => a - b);
    assert.equal(seqs.length, seqByTx.size, 'two transactions share an origin_seq');
    assert.equal(seqs[seqs.length - 1], seqs.length, 'origin_seq has gaps (max != number of transactions)');
    assert.equal(seqs[0], 1);

    const integrity = await c.query<{ integrity_check: string }>('PRAGMA integrity_check');
    assert.deepEqual(
      integrity.rows.map((r) => r.integrity_check),
      ['ok'],
    );
  });
}

async function killCycles(
  node: NodeProcess,
  cycles: number,
  seed: number,
  signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL',
): Promise<void> {
  const rand = seededRandom(seed);
  await withClient(node, (c) => c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)'));
  const model: Model = {
    attempted: new Set(),
    confirmed: new Map(),
    pools: Array.from({ length: clients }, () => []),
  };
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const r = await runLoadAndKill(node, model, cycle, rand, signal);
    assert.deepEqual(r.unexpected, [], `errors before the kill (seed ${seed}, cycle ${cycle})`);
    // Every client was stopped by the kill in the middle of an operation.
    assert.equal(r.uncertain.length, clients, 'every client should have had an operation in flight');
    console.log(
      `cycle ${cycle}: ${r.acked.reduce((a, b) => a + b, 0)} ops acknowledged, ${r.uncertain.length} in flight, ${model.confirmed.size} rows expected`,
    );
    for (let k = 0; k < clients; k++)
      assert.ok(r.acked[k]! > 0, `client ${k} got no write acknowledged in cycle ${cycle}`);
    await node.restart();
    await verifyAfterRestart(node, model, r.uncertain);
  }
  assert.ok(model.confirmed.size > 0);
  await node.stop();
}

describe('SIGKILL under concurrent load', () => {
  test('synchronous = full (default): 3 kill/restart cycles lose nothing acknowledged', async () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`durability seed ${seed}`);
    const node = await startNode();
    await killCycles(node, 3, seed);
  });

  test('synchronous = "normal": 2 kill/restart cycles, process SIGKILL still loses nothing acknowledged', async () => {
    const seed = Number(process.env.TEST_SEED ?? (Date.now() + 1) % 1_000_000);
    console.log(`durability (normal) seed ${seed}`);
    const node = await startNode({ configToml: '[server]\nsynchronous = "normal"\n' });
    // Two cycles (not three) keep this file within its time budget; the default mode runs three.
    await killCycles(node, 2, seed);
  });

  test('SIGTERM under the same load: exit code 0 and nothing acknowledged lost', async () => {
    const seed = Number(process.env.TEST_SEED ?? (Date.now() + 2) % 1_000_000);
    console.log(`durability (SIGTERM) seed ${seed}`);
    const node = await startNode();
    await killCycles(node, 1, seed, 'SIGTERM');
  });
});
