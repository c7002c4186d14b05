// The checkers of the primary/standby chaos mode on hand-made histories: linearizability of the
// writers' operations across failovers, no acknowledged write lost (async mode: none lost
// unrecorded in rewound rows), standby reads (committed, never from the future, monotonic per
// session) and one writable primary per epoch (NULL epochs = epoch 0) — each accepts a good history
// and catches a planted bug.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { History } from '../../chaos/history.js';
import {
  type CommitOrder,
  checkLinearizability,
  checkNoLostWrite,
  checkOnePrimaryPerEpoch,
  checkStandbyReads,
  type RewoundValues,
  type RoleReport,
} from '../../chaos/leader-checkers.js';

type Step =
  | ['write', process: number, node: number, key: number, value: number, outcome: 'ok' | 'info' | 'fail']
  | ['read', process: number, node: number, key: number, value: number | null]
  | ['role', node: number, role: string, epoch: number | null];

/** A sequential history (each operation completes before the next is invoked). */
function history(steps: Step[]) {
  const h = new History(null);
  for (const s of steps) {
    if (s[0] === 'write') {
      const [, p, node, key, value, outcome] = s;
      h.complete(h.invoke(p, node, 'write', { key, value }), outcome);
    } else if (s[0] === 'read') {
      const [, p, node, key, value] = s;
      h.complete(h.invoke(p, node, 'read', { key }), 'ok', { key, value });
    } else {
      const [, node, role, epoch] = s;
      const report: RoleReport = { role, readOnly: role !== 'primary', epoch };
      h.complete(h.invoke(-2 - node, node, 'role', null), 'ok', report);
    }
  }
  return h.ops;
}

const order: CommitOrder = new Map([[1, [0, 1, 2]]]);

describe('linearizability of the primary', () => {
  test('a read on the primary after an acknowledged write must see it; standby reads are not judged', () => {
    const good = history([
      ['write', 0, 0, 1, 1, 'ok'],
      ['read', 1, 1, 1, 0], // a standby behind: not the primary
      ['read', 2, 0, 1, 1],
    ]);
    assert.equal(checkLinearizability(good, (o) => o.node === 0, 0).valid, true);
    const bad = history([
      ['write', 0, 0, 1, 1, 'ok'],
      ['read', 2, 0, 1, 0],
    ]);
    const r = checkLinearizability(bad, (o) => o.node === 0, 0);
    assert.equal(r.valid, false);
    assert.match(r.problems[0]!, /read → 0 .* cannot be linearized/);
  });
});

describe('no acknowledged write lost', () => {
  const ops = history([
    ['write', 0, 0, 1, 1, 'ok'],
    ['write', 0, 0, 1, 2, 'info'],
  ]);
  test('every node holds the acknowledged write or a later one', () => {
    const r = checkNoLostWrite(ops, [new Map([[1, 2]]), new Map([[1, 1]])], order);
    assert.equal(r.valid, true, r.problems.join('; '));
  });
  test('a node holding an older value, or a write missing from the log, is caught', () => {
    const r = checkNoLostWrite(ops, [new Map([[1, 2]]), new Map([[1, 0]])], order);
    assert.equal(r.valid, false);
    assert.match(r.problems[0]!, /node 1 key 1: holds 0, which is older than acknowledged write 1/);
    const lostFromLog = checkNoLostWrite(ops, [new Map([[1, 2]])], new Map([[1, [0, 2]]]));
    assert.match(lostFromLog.problems[0]!, /acknowledged write 1 .* is not in the primary's log/);
  });
});

describe('across failovers', () => {
  // Node 0 is primary in epoch 1, node 1 takes over in epoch 2; the writers follow it.
  test('writes on successive primaries form one linearizable history; a stale read on the deposed one does not', () => {
    const good = history([
      ['write', 0, 0, 1, 1, 'ok'],
      ['write', 1, 0, 1, 2, 'info'], // in flight when node 0 died: may or may not have happened
      ['read', 2, 1, 1, 1],
      ['write', 2, 1, 1, 3, 'ok'],
      ['read', 2, 1, 1, 3],
    ]);
    const writers = (o: { process: number }): boolean => o.process < 5;
    assert.equal(checkLinearizability(good, writers, 0).valid, true);
    const stale = history([
      ['write', 0, 0, 1, 1, 'ok'],
      ['write', 2, 1, 1, 3, 'ok'],
      ['read', 3, 0, 1, 1], // the deposed primary still answering reads
    ]);
    assert.match(checkLinearizability(stale, writers, 0).problems[0]!, /read → 1 .* cannot be linearized/);
  });

  const rewound: RewoundValues = new Map([[1, new Map([[2, new Set([0])]])]]);
  const acked = history([
    ['write', 0, 0, 1, 1, 'ok'],
    ['write', 0, 0, 1, 2, 'ok'], // acknowledged by node 0, which then lost its role
  ]);
  const survived: CommitOrder = new Map([[1, [0, 1]]]);
  const finals = [new Map([[1, 1]]), new Map([[1, 1]])];
  test('async mode: an acknowledged write lost is valid only when a deposed primary recorded it as rewound', () => {
    const r = checkNoLostWrite(acked, finals, survived, rewound, true);
    assert.equal(r.valid, true, r.problems.join('; '));
    assert.equal(r.stats.rewound_acknowledged, 1);
    const unrecorded = checkNoLostWrite(acked, finals, survived, new Map(), true);
    assert.match(
      unrecorded.problems[0]!,
      /acknowledged write 2 .* is not in the primary's log nor in any replicate.rewound_rows/,
    );
  });
  test('sync mode: an acknowledged write rewound is lost', () => {
    const r = checkNoLostWrite(acked, finals, survived, rewound, false);
    assert.match(r.problems[0]!, /acknowledged write 2 .* was rewound by a deposed primary/);
  });
  test('a rewound value read on the node that rewound it is counted; on another node, in sync mode, it is not allowed', () => {
    const own = history([['read', 5, 0, 1, 2]]);
    const r = checkStandbyReads(own, () => true, survived, rewound, false);
    assert.equal(r.valid, true, r.problems.join('; '));
    assert.equal(r.stats.rewound_reads, 1);
    const other = history([['read', 5, 1, 1, 2]]);
    assert.match(
      checkStandbyReads(other, () => true, survived, rewound, false).problems[0]!,
      /read key 1 → 2, a value node\(s\) 0 rewound/,
    );
    assert.equal(checkStandbyReads(other, () => true, survived, rewound, true).valid, true);
  });
});

describe('standby reads', () => {
  test('behind is fine; going back in a session, a value never committed or from the future is not', () => {
    const good = history([
      ['read', 5, 1, 1, 0],
      ['write', 0, 0, 1, 1, 'ok'],
      ['read', 5, 1, 1, 0],
      ['read', 5, 1, 1, 1],
      ['read', 6, 2, 1, 0], // another session may be further behind
    ]);
    assert.equal(checkStandbyReads(good, (o) => o.node > 0, order).valid, true);
    const back = history([
      ['write', 0, 0, 1, 1, 'ok'],
      ['read', 5, 1, 1, 1],
      ['read', 5, 1, 1, 0],
    ]);
    assert.match(
      checkStandbyReads(back, (o) => o.node > 0, order).problems[0]!,
      /read 0 .* after 1 .* committed later/,
    );
    const invented = history([['read', 5, 1, 1, 7]]);
    assert.match(
      checkStandbyReads(invented, (o) => o.node > 0, order).problems[0]!,
      /a value never committed/,
    );
    const future = history([
      ['read', 5, 1, 1, 2],
      ['write', 0, 0, 1, 2, 'ok'],
    ]);
    assert.match(
      checkStandbyReads(future, (o) => o.node > 0, order).problems[0]!,
      /before its write was invoked/,
    );
  });
});

describe('one writable primary per epoch', () => {
  test('NULL epochs (epoch 0): one primary acknowledging writes is valid', () => {
    const ops = history([
      ['role', 0, 'primary', null],
      ['role', 1, 'standby', null],
      ['write', 0, 0, 1, 1, 'ok'],
      ['role', 0, 'primary', null],
    ]);
    const r = checkOnePrimaryPerEpoch(ops, true);
    assert.equal(r.valid, true, r.problems.join('; '));
    assert.equal(r.stats.epochs, 1);
  });
  test('two writable primaries, or two nodes acknowledging writes, in one epoch are caught', () => {
    const twoPrimaries = history([
      ['role', 0, 'primary', null],
      ['role', 1, 'primary', null],
    ]);
    assert.match(
      checkOnePrimaryPerEpoch(twoPrimaries, true).problems[0]!,
      /epoch 0: nodes 0, 1 each reported/,
    );
    const twoWriters = history([
      ['role', 0, 'primary', 3],
      ['role', 1, 'primary', 4],
      ['write', 0, 0, 1, 1, 'ok'],
      ['write', 1, 1, 1, 2, 'ok'],
      ['write', 2, 1, 1, 3, 'ok'],
    ]);
    // Epochs 3 and 4 each had one primary: valid (a failover), unless the old one acknowledged after.
    assert.equal(checkOnePrimaryPerEpoch(twoWriters, true).valid, true);
    const stale = history([
      ['role', 0, 'primary', 3],
      ['role', 1, 'primary', 4],
      ['write', 1, 1, 1, 2, 'ok'],
      ['write', 0, 0, 1, 1, 'ok'],
    ]);
    const strict = checkOnePrimaryPerEpoch(stale, true);
    assert.match(strict.problems[0]!, /node 0: acknowledged write #\d+ in epoch 3 after epoch 4/);
    const lenient = checkOnePrimaryPerEpoch(stale, false);
    assert.equal(lenient.valid, true);
    assert.equal(lenient.stats.stale_epoch_acks, 1);
  });
  test('a standby not linked to a primary yet (NULL epoch) is not an epoch going back', () => {
    const ops = history([
      ['role', 1, 'standby', 5],
      ['role', 1, 'standby', null],
      ['role', 1, 'standby', 6],
    ]);
    assert.equal(checkOnePrimaryPerEpoch(ops, true).valid, true);
  });
  test('an epoch going back on a node is caught', () => {
    const ops = history([
      ['role', 1, 'standby', 5],
      ['role', 1, 'standby', 4],
    ]);
    assert.match(checkOnePrimaryPerEpoch(ops, false).problems[0]!, /node 1: epoch went back from 5 to 4/);
  });
});
