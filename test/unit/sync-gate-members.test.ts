// With automatic failover, the commit gate counts only the data nodes of [ha] nodes where the rule
// names no standby (quorum mode, '*'): a read replica outside it acknowledging a commit would let
// an election (which counts on [ha] nodes only) promote a node without it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimerHandle, Timers } from '../../src/clock/timers.js';
import { parseSyncStandbys } from '../../src/config/sync-standbys.js';
import { type GateStandby, SyncCommitGate, syncWaitersMax } from '../../src/replication/standby/sync-gate.js';

const timers: Timers = {
  nowMs: () => 0,
  after: (): TimerHandle => ({ cancel: () => undefined }),
};

const sb = (id: string, applied: number): GateStandby => ({
  id,
  connected: true,
  connectedAtMs: 0,
  streaming: true,
  received: applied,
  applied,
});

const state = async (p: Promise<void>): Promise<string> => {
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

test('quorum mode: a standby outside [ha] nodes does not acknowledge for the cluster', async () => {
  // [ha] nodes: the primary, b and c (N = 3: one standby must apply); d is a read replica.
  const standbys = [sb('b', 0), sb('c', 0), sb('d', 5)];
  const members = new Set(['b', 'c']);
  const gate = new SyncCommitGate(
    'quorum',
    parseSyncStandbys(undefined),
    true,
    1000,
    timers,
    () => standbys,
    () => 3,
    (id) => members.has(id),
  );
  const want = { level: 'applied' as const, quorum: true };
  assert.equal(gate.holding(5, want), 0);
  const w = gate.wait(5);
  assert.equal(await state(w), 'pending');
  standbys[1]!.applied = 5; // c, a member, applied it
  gate.onProgress();
  assert.equal(await state(w), 'ok');
  // strict: only members count as connected
  standbys[0]!.connected = false;
  standbys[1]!.connected = false;
  assert.throws(() => gate.checkWritable(), /55000|standby/);
});

test("sync mode, '*': only [ha] nodes' standbys acknowledge; a named standby counts as named", async () => {
  const standbys = [sb('b', 0), sb('d', 7)];
  const members = (id: string): boolean => id === 'b';
  const any = new SyncCommitGate(
    'sync',
    parseSyncStandbys(undefined),
    false,
    1000,
    timers,
    () => standbys,
    undefined,
    members,
  );
  assert.equal(await state(any.wait(7)), 'pending');
  const named = new SyncCommitGate(
    'sync',
    parseSyncStandbys('ANY 1 (d)'),
    false,
    1000,
    timers,
    () => standbys,
    undefined,
    members,
  );
  assert.equal(await state(named.wait(7)), 'ok');
});

test('past syncWaitersMax a commit (made already) is reported unknown (08007), never a failure to retry', async () => {
  const standbys = [sb('b', 0)];
  const gate = new SyncCommitGate('sync', parseSyncStandbys(undefined), false, 1000, timers, () => standbys);
  for (let i = 0; i < syncWaitersMax; i++) void gate.wait(1).catch(() => undefined);
  assert.equal(await state(gate.wait(1)), '08007');
});
