// The linearizability checker of registers on hand-made histories: linearizable ones accepted,
// planted bugs (a stale read after an acknowledged write, a lost acknowledged write, two concurrent
// writes both winning, an impossible cas) rejected naming the operation, indeterminate operations
// taken as "maybe", the search bounded ("unknown"), keys checked separately.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkLinearizableMap, type LinOp, linearizableKey } from '../../chaos/linearizability.js';

let nextId = 0;
/** An operation on key 1 (unless given): [call, ret] positions, ret null when indeterminate. */
function w(value: number, call: number, ret: number | null, key = 1, process = 0): LinOp {
  return { id: nextId++, process, key, f: 'write', arg: value, call, ret };
}
function r(out: number | null, call: number, ret: number | null, key = 1, process = 1): LinOp {
  return { id: nextId++, process, key, f: 'read', arg: null, ...(ret !== null ? { out } : {}), call, ret };
}
function cas(from: number, to: number, swapped: boolean | null, call: number, ret: number | null): LinOp {
  return {
    id: nextId++,
    process: 2,
    key: 1,
    f: 'cas',
    arg: [from, to],
    ...(swapped !== null ? { out: swapped } : {}),
    call,
    ret,
  };
}

function verdict(ops: LinOp[], initial: number | null = 0): string {
  return linearizableKey(ops, initial).verdict;
}

function violatingOp(ops: LinOp[], initial: number | null = 0): LinOp {
  const v = linearizableKey(ops, initial);
  assert.equal(v.verdict, 'violation');
  return (v as { op: LinOp }).op;
}

describe('linearizability: accepted histories', () => {
  test('sequential writes, reads and cas', () => {
    assert.equal(
      verdict([w(1, 0, 1), r(1, 2, 3), cas(1, 2, true, 4, 5), r(2, 6, 7), cas(1, 3, false, 8, 9)]),
      'ok',
    );
  });
  test('a read concurrent with a write may see the old or the new value', () => {
    assert.equal(verdict([w(1, 0, 5), r(0, 1, 2), r(1, 3, 4), r(1, 6, 7)]), 'ok');
    assert.equal(verdict([w(1, 0, 5), r(1, 1, 2), r(1, 3, 4)]), 'ok');
  });
  test('concurrent writes: readers agree on one order', () => {
    assert.equal(verdict([w(1, 0, 4), w(2, 1, 5), r(2, 2, 3), r(1, 6, 7), r(1, 8, 9)]), 'ok');
  });
  test('an empty history and a missing row (null initial value)', () => {
    assert.equal(verdict([]), 'ok');
    assert.equal(verdict([r(null, 0, 1), w(3, 2, 3), r(3, 4, 5)], null), 'ok');
  });
});

describe('linearizability: planted bugs are caught', () => {
  test('a stale read after an acknowledged write', () => {
    const stale = r(0, 2, 3);
    const op = violatingOp([w(1, 0, 1), stale]);
    assert.equal(op.id, stale.id);
  });
  test('a lost acknowledged write (a later read returns the value it overwrote)', () => {
    const read = r(1, 4, 5);
    assert.equal(violatingOp([w(1, 0, 1), w(2, 2, 3), read]).id, read.id);
  });
  test('two concurrent writes both winning, on different readers', () => {
    const ops = [
      w(1, 0, 10, 1, 0),
      w(2, 1, 10, 1, 3),
      r(1, 11, 14, 1, 4),
      r(2, 12, 13, 1, 5),
      r(1, 15, 16, 1, 4),
    ];
    assert.equal(verdict(ops), 'violation');
  });
  test('two cas from the same value both succeeding', () => {
    assert.equal(verdict([cas(0, 1, true, 0, 1), cas(0, 2, true, 2, 3)]), 'violation');
  });
  test('a cas that failed although the register held its expected value', () => {
    assert.equal(verdict([r(0, 0, 1), cas(0, 5, false, 2, 3), r(0, 4, 5)]), 'violation');
  });
  test('a read of a value never written', () => {
    assert.equal(verdict([w(1, 0, 1), r(7, 2, 3)]), 'violation');
  });
  test('the report names the key, the operation and the states it could have seen', () => {
    const rep = checkLinearizableMap([w(1, 0, 1), r(0, 2, 3)], () => 0);
    assert.equal(rep.violations.length, 1);
    assert.match(
      rep.violations[0]!,
      /^key 1: #\d+ p1 key 1 read → 0 \[2, 3\] cannot be linearized: the register held 1/,
    );
  });
});

describe('linearizability: indeterminate operations', () => {
  test('a timed-out write may have taken effect, at any time after its invocation', () => {
    assert.equal(verdict([w(1, 0, null), r(0, 2, 3), r(1, 5, 6), r(1, 7, 8)]), 'ok');
    assert.equal(verdict([w(1, 0, null), r(0, 2, 3), r(0, 5, 6)]), 'ok'); // or not at all
  });
  test('...but once seen it cannot be undone', () => {
    assert.equal(verdict([w(1, 0, null), r(1, 2, 3), r(0, 5, 6)]), 'violation');
  });
  test('...and it cannot take effect before it was invoked', () => {
    assert.equal(verdict([r(1, 0, 1), w(1, 2, null)]), 'violation');
  });
  test('an indeterminate cas may or may not have swapped', () => {
    assert.equal(verdict([cas(0, 4, null, 0, null), r(4, 2, 3)]), 'ok');
    assert.equal(verdict([cas(0, 4, null, 0, null), r(0, 2, 3)]), 'ok');
    assert.equal(verdict([w(1, 0, 1), cas(0, 4, null, 2, null), r(4, 3, 4)]), 'violation');
  });
  test('an unobserved indeterminate write next to a failed cas is kept (it may explain the failure)', () => {
    assert.equal(verdict([w(9, 0, null), cas(0, 5, false, 2, 3)]), 'ok');
  });
  test('many timed-out writes nobody observed cost nothing', () => {
    const ops = [w(1, 0, 1)];
    for (let i = 0; i < 500; i++) ops.push(w(1000 + i, 2 + i, null));
    ops.push(r(1, 600, 601));
    const v = linearizableKey(ops, 0);
    assert.equal(v.verdict, 'ok');
    assert.ok(v.explored < 10, `explored ${v.explored}`);
  });
  test('indeterminate reads are ignored', () => {
    assert.equal(verdict([w(1, 0, 1), r(null, 2, null), r(1, 3, 4)]), 'ok');
  });
});

describe('linearizability: bounded search, keys apart', () => {
  test('past the bound the verdict is unknown, not a hang', () => {
    // 14 concurrent writes and then reads that fit no order: the search must try many orders.
    const ops: LinOp[] = [];
    for (let i = 1; i <= 14; i++) ops.push(w(i, i, 100));
    ops.push(r(3, 101, 102), r(5, 103, 104));
    assert.equal(linearizableKey(ops, 0, 50).verdict, 'unknown');
    const full = linearizableKey(ops, 0);
    assert.equal(full.verdict, 'violation');
  });
  test('each key is checked on its own; a violation names its key', () => {
    const ops = [w(1, 0, 1, 1), w(2, 2, 3, 2), r(1, 4, 5, 1), r(0, 6, 7, 2)];
    const rep = checkLinearizableMap(ops, () => 0);
    assert.equal(rep.keys, 2);
    assert.equal(rep.violations.length, 1);
    assert.match(rep.violations[0]!, /^key 2: /);
  });
  test('a long sequential history of 20,000 operations is checked quickly in steps', () => {
    const ops: LinOp[] = [];
    for (let i = 0; i < 10_000; i++) ops.push(w(i + 1, 4 * i, 4 * i + 1), r(i + 1, 4 * i + 2, 4 * i + 3));
    const v = linearizableKey(ops, 0);
    assert.equal(v.verdict, 'ok');
    assert.ok(v.explored <= 20_000, `explored ${v.explored}`);
  });
});
