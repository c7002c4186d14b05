// replication.timestamp_source decides which of two concurrent writes wins: the later hybrid
// logical clock (server_timestamp), the higher Lamport counter (logical_clock), or the timestamp
// the client session supplied (client_timestamp). Two simulated nodes, partitioned while writing.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-ts-source-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Source = 'server_timestamp' | 'logical_clock' | 'client_timestamp';

async function race(source: Source): Promise<{ a: unknown; b: unknown; conflicts: number }> {
  const world = new SimWorld(11);
  const fabric = new SimFabric(world);
  const open = (id: string): ChorusNode =>
    openSimNode({
      world,
      fabric,
      root: join(root, source),
      id,
      peers: ['a', 'b'],
      replication: { timestamp_source: source },
    });
  const a = open('a');
  const b = open('b');
  try {
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)');
    await a.exec("INSERT INTO r VALUES (1, 'start')");
    await world.runFor(500);
    fabric.partition('a', 'b');
    // b writes three times first (higher Lamport counter, earlier wall clock), with a client
    // timestamp from the future; a writes once, later in wall-clock time, with an older client one.
    const sb = b.openSession();
    const sa = a.openSession();
    const run = async (node: ChorusNode, s: ReturnType<ChorusNode['openSession']>, sql: string) => {
      const [p] = node.plans.planSimple(sql);
      await s.execute(p!.prepared, p!.params);
    };
    if (source === 'client_timestamp')
      await run(b, sb, "SET chorus.client_timestamp = '2099-01-01T00:00:00Z'");
    for (const v of ['b1', 'b2', 'b3']) await run(b, sb, `UPDATE r SET v = '${v}' WHERE id = 1`);
    await world.runFor(1_000);
    if (source === 'client_timestamp')
      await run(a, sa, "SET chorus.client_timestamp = '2000-01-01T00:00:00Z'");
    await run(a, sa, "UPDATE r SET v = 'a1' WHERE id = 1");
    b.closeSession(sb);
    a.closeSession(sa);
    fabric.heal('a', 'b');
    await world.runFor(2_000);
    const va = (await a.query('SELECT v FROM r WHERE id = 1')).rows[0]!.v;
    const vb = (await b.query('SELECT v FROM r WHERE id = 1')).rows[0]!.v;
    const conflicts =
      Number((await a.query('SELECT count(*) AS n FROM replicate.conflicts')).rows[0]!.n) +
      Number((await b.query('SELECT count(*) AS n FROM replicate.conflicts')).rows[0]!.n);
    return { a: va, b: vb, conflicts };
  } finally {
    await a.close();
    await b.close();
  }
}

test('server_timestamp: the later hybrid logical clock wins', async () => {
  const r = await race('server_timestamp');
  assert.deepEqual([r.a, r.b], ['a1', 'a1']);
  assert.ok(r.conflicts >= 1);
});

test('logical_clock: the higher Lamport counter wins', async () => {
  const r = await race('logical_clock');
  assert.deepEqual([r.a, r.b], ['b3', 'b3']);
  assert.ok(r.conflicts >= 1);
});

test('client_timestamp: the later client-supplied timestamp wins', async () => {
  const r = await race('client_timestamp');
  assert.deepEqual([r.a, r.b], ['b3', 'b3']);
  assert.ok(r.conflicts >= 1);
});
