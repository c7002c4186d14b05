// What automatic failover keeps on disk (replication/standby/failover-state.ts): the commits of a
// deposed primary the new primary lacks are appended to rewound-rows.jsonl (one line per row
// change, with the values that are rewound) and read back for replicate.rewound_rows; the role and
// primary a failover gave a node override its command line only with [ha] nodes set; while a rewind
// is pending, a snapshot must cover the node's vector capped at the new primary's, not the rewound commits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { ChorusNode } from '../../src/node/node.js';
import { openNode } from '../../src/node/node.js';
import {
  applyFailoverState,
  readRewound,
  recordRewound,
  rewindPending,
  snapshotMustCover,
  toVector,
  writeFailoverState,
} from '../../src/replication/standby/failover-state.js';
import { rewindToMetaKey } from '../../src/storage/engine/snapshot-install.js';

let dir: string;
let node: ChorusNode;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chorus-failover-state-'));
  node = openNode({ load: { flags: { dataDir: dir, nodeId: 'fs1', logLevel: 'silent' } } });
  await node.exec('CREATE TABLE fs_items (id int PRIMARY KEY, note text)');
  for (let i = 1; i <= 3; i++) await node.exec(`INSERT INTO fs_items VALUES (${i}, 'n${i}')`);
});

after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the commits the new primary lacks are recorded with their values, the rest are not', () => {
  const own = node.engine.applied.get('fs1') ?? 0;
  assert.ok(own >= 4, `own commits: ${own}`);
  // The new primary holds all but the last two of this node's commits.
  const n = recordRewound(dir, node.engine, { fs1: own - 2 }, 7);
  assert.equal(n, 2);
  const rows = readRewound(dir);
  assert.deepEqual(
    rows.map((r) => [r.epoch, r.originSeq, r.table, r.op, r.key, JSON.parse(r.values ?? 'null')?.note]),
    [
      [7, own - 1, 'fs_items', 'INSERT', '[2]', 'n2'],
      [7, own, 'fs_items', 'INSERT', '[3]', 'n3'],
    ],
  );
  assert.equal(recordRewound(dir, node.engine, { fs1: own }, 7), 0, 'nothing to rewind');
  assert.equal(readRewound(dir).length, 2);
});

test('a failover role overrides the command line only with automatic failover configured', async () => {
  const db = node.engine.writer;
  await new Promise<void>((resolve) =>
    writeFailoverState(db, { role: 'standby', primaryEndpoint: '127.0.0.1:7999', rewindTo: null }, resolve),
  );
  const base = loadConfig({
    flags: { dataDir: dir, haMode: 'primary', haBind: '127.0.0.1:7998' },
    env: { CHORUS_CLUSTER_SECRET: 'failover-state-test' },
  });
  assert.equal(applyFailoverState(base, db), base, 'no [ha] nodes: the command line holds');
  const withHa = { ...base, ha: { ...base.ha, nodes: ['127.0.0.1:7997'], vote_bind: '127.0.0.1:7997' } };
  const got = applyFailoverState(withHa, db);
  assert.equal(got.haMode, 'standby');
  assert.equal(got.replication.primary, '127.0.0.1:7999');
});

test('a pending rewind asks a snapshot for what the new primary held, not for the rewound commits', async () => {
  const db = node.engine.writer;
  const own = node.engine.applied.get('fs1') ?? 0;
  const applied = { fs1: own, other: 5 };
  assert.equal(rewindPending(db), false);
  assert.deepEqual(snapshotMustCover(db, applied), applied, 'no rewind: the whole vector');
  await new Promise<void>((resolve) =>
    writeFailoverState(
      db,
      { role: 'standby', primaryEndpoint: '127.0.0.1:7999', rewindTo: { fs1: own - 2, other: 9, third: 4 } },
      resolve,
    ),
  );
  assert.equal(rewindPending(db), true);
  assert.deepEqual(snapshotMustCover(db, applied), { fs1: own - 2, other: 5 });
  db.prepare('DELETE FROM _chorus_meta WHERE key = ?').run(rewindToMetaKey);
});

test('a peer-sent vector keeps only non-negative safe integers', () => {
  assert.deepEqual(toVector({ a: 3, b: -1, c: 1.5, d: '7', e: 2 ** 60 }), { a: 3 });
  assert.deepEqual(toVector(null), {});
  assert.deepEqual(toVector([4]), {});
});

test('rewound transactions the log no longer holds (its byte cap) are recorded as NOT_IN_LOG, none silently', async () => {
  const out = mkdtempSync(join(tmpdir(), 'chorus-failover-state-out-'));
  try {
    for (let i = 10; i <= 13; i++) await node.exec(`INSERT INTO fs_items VALUES (${i}, 'n${i}')`);
    const own = node.engine.applied.get('fs1') ?? 0;
    // Retention past its byte cap dropped the two oldest of the last four (never the newest).
    const db = node.engine.writer;
    for (const seq of [own - 3, own - 2]) {
      const txid = db
        .prepare("SELECT txid FROM _chorus_tx WHERE origin = 'fs1' AND origin_seq = ?")
        .pluck()
        .get(seq);
      db.prepare('DELETE FROM _chorus_log WHERE txid = ?').run(txid);
      db.prepare('DELETE FROM _chorus_tx WHERE txid = ?').run(txid);
    }
    assert.equal(recordRewound(out, node.engine, { fs1: own - 4 }, 8), 4);
    const rows = readRewound(out);
    assert.deepEqual(
      rows.map((r) => [r.originSeq, r.op, r.table]),
      [
        [own - 3, 'NOT_IN_LOG', null],
        [own - 1, 'INSERT', 'fs_items'],
        [own, 'INSERT', 'fs_items'],
      ],
    );
    assert.match(rows[0]!.values ?? '', new RegExp(`transactions ${own - 3} to ${own - 2} of fs1`));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
