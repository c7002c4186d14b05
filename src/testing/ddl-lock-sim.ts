// A seeded simulation of the cluster DDL lock (replication/cluster/ddl-lock.ts) on the simulated network and
// virtual time: masters run ordinary transactions and DDL, links partition and heal, masters crash
// and restart (their log and stored vote survive). Transactions spread by gossip in causal order, as
// the log does. The property: any two committed DDL transactions are ordered — one's dependency
// vector covers the other — so no two DDL ever ran concurrently; and all masters end alike.

import { type DdlLease, DdlLock } from '../replication/cluster/ddl-lock.js';
import { memoryVoteStore } from '../replication/cluster/ddl-vote-store.js';
import type { Link, PeerMessage } from '../replication/link/link.js';
import type { PeerHandle } from '../replication/link/peer-extension.js';
import { SimFabric, type SimPeerNetwork } from './sim-network.js';
import { SimWorld } from './sim-world.js';

interface Tx {
  origin: string;
  seq: number;
  ddl: boolean;
  /** The origin's applied vector when it committed. */
  deps: Record<string, number>;
}

/** How often a master sends its log to its linked peers. */
const gossipMs = 250;
/** Virtual time of the workload, and of the quiet end that lets everything settle. */
const workloadMs = 60_000;
const settleMs = 40_000;

class SimMaster {
  readonly log: Tx[] = [];
  applied: Record<string, number> = {};
  lock!: DdlLock;
  net!: SimPeerNetwork;
  readonly links = new Set<Link>();
  /** What each peer said it had applied (gossip sends only what it lacks). */
  private readonly peerApplied = new Map<string, Record<string, number>>();
  /** Bumped by a crash: work of an older generation never commits. */
  generation = 0;
  up = false;
  /** The writer is held (a DDL transaction is open): no other local transaction, no apply. */
  busy = false;
  readonly store = memoryVoteStore();

  constructor(
    readonly id: string,
    private readonly all: string[],
    private readonly fabric: SimFabric,
    private readonly world: SimWorld,
  ) {}

  get seq(): number {
    return this.applied[this.id] ?? 0;
  }

  start(): void {
    if (this.up) return;
    const gen = ++this.generation;
    this.up = true;
    const handles = (): PeerHandle[] =>
      gen !== this.generation
        ? []
        : [...this.links]
            .filter((l) => !l.closed)
            .map((l) => ({ peerId: l.peerId, send: (m: PeerMessage) => l.send(m), closed: l.closed }));
    this.lock = new DdlLock({
      nodeId: this.id,
      timers: this.world.timers(),
      random: this.world.rng,
      peers: handles,
      masters: () => {
        const linked = new Set(handles().map((h) => h.peerId));
        return this.all.filter((m) => m !== this.id).map((name) => ({ name, linked: linked.has(name) }));
      },
      applied: () => ({ ...this.applied }),
      store: this.store,
    });
    const lock = this.lock;
    this.net = this.fabric.network(this.id, this.all);
    void this.net.start((link) => {
      this.links.add(link);
      if (gen === this.generation)
        lock.onOpen({ peerId: link.peerId, send: (m: PeerMessage) => link.send(m), closed: link.closed });
      return {
        onMessage: (_l, msg) => {
          if (gen !== this.generation) return;
          const h = { peerId: link.peerId, send: (m: PeerMessage) => link.send(m), closed: link.closed };
          if (lock.types.has(msg.t)) lock.onMessage(h, msg);
          else if (msg.t === 'log') {
            this.peerApplied.set(link.peerId, msg.applied as Record<string, number>);
            this.receive(msg.txs as Tx[]);
          }
        },
        onClose: () => {
          this.links.delete(link);
          if (gen === this.generation) lock.onClose(link.peerId);
        },
      };
    });
    this.gossip(gen);
  }

  crash(): void {
    if (!this.up) return;
    this.generation++;
    this.up = false;
    this.busy = false;
    void this.net.stop();
    this.links.clear();
  }

  private gossip(gen: number): void {
    if (gen !== this.generation) return;
    for (const l of this.links) {
      if (l.closed) continue;
      const known = this.peerApplied.get(l.peerId) ?? {};
      const txs = this.log.filter((t) => (known[t.origin] ?? 0) < t.seq);
      l.send({ t: 'log', applied: this.applied, txs });
    }
    this.world.schedule(this.world.nowMs + gossipMs, () => this.gossip(gen));
  }

  private receive(txs: Tx[]): void {
    if (this.busy) return;
    let progress = true;
    let any = false;
    while (progress) {
      progress = false;
      for (const tx of txs) {
        if ((this.applied[tx.origin] ?? 0) !== tx.seq - 1) continue;
        if (Object.entries(tx.deps).some(([o, s]) => o !== tx.origin && (this.applied[o] ?? 0) < s)) continue;
        this.log.push(tx);
        this.applied[tx.origin] = tx.seq;
        if (tx.ddl) this.lock.note(tx.origin, tx.seq);
        progress = true;
        any = true;
      }
    }
    if (any) this.lock.onApplied();
  }

  /** An ordinary local transaction. */
  write(): void {
    if (!this.up || this.busy) return;
    this.commit(false);
  }

  private commit(ddl: boolean): void {
    const tx: Tx = { origin: this.id, seq: this.seq + 1, ddl, deps: { ...this.applied } };
    this.log.push(tx);
    this.applied[this.id] = tx.seq;
  }

  /** A DDL transaction held open for `holdMs`; resolves with what happened. */
  async ddl(holdMs: number): Promise<'committed' | 'refused' | 'lost' | 'aborted'> {
    if (!this.up || this.busy) return 'aborted';
    const gen = this.generation;
    this.busy = true;
    try {
      let lease: DdlLease | null = null;
      for (let tries = 0; tries < 3 && !lease; tries++) {
        const l = await this.lock.acquire(this.seq + 1);
        if (gen !== this.generation) return 'aborted';
        if (!l) return 'refused';
        const missing = l.missing();
        if (!missing) {
          lease = l;
          break;
        }
        l.release(null);
        this.busy = false; // the writer is given back while the DDL waits to catch up
        await this.lock.waitCovered(missing);
        if (gen !== this.generation || this.busy) return 'aborted';
        this.busy = true;
      }
      if (!lease) return 'refused';
      await new Promise<void>((r) => this.world.schedule(this.world.nowMs + holdMs, r));
      if (gen !== this.generation) return 'aborted';
      if (!lease.valid()) {
        lease.release(null);
        return 'lost';
      }
      this.commit(true);
      lease.release(this.seq);
      return 'committed';
    } catch {
      return 'refused';
    } finally {
      if (gen === this.generation) this.busy = false;
    }
  }
}

export interface DdlLockSimResult {
  seed: number;
  ok: boolean;
  problems: string[];
  committed: number;
  refused: number;
  lost: number;
}

/** One seeded run: 2 to 5 masters, random DDL, writes, partitions and crashes. */
export async function runDdlLockSimulation(seed: number): Promise<DdlLockSimResult> {
  const world = new SimWorld(seed);
  const fabric = new SimFabric(world);
  const n = world.int(2, 5);
  const ids = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const masters = ids.map((id) => new SimMaster(id, ids, fabric, world));
  for (const m of masters) m.start();
  const outcomes = { committed: 0, refused: 0, lost: 0 };
  const running: Promise<void>[] = [];
  const start = world.nowMs;
  let at = start + 500;
  while (at < start + workloadMs) {
    const m = world.pick(masters);
    const roll = world.rng();
    if (roll < 0.35) world.schedule(at, () => m.write());
    else if (roll < 0.75) {
      // Mostly short holds; some past the lease, whose votes lapse unless renewed.
      const hold = world.rng() < 0.85 ? world.int(0, 2_000) : world.int(8_000, 14_000);
      world.schedule(at, () => {
        running.push(
          m.ddl(hold).then((r) => {
            if (r === 'committed' || r === 'refused' || r === 'lost') outcomes[r]++;
          }),
        );
      });
    } else if (roll < 0.87) {
      const [a, b] = [world.pick(ids), world.pick(ids)];
      if (a !== b) world.schedule(at, () => fabric.partition(a, b));
    } else if (roll < 0.95) world.schedule(at, () => fabric.healAll());
    else
      world.schedule(at, () => {
        m.crash();
        world.schedule(world.nowMs + world.int(100, 12_000), () => m.start());
      });
    at += world.int(50, 1_500);
  }
  await world.runUntil(start + workloadMs);
  fabric.healAll();
  for (const m of masters) if (!m.up) m.start();
  // Every master writes once more, so a vote that lapsed on a rolled-back DDL is covered too.
  world.schedule(world.nowMs + 1_000, () => {
    for (const m of masters) m.write();
  });
  await world.runFor(settleMs);
  await Promise.all(running);

  const problems: string[] = [];
  const ddls = masters[0]!.log.filter((t) => t.ddl);
  for (let i = 0; i < ddls.length; i++) {
    for (let j = i + 1; j < ddls.length; j++) {
      const a = ddls[i]!;
      const b = ddls[j]!;
      const aBeforeB = (b.deps[a.origin] ?? 0) >= a.seq;
      const bBeforeA = (a.deps[b.origin] ?? 0) >= b.seq;
      if (!aBeforeB && !bBeforeA)
        problems.push(`concurrent DDL: ${a.origin}:${a.seq} and ${b.origin}:${b.seq}`);
    }
  }
  const want = JSON.stringify(Object.entries(masters[0]!.applied).sort());
  for (const m of masters) {
    const got = JSON.stringify(Object.entries(m.applied).sort());
    if (got !== want) problems.push(`${m.id} applied ${got}, ${masters[0]!.id} applied ${want}`);
    if (m.lock.currentVote() !== null) problems.push(`${m.id} still gives its vote after the run`);
  }
  return { seed, ok: problems.length === 0, problems, ...outcomes };
}
