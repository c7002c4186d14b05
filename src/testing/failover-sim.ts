// A seeded simulation of primary/standby failover (replication/standby/lease.ts, election.ts) on
// virtual time: three or four data nodes (and up to two observers) under crashes, partitions and a
// paused primary. Properties: a primary never commits once a newer epoch was won (it fences itself
// first, so at most one node takes writes at a time and per epoch); in sync modes no acknowledged
// commit is ever lost (the winner holds every one); after the faults heal, one primary takes writes.

import { Candidate, quorumOf, standbyVotesNeeded } from '../replication/standby/election.js';
import {
  type HaMessage,
  haRenewMs,
  LeaseKeeper,
  type Position,
  Voter,
  type VoterCarry,
} from '../replication/standby/lease.js';
import { SimWorld } from './sim-world.js';

/** A standby runs for election after this long without hearing from its primary. */
const failoverTimeoutMs = 2_000;
const tickMs = 100;
const shipMs = 50;
const writeEveryMs = 80;
const workloadMs = 60_000;
const settleMs = 20_000;
/** An in-process restart (NodeRunner.restart): the old node keeps running this long while it closes... */
const restartCloseMsMax = 1_500;
/** ...then is down this long while the new one opens. */
const restartOpenMsMax = 1_000;

/**
 * In-process restarts (a role change closes the node and opens a new one in the same process, as
 * NodeRunner does): 'carry' hands the voter's promise over after the close (VoterCarry). The others
 * are deliberately wrong, to show the simulation catches them: 'carry-before-close' reads the carry
 * when the restart starts (grants made while closing are lost); 'no-quiet' opens a fresh voter that
 * skips the quiet period without a carry.
 */
export type InProcessRestarts = 'off' | 'carry' | 'carry-before-close' | 'no-quiet';

interface Entry {
  epoch: number;
  id: string;
}

type SimMsg =
  | HaMessage
  | { t: 'entries'; epoch: number; log: Entry[] }
  | { t: 'applied'; epoch: number; count: number };

export interface FailoverSimResult {
  ok: boolean;
  problems: string[];
  elections: number;
  commits: number;
  acked: number;
  /** Acknowledged commits rewound (async mode only; a violation in sync modes). */
  ackedLost: number;
  fencedWrites: number;
  /** In-process restarts run (role changes, restarts that keep the role). */
  restarts: number;
}

class SimData {
  epochValue = 1;
  readonly epoch = {
    get current(): number {
      return this.owner.epochValue;
    },
    raise: (e: number): boolean => {
      if (e <= this.epochValue) return false;
      this.epochValue = e;
      return true;
    },
    owner: this as SimData,
  };
  log: Entry[] = [];
  role: 'primary' | 'standby';
  up = true;
  pausedUntil = 0;
  gen = 0;
  voter!: Voter;
  keeper: LeaseKeeper | null = null;
  candidate!: Candidate;
  lastHeardMs = 0;
  /** Per standby: how many of this primary's entries it applied (this epoch). */
  applied = new Map<string, number>();
  seq = 0;
  /** Messages that reached this node while it was paused, read in order when it resumes. */
  inbox: { from: string; m: SimMsg }[] = [];
  /** The epoch whose first commit was checked against the acknowledged ones. */
  checkedEpoch = 0;
  /** Closing for an in-process restart: no writes, no lease held, no new round (HaAgent.restarting). */
  restarting = false;
  /** The primary this standby follows (a new one restarts it, as HaAgent.follow). */
  following: string | null = null;
  /** The role and epoch the node reopens with after an in-process restart. */
  reopenAs: { role: 'primary' | 'standby'; epoch: number } | null = null;

  constructor(
    readonly id: string,
    primary: boolean,
  ) {
    this.role = primary ? 'primary' : 'standby';
  }

  position(): Position {
    return { epoch: this.log[this.log.length - 1]?.epoch ?? 0, count: this.log.length };
  }
}

export async function runFailoverSimulation(
  seed: number,
  inProcess: InProcessRestarts = 'off',
): Promise<FailoverSimResult> {
  const world = new SimWorld(seed);
  const ids = world.rng() < 0.5 ? ['d1', 'd2', 'd3'] : ['d1', 'd2', 'd3', 'd4'];
  const observerIds = ['o1', 'o2'].slice(0, world.int(0, 2));
  const synchronous = world.rng() < 0.7;
  const k = synchronous && world.rng() < 0.4 ? 2 : 1;
  const voters = [...ids, ...observerIds];
  const quorum = quorumOf(voters.length, undefined);
  const nodes = new Map(ids.map((id, i) => [id, new SimData(id, i === 0)]));
  for (const n of nodes.values()) if (n.role === 'standby') n.following = ids[0]!;
  const problems: string[] = [];
  const cut = new Set<string>();
  const lastAt = new Map<string, number>();
  /** Nodes on a slow network (a standby that lags behind the others). */
  const slowNodes = new Set(ids.filter(() => world.rng() < 0.3));
  const electedAt = new Map<number, { id: string; at: number }>();
  const acked = new Set<string>();
  const rewound = new Set<string>();
  let commits = 0;
  let elections = 0;
  let fencedWrites = 0;
  let restarts = 0;
  /** No client writes before this (an idle spell: the standbys' histories are then alike). */
  let idleUntilMs = 0;
  const key = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const observers = new Map(
    observerIds.map((id) => {
      const epoch = { value: 1 };
      const voter = new Voter(
        {
          self: id,
          epoch: {
            get current() {
              return epoch.value;
            },
            raise: (e) => {
              if (e <= epoch.value) return false;
              epoch.value = e;
              return true;
            },
          },
          now: () => world.nowMs,
          position: () => null,
          leads: () => false,
        },
        true,
      );
      return [id, voter];
    }),
  );
  let observerUp = true;

  function send(from: string, to: string, m: SimMsg): void {
    if (cut.has(key(from, to))) return;
    // In order per direction, as TCP delivers.
    const slow = slowNodes.has(from) || slowNodes.has(to);
    const at = Math.max(world.nowMs + world.int(1, slow ? 300 : 30), lastAt.get(`${from}>${to}`) ?? 0);
    lastAt.set(`${from}>${to}`, at);
    world.schedule(at, () => {
      if (cut.has(key(from, to))) return;
      const observer = observers.get(to);
      if (observer) {
        if (!observerUp) return;
        if (m.t === 'ha_lease_req') send(to, from, observer.onLeaseReq(from, m));
        else if (m.t === 'ha_vote_req') send(to, from, observer.onVoteReq(from, m));
        return;
      }
      const n = nodes.get(to)!;
      if (!n.up) return;
      // A paused process reads nothing meanwhile; what was sent is read late, in order (TCP keeps it).
      if (n.pausedUntil > world.nowMs || n.inbox.length > 0) {
        n.inbox.push({ from, m });
        if (n.inbox.length === 1) flushLater(n);
        return;
      }
      receive(n, from, m);
    });
  }

  function flushLater(n: SimData): void {
    const g = n.gen;
    world.schedule(Math.max(n.pausedUntil, world.nowMs), () => {
      if (n.gen !== g) return;
      if (n.pausedUntil > world.nowMs) return flushLater(n);
      const inbox = n.inbox;
      n.inbox = [];
      for (const x of inbox) if (n.up) receive(n, x.from, x.m);
    });
  }

  function becomeStandby(n: SimData): void {
    n.role = 'standby';
    n.keeper = null;
    n.lastHeardMs = world.nowMs;
  }

  function makeKeeper(n: SimData, leading: number): LeaseKeeper {
    return new LeaseKeeper({
      self: n.id,
      leading,
      epoch: n.epoch,
      now: () => world.nowMs,
      voters: () => voters.filter((v) => v !== n.id),
      standbys: () => ids.filter((v) => v !== n.id),
      standbysNeeded: ids.length - 1,
      quorum,
      send: (to, m) => send(n.id, to, m),
      voter: n.voter,
      endpoint: null,
      onNewerEpoch: () => becomeStandby(n),
    });
  }

  /**
   * NodeRunner.restart: the node goes on closing for a while (no writes, no new round; its voter
   * still answers), then is down while the new node opens with the carried promise.
   */
  function restartInProcess(
    n: SimData,
    role: 'primary' | 'standby',
    epoch: number,
    closeMsMax = restartCloseMsMax,
    openMsMax = restartOpenMsMax,
  ): void {
    if (inProcess === 'off') return;
    n.reopenAs = { role, epoch };
    if (n.restarting) return;
    n.restarting = true;
    restarts++;
    const early = n.voter.carry();
    const g = n.gen;
    world.schedule(world.nowMs + world.int(0, closeMsMax), () => {
      if (n.gen !== g || !n.up) return; // crashed meanwhile: it boots as after a crash
      n.up = false;
      n.gen++;
      const carry = inProcess === 'carry' ? n.voter.carry() : early;
      const g2 = n.gen;
      world.schedule(world.nowMs + world.int(10, openMsMax), () => {
        if (n.gen !== g2) return;
        n.up = true;
        const to = n.reopenAs!;
        // A primary whose epoch moved on while it restarted starts fenced (deposedAtStart).
        n.role = to.role === 'primary' && n.epochValue === to.epoch ? 'primary' : 'standby';
        boot(n, inProcess === 'no-quiet' ? true : carry);
      });
    });
  }

  function boot(n: SimData, fresh: boolean | VoterCarry): void {
    n.gen++;
    n.inbox = [];
    n.restarting = false;
    n.reopenAs = null;
    n.voter = new Voter(
      {
        self: n.id,
        epoch: n.epoch,
        now: () => world.nowMs,
        position: () => n.position(),
        leads: () => n.role === 'primary' && !n.restarting && (n.keeper?.holds() ?? false),
      },
      fresh,
    );
    n.candidate = new Candidate({
      self: n.id,
      epoch: n.epoch,
      now: () => world.nowMs,
      random: world.rng,
      voters: () => voters.filter((v) => v !== n.id),
      standbys: () => ids.filter((v) => v !== n.id),
      quorum,
      standbyVotesNeeded: standbyVotesNeeded(ids.length - 1, k, synchronous),
      position: () => n.position(),
      voter: n.voter,
      send: (to, m) => send(n.id, to, m),
      onWon: (epoch) => {
        elections++;
        const twice = electedAt.get(epoch);
        if (twice && twice.id !== n.id)
          problems.push(
            `${n.id} won epoch ${epoch} at ${world.nowMs}, already won by ${twice.id} at ${twice.at}`,
          );
        electedAt.set(epoch, { id: n.id, at: world.nowMs });
        if (inProcess !== 'off') {
          // HaAgent.won: the node restarts in-process as the primary of `epoch`.
          n.following = null;
          restartInProcess(n, 'primary', epoch);
          return;
        }
        n.role = 'primary';
        n.applied.clear();
        n.keeper = makeKeeper(n, epoch);
        n.keeper.renew();
      },
    });
    n.keeper = n.role === 'primary' ? makeKeeper(n, n.epochValue) : null;
    n.lastHeardMs = world.nowMs;
    const g = n.gen;
    const loop = (every: number, fn: () => void): void => {
      world.schedule(world.nowMs + every, () => {
        if (n.gen !== g || !n.up) return;
        if (n.pausedUntil <= world.nowMs) fn();
        loop(every, fn);
      });
    };
    loop(haRenewMs, () => n.keeper?.renew());
    loop(tickMs, () => {
      n.candidate.expire();
      if (n.restarting) return;
      if (n.role === 'standby' && world.nowMs - n.lastHeardMs > failoverTimeoutMs)
        if (n.voter.promisedUntil() <= world.nowMs) n.candidate.start();
    });
    loop(shipMs, () => {
      if (n.role !== 'primary' || !n.keeper?.holds()) return;
      for (const s of ids) if (s !== n.id) send(n.id, s, { t: 'entries', epoch: n.epochValue, log: n.log });
    });
    loop(writeEveryMs, () => write(n));
    if (n.role === 'primary') n.keeper?.renew();
  }

  function write(n: SimData): void {
    if (n.role !== 'primary' || !n.keeper) return;
    if (!n.keeper.holds() || n.restarting) {
      fencedWrites++;
      return;
    }
    const epoch = n.epochValue;
    const idle = world.nowMs < idleUntilMs;
    for (const [e, w] of electedAt)
      if (e > epoch && w.at <= world.nowMs)
        problems.push(
          `${n.id} ${idle ? 'could commit' : 'committed'} in epoch ${epoch} at ${world.nowMs} after ${w.id} won epoch ${e} at ${w.at}`,
        );
    if (idle) return;
    if (synchronous && n.checkedEpoch !== epoch) {
      // The first commit of a new primary: it must hold every commit acknowledged so far.
      n.checkedEpoch = epoch;
      const have = new Set(n.log.map((e) => e.id));
      for (const a of acked)
        if (!have.has(a))
          problems.push(`${n.id} took writes in epoch ${epoch} without acknowledged commit ${a}`);
    }
    const entry = { epoch, id: `${n.id}.${epoch}.${++n.seq}` };
    n.log = [...n.log, entry];
    commits++;
    if (!synchronous) acked.add(entry.id);
  }

  function receive(n: SimData, from: string, m: SimMsg): void {
    switch (m.t) {
      case 'ha_lease_req': {
        const r = n.voter.onLeaseReq(from, m);
        if (r.t === 'ha_lease_reply' && r.granted && n.role === 'standby') n.lastHeardMs = world.nowMs;
        send(n.id, from, r);
        if (r.t === 'ha_lease_reply' && r.granted && from !== n.id && !n.restarting && inProcess !== 'off') {
          // HaAgent: another primary's granted lease fences this one; a new primary is followed after a restart.
          if (n.role === 'primary') becomeStandby(n);
          if (n.following !== from) {
            n.following = from;
            restartInProcess(n, 'standby', m.epoch);
          }
        }
        return;
      }
      case 'ha_lease_reply':
        n.keeper?.onReply(from, m);
        return;
      case 'ha_vote_req': {
        const r = n.voter.onVoteReq(from, m);
        if (r.t === 'ha_vote_reply' && r.granted && !m.pre) {
          // A real vote: the winner gets its time to take its lease before this node runs itself.
          n.lastHeardMs = world.nowMs;
          if (n.role === 'primary') becomeStandby(n);
        }
        send(n.id, from, r);
        return;
      }
      case 'ha_vote_reply':
        n.candidate.onReply(from, m);
        return;
      case 'entries': {
        // A batch of an older epoch is refused: the fencing token.
        if (n.role !== 'standby' || m.epoch < n.epochValue) return;
        n.epoch.raise(m.epoch);
        const keep = new Set(m.log.map((e) => e.id));
        for (const e of n.log) if (!keep.has(e.id)) rewound.add(e.id);
        n.log = m.log;
        n.lastHeardMs = world.nowMs;
        send(n.id, from, { t: 'applied', epoch: m.epoch, count: m.log.length });
        return;
      }
      case 'applied': {
        if (n.role !== 'primary' || m.epoch !== n.epochValue) return;
        n.applied.set(from, Math.max(n.applied.get(from) ?? 0, m.count));
        if (!synchronous) return;
        const counts = [...n.applied.values()].sort((a, b) => b - a);
        const upto = counts[k - 1] ?? 0;
        for (const e of n.log.slice(0, upto)) acked.add(e.id);
        return;
      }
    }
  }

  const startMs = world.nowMs;
  for (const n of nodes.values()) boot(n, true);
  // Faults, one every few seconds, each healed some seconds later.
  const faultEvery = (): number => world.int(2_000, 6_000);
  const fault = (): void => {
    if (world.nowMs >= startMs + workloadMs) return;
    const primary = [...nodes.values()].find((x) => x.role === 'primary' && x.up);
    const target = primary && world.rng() < 0.7 ? primary : world.pick([...nodes.values()]);
    const r = world.rng();
    const heal = world.int(1_000, 8_000);
    const others = [...nodes.values()].filter((x) => x !== primary && x.up);
    if (inProcess !== 'off' && primary && others.length >= 2 && world.rng() < 0.4) {
      // A standby cut from the primary runs for election about when another one restarts
      // in-process (a snapshot install, a re-follow): that one's promise to the primary must hold.
      const [c, v] = [others[0]!, others[1]!];
      cut.add(key(primary.id, c.id));
      // Idle meanwhile: both hold the same history, so only v's promise keeps it from voting for c.
      idleUntilMs = world.nowMs + heal;
      // c runs once its promise to the primary ran out, about failoverTimeoutMs after the cut.
      world.schedule(world.nowMs + world.int(1_500, 2_200), () => {
        if (v.up && !v.restarting) restartInProcess(v, v.role, v.epochValue, 200, 300);
      });
      world.schedule(world.nowMs + heal, () => {
        cut.delete(key(primary.id, c.id));
      });
    } else if (r < 0.15 && primary) {
      // The primary crashes while its most advanced standby is cut off: the others must not elect
      // one of themselves if that could lose an acknowledged commit.
      const ahead = [...nodes.values()]
        .filter((x) => x !== primary)
        .sort((a, b) => b.log.length - a.log.length)[0]!;
      primary.up = false;
      primary.gen++;
      for (const o of voters) if (o !== ahead.id) cut.add(key(ahead.id, o));
      world.schedule(world.nowMs + heal, () => {
        primary.up = true;
        boot(primary, false);
        for (const o of voters) cut.delete(key(ahead.id, o));
      });
    } else if (r < 0.3) {
      target.up = false;
      target.gen++;
      world.schedule(world.nowMs + heal, () => {
        target.up = true;
        boot(target, false);
      });
    } else if (r < 0.6) {
      for (const o of voters) if (o !== target.id) cut.add(key(target.id, o));
      world.schedule(world.nowMs + heal, () => {
        for (const o of voters) cut.delete(key(target.id, o));
      });
    } else if (r < 0.8) {
      // A second pause never shortens the first (what it holds back is delivered at its end).
      target.pausedUntil = Math.max(target.pausedUntil, world.nowMs + heal);
    } else if (observers.size > 0) {
      observerUp = false;
      world.schedule(world.nowMs + heal, () => {
        observerUp = true;
      });
    } else {
      const [a, b] = [world.pick(ids), world.pick(ids)];
      if (a !== b) cut.add(key(a, b));
      world.schedule(world.nowMs + heal, () => {
        cut.delete(key(a, b));
      });
    }
    world.schedule(world.nowMs + faultEvery(), fault);
  };
  world.schedule(world.nowMs + faultEvery(), fault);
  await world.runUntil(startMs + workloadMs);
  await world.runUntil(startMs + workloadMs + settleMs);
  // Healed: exactly one primary holds its lease and writes.
  const leaders = [...nodes.values()].filter((n) => n.up && n.role === 'primary' && n.keeper?.holds());
  if (leaders.length !== 1) problems.push(`after healing, ${leaders.length} primaries hold a lease`);
  const ackedLost = [...acked].filter((id) => rewound.has(id)).length;
  if (synchronous && ackedLost > 0) problems.push(`${ackedLost} acknowledged commits were rewound`);
  return {
    ok: problems.length === 0,
    problems: [
      `sync=${synchronous} k=${k} data=${ids.length} observers=${observers.size} in-process=${inProcess} (${restarts} restarts)`,
      ...problems,
    ].slice(0, problems.length ? 20 : 0),
    elections,
    commits,
    acked: acked.size,
    ackedLost,
    fencedWrites,
    restarts,
  };
}
