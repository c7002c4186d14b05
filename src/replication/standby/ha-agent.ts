// Automatic failover of one data node ([ha] nodes): its vote (lease.ts Voter), its lease while it
// is primary (LeaseKeeper: commits stop by themselves when it lapses), its candidacy while it is a
// standby (election.ts), over the vote links to the other data nodes and the observers. A role
// change is written to _chorus_meta and takes effect by an in-process restart (failover-state.ts
// reads it back), which is how a standby starts listening as primary and follows a new one.

import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { Config } from '../../config/load.js';
import { ChorusError } from '../../errors.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { Link, PeerMessage, PeerNetwork } from '../link/link.js';
import { Candidate, quorumOf, type RoundLoss, standbyVotesNeeded } from './election.js';
import type { EpochState } from './epoch.js';
import { type FailoverEvent, recordRewound, toVector, writeFailoverState } from './failover-state.js';
import {
  type HaMessage,
  haRenewMs,
  LeaseKeeper,
  type Position,
  positionOf,
  type VoteRefusal,
  Voter,
  type VoterCarry,
} from './lease.js';
import type { RoleState } from './role.js';

/** How often a standby checks whether its primary went quiet. */
export const haTickMs = 100;
/** How long switchover waits for its target to hold every commit, and force_promote for its votes. */
export const handOverTimeoutMs = 10_000;
/** How often switchover and force_promote look again. */
export const handOverPollMs = 20;
/** A vote refusal's reason from a peer is cut to this length before it is logged. */
export const voteReasonCharsMax = 40;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface HaAgentParts {
  config: Config;
  role: RoleState;
  epoch: EpochState;
  engine: StorageEngine;
  /** Links to the other data nodes' and the observers' vote endpoints. */
  network: PeerNetwork;
  timers: Timers;
  logger: Logger;
  requestRestart: ((reason: string) => void) | null;
  /** How many transactions this standby is behind its primary, as last announced (0 if unknown). */
  lag(): number;
  /** The node id of the primary whose log this standby applies (null if none yet). */
  followedPrimaryId(): string | null;
  /** This standby cascades from another standby (follower.ts): it keeps following it when the primary changes. */
  keepsCascading?(): boolean;
  /** The synchronous rule: how many standbys acknowledge each commit (0 in async mode). */
  syncAcks: number;
  /** A failover made this node primary (history, hook). */
  onPromoted(event: FailoverEvent): void;
  /** This node follows a newly promoted primary (its sessions listening on chorus_failover are told). */
  onFollowing?(epoch: number, oldPrimary: string | null, newPrimary: string): void;
  /** Primary: how far a standby applied this primary's commits (null if unknown), and its own count. */
  standbyApplied(id: string): number | null;
  ownPosition(): number;
  /** The promise of the voter this node's predecessor in the process held (an in-process restart). */
  carriedVoter?: VoterCarry | null;
}

export class HaAgent {
  readonly voter: Voter;
  private keeper: LeaseKeeper | null = null;
  private readonly candidate: Candidate;
  private readonly links = new Map<string, Link>();
  private readonly kinds = new Map<string, 'data' | 'observer'>();
  private timer: TimerHandle | null = null;
  private renewTimer: TimerHandle | null = null;
  private lastHeardMs: number;
  /** Set once a role change waits for the restart that applies it. */
  private restarting = false;
  /** A switchover to this node is under way: no commit is taken meanwhile. */
  private handingOverTo: string | null = null;
  /** Until when this standby keeps running for primary at once (the primary handed over to it). */
  private takeoverUntilMs = 0;
  /** How this node's next promotion is recorded. */
  private promotionType: 'automatic' | 'manual' | 'forced' = 'automatic';
  private readonly quorum: number;
  private readonly dataNodes: number;
  /** Election rounds this node lost since start, by reason (chorus_ha_election_rounds). */
  readonly lostRounds = new Map<RoundLoss['reason'], number>();
  private readonly now: () => number;

  constructor(private readonly p: HaAgentParts) {
    const h = p.config.ha;
    this.now = () => p.timers.monotonicMs?.() ?? p.timers.nowMs();
    this.lastHeardMs = this.now();
    this.dataNodes = new Set(h.nodes).size;
    this.quorum = quorumOf(new Set([...h.nodes, ...h.observers]).size, h.quorum_size);
    this.voter = new Voter(
      {
        self: p.engine.nodeId,
        epoch: p.epoch,
        now: this.now,
        position: () => this.position(),
        leads: () => this.holdsLease(),
      },
      p.carriedVoter ?? false,
    );
    this.candidate = new Candidate({
      self: p.engine.nodeId,
      epoch: p.epoch,
      now: this.now,
      random: Math.random,
      voters: () => [...this.links.keys()],
      standbys: () => this.peersOfKind('data'),
      quorum: this.quorum,
      standbyVotesNeeded: standbyVotesNeeded(this.dataNodes - 1, p.syncAcks, p.syncAcks > 0),
      position: () => this.position(),
      voter: this.voter,
      send: (to, m) => this.send(to, m),
      onWon: (epoch) => this.won(epoch),
      onLost: (loss) => {
        this.lostRounds.set(loss.reason, (this.lostRounds.get(loss.reason) ?? 0) + 1);
        this.p.logger.info(
          { epoch: loss.epoch, preVote: loss.pre, reason: loss.reason, detail: loss.detail },
          'election round lost',
        );
      },
    });
    if (p.role.role === 'primary') this.lead();
  }

  /** A data node of [ha] nodes (it linked for votes as one): a standby whose acknowledgement the election counts on. */
  isDataNode(id: string): boolean {
    return this.kinds.get(id) === 'data';
  }

  private peersOfKind(kind: 'data' | 'observer'): string[] {
    return [...this.links.keys()].filter((id) => this.kinds.get(id) === kind);
  }

  private position(): Position {
    let count = 0;
    for (const v of this.p.engine.applied.values()) count += v;
    const epoch = this.p.role.role === 'primary' ? this.p.epoch.current : this.p.epoch.logEpoch;
    return { epoch, count };
  }

  private lead(): void {
    const leading = this.p.epoch.current;
    this.p.epoch.noteLogEpoch(leading);
    this.keeper = new LeaseKeeper({
      self: this.p.engine.nodeId,
      leading,
      epoch: this.p.epoch,
      now: this.now,
      voters: () => [...this.links.keys()],
      standbys: () => this.peersOfKind('data'),
      standbysNeeded: this.dataNodes - 1,
      quorum: this.quorum,
      send: (to, m) => this.send(to, m),
      voter: this.voter,
      endpoint: this.p.config.replication.ha_bind,
      applied: () => this.p.engine.appliedVector(),
      onNewerEpoch: (epoch) => this.fenced(epoch),
    });
  }

  async start(): Promise<void> {
    await this.p.network.start((link) => {
      this.links.set(link.peerId, link);
      link.send({ t: 'ha_voter', kind: 'data' });
      // A new link: ask at once rather than at the next renewal.
      this.keeper?.renew();
      return {
        onMessage: (l, msg) => this.onMessage(l, msg),
        onClose: (l) => {
          if (this.links.get(l.peerId) === l) this.links.delete(l.peerId);
        },
      };
    });
    const renew = (): void => {
      this.renewTimer = this.p.timers.after(haRenewMs, () => {
        this.keeper?.renew();
        renew();
      });
    };
    this.keeper?.renew();
    renew();
    const tick = (): void => {
      this.timer = this.p.timers.after(haTickMs, () => {
        this.tick();
        tick();
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.renewTimer?.cancel();
    await this.p.network.stop();
  }

  /** Commits may be taken: primary, holding its lease from a quorum (or every standby). */
  holdsLease(): boolean {
    return (
      this.p.role.role === 'primary' &&
      !this.restarting &&
      this.handingOverTo === null &&
      (this.keeper?.holds() ?? false)
    );
  }

  /** Throws unless this primary holds its lease (checked before a write and again at commit). */
  checkLease(): void {
    if (this.p.role.role !== 'primary' || this.holdsLease()) return;
    if (this.handingOverTo !== null)
      throw new ChorusError(
        '25006',
        `cannot commit: this primary is handing over to ${this.handingOverTo} (replicate.switchover)`,
      );
    throw new ChorusError(
      '25006',
      `cannot commit: this primary does not hold its lease (epoch ${this.p.epoch.current}); a standby may have been promoted`,
      {
        hint: 'It is renewed from a majority of the voters (ha.nodes, ha.observers); the node rejoins as a standby if another was promoted.',
      },
    );
  }

  /** Milliseconds since this standby last heard from a primary (or a candidate it voted for). */
  silentMs(): number {
    return Math.max(0, this.now() - this.lastHeardMs);
  }

  /** Lease grants held now (own included), for the views. */
  leaseGrants(): number {
    return this.keeper?.granted() ?? 0;
  }

  private send(to: string, m: HaMessage): void {
    const l = this.links.get(to);
    if (l && !l.closed) l.send(m as unknown as PeerMessage);
  }

  private onMessage(link: Link, msg: PeerMessage): void {
    const from = link.peerId;
    switch (msg.t) {
      case 'ha_voter':
        this.kinds.set(from, msg.kind === 'observer' ? 'observer' : 'data');
        return;
      case 'ha_lease_req': {
        const m = msg as unknown as Extract<HaMessage, { t: 'ha_lease_req' }>;
        const r = this.voter.onLeaseReq(from, m);
        link.send(r as unknown as PeerMessage);
        if (r.t === 'ha_lease_reply' && r.granted && from !== this.p.engine.nodeId) {
          this.heard();
          if (this.p.role.role === 'primary') this.fenced(m.epoch);
          this.follow(from, m);
        }
        return;
      }
      case 'ha_lease_reply':
        this.keeper?.onReply(from, msg as unknown as Extract<HaMessage, { t: 'ha_lease_reply' }>);
        return;
      case 'ha_vote_req': {
        const m = msg as unknown as Extract<HaMessage, { t: 'ha_vote_req' }>;
        const position = positionOf(m.position);
        if (!position) return;
        const r = this.voter.onVoteReq(from, { ...m, position, pre: m.pre === true });
        link.send(r as unknown as PeerMessage);
        if (r.t === 'ha_vote_reply' && r.granted && !m.pre) {
          this.heard();
          if (this.p.role.role === 'primary') this.fenced(m.epoch);
        }
        return;
      }
      case 'ha_release':
        this.voter.release(from, typeof msg.to === 'string' ? msg.to : null);
        return;
      case 'ha_takeover':
        // The primary hands over to this standby (switchover): run now.
        if (this.p.role.role !== 'standby') return;
        this.promotionType = 'manual';
        this.detectedAtMs = this.p.timers.nowMs();
        this.lastHeardAtMs = null;
        this.voter.release(from, this.p.engine.nodeId);
        this.takeoverUntilMs = this.now() + handOverTimeoutMs;
        this.candidate.startNow();
        this.p.logger.warn({ from, epoch: this.p.epoch.current }, 'switchover: running for primary');
        return;
      case 'ha_vote_reply': {
        const m = msg as unknown as Extract<HaMessage, { t: 'ha_vote_reply' }>;
        const reason =
          typeof m.reason === 'string' ? (m.reason.slice(0, voteReasonCharsMax) as VoteRefusal) : undefined;
        this.candidate.onReply(from, {
          ...m,
          position: positionOf(m.position),
          pre: m.pre === true,
          ...(reason ? { reason } : {}),
        });
        return;
      }
    }
  }

  private tick(): void {
    this.candidate.expire();
    if (this.p.role.role !== 'standby' || this.restarting || this.handingOverTo !== null) return;
    const now = this.now();
    if (this.takeoverUntilMs > now) {
      // Switchover: run again at once after a lost round, until won or the hand-over times out.
      if (!this.candidate.running) this.candidate.startNow();
      return;
    }
    if (now - this.lastHeardMs <= this.p.config.ha.failover_timeout_ms) return;
    if (this.voter.promisedUntil() > now) return;
    const lag = this.p.lag();
    if (lag > this.p.config.ha.maximum_lag_on_failover) {
      if (!this.candidate.running)
        this.p.logger.warn(
          { lag, max: this.p.config.ha.maximum_lag_on_failover },
          'not running for primary: this standby lags more than ha.maximum_lag_on_failover',
        );
      this.lastHeardMs = now;
      return;
    }
    if (this.candidate.start() && this.detectedAtMs === null) {
      this.detectedAtMs = this.p.timers.nowMs();
      this.lastHeardAtMs = this.detectedAtMs - (now - this.lastHeardMs);
    }
  }

  /**
   * A primary (or a candidate this node voted for) is alive: the failure this node may have started
   * to detect was not one, so a later failover measures from its own detection, not this one.
   */
  private heard(): void {
    this.lastHeardMs = this.now();
    if (this.promotionType === 'automatic' && this.takeoverUntilMs <= this.lastHeardMs) {
      this.detectedAtMs = null;
      this.lastHeardAtMs = null;
    }
  }

  /** Wall-clock times of the failover being run: election started, old primary last heard. */
  private detectedAtMs: number | null = null;
  private lastHeardAtMs: number | null = null;

  /** Won the election of `epoch`: become primary (restart as one, listening on --ha-bind). */
  private won(epoch: number): void {
    const atMs = this.p.timers.nowMs();
    this.p.logger.warn({ epoch }, 'won the election: this standby becomes primary');
    const event: FailoverEvent = {
      epoch,
      // The voter forgets a leader whose lease ran out: the primary this standby followed, then.
      oldPrimary:
        (this.voter.leader && this.voter.leader.id !== this.p.engine.nodeId ? this.voter.leader.id : null) ??
        this.p.followedPrimaryId(),
      newPrimary: this.p.engine.nodeId,
      lastHeardAtMs: this.lastHeardAtMs ?? this.detectedAtMs ?? atMs,
      detectedAtMs: this.detectedAtMs ?? atMs,
      promotedAtMs: atMs,
      lostTransactions: null,
      type: this.promotionType,
    };
    this.detectedAtMs = null;
    this.lastHeardAtMs = null;
    this.changeRole('primary', null, `promoted to primary (epoch ${epoch})`, () => this.p.onPromoted(event), {
      rewindTo: null,
      primaryEpoch: epoch,
    });
  }

  /** A newer epoch exists: this primary stops taking writes now and waits to learn whom to follow. */
  private fenced(epoch: number): void {
    this.p.epoch.raise(epoch);
    if (this.p.role.role !== 'primary') return;
    this.p.logger.error({ epoch }, 'a newer epoch exists: this primary stops taking writes (fenced)');
    this.stepDown(`fenced by epoch ${epoch}`);
  }

  /**
   * Stop being primary in-process (no more leases asked, no writes), and wait to learn whom to
   * follow: the new primary's lease request (follow()) restarts this node as its standby.
   */
  stepDown(reason: string): void {
    if (this.p.role.role !== 'primary') return;
    this.keeper = null;
    this.lastHeardMs = this.now();
    this.p.role.transition('standby', reason);
  }

  /** A primary of this node's epoch granted... this standby follows it (restarting if it is a new one). */
  private follow(from: string, m: Extract<HaMessage, { t: 'ha_lease_req' }>): void {
    if (this.restarting || !m.endpoint) return;
    if (m.endpoint === this.p.config.replication.primary || from === this.p.followedPrimaryId()) return;
    // A cascaded standby learns the new epoch through its upstream, which follows the new primary.
    if (this.p.keepsCascading?.()) return;
    const wasPrimary = this.p.config.haMode === 'primary';
    // A deposed primary may hold commits no standby received: recorded before its data is replaced
    // by the new primary's (without such commits it streams on from where it is).
    const leaderApplied = toVector(m.applied);
    const rewound = wasPrimary
      ? recordRewound(this.p.config.server.data_dir, this.p.engine, leaderApplied, this.p.epoch.current)
      : 0;
    this.p.logger.warn({ primary: from, endpoint: m.endpoint, rewound }, 'following the new primary');
    this.p.onFollowing?.(m.epoch, wasPrimary ? this.p.engine.nodeId : this.p.followedPrimaryId(), from);
    this.changeRole('standby', m.endpoint, `following the new primary ${from}`, () => undefined, {
      rewindTo: rewound > 0 ? leaderApplied : null,
    });
  }

  /**
   * replicate.force_promote() on a standby: run for primary now, whatever its lag and however
   * recently it heard from the primary. The votes are still needed (a live primary's voters refuse
   * them while its lease runs: forcing never makes two primaries).
   */
  async forcePromote(): Promise<void> {
    if (this.p.role.role !== 'standby')
      throw new ChorusError('55000', 'replicate.force_promote() runs on a standby; this node is the primary');
    this.promotionType = 'forced';
    this.detectedAtMs = this.p.timers.nowMs();
    this.lastHeardAtMs = null;
    const epoch = this.p.epoch.current;
    const deadline = Date.now() + handOverTimeoutMs;
    while (!this.restarting) {
      if (Date.now() > deadline)
        throw new ChorusError(
          '55000',
          `replicate.force_promote() did not win an election within ${handOverTimeoutMs} ms (epoch ${epoch})`,
          { hint: 'A quorum of voters must answer, and none may still be promised to a live primary.' },
        );
      if (!this.candidate.running) this.candidate.startNow();
      await sleep(handOverPollMs);
    }
  }

  /**
   * replicate.switchover(target) on the primary: stop taking commits, wait until the target applied
   * every one, then release the voters and tell the target to run; it wins at once (it holds all).
   * Resolves once this node voted for it.
   */
  async switchover(target: string): Promise<void> {
    if (this.p.role.role !== 'primary' || !this.holdsLease())
      throw new ChorusError('55000', 'replicate.switchover() runs on the primary, while it holds its lease');
    if (target === this.p.engine.nodeId) throw new ChorusError('22023', `${target} is already the primary`);
    if (this.kinds.get(target) !== 'data' || !this.links.has(target))
      throw new ChorusError('55000', `switchover target ${target} is not a linked standby`);
    this.handingOverTo = target;
    const deadline = Date.now() + handOverTimeoutMs;
    try {
      while ((this.p.standbyApplied(target) ?? -1) < this.p.ownPosition()) {
        if (Date.now() > deadline)
          throw new ChorusError(
            '55000',
            `switchover to ${target} abandoned: it did not apply every commit within ${handOverTimeoutMs} ms`,
          );
        await sleep(handOverPollMs);
      }
    } catch (e) {
      this.handingOverTo = null;
      throw e;
    }
    // From here this node takes no commit again in its epoch.
    const epoch = this.p.epoch.current;
    this.keeper = null;
    this.p.role.transition('standby', `switchover to ${target}`);
    this.voter.release(this.p.engine.nodeId, target);
    for (const id of this.links.keys())
      this.send(id, { t: 'ha_release', to: target } as unknown as HaMessage);
    this.send(target, { t: 'ha_takeover' } as unknown as HaMessage);
    while (this.p.epoch.current === epoch) {
      if (Date.now() > deadline) {
        // This node stays a standby; an election (perhaps the target's) picks the next primary.
        this.handingOverTo = null;
        throw new ChorusError(
          '55000',
          `switchover to ${target}: it has not won an election yet (it may still)`,
        );
      }
      await sleep(handOverPollMs);
    }
  }

  private changeRole(
    role: 'primary' | 'standby',
    primaryEndpoint: string | null,
    reason: string,
    then: () => void,
    { rewindTo, primaryEpoch }: { rewindTo: Vector | null; primaryEpoch?: number } = { rewindTo: null },
  ): void {
    this.restarting = true;
    const state = {
      role,
      primaryEndpoint,
      rewindTo,
      ...(primaryEpoch !== undefined ? { primaryEpoch } : {}),
    };
    writeFailoverState(this.p.engine.writer, state, () => {
      then();
      if (this.p.requestRestart) this.p.requestRestart(reason);
      else {
        // Embedded: the role changes in-process (no listener is opened or dialed).
        if (this.p.role.role !== role) this.p.role.transition(role, reason);
        if (role === 'primary') this.lead();
        this.restarting = false;
      }
    });
  }
}
