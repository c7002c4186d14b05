// The witness lease protocol on simulated links and virtual time: one master at a time holds the
// vote; a restarted witness grants nothing until any lease it gave before has lapsed; with three
// witnesses a master needs a majority of them, so a partition can never give both masters the vote.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { WitnessClient, WitnessServer, witnessLeaseMs } from '../../src/replication/cluster/witness.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const logger = pino({ level: 'silent' });

function setup(seed: number, witnesses: string[]) {
  const world = new SimWorld(seed);
  const fabric = new SimFabric(world);
  const servers = new Map(
    witnesses.map((w) => [w, new WitnessServer(fabric.network(w, []), world.timers(), logger)]),
  );
  const client = (id: string, needed: () => boolean = () => true): WitnessClient =>
    new WitnessClient(fabric.network(id, witnesses), world.timers(), logger, needed, witnesses.length);
  return { world, fabric, servers, client };
}

test('one master holds the vote; a restarted witness waits out old leases before granting', async () => {
  const { world, fabric, servers, client } = setup(11, ['w']);
  await servers.get('w')!.start();
  const a = client('a');
  const b = client('b');
  await a.start();
  await world.runFor(200);
  assert.equal(a.holdsLease(), false, 'a new witness grants nothing during its first lease length');
  await world.runFor(witnessLeaseMs + 1_500);
  assert.equal(a.holdsLease(), true);
  await b.start();
  await world.runFor(3 * witnessLeaseMs);
  assert.equal(a.holdsLease(), true, 'a renews its lease');
  assert.equal(b.holdsLease(), false, 'b is refused while a holds it');
  assert.equal(b.lastRefusedFor, 'a');

  // The witness restarts (it forgot a's lease); a is cut off from it and b asks at once.
  fabric.partition('a', 'w');
  await servers.get('w')!.stop();
  const restarted = new WitnessServer(fabric.network('w', []), world.timers(), logger);
  await restarted.start();
  const leaseEnds = world.nowMs + witnessLeaseMs;
  while (world.nowMs < leaseEnds) {
    await world.runFor(100);
    assert.ok(!(a.holdsLease() && b.holdsLease()), 'never both at once');
    if (restarted.leaseHolder() === 'b') assert.equal(a.holdsLease(), false);
  }
  await world.runFor(2 * witnessLeaseMs);
  assert.equal(a.holdsLease(), false, "a's lease lapsed");
  assert.equal(b.holdsLease(), true, 'b holds the vote once the old lease must have lapsed');
  await a.stop();
  await b.stop();
  await restarted.stop();
});

test('with three witnesses a master needs two grants; split 2 / 1 only one side gets the vote', async () => {
  const { world, fabric, servers, client } = setup(12, ['w1', 'w2', 'w3']);
  for (const s of servers.values()) await s.start();
  const a = client('a');
  const b = client('b');
  // a reaches only w1; b reaches w2 and w3.
  for (const w of ['w2', 'w3']) fabric.partition('a', w);
  fabric.partition('b', 'w1');
  await a.start();
  await b.start();
  await world.runFor(3 * witnessLeaseMs);
  assert.equal(servers.get('w1')!.leaseHolder(), 'a', 'w1 granted a');
  assert.equal(a.holdsLease(), false, 'one grant of three is not the vote');
  assert.equal(b.holdsLease(), true, 'two grants of three are');
  for (const x of [a, b]) await x.stop();
  for (const s of servers.values()) await s.stop();
});

test('a grant that arrives after the master stopped needing it is handed back, never held', async () => {
  const { world, servers, client } = setup(13, ['w']);
  const w = servers.get('w')!;
  await w.start();
  let needed = true;
  const a = client('a', () => needed);
  await a.start();
  await world.runFor(witnessLeaseMs + 1_500);
  assert.equal(a.holdsLease(), true);
  // a stops needing the vote while a renewal is on its way (links delay 1-30 ms).
  a.tick();
  needed = false;
  a.tick();
  await world.runFor(100);
  assert.equal(a.holdsLease(), false, 'the late grant is not taken');
  assert.equal(w.leaseHolder(), null, 'and the witness is free again');
  await a.stop();
  await w.stop();
});
