// Review of the primary/standby settings and commit gate: sync mode spellings are case-insensitive
// wherever they come from (HA_SYNC_MODE=SYNC), and standby names are matched case-insensitively, as
// PostgreSQL compares synchronous_standby_names with the standbys' names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Timers } from '../../src/clock/timers.js';
import { loadConfig } from '../../src/config/load.js';
import { parseSyncStandbys } from '../../src/config/sync-standbys.js';
import { type GateStandby, SyncCommitGate } from '../../src/replication/standby/sync-gate.js';

const timers: Timers = { nowMs: () => 0, after: () => ({ cancel: () => undefined }) };

const sb = (id: string, o: Partial<GateStandby> = {}): GateStandby => ({
  id,
  connected: true,
  connectedAtMs: 0,
  streaming: true,
  received: 0,
  applied: 0,
  ...o,
});

test('HA_SYNC_MODE and ha.sync_mode are read case-insensitively, as their aliases are', () => {
  for (const [value, mode] of [
    ['SYNC', 'sync'],
    ['Synchronous', 'sync'],
    ['Semi-Sync', 'semi-sync'],
    ['ASYNC', 'async'],
    ['Quorum', 'quorum'],
  ] as const) {
    const c = loadConfig({
      flags: { haMode: 'primary' },
      env: { CHORUS_CLUSTER_SECRET: 'x', HA_SYNC_MODE: value },
    });
    assert.equal(c.syncMode, mode, value);
  }
  assert.throws(
    () =>
      loadConfig({
        flags: { haMode: 'primary' },
        env: { CHORUS_CLUSTER_SECRET: 'x', HA_SYNC_MODE: 'majority' },
      }),
    (e: Error & { sqlstate?: string }) => e.sqlstate === 'F0000' && /sync_mode/.test(e.message),
  );
});

test('standby names are matched case-insensitively (FIRST and ANY), and a name listed twice in two cases is refused', () => {
  const standbys = [sb('pg-b', { applied: 3 }), sb('pg-c', { applied: 1 })];
  const first = new SyncCommitGate(
    'sync',
    parseSyncStandbys('FIRST 1 (PG-B, pg-c)'),
    false,
    1000,
    timers,
    () => standbys,
  );
  assert.equal(first.holding(3), 1);
  const any = new SyncCommitGate(
    'sync',
    parseSyncStandbys('ANY 2 ("PG-C", Pg-B)'),
    false,
    1000,
    timers,
    () => standbys,
  );
  assert.equal(any.holding(1), 2);
  assert.equal(any.connected(), 2);
  assert.throws(() => parseSyncStandbys('FIRST 1 (PG-B, pg-b)'), /listed twice/);
});

test('a count too large is refused as such', () => {
  assert.throws(() => parseSyncStandbys('ANY 99999999999999999999 (*)'), /the count is too large/);
});
