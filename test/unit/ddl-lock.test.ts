// The cluster DDL lock (src/replication/cluster/ddl-lock.ts), step by step on the simulated network and
// virtual time: a majority's votes, the refusal without one (and its hint), one holder at a time,
// the DDL positions a vote carries (after a release, after a lapsed vote, over a restart).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DdlLease,
  DdlLock,
  type DdlVoteStore,
  ddlLockLeaseMs,
} from '../../src/replication/cluster/ddl-lock.js';
import { memoryVoteStore } from '../../src/replication/cluster/ddl-vote-store.js';
import type { Link, PeerMessage } from '../../src/replication/link/link.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { SimWorld } from '../../src/testing/sim-world.js';

interface Master {
  id: string;
  lock: DdlLock;
  applied: Record<string, number>;
  store: DdlVoteStore;
}

/** Masters m1..mN, fully linked, each with its lock on the simulated network. */
async function cluster(
  n: number,
  world = new SimWorld(7),
): Promise<{ world: SimWorld; fabric: SimFabric; ms: Master[] }> {
  const fabric = new SimFabric(world);
  const ids = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const ms = ids.map((id) => start(world, fabric, ids, id, { [id]: 0 }, memoryVoteStore()));
  await world.runFor(300);
  return { world, fabric, ms };
}

function start(
  world: SimWorld,
  fabric: SimFabric,
  ids: string[],
  id: string,
  applied: Record<string, number>,
  store: DdlVoteStore,
): Master {
  const links = new Set<Link>();
  const handle = (l: Link) => ({ peerId: l.peerId, send: (m: PeerMessage) => l.send(m), closed: l.closed });
  const m: Master = { id, applied, store, lock: null as unknown as DdlLock };
  m.lock = new DdlLock({
    nodeId: id,
    timers: world.timers(),
    random: world.rng,
    peers: () => [...links].filter((l) => !l.closed).map(handle),
    masters: () => {
      const up = new Set([...links].filter((l) => !l.closed).map((l) => l.peerId));
      return ids.filter((x) => x !== id).map((name) => ({ name, linked: up.has(name) }));
    },
    applied: () => ({ ...m.applied }),
    store,
  });
  void fabric.network(id, ids).start((link) => {
    links.add(link);
    m.lock.onOpen(handle(link));
    return {
      onMessage: (_l, msg) => m.lock.onMessage(handle(link), msg),
      onClose: () => {
        links.delete(link);
        m.lock.onClose(link.peerId);
      },
    };
  });
  return m;
}

/** Run the world while a promise settles (the lock's messages only move while it runs). */
async function during<T>(world: SimWorld, p: Promise<T>, ms = 30_000): Promise<T> {
  let done = false;
  const out = p.finally(() => {
    done = true;
  });
  // Awaited below, once the world has run: not an unhandled rejection meanwhile.
  out.catch(() => undefined);
  for (let t = 0; t < ms && !done; t += 50) await world.runFor(50);
  return out;
}

test('a majority of the masters grants the lock; one holder at a time; released at commit', async () => {
  const { world, ms } = await cluster(3);
  const [a, b] = ms as [Master, Master, Master];
  const lease = (await during(world, a.lock.acquire(1))) as DdlLease;
  assert.ok(lease.valid());
  assert.equal(lease.missing(), null);
  // b cannot get it while a holds it: refused after its retries, naming the holder.
  await assert.rejects(during(world, b.lock.acquire(1)), (e: { sqlstate?: string; detail?: string }) => {
    return e.sqlstate === '55P03' && /"m1"/.test(e.detail ?? '');
  });
  lease.release(1);
  a.applied.m1 = 1;
  await world.runFor(100);
  // b may now take it, but only once it has applied a's DDL (m1:1): the votes carry it.
  const next = (await during(world, b.lock.acquire(1))) as DdlLease;
  assert.deepEqual(next.missing(), { m1: 1 });
  next.release(null);
  b.applied.m1 = 1;
  const again = (await during(world, b.lock.acquire(1))) as DdlLease;
  assert.equal(again.missing(), null);
  again.release(null);
});

test('without a majority DDL is refused with 55000, naming the unreachable masters', async () => {
  const { world, fabric, ms } = await cluster(3);
  fabric.partition('m1', 'm2');
  fabric.partition('m1', 'm3');
  await world.runFor(100);
  await assert.rejects(during(world, ms[0]!.lock.acquire(1)), (e: { sqlstate?: string; hint?: string }) => {
    return e.sqlstate === '55000' && /Unreachable: m2, m3/.test(e.hint ?? '');
  });
  // The other two are a majority on their own.
  const lease = (await during(world, ms[1]!.lock.acquire(1))) as DdlLease;
  assert.ok(lease.valid());
  lease.release(null);
});

test('a vote that lapses without a release counts its transaction as DDL', async () => {
  const { world, fabric, ms } = await cluster(3);
  const [a, b] = ms as [Master, Master, Master];
  const lease = (await during(world, a.lock.acquire(5))) as DdlLease;
  // a is cut off before it could release: its voters cannot know whether transaction 5 committed.
  fabric.partition('m1', 'm2');
  fabric.partition('m1', 'm3');
  await world.runFor(ddlLockLeaseMs + 100);
  assert.equal(lease.valid(), false);
  const next = (await during(world, b.lock.acquire(1))) as DdlLease;
  assert.deepEqual(next.missing(), { m1: 5 });
  next.release(null);
});

test('a release that could not be sent reaches the voter when the link is back', async () => {
  const { world, fabric, ms } = await cluster(3);
  const [a, b] = ms as [Master, Master, Master];
  const lease = (await during(world, a.lock.acquire(4))) as DdlLease;
  fabric.partition('m1', 'm2');
  fabric.partition('m1', 'm3');
  await world.runFor(100);
  // a rolls back while cut off; its voters' votes lapse and count m1:4 as DDL meanwhile.
  lease.release(null);
  await world.runFor(ddlLockLeaseMs + 100);
  const meanwhile = (await during(world, b.lock.acquire(1))) as DdlLease;
  assert.deepEqual(meanwhile.missing(), { m1: 4 });
  meanwhile.release(null);
  // Links back: the release arrives, and nobody waits for a transaction that never held DDL.
  fabric.healAll();
  await world.runFor(500);
  const after = (await during(world, b.lock.acquire(1))) as DdlLease;
  assert.equal(after.missing(), null);
  after.release(null);
});

test('a master that restarts while its vote is out gives none until that vote has lapsed', async () => {
  const world = new SimWorld(11);
  const fabric = new SimFabric(world);
  const ids = ['m1', 'm2', 'm3'];
  const stores = ids.map(() => memoryVoteStore());
  const ms = ids.map((id, i) => start(world, fabric, ids, id, {}, stores[i]!));
  await world.runFor(300);
  const lease = (await during(world, ms[0]!.lock.acquire(3))) as DdlLease;
  assert.ok(lease.valid());
  const voter = ms.find((m) => m.id !== 'm1' && m.store.load()?.vote?.holder === 'm1');
  assert.ok(voter, 'a voter keeps its vote where a restart finds it');
  // The voter restarts with an empty memory but its stored vote: it knows m1:3 may hold DDL.
  const restarted = new DdlLock({
    nodeId: voter.id,
    timers: world.timers(),
    random: world.rng,
    peers: () => [],
    masters: () => [],
    applied: () => ({}),
    store: voter.store,
  });
  assert.equal(restarted.currentVote(), null);
  let got: unknown = null;
  restarted.onMessage(
    {
      peerId: 'm2',
      send: (msg) => {
        got = msg;
        return true;
      },
      closed: false,
    },
    { t: 'ddl_lock_req', token: 'x', seq: 1, ttlMs: ddlLockLeaseMs },
  );
  assert.equal((got as { granted?: boolean } | null)?.granted, false);
  await world.runFor(ddlLockLeaseMs + 10);
  restarted.onMessage(
    {
      peerId: 'm2',
      send: (msg) => {
        got = msg;
        return true;
      },
      closed: false,
    },
    { t: 'ddl_lock_req', token: 'y', seq: 1, ttlMs: ddlLockLeaseMs },
  );
  assert.deepEqual((got as { granted?: boolean; frontier?: unknown }).granted, true);
  assert.deepEqual((got as { frontier?: Record<string, number> }).frontier?.m1, 3);
  lease.release(null);
});
