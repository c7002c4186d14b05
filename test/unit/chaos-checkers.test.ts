// The chaos checkers on hand-made histories: each accepts a good history and catches the planted
// problem in a bad one (lost, resurrected or invented elements, impossible counter values, a
// non-LWW register winner, an unrecorded lost update, a bank total that moved, a TRUNCATE that removed too much or too little, diverged digests).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkBank,
  checkConvergence,
  checkCounter,
  checkForeignKeys,
  checkRegister,
  checkSet,
  checkTruncate,
  type RegisterFinal,
  type RegisterLogEntry,
} from '../../chaos/checkers.js';
import { History } from '../../chaos/history.js';

function history(
  ops: [process: number, f: string, value: unknown, outcome: 'ok' | 'fail' | 'info' | null][],
) {
  const h = new History(null);
  for (const [p, f, v, outcome] of ops) {
    const inv = h.invoke(p, p % 3, f, v);
    if (outcome) h.complete(inv, outcome);
  }
  return h.ops;
}

describe('set checker', () => {
  const ops = history([
    [0, 'add', 1, 'ok'],
    [1, 'add', 2, 'ok'],
    [2, 'add', 3, 'info'],
    [0, 'add', 4, 'fail'],
    [1, 'add', 5, null],
  ]);
  test('accepts reads with every acknowledged element, any indeterminate ones, on all nodes', () => {
    const r = checkSet(ops, [
      [1, 2, 3],
      [3, 2, 1],
    ]);
    assert.deepEqual(r.problems, []);
    assert.equal(r.valid, true);
    assert.equal(r.stats.acknowledged, 2);
    assert.equal(r.stats.indeterminate, 2);
    assert.equal(
      checkSet(ops, [
        [1, 2, 5],
        [1, 2, 5],
      ]).valid,
      true,
    );
  });
  test('catches a lost insert, an invented element, a failed insert present, divergence, an unreadable node', () => {
    assert.match(checkSet(ops, [[1], [1]]).problems.join('\n'), /acknowledged inserts lost: 2/);
    assert.match(
      checkSet(ops, [
        [1, 2, 9],
        [1, 2, 9],
      ]).problems.join('\n'),
      /never inserted: 9/,
    );
    assert.match(
      checkSet(ops, [
        [1, 2, 4],
        [1, 2, 4],
      ]).problems.join('\n'),
      /insert failed: 4/,
    );
    assert.match(
      checkSet(ops, [
        [1, 2, 3],
        [1, 2],
      ]).problems.join('\n'),
      /differs from node 0/,
    );
    assert.match(checkSet(ops, [[1, 2], null]).problems.join('\n'), /node 1: the final read failed/);
  });
});

describe('counter checker', () => {
  const ops = history([
    [0, 'incr', 1, 'ok'],
    [1, 'incr', 1, 'ok'],
    [2, 'incr', 1, 'info'],
    [0, 'incr', 1, 'fail'],
  ]);
  test('accepts acknowledged plus any subset of indeterminate increments', () => {
    assert.equal(checkCounter(ops, [2, 2]).valid, true);
    assert.equal(checkCounter(ops, [3, 3]).valid, true);
    assert.equal(checkCounter(ops, [13, 13], 10).valid, true);
  });
  test('catches a lost increment, a doubled one, disagreement', () => {
    assert.equal(checkCounter(ops, [1, 1]).valid, false);
    assert.equal(checkCounter(ops, [4, 4]).valid, false, 'the failed increment must not count');
    assert.match(checkCounter(ops, [2, 3]).problems.join('\n'), /differs from node 0/);
  });
  test('subset sums of larger increments are exact', () => {
    const big = history([
      [0, 'incr', 5, 'ok'],
      [1, 'incr', 3, 'info'],
      [2, 'incr', 7, 'info'],
    ]);
    for (const v of [5, 8, 12, 15]) assert.equal(checkCounter(big, [v]).valid, true, String(v));
    for (const v of [6, 9, 11, 16]) assert.equal(checkCounter(big, [v]).valid, false, String(v));
  });
});

describe('register checker', () => {
  const ops = history([
    [0, 'write', { key: 1, value: 101 }, 'ok'],
    [1, 'write', { key: 1, value: 102 }, 'ok'],
    [2, 'write', { key: 2, value: 201 }, 'info'],
  ]);
  const entry = (
    lsn: number,
    origin: string,
    wall: number,
    key: number,
    value: number,
  ): RegisterLogEntry => ({
    lsn,
    origin,
    hlcWall: wall,
    hlcLogical: 0,
    key,
    value,
  });
  // Node a wrote 101 at t=10; node b wrote 102 at t=20 without having seen 101 (concurrent).
  const logA = [entry(1, 'a', 10, 1, 101), entry(2, 'b', 20, 1, 102), entry(3, 'c', 5, 2, 201)];
  const logB = [entry(1, 'b', 20, 1, 102), entry(2, 'a', 10, 1, 101), entry(3, 'c', 5, 2, 201)];
  const base = (over: Partial<RegisterFinal>): RegisterFinal => ({
    values: [
      new Map([
        [1, 102],
        [2, 201],
      ]),
      new Map([
        [1, 102],
        [2, 201],
      ]),
    ],
    logs: [logA, logB],
    nodeOf: new Map([
      ['a', 0],
      ['b', 1],
    ]),
    conflicts: [{ key: 1, values: [101, 102] }],
    initial: 0,
    ...over,
  });
  test('accepts the highest-HLC value everywhere with the lost write recorded as a conflict', () => {
    assert.deepEqual(checkRegister(ops, base({})).problems, []);
    assert.equal(checkRegister(ops, base({})).stats.lost_updates, 1);
  });
  test('a write the winner had seen is superseded, not lost', () => {
    const seen = [entry(1, 'a', 10, 1, 101), entry(2, 'b', 20, 1, 102)];
    assert.deepEqual(checkRegister(ops, base({ logs: [logA, seen], conflicts: [] })).problems, []);
  });
  test('a write its own node overwrote later is superseded; only the last one lost to a concurrent write needs a record', () => {
    const chain = history([
      [0, 'write', { key: 1, value: 101 }, 'ok'],
      [0, 'write', { key: 1, value: 103 }, 'ok'],
      [1, 'write', { key: 1, value: 102 }, 'ok'],
    ]);
    const a = [entry(1, 'a', 10, 1, 101), entry(2, 'a', 11, 1, 103), entry(3, 'b', 20, 1, 102)];
    const b = [entry(1, 'b', 20, 1, 102), entry(2, 'a', 10, 1, 101), entry(3, 'a', 11, 1, 103)];
    const final = new Map([[1, 102]]);
    const f = base({ values: [final, final], logs: [a, b], conflicts: [{ key: 1, values: [103, 102] }] });
    assert.deepEqual(checkRegister(chain, f).problems, []);
    assert.equal(checkRegister(chain, f).stats.lost_updates, 1);
    assert.match(
      checkRegister(chain, { ...f, conflicts: [{ key: 1, values: [101, 102] }] }).problems.join('\n'),
      /write 103 was lost/,
    );
  });
  test("a write pruned from some node's log (retention) is unjudged, not called lost", () => {
    const pruned = [entry(2, 'b', 20, 1, 102)];
    const r = checkRegister(ops, base({ logs: [logA, pruned], conflicts: [] }));
    assert.deepEqual(r.problems, []);
    assert.equal(r.stats.unjudged_pruned, 1);
  });
  test('a final value whose entry retention pruned from every log is not compared', () => {
    const newer = new Map([
      [1, 102],
      [2, 201],
    ]);
    const onlyOld = [entry(1, 'a', 10, 1, 101), entry(3, 'c', 5, 2, 201)];
    const r = checkRegister(ops, base({ values: [newer, newer], logs: [onlyOld, onlyOld], conflicts: [] }));
    assert.deepEqual(r.problems, []);
    assert.equal(r.stats.final_unjudged_pruned, 1);
  });
  test('catches an unrecorded lost update, a non-LWW winner, an unwritten value, divergence', () => {
    assert.match(
      checkRegister(ops, base({ conflicts: [] })).problems.join('\n'),
      /lost to 102 without a conflict/,
    );
    const arrival = new Map([
      [1, 101],
      [2, 201],
    ]);
    assert.match(
      checkRegister(ops, base({ values: [arrival, arrival] })).problems.join('\n'),
      /not the highest-HLC write 102/,
    );
    const invented = new Map([
      [1, 102],
      [2, 999],
    ]);
    assert.match(
      checkRegister(ops, base({ values: [invented, invented] })).problems.join('\n'),
      /never written/,
    );
    assert.match(
      checkRegister(ops, base({ values: [base({}).values[0]!, arrival] })).problems.join('\n'),
      /node 1 holds 101, node 0 102/,
    );
  });
});

describe('bank checker', () => {
  const ops = (readTotal: number) => {
    const h = new History(null);
    const t = h.invoke(0, 0, 'transfer', { from: 1, to: 2, amount: 5 });
    h.complete(t, 'ok');
    const r = h.invoke(1, 1, 'read', null);
    h.complete(r, 'ok', { 1: readTotal - 100, 2: 100 });
    return h.ops;
  };
  const balances = new Map([
    [1, 95],
    [2, 105],
  ]);
  test('accepts conserved totals', () => {
    assert.equal(checkBank(ops(200), [balances, balances], 200).valid, true);
  });
  test('catches a mid-run read and a final state whose total moved, and divergence', () => {
    assert.match(
      checkBank(ops(199), [balances, balances], 200).problems.join('\n'),
      /total 199, expected 200/,
    );
    const off = new Map([
      [1, 95],
      [2, 106],
    ]);
    assert.match(checkBank(ops(200), [balances, off], 200).problems.join('\n'), /final total 201/);
  });
});

describe('convergence checker', () => {
  test('identical digests pass, a differing table is named', () => {
    assert.equal(checkConvergence([{ t: 'x' }, { t: 'x' }]).valid, true);
    assert.match(
      checkConvergence([
        { t: 'x', u: 'y' },
        { t: 'x', u: 'z' },
      ]).problems[0]!,
      /table u: node 1/,
    );
  });
});

describe('truncate checker', () => {
  // Each step waits for the history's clock to move, so that "before" and "after" are strict.
  const h = new History(null);
  const step = <T>(f: () => T): T => {
    const t0 = performance.now();
    while (performance.now() - t0 < 0.05) {
      /* the history's times are rounded to microseconds */
    }
    return f();
  };
  step(() => h.complete(h.invoke(0, 0, 'truncate-add', 1), 'ok')); // node 0
  const t1 = step(() => h.invoke(0, 0, 'truncate', null)); // node 0: saw row 1
  step(() => h.complete(t1, 'ok'));
  const i3 = step(() => h.invoke(1, 1, 'truncate-add', 3)); // node 1, concurrent with the next TRUNCATE
  const t2 = step(() => h.invoke(0, 0, 'truncate', null));
  step(() => h.complete(i3, 'ok'));
  step(() => h.complete(t2, 'ok'));
  step(() => h.complete(h.invoke(1, 1, 'truncate-add', 2), 'ok')); // after every TRUNCATE
  step(() => h.complete(h.invoke(2, 2, 'truncate-add', 4), 'fail'));
  const ops = h.ops;
  test('accepts rows a concurrent TRUNCATE may have removed or kept, the same on every node', () => {
    assert.deepEqual(
      checkTruncate(ops, [
        [2, 3],
        [3, 2],
        [2, 3],
      ]).problems,
      [],
    );
    assert.deepEqual(checkTruncate(ops, [[2], [2], [2]]).problems, []);
    assert.equal(checkTruncate(ops, [[2], [2]]).stats.must_be_gone, 1);
  });
  test('catches a row a TRUNCATE saw, a lost row no TRUNCATE could remove, a failed or doubled row, divergence', () => {
    assert.match(
      checkTruncate(ops, [
        [1, 2],
        [1, 2],
      ]).problems.join('\n'),
      /survive a TRUNCATE that saw them.*: 1/,
    );
    assert.match(checkTruncate(ops, [[3], [3]]).problems.join('\n'), /lost that no TRUNCATE could remove: 2/);
    assert.match(
      checkTruncate(ops, [
        [2, 4],
        [2, 4],
      ]).problems.join('\n'),
      /never inserted or failed: 4/,
    );
    assert.match(
      checkTruncate(ops, [
        [2, 2],
        [2, 2],
      ]).problems.join('\n'),
      /duplicate/,
    );
    assert.match(checkTruncate(ops, [[2, 3], [2]]).problems.join('\n'), /node 1: final rows differ/);
    assert.match(checkTruncate(ops, [[2], null]).problems.join('\n'), /node 1: the final read failed/);
  });
});

describe('foreign-key checker', () => {
  const h = new History(null);
  const step = <T>(f: () => T): T => {
    const t0 = performance.now();
    while (performance.now() - t0 < 0.05) {
      /* the history's times are rounded to microseconds */
    }
    return f();
  };
  step(() => h.complete(h.invoke(0, 0, 'add-child', { id: 1, parent: 1 }), 'ok')); // node 0
  step(() => h.complete(h.invoke(0, 0, 'delete-parent', 1), 'ok')); // node 0: saw child 1
  step(() => h.complete(h.invoke(1, 1, 'add-child', { id: 2, parent: 2 }), 'ok')); // parent 2 never deleted
  step(() => h.complete(h.invoke(2, 2, 'add-child', { id: 3, parent: 1 }), 'ok')); // node 2 may not have seen the delete
  step(() => h.complete(h.invoke(2, 2, 'add-child', { id: 4, parent: 3 }), 'fail'));
  const ops = h.ops;
  const read = (children: [number, number][], parents = [2, 3]) => ({
    parents,
    children: children.map(([id, parent]) => ({ id, parent })),
  });
  test('accepts a concurrent child gone or kept with its parent, every other child kept, the same everywhere', () => {
    assert.deepEqual(checkForeignKeys(ops, [read([[2, 2]]), read([[2, 2]])]).problems, []);
    assert.deepEqual(
      checkForeignKeys(ops, [
        read(
          [
            [2, 2],
            [3, 1],
          ],
          [1, 2, 3],
        ),
        read(
          [
            [3, 1],
            [2, 2],
          ],
          [1, 2, 3],
        ),
      ]).problems,
      [],
    );
    assert.equal(checkForeignKeys(ops, [read([[2, 2]])]).stats.must_be_gone, 1);
  });
  test('catches an orphan, a lost child, a child its parent delete saw, a failed child, divergence', () => {
    assert.match(
      checkForeignKeys(ops, [
        read([
          [2, 2],
          [3, 1],
        ]),
      ]).problems.join('\n'),
      /without their parent: 3/,
    );
    assert.match(
      checkForeignKeys(ops, [read([])]).problems.join('\n'),
      /lost that no delete could remove: 2/,
    );
    assert.match(
      checkForeignKeys(ops, [
        read(
          [
            [1, 1],
            [2, 2],
          ],
          [1, 2, 3],
        ),
      ]).problems.join('\n'),
      /survive a delete of their parent that saw them: 1/,
    );
    assert.match(
      checkForeignKeys(ops, [
        read([
          [2, 2],
          [4, 3],
        ]),
      ]).problems.join('\n'),
      /never added or failed: 4/,
    );
    assert.match(checkForeignKeys(ops, [read([[2, 2]]), read([[2, 2]], [2])]).problems.join('\n'), /differ/);
  });
});
