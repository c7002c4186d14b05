// The cluster-wide DDL lock of multi-primary mode (as EDB PGD's global DDL lock): before DDL commits
// on a node, that node holds votes from a majority of the masters, and it has applied every DDL
// those voters knew of. Two DDL transactions therefore never run concurrently on two nodes: each
// majority shares a voter with the one before, and that voter's vote carries the position of the
// earlier DDL. Ordinary writes never take it. See DESIGN.md ("DDL is serialized").
//
// Each master gives its vote to one DDL transaction at a time (its own or a peer's), as a lease
// that lapses on its own (a crashed holder blocks nobody for longer than ddlLockLeaseMs). The
// request names the origin sequence number the DDL will commit as, so a voter whose lease ran out
// without a release still knows which transaction may hold DDL, and counts it as DDL (waiting for a
// transaction that turns out to be an ordinary one costs a wait, never a conflict).

import type { TimerHandle, Timers } from '../../clock/timers.js';
import { ChorusError } from '../../errors.js';
import { mergeVector, type Vector } from '../../log/records.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import { DdlCatchUp } from './ddl-catch-up.js';

/** How long a vote lasts unless renewed (also the longest a voter grants, whatever is asked). */
export const ddlLockLeaseMs = 10_000;
/** A held lock renews its votes this often. */
export const ddlLockRenewMs = 3_000;
/** The holder counts a vote as gone this much before the voter does (clock-rate drift, delays). */
export const ddlLockMarginMs = 500;
/** How long one round of requests waits for the voters' replies. */
export const ddlLockReplyWaitMs = 3_000;
/** How long a request waits for links to a majority of the masters to come up (node start). */
export const ddlLockConnectWaitMs = 3_000;
/** How long a request keeps retrying while another master holds the lock. */
export const ddlLockRetryMs = 10_000;
/** Longest random pause between two rounds of requests (two masters asking at once). */
export const ddlLockBackoffMaxMs = 250;
/** Lapsed votes a master remembers by token (a late release can still clear them); older fold in. */
export const ddlLapsedVotesMax = 256;
/** Releases per peer kept for when its link is back (the link was down when they were due). */
export const ddlUndeliveredMax = 64;
/** Pause between two looks at the links while waiting for them to come up. */
const connectPollMs = 100;

/** A vote given to one DDL transaction: `holder` is the node running it. */
export interface DdlVote {
  holder: string;
  token: string;
  /** The origin sequence number the transaction commits as. */
  seq: number;
  /** When the vote lapses (this node's lease clock). */
  untilMs: number;
}

/**
 * What a master must not forget over a restart: the vote it gives a peer now, and the positions of
 * DDL it knows of but has not applied yet (from releases and lapsed votes).
 */
export interface DdlLockState {
  vote: { holder: string; seq: number } | null;
  notes: Vector;
}

export interface DdlVoteStore {
  /** The saved state; null when none was ever saved. Throws when it exists but cannot be read. */
  load(): DdlLockState | null;
  save(state: DdlLockState): void;
}

export interface DdlLockHost {
  nodeId: string;
  timers: Timers;
  random(): number;
  /** Peers with a live link now. */
  peers(): PeerHandle[];
  /** The other masters of the cluster (ids; endpoints for those never seen) and whether linked. */
  masters(): { name: string; linked: boolean }[];
  /** This node's applied vector. */
  applied(): Vector;
  store: DdlVoteStore;
}

/** The lock held by one transaction; released (once) when it commits or rolls back. */
export interface DdlLease {
  /** DDL the voters had applied that this node has not (null: none). */
  missing(): Vector | null;
  /** Whether a majority of the votes is still held (checked just before COMMIT). */
  valid(): boolean;
  /** Give the votes back; `committedSeq` is the transaction's sequence number if it committed. */
  release(committedSeq: number | null): void;
}

interface Attempt {
  token: string;
  seq: number;
  needed: number;
  sentAt: number;
  asked: Set<string>;
  answered: Set<string>;
  votes: Map<string, number>;
  frontier: Vector;
  busyWith: string | null;
  done: boolean;
  timer: TimerHandle | null;
  finish: (ok: boolean) => void;
  renewTimer: TimerHandle | null;
  released: boolean;
}

export class DdlLock implements PeerExtension {
  readonly types = new Set(['ddl_lock_req', 'ddl_lock_reply', 'ddl_lock_release']);
  /** The vote this node gave (to itself or a peer), if it still stands. */
  private vote: DdlVote | null = null;
  /** Highest sequence number per origin that is (or may be) DDL, as far as this node knows. */
  private ddl: Vector;
  /** No vote is given before this: a vote given before a restart may still run. */
  private readonly quietUntilMs: number;
  /** Who held that vote. */
  private readonly quietFor: string | null = null;
  private readonly attempts = new Map<string, Attempt>();
  /**
   * Votes that lapsed without a release, by token: their transactions count as DDL until a late
   * release says what became of them (see onRelease).
   */
  private readonly lapsed = new Map<string, { holder: string; seq: number }>();
  /** Releases this node could not send (the link was down): sent when the link is back. */
  private readonly undelivered = new Map<string, { token: string; seq: number | null }[]>();
  /** DDL waiting for what its lease found missing. */
  private readonly catchUp: DdlCatchUp;
  private readonly instance: string;
  private counter = 0;
  readonly stats = { granted: 0, refused: 0, acquired: 0, failed: 0, expired: 0 };

  constructor(private readonly host: DdlLockHost) {
    // What this node applied may hold DDL: a requester must cover it (conservative, exact later).
    this.ddl = { ...host.applied() };
    let before: DdlLockState | null = null;
    let unreadable = false;
    try {
      before = host.store.load();
    } catch {
      // A vote may be out that this node cannot know of: it gives none for a whole lease.
      unreadable = true;
    }
    this.quietUntilMs = this.now();
    if (unreadable) {
      this.quietUntilMs = this.now() + ddlLockLeaseMs;
      this.quietFor = 'an unreadable vote record';
    }
    for (const [o, seq] of Object.entries(before?.notes ?? {})) this.note(o, seq);
    if (before?.vote) {
      // That vote may still run: none is given (this node's own included) until it has lapsed.
      this.note(before.vote.holder, before.vote.seq);
      this.quietUntilMs = this.now() + ddlLockLeaseMs;
      this.quietFor = before.vote.holder;
    }
    this.instance = Math.floor(host.random() * 2 ** 32).toString(36);
    this.catchUp = new DdlCatchUp(host.timers, (need) => this.missingOf(need));
  }

  private now(): number {
    return this.host.timers.monotonicMs?.() ?? this.host.timers.nowMs();
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.host.timers.after(ms, resolve));
  }

  /** Keep the vote given to a peer and the DDL not applied yet where a restart finds them. */
  private persist(): void {
    const vote = this.vote && this.vote.holder !== this.host.nodeId ? this.vote : null;
    this.host.store.save({
      vote: vote ? { holder: vote.holder, seq: vote.seq } : null,
      notes: this.missingOf(this.known()) ?? {},
    });
  }

  /** The DDL positions this node knows of: applied or released, and lapsed votes. */
  private known(): Vector {
    const out = { ...this.ddl };
    for (const l of this.lapsed.values()) if ((out[l.holder] ?? 0) < l.seq) out[l.holder] = l.seq;
    return out;
  }

  /** A transaction of `origin` up to `seq` holds (or may hold) DDL. */
  note(origin: string, seq: number): void {
    if ((this.ddl[origin] ?? 0) < seq) this.ddl[origin] = seq;
  }

  /** The vote this node gives now (null: free); for monitoring and tests. */
  currentVote(): DdlVote | null {
    this.settle();
    return this.vote;
  }

  /** A vote whose lease ran out without a release: its transaction may have committed DDL. */
  private settle(): void {
    if (this.vote && this.vote.untilMs <= this.now()) {
      const peer = this.vote.holder !== this.host.nodeId;
      if (peer) {
        this.lapsed.set(this.vote.token, { holder: this.vote.holder, seq: this.vote.seq });
        if (this.lapsed.size > ddlLapsedVotesMax) {
          const [oldest, l] = this.lapsed.entries().next().value!;
          this.lapsed.delete(oldest);
          this.note(l.holder, l.seq);
        }
      }
      this.vote = null;
      this.stats.expired++;
      if (peer) this.persist();
    }
  }

  private missingOf(need: Vector): Vector | null {
    const applied = this.host.applied();
    const out: Vector = {};
    for (const [o, s] of Object.entries(need))
      if (o !== this.host.nodeId && (applied[o] ?? 0) < s) out[o] = s;
    return Object.keys(out).length > 0 ? out : null;
  }

  /**
   * Take the lock for a transaction that will commit as `seq`: resolves with the lease (null when
   * this node is the only master), or throws 55000 (no majority reachable) or 55P03 (another
   * master kept the lock past ddlLockRetryMs).
   */
  async acquire(seq: number): Promise<DdlLease | null> {
    const started = this.now();
    let busyWith: string | null = null;
    for (;;) {
      const masters = this.host.masters();
      if (masters.length === 0) return null;
      const needed = Math.floor((masters.length + 1) / 2) + 1;
      const linked = this.host.peers().filter((p) => !p.closed);
      const waited = this.now() - started;
      if (linked.length + 1 < needed) {
        if (waited < ddlLockConnectWaitMs) {
          await this.delay(connectPollMs);
          continue;
        }
        this.stats.failed++;
        throw unreachableError(masters, linked.length + 1, needed);
      }
      const a = await this.attempt(seq, needed, linked);
      if (a.ok) {
        this.stats.acquired++;
        return this.leaseOf(a.attempt);
      }
      busyWith = a.attempt.busyWith ?? busyWith;
      if (this.now() - started >= ddlLockRetryMs) {
        this.stats.failed++;
        if (busyWith === null) throw unreachableError(masters, a.attempt.votes.size + 1, needed);
        throw new ChorusError('55P03', 'could not obtain the cluster DDL lock', {
          detail: `Master "${busyWith}" holds it (DDL is running there).`,
          hint: 'DDL on replicated tables runs on one master at a time; retry when the other has committed.',
        });
      }
      await this.delay(1 + Math.floor(this.host.random() * ddlLockBackoffMaxMs));
    }
  }

  /** One round: this node's own vote, then the linked peers'. */
  private attempt(
    seq: number,
    needed: number,
    linked: PeerHandle[],
  ): Promise<{ ok: boolean; attempt: Attempt }> {
    const token = `${this.host.nodeId}:${this.instance}:${++this.counter}`;
    const sentAt = this.now();
    // A vote of this node's that lapsed unreleased must be in its own frontier (review finding).
    this.settle();
    const a: Attempt = {
      token,
      seq,
      needed,
      sentAt,
      asked: new Set(linked.map((p) => p.peerId)),
      answered: new Set(),
      votes: new Map(),
      // This node's own vote carries what it knows, as a peer's does.
      frontier: this.known(),
      busyWith: null,
      done: false,
      timer: null,
      finish: () => undefined,
      renewTimer: null,
      released: false,
    };
    this.settle();
    if (this.vote || sentAt < this.quietUntilMs) {
      a.busyWith = this.vote?.holder ?? this.quietFor;
      a.released = true;
      return Promise.resolve({ ok: false, attempt: a });
    }
    this.vote = { holder: this.host.nodeId, token, seq, untilMs: sentAt + ddlLockLeaseMs };
    this.attempts.set(token, a);
    return new Promise((resolve) => {
      a.finish = (ok) => {
        if (a.done) return;
        a.done = true;
        a.timer?.cancel();
        if (!ok) this.releaseAttempt(a, null);
        resolve({ ok, attempt: a });
      };
      a.timer = this.host.timers.after(ddlLockReplyWaitMs, () => a.finish(false));
      for (const p of linked) p.send({ t: 'ddl_lock_req', token, seq, ttlMs: ddlLockLeaseMs, at: sentAt });
      this.check(a);
    });
  }

  /** Enough votes (done), or too few left to come (failed)? */
  private check(a: Attempt): void {
    if (a.done) return;
    if (a.votes.size + 1 >= a.needed) a.finish(true);
    else if (a.votes.size + 1 + (a.asked.size - a.answered.size) < a.needed) a.finish(false);
  }

  private leaseOf(a: Attempt): DdlLease {
    const renew = (): void => {
      if (a.released) return;
      const sentAt = this.now();
      if (this.vote?.token === a.token) this.vote.untilMs = sentAt + ddlLockLeaseMs;
      a.sentAt = sentAt;
      for (const p of this.host.peers())
        if (a.votes.has(p.peerId) && !p.closed)
          p.send({
            t: 'ddl_lock_req',
            token: a.token,
            seq: a.seq,
            ttlMs: ddlLockLeaseMs,
            renew: true,
            at: sentAt,
          });
      a.renewTimer = this.host.timers.after(ddlLockRenewMs, renew);
    };
    a.renewTimer = this.host.timers.after(ddlLockRenewMs, renew);
    return {
      missing: () => this.missingOf(a.frontier),
      valid: () => {
        if (a.released) return false;
        const now = this.now();
        let n = this.vote?.token === a.token && this.vote.untilMs > now ? 1 : 0;
        for (const until of a.votes.values()) if (until > now) n++;
        return n >= a.needed;
      },
      release: (committedSeq) => this.releaseAttempt(a, committedSeq),
    };
  }

  private releaseAttempt(a: Attempt, committedSeq: number | null): void {
    if (a.released) return;
    a.released = true;
    a.renewTimer?.cancel();
    this.attempts.delete(a.token);
    // Every peer asked: a vote granted after we gave up is freed too (links keep order). A peer
    // cut off meanwhile gets it when its link is back: its vote has lapsed by then, and counts as
    // DDL there until it learns what became of the transaction.
    const sent = new Set<string>();
    for (const p of this.host.peers()) {
      if (!a.asked.has(p.peerId) || p.closed) continue;
      if (p.send({ t: 'ddl_lock_release', token: a.token, seq: committedSeq })) sent.add(p.peerId);
    }
    for (const peerId of a.asked) {
      if (sent.has(peerId)) continue;
      const list = this.undelivered.get(peerId) ?? [];
      list.push({ token: a.token, seq: committedSeq });
      if (list.length > ddlUndeliveredMax) list.shift();
      this.undelivered.set(peerId, list);
    }
    if (this.vote?.token === a.token) this.vote = null;
    if (committedSeq !== null) this.note(this.host.nodeId, committedSeq);
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (msg.t === 'ddl_lock_req') this.onRequest(peer, msg);
    else if (msg.t === 'ddl_lock_reply') this.onReply(peer, msg);
    else if (msg.t === 'ddl_lock_release') this.onRelease(peer, msg);
  }

  onOpen(peer: PeerHandle): void {
    const list = this.undelivered.get(peer.peerId);
    if (!list) return;
    this.undelivered.delete(peer.peerId);
    for (const r of list) peer.send({ t: 'ddl_lock_release', token: r.token, seq: r.seq });
  }

  onClose(peerId: string): void {
    for (const a of this.attempts.values()) {
      if (!a.asked.has(peerId) || a.answered.has(peerId)) continue;
      a.answered.add(peerId);
      this.check(a);
    }
  }

  private onRequest(peer: PeerHandle, msg: PeerMessage): void {
    this.settle();
    const token = String(msg.token);
    const seq = Number(msg.seq);
    const ttl = Math.min(ddlLockLeaseMs, Math.max(1, Number(msg.ttlMs) || ddlLockLeaseMs));
    const now = this.now();
    const mine = this.vote !== null && this.vote.token === token && this.vote.holder === peer.peerId;
    const reply = (granted: boolean): void => {
      if (granted) this.stats.granted++;
      else this.stats.refused++;
      peer.send({
        t: 'ddl_lock_reply',
        token,
        granted,
        ttlMs: ttl,
        holder: granted ? peer.peerId : (this.vote?.holder ?? null),
        frontier: granted ? this.known() : {},
        at: msg.at,
      });
    };
    if (msg.renew === true || mine) {
      // A renewal extends a vote still held; a lapsed one is not given again (its DDL may have run).
      if (mine) this.vote!.untilMs = now + ttl;
      reply(mine);
      return;
    }
    if (this.vote !== null || now < this.quietUntilMs || !Number.isSafeInteger(seq)) {
      reply(false);
      return;
    }
    this.vote = { holder: peer.peerId, token, seq, untilMs: now + ttl };
    this.persist();
    reply(true);
  }

  private onReply(peer: PeerHandle, msg: PeerMessage): void {
    const a = this.attempts.get(String(msg.token));
    if (!a?.asked.has(peer.peerId)) return;
    const ttl = Math.min(ddlLockLeaseMs, Number(msg.ttlMs) || 0);
    if (msg.granted === true) {
      // Timed from before we asked (this request, not a later renewal): it ends here first.
      const at = typeof msg.at === 'number' ? Math.min(msg.at, a.sentAt) : a.sentAt;
      a.votes.set(peer.peerId, Math.max(a.votes.get(peer.peerId) ?? 0, at + ttl - ddlLockMarginMs));
      if (!a.done) a.frontier = mergeVector(a.frontier, (msg.frontier as Vector) ?? {});
    } else {
      if (a.done) {
        a.votes.delete(peer.peerId);
        return;
      }
      if (typeof msg.holder === 'string') a.busyWith = msg.holder;
    }
    a.answered.add(peer.peerId);
    this.check(a);
  }

  private onRelease(peer: PeerHandle, msg: PeerMessage): void {
    const token = String(msg.token);
    const late = this.lapsed.get(token);
    if (late && late.holder === peer.peerId) {
      // The vote lapsed before this arrived: now it is known whether DDL committed under it.
      this.lapsed.delete(token);
      if (typeof msg.seq === 'number') this.note(peer.peerId, msg.seq);
      this.persist();
      return;
    }
    if (!this.vote || this.vote.token !== token || this.vote.holder !== peer.peerId) return;
    if (typeof msg.seq === 'number') this.note(peer.peerId, msg.seq);
    this.vote = null;
    this.persist();
  }

  /** Resolve once this node has applied `need` (what a lease found missing); 55000 past the wait. */
  waitCovered(need: Vector, waitMs?: number): Promise<void> {
    return this.catchUp.wait(need, waitMs);
  }

  /** Transactions were applied here: DDL waiting for them may go on. */
  onApplied(): void {
    this.catchUp.onApplied();
  }
}

function unreachableError(
  masters: { name: string; linked: boolean }[],
  reached: number,
  needed: number,
): ChorusError {
  const down = masters.filter((m) => !m.linked).map((m) => m.name);
  return new ChorusError(
    '55000',
    `DDL needs the cluster DDL lock from ${needed} of the ${masters.length + 1} masters; this node reaches ${reached}`,
    {
      hint: `${down.length > 0 ? `Unreachable: ${down.join(', ')}. ` : ''}DDL on replicated tables is refused without a majority of the masters (multi-primary); retry when the links are back.`,
    },
  );
}
