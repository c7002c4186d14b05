// Write routing's peer protocol without sockets: a ForwardServer and a ForwardClient joined by an
// in-memory link. Results stream in chunks and arrive whole; errors keep their fields; the
// session's commit position comes back; limits refuse; a dropped link fails what is in flight
// (08007) and closes the primary's sessions; position waits resolve or time out. Also which
// statements a standby routes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import type { PeerMessage } from '../../src/replication/link/link.js';
import type { PeerHandle } from '../../src/replication/link/peer-extension.js';
import {
  ForwardClient,
  type ForwardedResult,
  type ForwardedSession,
  ForwardServer,
  forwardedSessionsPerStandbyMax,
  forwardRowsPerChunkMax,
  forwardStatementBytesMax,
} from '../../src/replication/standby/write-forward.js';
import { routeOnlyStatement, routesAsWrite } from '../../src/session/write-routing/write-route.js';
import { copyChunkBytesMax } from '../../src/wire/copy-handler.js';
import { fakeTimers } from '../support/fake-timers.js';

interface Harness {
  server: ForwardServer;
  client: ForwardClient;
  sent: PeerMessage[];
  opened: { closed: boolean; user: string }[];
  position: { at: number };
  drop(): void;
  timers: ReturnType<typeof fakeTimers>;
}

/** A node's epoch as routing sees it (epoch.ts's EpochState without its storage). */
function fakeEpoch(current: number) {
  return {
    current,
    refusedStale: 0,
    compare(e: number) {
      return e < current ? ('older' as const) : e > current ? ('newer' as const) : ('same' as const);
    },
  };
}

/** rows: how many rows the fake primary session returns per statement. */
function harness(
  rows = 3,
  lsn = 7,
  epochs = { primary: 1, standby: 1 },
): Harness & { primaryEpoch: ReturnType<typeof fakeEpoch>; fenced: number[]; limits: number[] } {
  const primaryEpoch = fakeEpoch(epochs.primary);
  const fenced: number[] = [];
  const limits: number[] = [];
  const timers = fakeTimers();
  const sent: PeerMessage[] = [];
  const opened: { closed: boolean; user: string }[] = [];
  const position = { at: 0 };
  let linked = true;
  const server = new ForwardServer(
    () => true,
    primaryEpoch,
    (e) => fenced.push(e),
    200_000,
  );
  const toClient: PeerHandle = {
    peerId: 'standby',
    send: (m) => {
      sent.push(m);
      queueMicrotask(() => client.onMessage(toServer, m));
      return true;
    },
    get closed() {
      return !linked;
    },
  };
  const toServer: PeerHandle = {
    peerId: 'primary',
    send: (m) => {
      queueMicrotask(() => server.onMessage(toClient, m));
      return true;
    },
    get closed() {
      return !linked;
    },
  };
  server.runner = {
    open(user): ForwardedSession {
      const o = { closed: false, user };
      opened.push(o);
      let committed: number | null = null;
      return {
        applySettings() {},
        async run(stmt, limit, onResult: (r: ForwardedResult, rows: unknown[][]) => void) {
          limits.push(limit);
          if (stmt.text === 'fail')
            throw new ChorusError('23505', 'duplicate key', { detail: 'Key (id)=(1) already exists.' });
          if (stmt.text === 'commit') committed = lsn;
          const out = Array.from({ length: rows }, (_, i) => [i, Buffer.from([i]), BigInt(i)]);
          onResult({ tag: `SELECT ${rows}`, columns: null, notices: [] }, out);
        },
        get txStatus() {
          return 'I' as const;
        },
        get lastCommitLsn() {
          return committed;
        },
        cancel() {},
        close() {
          o.closed = true;
        },
      };
    },
  };
  const client = new ForwardClient({
    primaryLink: () => (linked ? toServer : null),
    position: () => position.at,
    timers,
    epoch: fakeEpoch(epochs.standby),
    resultBytesMax: 100_000,
  });
  return {
    primaryEpoch,
    fenced,
    limits,
    server,
    client,
    sent,
    opened,
    position,
    timers,
    drop() {
      linked = false;
      client.onClose('primary');
      server.onClose('standby');
    },
  };
}

const head = { user: 'alice', startup: {}, settings: [] as [string, string][], reset: [] as string[] };
const stmt = (text: string) => ({ text, simple: true, params: [], oids: [] });

test('results stream in chunks and arrive whole, values intact; the commit position comes back', async () => {
  const rows = forwardRowsPerChunkMax * 2 + 5;
  const h = harness(rows);
  const reply = await h.client.request(1, head, [stmt('select'), stmt('commit')]);
  assert.equal(reply.results.length, 2);
  const got = reply.results[0]!.rows as unknown[][];
  assert.equal(got.length, rows);
  assert.deepEqual(got[rows - 1], [rows - 1, Buffer.from([(rows - 1) & 0xff]), BigInt(rows - 1)]);
  assert.equal(h.sent.filter((m) => m.t === 'fwd_rows').length, 4);
  assert.equal(reply.lsn, 7);
  assert.equal(reply.status, 'I');
  assert.equal(h.opened[0]!.user, 'alice');
});

test('an error keeps its SQLSTATE and fields; no position without a commit', async () => {
  const h = harness();
  const reply = await h.client.request(1, head, [stmt('select'), stmt('fail'), stmt('select')]);
  assert.equal(reply.results.length, 1);
  assert.equal(reply.error?.sqlstate, '23505');
  assert.equal(reply.error?.detail, 'Key (id)=(1) already exists.');
  assert.equal(reply.lsn, null);
});

test('limits: statement bytes and sessions per standby', async () => {
  const h = harness(0);
  const long = await h.client.request(1, head, [stmt('x'.repeat(forwardStatementBytesMax + 1))]);
  assert.equal(long.error?.sqlstate, '54000');
  for (let sid = 1; sid <= forwardedSessionsPerStandbyMax; sid++) {
    const r = await h.client.request(sid, head, [stmt('select')]);
    assert.equal(r.error, null);
  }
  const over = await h.client.request(forwardedSessionsPerStandbyMax + 1, head, [stmt('select')]);
  assert.equal(over.error?.sqlstate, '53300');
  h.client.close(1);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(h.opened[0]!.closed, true);
  assert.equal(h.server.open, forwardedSessionsPerStandbyMax - 1);
});

test('a COPY chunk counts its rows against the request limit; the result limit is the smaller of both ends', async () => {
  const h = harness(0);
  const row = ['x'.repeat(1000)];
  const rows = Array.from({ length: Math.ceil(forwardStatementBytesMax / 1000) + 1 }, () => row);
  const big = await h.client.request(1, head, [
    { text: 'INSERT', simple: false, params: [], oids: [], batch: rows },
  ]);
  assert.equal(big.error?.sqlstate, '54000');
  const ok = await h.client.request(1, head, [
    { text: 'INSERT', simple: false, params: [], oids: [], batch: [row] },
  ]);
  assert.equal(ok.error, null);
  // The standby asked for 100,000 bytes, the primary allows 200,000.
  assert.deepEqual(h.limits, [100_000]);
  // A COPY chunk of field text fits in one request (with room for its 8-byte NULLs and the text).
  assert.ok(copyChunkBytesMax * 2 <= forwardStatementBytesMax);
});

test('epochs: a request from an older or a newer epoch is refused (40001), counted, and a newer one fences', async () => {
  const older = harness(1, 7, { primary: 3, standby: 2 });
  const r1 = await older.client.request(1, head, [stmt('select')]);
  assert.equal(r1.error?.sqlstate, '40001');
  assert.match(
    r1.error?.message ?? '',
    /failover happened \(this standby is in epoch 2, the primary in epoch 3\)/,
  );
  assert.equal(older.primaryEpoch.refusedStale, 1);
  assert.deepEqual(older.fenced, []);
  assert.equal(older.opened.length, 0);
  const newer = harness(1, 7, { primary: 3, standby: 4 });
  const r2 = await newer.client.request(1, head, [stmt('select')]);
  assert.equal(r2.error?.sqlstate, '40001');
  assert.equal(newer.primaryEpoch.refusedStale, 1);
  assert.deepEqual(newer.fenced, [4]);
  const same = harness(1, 7, { primary: 3, standby: 3 });
  assert.equal((await same.client.request(1, head, [stmt('select')])).error, null);
});

test('a dropped link: in-flight requests fail with 08007, the primary closes the sessions, new requests get 08006', async () => {
  const h = harness();
  await h.client.request(1, head, [stmt('select')]);
  const generation = h.client.generation;
  const inFlight = h.client.request(1, head, [stmt('select')]);
  h.drop();
  await assert.rejects(inFlight, (e: ChorusError) => e.sqlstate === '08007');
  assert.ok(h.client.generation > generation);
  assert.equal(h.opened[0]!.closed, true);
  await assert.rejects(
    h.client.request(1, head, [stmt('select')]),
    (e: ChorusError) => e.sqlstate === '08006',
  );
});

test('position waits resolve when applied, or false at their timeout', async () => {
  const h = harness();
  assert.equal(await h.client.waitFor(0, 100), true);
  const waiting = h.client.waitFor(5, 1000);
  h.position.at = 5;
  h.client.onApplied();
  assert.equal(await waiting, true);
  const late = h.client.waitFor(9, 1000);
  h.timers.advance(1000);
  assert.equal(await late, false);
});

test('which statements a standby routes', () => {
  const routes = (sql: string): boolean => routesAsWrite(routeOnlyStatement(sql, []));
  for (const sql of [
    "INSERT INTO t VALUES (1, 'a')",
    'UPDATE t SET a = 1',
    'DELETE FROM t',
    'TRUNCATE t',
    'CREATE TABLE t2 (id int)',
    'ALTER TABLE t ADD COLUMN b int',
    'DROP TABLE t',
    "SELECT nextval('s')",
    'SELECT * FROM t WHERE id = 1 FOR UPDATE',
    'SELECT * FROM t FOR SHARE',
    'SELECT * FROM t FOR NO KEY UPDATE',
  ])
    assert.equal(routes(sql), true, sql);
  for (const sql of [
    'SELECT * FROM t',
    'SELECT 1',
    "SET application_name = 'x'",
    'SHOW TimeZone',
    'BEGIN',
    'COMMIT',
  ])
    assert.equal(routes(sql), false, sql);
});
