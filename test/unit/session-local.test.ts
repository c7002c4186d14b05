// Pure logic of session-local objects: the advisory lock table (modes, re-entrance, queue order,
// deadlock detection) and cursor positioning over an in-memory row source.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdvisoryLocks } from '../../src/session/local/advisory-locks.js';
import { Cursor, MemoryRows } from '../../src/session/local/cursors.js';

describe('AdvisoryLocks', () => {
  test('exclusive excludes others, shared coexist, re-entrant with counts', () => {
    const locks = new AdvisoryLocks();
    const a = {};
    const b = {};
    assert.equal(locks.acquire(a, 'k', 'exclusive', 'session', false), 'granted');
    assert.equal(locks.acquire(a, 'k', 'exclusive', 'session', false), 'granted');
    assert.equal(locks.acquire(b, 'k', 'shared', 'session', false), null);
    assert.equal(locks.release(a, 'k', 'exclusive', 'session'), true);
    assert.equal(locks.acquire(b, 'k', 'shared', 'session', false), null);
    assert.equal(locks.release(a, 'k', 'exclusive', 'session'), true);
    assert.equal(locks.release(a, 'k', 'exclusive', 'session'), false);
    assert.equal(locks.acquire(b, 'k', 'shared', 'session', false), 'granted');
    assert.equal(locks.acquire(a, 'k', 'shared', 'session', false), 'granted');
    assert.equal(locks.acquire(a, 'k', 'exclusive', 'session', false), null);
    locks.releaseAll(a, 'session');
    locks.releaseAll(b, 'session');
    assert.equal(locks.size, 0);
  });

  test('waiters are granted in order; a shared request does not overtake a queued exclusive one', async () => {
    const locks = new AdvisoryLocks();
    const [a, b, c] = [{}, {}, {}];
    locks.acquire(a, 'k', 'shared', 'session', false);
    const wb = locks.acquire(b, 'k', 'exclusive', 'session', true);
    assert.notEqual(wb, 'granted');
    assert.equal(locks.acquire(c, 'k', 'shared', 'session', false), null);
    locks.release(a, 'k', 'shared', 'session');
    await (wb as Exclude<typeof wb, 'granted'>).granted;
    assert.equal(locks.acquire(a, 'k', 'shared', 'session', false), null);
  });

  test('an abandoned wait leaves the queue; xact and session scopes are released apart', () => {
    const locks = new AdvisoryLocks();
    const [a, b] = [{}, {}];
    locks.acquire(a, 'k', 'exclusive', 'xact', false);
    const w = locks.acquire(b, 'k', 'exclusive', 'session', true);
    assert.notEqual(w, 'granted');
    (w as Exclude<typeof w, 'granted'>).abandon();
    locks.releaseAll(a, 'session');
    assert.equal(locks.acquire(b, 'k', 'exclusive', 'session', false), null);
    locks.releaseAll(a, 'xact');
    assert.equal(locks.acquire(b, 'k', 'exclusive', 'session', false), 'granted');
  });

  test('a wait that closes a cycle fails with 40P01', () => {
    const locks = new AdvisoryLocks();
    const [a, b] = [{}, {}];
    locks.acquire(a, 'x', 'exclusive', 'session', false);
    locks.acquire(b, 'y', 'exclusive', 'session', false);
    assert.notEqual(locks.acquire(a, 'y', 'exclusive', 'session', true), 'granted');
    assert.throws(() => locks.acquire(b, 'x', 'exclusive', 'session', true), { sqlstate: '40P01' });
  });
});

describe('Cursor positioning', () => {
  const rows = (n: number): unknown[][] => Array.from({ length: n }, (_, i) => [i + 1]);
  const ids = (r: { rows: unknown[][] }): unknown[] => r.rows.map((x) => x[0]);

  test('forward, backward, absolute and relative moves as PostgreSQL makes them', () => {
    const c = new Cursor('c', [], new MemoryRows(rows(5)), true, false, true);
    assert.deepEqual(ids(c.fetch('forward', 2, false)), [1, 2]);
    assert.deepEqual(ids(c.fetch('backward', 1, false)), [1]);
    assert.deepEqual(ids(c.fetch('backward', 1, false)), []);
    assert.deepEqual(ids(c.fetch('forward', 10, false)), [1, 2, 3, 4, 5]);
    assert.deepEqual(ids(c.fetch('forward', 1, false)), []);
    assert.deepEqual(ids(c.fetch('backward', 2, false)), [5, 4]);
    assert.deepEqual(ids(c.fetch('relative', 0, false)), [4]);
    assert.deepEqual(ids(c.fetch('absolute', -1, false)), [5]);
    assert.deepEqual(ids(c.fetch('absolute', 9, false)), []);
    assert.deepEqual(ids(c.fetch('backward', 1, false)), [5]);
    assert.deepEqual(c.fetch('forward', 3, true), { rows: [], count: 0 });
    assert.deepEqual(ids(c.fetch('relative', -2, false)), [4]);
  });

  test('a NO SCROLL cursor refuses to move backwards', () => {
    const c = new Cursor('c', [], new MemoryRows(rows(3)), false, false, true);
    c.fetch('forward', 2, false);
    assert.throws(() => c.fetch('backward', 1, false), { sqlstate: '55000' });
    assert.throws(() => c.fetch('absolute', 1, false), { sqlstate: '55000' });
    assert.deepEqual(ids(c.fetch('absolute', 3, false)), [3]);
  });
});
