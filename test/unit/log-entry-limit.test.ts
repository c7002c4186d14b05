// A row change larger than a replication batch may carry ([replication] max_batch_size_mb) is
// refused at COMMIT with 54000 and rolled back: committed, it could never be shipped, and the
// sender would stop at it (every later write unreplicated). A standalone node has no such limit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-entry-limit-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a row change over max_batch_size_mb is refused with 54000 and nothing is committed; smaller ones ship', async () => {
  const world = new SimWorld(3);
  const fabric = new SimFabric(world);
  const ids = ['la', 'lb'];
  const [a, b] = ids.map((id) =>
    openSimNode({ world, fabric, root, id, peers: ids, replication: { max_batch_size_mb: 1 } }),
  );
  try {
    await a!.startReplication();
    await b!.startReplication();
    await a!.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)');
    const big = 'x'.repeat(1_200_000);
    const e = await a!.exec('INSERT INTO blobs VALUES (1, $1)', [big]).then(
      () => null,
      (err: { sqlstate?: string; message: string }) => err,
    );
    assert.equal(e?.sqlstate, '54000');
    assert.match(e!.message, /exceeds the 1048576 bytes a replication batch may carry/);
    await a!.exec('INSERT INTO blobs VALUES (2, $1)', ['y'.repeat(500_000)]);
    await world.runFor(1_000);
    for (const n of [a!, b!])
      assert.deepEqual((await n.query('SELECT id, length(body) AS n FROM blobs ORDER BY id')).rows, [
        { id: 2n, n: 500_000n },
      ]);
  } finally {
    await a!.close();
    await b!.close();
  }
});

test('a standalone node takes a row change of any size', async () => {
  const n = openNode({
    load: { base: { server: { data_dir: join(root, 'alone'), reader_threads: 0, log_level: 'silent' } } },
  });
  try {
    await n.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)');
    await n.exec('INSERT INTO blobs VALUES (1, $1)', ['x'.repeat(12_000_000)]);
    assert.deepEqual((await n.query('SELECT length(body) AS n FROM blobs')).rows, [{ n: 12_000_000n }]);
  } finally {
    await n.close();
  }
});
