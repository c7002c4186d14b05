// Leases of primary/standby mode: every voter (data node or observer) grants the primary a lease
// and promises to vote for no one else until it expires; the primary takes commits only while a
// quorum of voters (or, Patroni's failsafe, every standby) granted it one, counting each lease from
// before it asked and a drift margin short — so it stops by itself before any standby can win.
// Transport-free: messages go through `send`, time through a monotonic clock.

/** How long a granted lease (and a vote's promise) lasts. */
export const haLeaseMs = 2_000;
/** The primary renews this often (four renewals fit in a lease: a lost message or a stall of a second costs nothing). */
export const haRenewMs = 500;
/**
 * The longest promise a voter makes for a lease: what the primary asks, up to this. A primary of
 * the previous release asks 3 s and counts on 2.7 s of it, so voters keep honouring 3 s (and stay
 * quiet that long after a restart): a shorter promise would let them elect a successor meanwhile.
 */
export const haLeaseGrantMaxMs = 3_000;
/**
 * A primary handing over (switchover) moves its voters' promises to the target for this long: the
 * target's election must not race another standby's whose promise lapsed while the target was slow
 * to win (a loaded machine). Only availability depends on it: were the target to die meanwhile, the
 * next election waits this long.
 */
export const switchoverPromiseMs = 6_000;
/** The primary counts its lease as over this much before the voters do (clock-rate drift, scheduling). */
export const haDriftMarginMs = 300;
/** Lease requests the primary keeps track of at once (replies to older ones are ignored). */
export const leasePendingMax = 64;

/** What the lease protocol sends between voters, primary and candidates. */
export type HaMessage =
  | {
      t: 'ha_lease_req';
      epoch: number;
      req: number;
      ttlMs: number;
      /** Where standbys reach the primary's log (its --ha-bind). */
      endpoint: string | null;
      /** The primary's applied vector (a deposed primary finds what it must rewind). */
      applied?: Record<string, number>;
    }
  | { t: 'ha_lease_reply'; req: number; granted: boolean; epoch: number }
  | { t: 'ha_vote_req'; epoch: number; req: number; position: Position; pre: boolean }
  | {
      t: 'ha_vote_reply';
      req: number;
      granted: boolean;
      epoch: number;
      position: Position | null;
      pre: boolean;
      /** Why a vote was refused (diagnostics: the candidate logs and counts it). */
      reason?: VoteRefusal;
    };

/** Why a voter refused a vote (chorus_ha_votes_refused{reason}, and the candidate's log line). */
export type VoteRefusal =
  | 'epoch-not-newer'
  | 'quiet-after-restart'
  | 'leads'
  | 'promised-elsewhere'
  | 'epoch-not-durable'
  | 'candidate-behind';

/**
 * How much of the history a node holds, compared as Raft compares logs: the epoch of its last
 * transaction first, then how many it has (within one epoch's line, more is a longer prefix).
 */
export interface Position {
  epoch: number;
  count: number;
}

export function comparePositions(a: Position, b: Position): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.count - b.count;
}

export function positionOf(v: unknown): Position | null {
  const p = v as Position | null;
  return p && Number.isSafeInteger(p.epoch) && Number.isSafeInteger(p.count)
    ? { epoch: p.epoch, count: p.count }
    : null;
}

/** A voter's durable part: the highest epoch it knows (EpochState in a node). */
export interface EpochStore {
  readonly current: number;
  raise(epoch: number): boolean;
  /** A raise now is durable at once (else a vote is refused: one vote per epoch must survive a crash). */
  durable?(): boolean;
}

export interface VoterParts {
  self: string;
  epoch: EpochStore;
  /** Monotonic milliseconds. */
  now(): number;
  /** This data node's position; null for an observer (it holds no data). */
  position(): Position | null;
  /** This node is the primary and holds its lease (it grants no vote, no other lease, meanwhile). */
  leads(): boolean;
}

/**
 * What a voter promised, handed from a node to the node that replaces it in the same process (an
 * in-process restart after a role change): the promise is known, so no quiet period is needed.
 */
export interface VoterCarry {
  promise: { to: string; untilMs: number } | null;
  leader: { epoch: number; id: string; endpoint: string | null } | null;
}

/** The voting side, on every data node and observer. */
export class Voter {
  /** Whom this voter promised not to vote against, and until when (its clock). */
  private promise: { to: string; untilMs: number } | null = null;
  /** No grant before this: a promise made before a restart may still run (it is not stored). */
  private readonly quietUntilMs: number;
  /** Whom it recognises as primary of its epoch (the one it voted for, or whose lease it granted). */
  leader: { epoch: number; id: string; endpoint: string | null } | null = null;
  readonly stats = { leasesGranted: 0, leasesRefused: 0, votesGranted: 0, votesRefused: 0 };
  /** Votes refused since start, by reason. */
  readonly refusals = new Map<VoteRefusal, number>();

  constructor(
    private readonly p: VoterParts,
    /**
     * Skip the quiet period: true on a first start (no promise can exist); or the promise of the
     * voter this one replaces in the same process (same monotonic clock), which it keeps.
     */
    start: boolean | VoterCarry = false,
  ) {
    if (typeof start === 'object') {
      this.quietUntilMs = 0;
      this.promise = start.promise;
      this.leader = start.leader;
    } else this.quietUntilMs = start ? 0 : p.now() + haLeaseGrantMaxMs;
  }

  /** What the voter replacing this one in the same process keeps (see VoterCarry). */
  carry(): VoterCarry {
    return { promise: this.promise, leader: this.leader };
  }

  private promisedElsewhere(to: string, now: number): boolean {
    return this.promise !== null && this.promise.to !== to && this.promise.untilMs > now;
  }

  /** When the current promise ends (0 if none). */
  promisedUntil(): number {
    return this.promise?.untilMs ?? 0;
  }

  /** A lease request from the primary of `epoch`. */
  onLeaseReq(from: string, m: Extract<HaMessage, { t: 'ha_lease_req' }>): HaMessage {
    const now = this.p.now();
    const ttl = Math.min(haLeaseGrantMaxMs, Math.max(1, Number(m.ttlMs) || haLeaseMs));
    const known = this.p.epoch.current;
    const sameLeader = this.leader === null || this.leader.epoch !== m.epoch || this.leader.id === from;
    const granted =
      m.epoch >= known &&
      sameLeader &&
      (from === this.p.self || (!this.p.leads() && now >= this.quietUntilMs)) &&
      !this.promisedElsewhere(from, now);
    if (granted) {
      this.p.epoch.raise(m.epoch);
      this.leader = { epoch: m.epoch, id: from, endpoint: m.endpoint };
      this.promise = { to: from, untilMs: now + ttl };
      this.stats.leasesGranted++;
    } else this.stats.leasesRefused++;
    return { t: 'ha_lease_reply', req: m.req, granted, epoch: this.p.epoch.current };
  }

  /**
   * A candidate asks for the vote of a new epoch. A pre-vote (`pre`, as Raft's PreVote) asks whether
   * the vote would be granted and changes nothing: a candidate that could not win (behind the
   * others, or the primary still holds their promise) never raises an epoch that deposes it.
   */
  onVoteReq(from: string, m: Extract<HaMessage, { t: 'ha_vote_req' }>): HaMessage {
    const now = this.p.now();
    const mine = this.p.position();
    const reason = this.refusal(from, m, now, mine);
    const granted = reason === null;
    if (granted && !m.pre) {
      // One vote per epoch, and no other for a lease length (the winner needs that long to take
      // its lease; a candidate that lost releases its own). Writes wait for a lease in the epoch.
      this.p.epoch.raise(m.epoch);
      this.leader = { epoch: m.epoch, id: from, endpoint: null };
      this.promise = { to: from, untilMs: now + haLeaseMs };
      this.stats.votesGranted++;
    } else if (reason !== null) {
      this.stats.votesRefused++;
      this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
    }
    return {
      t: 'ha_vote_reply',
      req: m.req,
      granted,
      epoch: this.p.epoch.current,
      position: mine,
      pre: m.pre,
      ...(reason !== null ? { reason } : {}),
    };
  }

  /** Why this vote must be refused, or null to grant it. */
  private refusal(
    from: string,
    m: Extract<HaMessage, { t: 'ha_vote_req' }>,
    now: number,
    mine: Position | null,
  ): VoteRefusal | null {
    if (m.epoch <= this.p.epoch.current) return 'epoch-not-newer';
    if (now < this.quietUntilMs) return 'quiet-after-restart';
    if (from !== this.p.self && this.p.leads()) return 'leads';
    if (this.promisedElsewhere(from, now)) return 'promised-elsewhere';
    if (!m.pre && !(this.p.epoch.durable?.() ?? true)) return 'epoch-not-durable';
    // A candidate with less than this node holds could lose acknowledged commits.
    if (mine !== null && comparePositions(m.position, mine) < 0) return 'candidate-behind';
    return null;
  }

  /**
   * The primary hands over (switchover): the promise made to it passes to its chosen successor for
   * a lease length, so that one (and no other standby) can win now.
   */
  release(from: string, to: string | null): void {
    if (this.promise?.to !== from) return;
    this.promise = to ? { to, untilMs: this.p.now() + switchoverPromiseMs } : null;
  }

  /** This node ran for election and lost: its promise to itself ends. */
  releaseOwn(): void {
    if (this.promise?.to === this.p.self) this.promise = null;
  }
}

export interface LeaseKeeperParts {
  self: string;
  /** The epoch this node leads (fixed: a newer one in `epoch` means it was deposed). */
  leading: number;
  epoch: EpochStore;
  now(): number;
  /** Every voter but this node (data nodes and observers). */
  voters(): readonly string[];
  /** The data nodes among them linked now (this primary's standbys). */
  standbys(): readonly string[];
  /** How many standbys there are in all: the failsafe needs a grant from each. */
  standbysNeeded: number;
  /** Grants needed, this node's own included. */
  quorum: number;
  send(to: string, m: HaMessage): void;
  /** This node's own voter (it grants itself the lease like any other). */
  voter: Voter;
  /** Where standbys reach this primary's log (its --ha-bind), sent with each request. */
  endpoint: string | null;
  /** This primary's applied vector, sent with each request (none in the simulation). */
  applied?: () => Record<string, number>;
  /** A voter knows a newer epoch: another node was promoted. */
  onNewerEpoch(epoch: number): void;
}

/** The primary's side: asks every voter for the lease, renews it, and says when it may commit. */
export class LeaseKeeper {
  private req = 0;
  private readonly pending = new Map<number, number>();
  /** Per voter: until when (this node's monotonic clock, margin taken off) its grant runs. */
  private readonly grants = new Map<string, number>();
  private selfUntilMs = 0;

  constructor(private readonly p: LeaseKeeperParts) {}

  /** Ask every voter (and itself) to grant or renew the lease. */
  renew(): void {
    if (this.p.epoch.current > this.p.leading) {
      this.p.onNewerEpoch(this.p.epoch.current);
      return;
    }
    const sentAt = this.p.now();
    const req = ++this.req;
    this.pending.set(req, sentAt);
    if (this.pending.size > leasePendingMax) this.pending.delete(this.pending.keys().next().value!);
    const m: HaMessage = {
      t: 'ha_lease_req',
      epoch: this.p.leading,
      req,
      ttlMs: haLeaseMs,
      endpoint: this.p.endpoint,
      ...(this.p.applied ? { applied: this.p.applied() } : {}),
    };
    const own = this.p.voter.onLeaseReq(this.p.self, m);
    if (own.t === 'ha_lease_reply' && own.granted) this.selfUntilMs = sentAt + haLeaseMs - haDriftMarginMs;
    for (const v of this.p.voters()) this.p.send(v, m);
  }

  onReply(from: string, m: Extract<HaMessage, { t: 'ha_lease_reply' }>): void {
    if (m.epoch > this.p.leading) {
      this.p.epoch.raise(m.epoch);
      this.p.onNewerEpoch(m.epoch);
      return;
    }
    const sentAt = this.pending.get(m.req);
    if (sentAt === undefined || !m.granted) return;
    const until = sentAt + haLeaseMs - haDriftMarginMs;
    if (until > (this.grants.get(from) ?? 0)) this.grants.set(from, until);
  }

  private live(now: number): Set<string> {
    const out = new Set<string>();
    for (const [v, until] of this.grants) if (until > now) out.add(v);
    return out;
  }

  /** Grants running now, this node's own included. */
  granted(): number {
    const now = this.p.now();
    return this.live(now).size + (this.selfUntilMs > now ? 1 : 0);
  }

  /**
   * Commits may be taken: a quorum of voters granted the lease, or every standby did (then no
   * standby can run for election while the grants last: the failsafe keeps a primary whose
   * observers are down). The own grant is needed in both cases.
   */
  holds(): boolean {
    const now = this.p.now();
    if (this.selfUntilMs <= now || this.p.epoch.current > this.p.leading) return false;
    const live = this.live(now);
    if (live.size + 1 >= this.p.quorum) return true;
    const needed = this.p.standbysNeeded;
    return needed > 0 && this.p.standbys().filter((s) => live.has(s)).length >= needed;
  }

  /** When the lease ends if nothing is renewed (for messages and metrics). */
  expiresAtMs(): number {
    const sorted = [...this.grants.values()].sort((a, b) => b - a);
    const quorumUntil = sorted[this.p.quorum - 2] ?? 0;
    return Math.min(this.selfUntilMs, this.p.quorum <= 1 ? this.selfUntilMs : quorumUntil);
  }
}
