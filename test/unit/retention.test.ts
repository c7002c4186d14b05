// Log retention in a simulated 2-node cluster: acknowledged entries are truncated; past the byte
// cap a lagging peer is marked as needing a snapshot and told so instead of being sent a log with holes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-retention-'));
after(() => rmSync(root, { recursive: true, force: true }));

function open(world: SimWorld, fabric: SimFabric, id: string): ChorusNode {
  return openSimNode({
    world,
    fabric,
    root,
    id,
    peers: ['a', 'b'],
    replication: { buffers: { wal_buffer_size_mb: 1 } },
  });
}

test('acknowledged log is truncated; a peer behind the capped log is refused with snapshot_required', async () => {
  const world = new SimWorld(7);
  const fabric = new SimFabric(world);
  const a = open(world, fabric, 'a');
  const b = open(world, fabric, 'b');
  try {
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < 20; i++) await a.exec('INSERT INTO r VALUES ($1, $2)', [BigInt(i), 'x']);
    await world.runFor(1_000);
    assert.equal(b.engine.appliedVector().a, a.engine.appliedVector().a);
    await a.replicator!.runRetention();
    const retained = Number(
      (await a.query('SELECT count(DISTINCT txid) AS n FROM replicate.log')).rows[0]!.n,
    );
    assert.equal(retained, 1, 'everything b acknowledged but the newest transaction is truncated');

    // b falls behind while a writes more than the 1 MiB cap.
    fabric.partition('a', 'b');
    const payload = 'p'.repeat(2_000);
    for (let i = 100; i < 1_500; i += 100) {
      await a.exec(
        `INSERT INTO r WITH RECURSIVE c(x) AS (SELECT ${i} UNION ALL SELECT x + 1 FROM c WHERE x < ${i + 99}) SELECT x, '${payload}' FROM c`,
      );
    }
    for (let pass = 0; pass < 8; pass++) await a.replicator!.runRetention();
    const peers = a.replicator!.failures.map((f) => f.message).join('\n');
    assert.match(peers, /needs a snapshot/);

    fabric.heal('a', 'b');
    await world.runFor(2_000);
    assert.ok(b.replicator!.needsSnapshot, 'b learns it needs a snapshot');
    assert.equal((await b.query('SELECT replicate.status()')).rows[0]!.status, 'NEEDS_SNAPSHOT');
    const seen = (await a.query("SELECT state FROM replicate.masters WHERE master_id = 'b'")).rows;
    assert.deepEqual(seen, [{ state: 'NEEDS_SNAPSHOT' }]);
    assert.equal(b.replicator!.needsSnapshot?.from, 'a');
    // b did not receive a log with holes: it applied nothing new from a.
    assert.equal(Number((await b.query('SELECT count(*) AS n FROM r')).rows[0]!.n), 20);
  } finally {
    await a.close();
    await b.close();
  }
});

test('log_retention_min_ms keeps acknowledged transactions until they are that old', async () => {
  const world = new SimWorld(8);
  const fabric = new SimFabric(world);
  const keep = (id: string): ChorusNode =>
    openSimNode({
      world,
      fabric,
      root,
      id,
      peers: ['c', 'd'],
      replication: { log_retention_min_ms: 60_000 },
    });
  const c = keep('c');
  const d = keep('d');
  try {
    await c.startReplication();
    await d.startReplication();
    await c.exec('CREATE TABLE k (id INTEGER PRIMARY KEY)');
    for (let i = 0; i < 10; i++) await c.exec('INSERT INTO k VALUES ($1)', [BigInt(i)]);
    await world.runFor(1_000);
    assert.equal(d.engine.appliedVector().c, c.engine.appliedVector().c);
    const count = async () =>
      Number((await c.query('SELECT count(DISTINCT txid) AS n FROM replicate.log')).rows[0]!.n);
    await c.replicator!.runRetention();
    assert.equal(await count(), 11, 'acknowledged but younger than a minute: kept');
    await world.runFor(61_000);
    await c.replicator!.runRetention();
    assert.equal(await count(), 1, 'a minute later only the newest transaction stays');
  } finally {
    await c.close();
    await d.close();
  }
});
