// A commit is shipped when it happens, not at the sender's next poll (batch_timeout_ms, at most
// senderPollMs): an autocommitted write goes through group commit, whose commit must wake the
// sender like any other. Virtual time: with 1 ms links, every write is on the peer 5 ms later, far
// sooner than any poll could have shipped it (each write lands at another phase of the poll).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-ship-at-once-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('an autocommitted write (group commit) and a transaction block are shipped at commit', async () => {
  const world = new SimWorld(7);
  const fabric = new SimFabric(world, { minDelayMs: 1, maxDelayMs: 1, reconnectMs: 100 });
  const open = (id: string) =>
    openSimNode({ world, fabric, root, id, peers: ['a', 'b'], replication: { batch_timeout_ms: 10_000 } });
  const a = open('a');
  const b = open('b');
  try {
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await world.runFor(1_000);
    const onB = async (id: number): Promise<boolean> =>
      (await b.query(`SELECT count(*) AS n FROM t WHERE id = ${id}`)).rows[0]!.n === 1n;
    for (let i = 1; i <= 8; i++) {
      await a.exec(`INSERT INTO t VALUES (${i})`);
      await world.runFor(5);
      assert.equal(await onB(i), true, `autocommitted insert ${i} not on the peer 5 ms after its commit`);
      await world.runFor(31);
    }
    await a.exec('BEGIN; INSERT INTO t VALUES (100); COMMIT');
    await world.runFor(5);
    assert.equal(await onB(100), true, 'a transaction block not on the peer 5 ms after its commit');
  } finally {
    await a.close();
    await b.close();
  }
});
