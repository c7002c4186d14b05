// Hybrid logical clock: monotonic under backward clock jumps, merges remote time, survives restarts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/clock/clock.js';
import {
  compareHlc,
  formatHlc,
  type HlcTimestamp,
  HybridLogicalClock,
  parseHlc,
} from '../../src/clock/hlc.js';

test('timestamps strictly increase while the wall clock stands still', () => {
  const wall = new ManualClock(1_000);
  const hlc = new HybridLogicalClock('a', wall);
  const a = hlc.now();
  const b = hlc.now();
  assert.deepEqual([a.wallMs, a.logical], [1_000, 0]);
  assert.deepEqual([b.wallMs, b.logical], [1_000, 1]);
  assert.equal(compareHlc(a, b), -1);
});

test('a backward jump of the wall clock never makes time go backwards', () => {
  const wall = new ManualClock(10_000);
  const hlc = new HybridLogicalClock('a', wall);
  let prev = hlc.now();
  for (const jump of [-5_000, -1, 3, -60_000, 0, 70_000, -70_000]) {
    wall.advance(jump);
    for (let i = 0; i < 3; i++) {
      const next = hlc.now();
      assert.equal(
        compareHlc(prev, next),
        -1,
        `after jump ${jump}: ${formatHlc(prev)} !< ${formatHlc(next)}`,
      );
      prev = next;
    }
  }
  // Once the wall clock passes the HLC again, the logical counter resets.
  wall.set(prev.wallMs + 10);
  assert.deepEqual([hlc.now().wallMs, hlc.now().logical], [prev.wallMs + 10, 1]);
});

test('seeded random walk of the wall clock keeps every timestamp increasing', () => {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const wall = new ManualClock(1_700_000_000_000);
  const hlc = new HybridLogicalClock('n', wall);
  let prev = hlc.now();
  for (let i = 0; i < 20_000; i++) {
    wall.advance(Math.floor((rand() - 0.6) * 100));
    const next =
      rand() < 0.2
        ? hlc.update({
            wallMs: wall.nowMs() + Math.floor((rand() - 0.5) * 200),
            logical: Math.floor(rand() * 5),
            nodeId: 'r',
          })
        : hlc.now();
    assert.equal(compareHlc(prev, next), -1, `step ${i} (seed 42)`);
    prev = next;
  }
});

test('update() moves past a remote timestamp that is ahead', () => {
  const wall = new ManualClock(1_000);
  const hlc = new HybridLogicalClock('a', wall);
  const remote: HlcTimestamp = { wallMs: 5_000, logical: 7, nodeId: 'b' };
  const t = hlc.update(remote);
  assert.equal(compareHlc(remote, t), -1);
  assert.equal(compareHlc(t, hlc.now()), -1);
});

test('update() refuses a remote clock beyond the allowed forward skew', () => {
  const hlc = new HybridLogicalClock('a', new ManualClock(1_000), 500);
  assert.throws(() => hlc.update({ wallMs: 2_000, logical: 0, nodeId: 'b' }), { sqlstate: '22008' });
});

test('observe() restores the clock above persisted timestamps after a restart', () => {
  const hlc = new HybridLogicalClock('a', new ManualClock(1_000));
  hlc.observe({ wallMs: 9_000, logical: 3, nodeId: 'a' });
  const t = hlc.now();
  assert.deepEqual([t.wallMs, t.logical], [9_000, 4]);
});

test('ties on wall and logical are broken by node id; text form sorts like compareHlc', () => {
  const a: HlcTimestamp = { wallMs: 5, logical: 1, nodeId: 'a' };
  const b: HlcTimestamp = { wallMs: 5, logical: 1, nodeId: 'b' };
  const c: HlcTimestamp = { wallMs: 40, logical: 0, nodeId: 'a' };
  assert.equal(compareHlc(a, b), -1);
  const sorted = [c, b, a].map(formatHlc).sort();
  assert.deepEqual(sorted.map(parseHlc), [a, b, c]);
  assert.throws(() => parseHlc('garbage'), { sqlstate: '22P02' });
});
