// The epoch of primary/standby mode (replication/standby/epoch.ts) and the role hooks that use it:
// kept across a restart in _chorus_meta, stamped on every shipped batch, a batch or message from an
// older epoch refused and counted, a newer one adopted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { EpochState, epochOf, initialEpoch } from '../../src/replication/standby/epoch.js';
import { roleHooks } from '../../src/replication/standby/primary-standby.js';
import { RoleState } from '../../src/replication/standby/role.js';

function db(): Database.Database {
  const d = new Database(':memory:');
  d.exec('CREATE TABLE _chorus_meta (key TEXT PRIMARY KEY, value TEXT)');
  return d;
}

test('an epoch starts at 1, is kept in _chorus_meta and only ever rises', () => {
  const d = db();
  const e = new EpochState(d);
  assert.equal(e.current, initialEpoch);
  assert.equal(e.raise(5), true);
  assert.equal(e.raise(3), false);
  assert.equal(e.current, 5);
  assert.equal(new EpochState(d).current, 5, 'a restarted node keeps its epoch');
});

test('a message epoch that is missing or malformed counts as 0 (older than any)', () => {
  assert.equal(epochOf(undefined), 0);
  assert.equal(epochOf('7'), 0);
  assert.equal(epochOf(-1), 0);
  assert.equal(epochOf(1.5), 0);
  assert.equal(epochOf(7), 7);
});

test('a standby refuses and counts batches of an older epoch, adopts a newer one', () => {
  const d = db();
  const e = new EpochState(d);
  e.raise(4);
  const role = new RoleState('standby', () => 0);
  const hooks = roleHooks(role, e, () => null);
  assert.equal(hooks.acceptsFrom('p', { t: 'txs', txs: [], epoch: 3 }), false);
  assert.equal(hooks.acceptsFrom('p', { t: 'txs', txs: [] }), false);
  assert.equal(e.refusedStale, 2);
  assert.equal(hooks.acceptsFrom('p', { t: 'txs', txs: [], epoch: 4 }), true);
  assert.equal(hooks.acceptsFrom('p', { t: 'txs', txs: [], epoch: 6 }), true);
  assert.equal(e.current, 6);
  assert.equal(new EpochState(d).current, 6, 'the adopted epoch is durable');
  assert.deepEqual(hooks.stamp(), { epoch: 6 });
});

test('a primary takes no batch whatever its epoch; writing a transaction defers the epoch write', async () => {
  const d = db();
  const e = new EpochState(d);
  const hooks = roleHooks(new RoleState('primary', () => 0), e, () => null);
  assert.equal(hooks.acceptsFrom('s', { t: 'txs', txs: [], epoch: 9 }), false);
  d.exec('BEGIN');
  e.raise(2);
  d.exec('ROLLBACK');
  // The write waited for the writer to be free: the rollback did not take it.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(new EpochState(d).current, 2);
});
