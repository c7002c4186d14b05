// Commit acknowledgement beyond the configured rule: quorum mode's counting (a majority of the
// cluster's data nodes, the primary one of them), a session's synchronous_commit weakening or
// strengthening its own commits (strict still refusing), the chorus.synchronous_commit alias, and
// the WAIT FOR LSN statement's reading.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { parseSyncStandbys } from '../../src/config/sync-standbys.js';
import {
  commitWant,
  type GateStandby,
  quorumAcksNeeded,
  SyncCommitGate,
} from '../../src/replication/standby/sync-gate.js';
import { lsnText, parseLsn, parseWaitFor, runWaitFor } from '../../src/session/local/wait-for.js';
import { SessionSettings } from '../../src/session/settings/settings.js';
import { splitStatements } from '../../src/sql/lexer.js';
import { initParser } from '../../src/sql/parse/parser.js';
import { fakeTimers } from '../support/fake-timers.js';

before(async () => {
  await initParser();
});

const sb = (id: string, o: Partial<GateStandby> = {}): GateStandby => ({
  id,
  connected: true,
  connectedAtMs: 0,
  streaming: true,
  received: 0,
  applied: 0,
  ...o,
});

const settled = async (p: Promise<void>): Promise<string> => {
  let out = 'pending';
  p.then(
    () => {
      out = 'ok';
    },
    (e: { sqlstate?: string }) => {
      out = e.sqlstate ?? 'error';
    },
  );
  await new Promise((r) => setImmediate(r));
  return out;
};

test('quorum: N/2+1 of the data nodes with the primary, so floor(N/2) standbys, and never none', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => quorumAcksNeeded(n)),
    [1, 1, 1, 2, 2, 3, 3],
  );
  assert.equal(quorumAcksNeeded(0), 1);
});

test('quorum mode: strict is accepted, synchronous_standby_names refused', () => {
  const env = { CHORUS_CLUSTER_SECRET: 'x', HA_SYNC_MODE: 'quorum' };
  const c = loadConfig({ flags: { haMode: 'primary' }, env, base: { ha: { strict: true } } });
  assert.equal(c.syncMode, 'quorum');
  assert.throws(
    () =>
      loadConfig({
        flags: { haMode: 'primary' },
        env,
        base: { ha: { synchronous_standby_names: 'ANY 1 (a, b)' } },
      }),
    (e: { sqlstate?: string; message: string }) =>
      e.sqlstate === 'F0000' &&
      /synchronous_standby_names does not apply to ha.sync_mode = "quorum"/.test(e.message),
  );
});

test('synchronous_commit picks the level; the configured mode picks which standbys count', () => {
  assert.equal(commitWant('sync', 'off'), null);
  assert.equal(commitWant('sync', 'local'), null);
  assert.equal(commitWant('async', 'on'), null); // PostgreSQL: on without synchronous_standby_names
  assert.deepEqual(commitWant('async', 'remote_apply'), { level: 'applied', quorum: false });
  assert.deepEqual(commitWant('async', 'remote_write'), { level: 'received', quorum: false });
  assert.deepEqual(commitWant('semi-sync', 'on'), { level: 'received', quorum: false });
  assert.deepEqual(commitWant('semi-sync', 'remote_apply'), { level: 'applied', quorum: false });
  assert.deepEqual(commitWant('sync', 'remote_write'), { level: 'received', quorum: false });
  assert.deepEqual(commitWant('quorum', 'on'), { level: 'applied', quorum: true });
  assert.deepEqual(commitWant('quorum', 'remote_write'), { level: 'received', quorum: true });
});

test('quorum counts applied acks of any standby against the cluster size', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1'), sb('s2'), sb('s3')];
  let nodes = 4; // [ha] nodes: the primary and three standbys -> 3 of 4, so 2 standbys
  const gate = new SyncCommitGate(
    'quorum',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
    () => nodes,
  );
  const w = gate.wait(7);
  standbys[0]!.applied = 7;
  standbys[1]!.received = 7; // received is not durable: quorum waits for applied
  gate.onProgress();
  assert.equal(await settled(w), 'pending');
  standbys[2]!.applied = 7;
  gate.onProgress();
  assert.equal(await settled(w), 'ok');
  nodes = 5; // 3 of 5: still 2 standbys
  assert.equal(gate.holding(7), 2);
  const late = gate.wait(8);
  standbys[0]!.applied = 8;
  gate.onProgress();
  timers.advance(1000);
  assert.equal(await settled(late), '08007');
  await assert.rejects(
    late,
    /only 1 of the 2 standbys quorum mode waits for \(a majority of 5 nodes, the primary included\) applied it/,
  );
  // The default cluster: this primary and the standbys it knows (3 known -> N = 4 -> 2 standbys).
  const known = new SyncCommitGate(
    'quorum',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
  );
  assert.equal(known.needed({ level: 'applied', quorum: true }), 2);
});

test('a session weakens (off) or strengthens (remote_apply) its own commit', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1')];
  const sync = new SyncCommitGate('sync', parseSyncStandbys(undefined), false, 1000, timers, () => standbys);
  assert.equal(await settled(sync.wait(1, 'off')), 'ok');
  assert.equal(await settled(sync.wait(1, 'local')), 'ok');
  const semi = sync.wait(1, 'remote_write');
  const applied = sync.wait(1, 'on');
  standbys[0]!.received = 1;
  sync.onProgress();
  assert.equal(await settled(semi), 'ok');
  assert.equal(await settled(applied), 'pending');
  standbys[0]!.applied = 1;
  sync.onProgress();
  assert.equal(await settled(applied), 'ok');

  const async = new SyncCommitGate(
    'async',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
  );
  assert.equal(await settled(async.wait(2)), 'ok');
  const strong = async.wait(2, 'remote_apply');
  assert.equal(await settled(strong), 'pending');
  standbys[0]!.applied = 2;
  async.onProgress();
  assert.equal(await settled(strong), 'ok');
});

test('strict still refuses a session that waits for less; one that asks for more is refused too', () => {
  const timers = fakeTimers();
  const standbys = [sb('s1', { connected: false })];
  const strict = new SyncCommitGate('sync', parseSyncStandbys(undefined), true, 1000, timers, () => standbys);
  for (const s of ['on', 'off', 'local', 'remote_write'] as const)
    assert.throws(
      () => strict.checkWritable(s),
      (e: { sqlstate?: string }) => e.sqlstate === '55000',
      s,
    );
  standbys[0]!.connected = true;
  strict.checkWritable('off');
  const quorum = new SyncCommitGate(
    'quorum',
    parseSyncStandbys(undefined),
    true,
    1000,
    timers,
    () => standbys,
    () => 5,
  );
  assert.throws(
    () => quorum.checkWritable('off'),
    /1 of the 2 synchronous standbys quorum \(a majority of 5 nodes, the primary included\) needs are connected/,
  );
});

test('SET chorus.synchronous_commit and SET synchronous_commit are one setting', () => {
  const s = new SessionSettings({});
  assert.equal(s.get('synchronous_commit'), 'on');
  s.apply("SET chorus.synchronous_commit = 'remote_apply'", false);
  assert.equal(s.get('synchronous_commit'), 'remote_apply');
  assert.equal(s.get('chorus.synchronous_commit'), 'remote_apply');
  s.apply('SET synchronous_commit = false', false);
  assert.equal(s.get('chorus.synchronous_commit'), 'off');
  s.apply('RESET chorus.synchronous_commit', false);
  assert.equal(s.get('synchronous_commit'), 'on');
  assert.throws(
    () => s.apply("SET chorus.synchronous_commit = 'maybe'", false),
    (e: { sqlstate?: string; hint?: string; message: string }) =>
      e.sqlstate === '22023' &&
      e.message === 'invalid value for parameter "synchronous_commit": "maybe"' &&
      e.hint === 'Available values: local, remote_write, remote_apply, on, off.',
  );
  assert.equal(
    new SessionSettings({ options: '-c chorus.synchronous_commit=local' }).get('synchronous_commit'),
    'local',
  );
});

test('WAIT FOR LSN: PostgreSQL 19 and short spellings; positions as numbers or X/Y', async () => {
  const one = (sql: string) => parseWaitFor(splitStatements(sql)[0]!);
  assert.deepEqual(one("WAIT FOR LSN '42'"), { kind: 'wait_for_lsn', lsn: 42, timeoutMs: 0, noThrow: false });
  assert.deepEqual(one("wait for lsn '0/2A' timeout 250;"), {
    kind: 'wait_for_lsn',
    lsn: 42,
    timeoutMs: 250,
    noThrow: false,
  });
  assert.deepEqual(one("WAIT FOR LSN '1/0' WITH (TIMEOUT '2s', NO_THROW, MODE 'standby_replay')"), {
    kind: 'wait_for_lsn',
    lsn: 2 ** 32,
    timeoutMs: 2000,
    noThrow: true,
  });
  assert.equal(lsnText(42), '0/0000002A');
  assert.equal(parseLsn('0/0000002A'), 42);
  assert.throws(
    () => parseLsn('nope'),
    (e: { sqlstate?: string }) => e.sqlstate === '22P02',
  );
  assert.throws(
    () => one("WAIT FOR '42'"),
    (e: { sqlstate?: string; position?: number }) => e.sqlstate === '42601' && e.position === 10,
  );
  assert.throws(
    () => one("WAIT FOR LSN '42' WITH (MODE 'primary_flush')"),
    (e: { sqlstate?: string }) => e.sqlstate === '0A000',
  );
  assert.throws(
    () => one("WAIT FOR LSN '42' TIMEOUT 1 extra"),
    (e: { sqlstate?: string }) => e.sqlstate === '42601',
  );

  const at = (pos: number) => ({ position: () => pos, waitFor: async (lsn: number) => pos >= lsn });
  const row = async (sql: string, standby: ReturnType<typeof at> | null) =>
    (await runWaitFor(one(sql), standby, false)).rows[0]![0];
  assert.equal(await row("WAIT FOR LSN '5'", at(5)), 'success');
  assert.equal(await row("WAIT FOR LSN '6' WITH (NO_THROW)", at(5)), 'timeout');
  assert.equal(await row("WAIT FOR LSN '6' WITH (NO_THROW)", null), 'not in recovery');
  await assert.rejects(
    runWaitFor(one("WAIT FOR LSN '6' TIMEOUT 10"), at(5), false),
    (e: { sqlstate?: string; message: string }) =>
      e.sqlstate === '57014' &&
      e.message ===
        'timed out while waiting for target LSN 0/00000006 to be replayed; current standby_replay LSN 0/00000005',
  );
  await assert.rejects(
    runWaitFor(one("WAIT FOR LSN '1'"), null, false),
    (e: { sqlstate?: string }) => e.sqlstate === '55000',
  );
  await assert.rejects(
    runWaitFor(one("WAIT FOR LSN '1'"), at(5), true),
    (e: { sqlstate?: string }) => e.sqlstate === '25001',
  );
});
