// Primary/standby commit acknowledgement: parsing ha.sync_mode and synchronous_standby_names
// (PostgreSQL's FIRST k / ANY k spelling), and the commit gate that holds a commit's
// acknowledgement until the standbys the rule names received (semi-sync) or applied (sync) it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeSyncMode, parseSyncStandbys } from '../../src/config/sync-standbys.js';
import {
  type GateStandby,
  SyncCommitGate,
  syncBusyWaitMaxMs,
} from '../../src/replication/standby/sync-gate.js';
import { fakeTimers } from '../support/fake-timers.js';

test('sync modes: the seed spellings map onto async, semi-sync and sync', () => {
  assert.equal(normalizeSyncMode('synchronous'), 'sync');
  assert.equal(normalizeSyncMode('Asynchronous'), 'async');
  assert.equal(normalizeSyncMode('semi_sync'), 'semi-sync');
  assert.throws(() => normalizeSyncMode('quorumish'), /not a sync mode/);
});

test('synchronous_standby_names: FIRST, ANY, bare lists and *', () => {
  assert.deepEqual(parseSyncStandbys(undefined), { method: 'any', k: 1, names: ['*'] });
  assert.deepEqual(parseSyncStandbys('FIRST 2 (s1, s2, s3)'), {
    method: 'first',
    k: 2,
    names: ['s1', 's2', 's3'],
  });
  assert.deepEqual(parseSyncStandbys('any 1 (s1,"s-2")'), { method: 'any', k: 1, names: ['s1', 's-2'] });
  assert.deepEqual(parseSyncStandbys('s1, s2'), { method: 'first', k: 1, names: ['s1', 's2'] });
  assert.deepEqual(parseSyncStandbys('2 (a, b)'), { method: 'first', k: 2, names: ['a', 'b'] });
  assert.deepEqual(parseSyncStandbys('ANY 2 (*)'), { method: 'any', k: 2, names: ['*'] });
  for (const bad of ['FIRST (a)', 'ANY 3 (a, b)', 'ANY 0 (a)', 'a, a', 'a b', '*, a', 'FIRST 1 ()']) {
    assert.throws(
      () => parseSyncStandbys(bad),
      (e: Error & { sqlstate?: string }) =>
        /synchronous_standby_names/.test(e.message) && e.sqlstate === 'F0000',
      bad,
    );
  }
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

const settled = async (p: Promise<void>): Promise<'ok' | string | 'pending'> => {
  let out: string = 'pending';
  p.then(
    () => {
      out = 'ok';
    },
    (e: { code?: string; sqlstate?: string }) => {
      out = e.sqlstate ?? 'error';
    },
  );
  await new Promise((r) => setImmediate(r));
  return out;
};

test('sync waits for an applied ack, semi-sync for a received one; 08007 past the timeout', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1')];
  const sync = new SyncCommitGate('sync', parseSyncStandbys(undefined), false, 1000, timers, () => standbys);
  const semi = new SyncCommitGate(
    'semi-sync',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
  );
  const a = sync.wait(1);
  const b = semi.wait(1);
  standbys[0]!.received = 1;
  sync.onProgress();
  semi.onProgress();
  assert.equal(await settled(a), 'pending');
  assert.equal(await settled(b), 'ok');
  standbys[0]!.applied = 1;
  sync.onProgress();
  assert.equal(await settled(a), 'ok');
  const c = sync.wait(2);
  timers.advance(999);
  assert.equal(await settled(c), 'pending');
  timers.advance(1);
  assert.equal(await settled(c), '08007');
  await assert.rejects(
    c,
    /only 0 of the 1 standbys sync mode waits for \(ANY 1 \(\*\)\) applied it within 1000 ms/,
  );
  assert.deepEqual([sync.confirmed, sync.timedOut], [1, 1]);
});

test('a standby busy with a large transaction keeps the commit waiting, timeoutMs after each notice, up to syncBusyWaitMaxMs', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1'), sb('other', { connected: false })];
  const gate = new SyncCommitGate('sync', parseSyncStandbys(undefined), false, 1000, timers, () => standbys);
  const w = gate.wait(1);
  timers.advance(900);
  gate.onBusy('s1'); // receiving or applying: another 1000 ms from now
  gate.onBusy('nobody'); // not a standby of this gate: nothing changes
  timers.advance(900);
  assert.equal(await settled(w), 'pending');
  gate.onBusy('other'); // not connected: does not extend
  timers.advance(100);
  assert.equal(await settled(w), '08007');
  // Notices extend a wait only until syncBusyWaitMaxMs after its commit.
  const long = gate.wait(2);
  for (let t = 0; t < syncBusyWaitMaxMs; t += 500) {
    timers.advance(500);
    gate.onBusy('s1');
  }
  assert.equal(await settled(long), 'pending');
  timers.advance(1000);
  assert.equal(await settled(long), '08007');
  const done = gate.wait(3);
  gate.onBusy('s1');
  standbys[0]!.applied = 3;
  gate.onProgress();
  assert.equal(await settled(done), 'ok');
});

test('FIRST k waits for the k highest-priority streaming standbys; ANY k for any k named ones', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1'), sb('s2'), sb('s3')];
  const first = new SyncCommitGate(
    'sync',
    parseSyncStandbys('FIRST 1 (s2, s1)'),
    false,
    1000,
    timers,
    () => standbys,
  );
  standbys[0]!.applied = 5; // s1 is not the first priority while s2 is connected
  assert.equal(first.holding(5), 0);
  standbys[1]!.streaming = false; // s2 linked but still resyncing: s1 is the synchronous standby
  assert.equal(first.holding(5), 1);
  standbys[1]!.streaming = true;
  assert.equal(first.holding(5), 0);
  standbys[1]!.connected = false; // s2 gone: s1 becomes the synchronous standby
  assert.equal(first.holding(5), 1);
  const any = new SyncCommitGate(
    'sync',
    parseSyncStandbys('ANY 2 (s1, s3)'),
    false,
    1000,
    timers,
    () => standbys,
  );
  const w = any.wait(5);
  standbys[1]!.applied = 5; // s2 is not named: does not count
  any.onProgress();
  assert.equal(await settled(w), 'pending');
  standbys[2]!.applied = 5;
  any.onProgress();
  assert.equal(await settled(w), 'ok');
});

test('strict refuses a write up front (55000) while too few named standbys are connected', () => {
  const timers = fakeTimers();
  const standbys = [sb('s1', { connected: false }), sb('s2')];
  const strict = new SyncCommitGate(
    'sync',
    parseSyncStandbys('ANY 2 (s1, s2)'),
    true,
    1000,
    timers,
    () => standbys,
  );
  assert.throws(
    () => strict.checkWritable(),
    (e: Error & { sqlstate?: string }) =>
      e.sqlstate === '55000' && /1 of the 2 synchronous standbys/.test(e.message),
  );
  standbys[0]!.connected = true;
  strict.checkWritable();
  const lax = new SyncCommitGate('sync', parseSyncStandbys('ANY 2 (s1, s2)'), false, 1000, timers, () => []);
  lax.checkWritable(); // without strict the commit waits (and may time out) instead
  assert.equal(strict.refused, 1);
});

test('a read is held until the standbys hold what it may show, or until those commits are given up', async () => {
  const timers = fakeTimers();
  const standbys = [sb('s1')];
  const gate = new SyncCommitGate('sync', parseSyncStandbys(undefined), false, 1000, timers, () => standbys);
  const async = new SyncCommitGate(
    'async',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
  );
  assert.equal(async.readBarrier(5), null, 'async: reads never wait');
  assert.equal(gate.readBarrier(0), null, 'nothing committed');
  // Commit 1 is visible but unconfirmed: a read that may show it waits for the applied ack.
  const commit1 = gate.wait(1);
  const read1 = gate.readBarrier(1);
  assert.ok(read1);
  assert.equal(await settled(read1), 'pending');
  standbys[0]!.received = 1;
  gate.onProgress();
  assert.equal(await settled(read1), 'pending', 'received is not applied (sync)');
  standbys[0]!.applied = 1;
  gate.onProgress();
  assert.equal(await settled(read1), 'ok');
  assert.equal(await settled(commit1), 'ok');
  assert.equal(gate.readBarrier(1), null, 'held by the standby now');
  // Commit 2 times out (08007): a read held for it is released with it, later reads are not held.
  const commit2 = gate.wait(2);
  const read2 = gate.readBarrier(2)!;
  timers.advance(1000);
  assert.equal(await settled(commit2), '08007');
  assert.equal(await settled(read2), 'ok');
  assert.equal(gate.readBarrier(2), null, 'given up: not waited for again');
  // A read may wait for a commit nobody waits on (a session with synchronous_commit = off): bounded.
  const read3 = gate.readBarrier(3)!;
  timers.advance(999);
  assert.equal(await settled(read3), 'pending');
  timers.advance(1);
  assert.equal(await settled(read3), 'ok');
  assert.equal(gate.heldReads, 3);
});
