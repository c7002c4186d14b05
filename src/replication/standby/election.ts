// Election of a new primary: a standby that has not heard from its primary for failover_timeout
// (and whose own promise to it expired) asks every voter for its vote in epoch+1. It wins with a
// quorum of votes — and, in the sync modes, votes from enough standbys that one of them holds every
// acknowledged commit (ANY/FIRST k of N standbys: N−k+1, itself included), each of which holds no
// more than it does. Transport-free, like lease.ts.

import { comparePositions, type EpochStore, type HaMessage, type Position, type Voter } from './lease.js';

/** How long a candidate waits for votes before it gives up this round. */
export const electionRoundMs = 1_000;
/** A candidate that met a voter holding more history waits this many rounds (that one should win). */
export const aheadBackOffRounds = 3;

export interface CandidateParts {
  self: string;
  epoch: EpochStore;
  now(): number;
  /** Random number in [0, 1) (spreads the candidates' retries apart). */
  random(): number;
  /** Every voter but this node. */
  voters(): readonly string[];
  /** The other standbys among them (the voters whose history counts for the sync rule). */
  standbys(): readonly string[];
  /** Votes needed, this node's own included. */
  quorum: number;
  /**
   * Standby votes (this node's included) that prove it holds every acknowledged commit: N−k+1 for
   * k synchronous standbys of N, 0 in async mode.
   */
  standbyVotesNeeded: number;
  position(): Position;
  /** This node's own voter (a candidate votes for itself under the same rules). */
  voter: Voter;
  send(to: string, m: HaMessage): void;
  /** Won: become primary of `epoch` (it takes writes once a quorum granted it a lease). */
  onWon(epoch: number): void;
  /** A round ended without a win: why (for the log and chorus_ha_election_rounds). */
  onLost?(loss: RoundLoss): void;
}

/** Why a round was lost: what an operator reads when no standby takes over. */
export interface RoundLoss {
  epoch: number;
  pre: boolean;
  reason: 'own-vote-refused' | 'late-reply' | 'epoch-moved' | 'voter-ahead' | 'newer-epoch' | 'timed-out';
  /** The refusal or the voter behind the reason, and the votes the round had. */
  detail: string;
}

interface Round {
  /** A pre-vote (nothing recorded anywhere) comes first; the real round only if it would win. */
  pre: boolean;
  epoch: number;
  req: number;
  sentAtMs: number;
  granted: Set<string>;
  /** Voters that refused without ending the round, and why. */
  refused: Map<string, string>;
}

export class Candidate {
  private round: Round | null = null;
  private req = 0;
  /** No new round before this (after a lost one: a random back-off so two candidates part). */
  private notBeforeMs = 0;
  readonly stats = { rounds: 0, won: 0, lost: 0 };

  constructor(private readonly p: CandidateParts) {}

  get running(): boolean {
    return this.round !== null;
  }

  /** Start a round now, whatever the back-off (switchover, force_promote). */
  startNow(): boolean {
    if (this.round) return false;
    this.notBeforeMs = 0;
    return this.start();
  }

  /** Start a round if none runs and the back-off passed; the caller checked that the primary is gone. */
  start(): boolean {
    const now = this.p.now();
    if (this.round || now < this.notBeforeMs) return false;
    this.stats.rounds++;
    return this.ask(true);
  }

  private ask(pre: boolean): boolean {
    const now = this.p.now();
    const epoch = this.p.epoch.current + 1;
    const m: HaMessage = { t: 'ha_vote_req', epoch, req: ++this.req, position: this.p.position(), pre };
    const own = this.p.voter.onVoteReq(this.p.self, m);
    if (own.t !== 'ha_vote_reply' || !own.granted) {
      this.round = null;
      this.lose({
        epoch,
        pre,
        reason: 'own-vote-refused',
        detail: String((own as { reason?: string }).reason),
      });
      return false;
    }
    this.round = {
      pre,
      epoch,
      req: m.req,
      sentAtMs: now,
      granted: new Set([this.p.self]),
      refused: new Map(),
    };
    for (const v of this.p.voters()) this.p.send(v, m);
    return true;
  }

  private backOff(now: number, rounds = 1): void {
    this.notBeforeMs = now + electionRoundMs * rounds * (0.5 + this.p.random());
  }

  onReply(from: string, m: Extract<HaMessage, { t: 'ha_vote_reply' }>): void {
    const r = this.round;
    if (!r || m.req !== r.req || m.pre !== r.pre) return;
    // A round past its time, or overtaken by a newer epoch this node heard of, can no longer win
    // (this node may have paused meanwhile: late votes count for nothing).
    const expected = r.pre ? r.epoch - 1 : r.epoch;
    const late = this.p.now() - r.sentAtMs >= electionRoundMs;
    if (late || this.p.epoch.current !== expected) {
      this.lose(
        this.loss(
          r,
          late ? 'late-reply' : 'epoch-moved',
          `${from} after ${Math.round(this.p.now() - r.sentAtMs)} ms`,
        ),
      );
      return;
    }
    if (!m.granted) {
      // A voter ahead of us (in epoch or history) ends the round: someone else should win.
      const ahead = m.position !== null && comparePositions(m.position, this.p.position()) > 0;
      // A voter in a newer epoch: someone won it (or runs); this node learns it and backs off.
      const newer = m.epoch >= r.epoch;
      if (newer) this.p.epoch.raise(m.epoch);
      if (newer || ahead)
        this.lose(
          this.loss(
            r,
            ahead ? 'voter-ahead' : 'newer-epoch',
            `${from}: ${m.reason ?? 'refused'} (epoch ${m.epoch})`,
          ),
          ahead ? aheadBackOffRounds : 1,
        );
      else r.refused.set(from, m.reason ?? 'refused');
      return;
    }
    r.granted.add(from);
    const data = new Set(this.p.standbys());
    const standbyVotes = 1 + [...r.granted].filter((v) => v !== this.p.self && data.has(v)).length;
    if (r.granted.size < this.p.quorum || standbyVotes < this.p.standbyVotesNeeded) return;
    this.round = null;
    if (r.pre) {
      // It would win: now for real (the epoch may have moved meanwhile: then it starts over).
      if (this.p.epoch.current + 1 === r.epoch) this.ask(false);
      else this.lose(this.loss(r, 'epoch-moved', `epoch ${this.p.epoch.current} after the pre-vote`));
      return;
    }
    this.stats.won++;
    this.p.onWon(r.epoch);
  }

  /** The round's time is up without a win. */
  expire(): void {
    const r = this.round;
    if (r && this.p.now() - r.sentAtMs >= electionRoundMs) this.lose(this.loss(r, 'timed-out', ''));
  }

  private loss(r: Round, reason: RoundLoss['reason'], detail: string): RoundLoss {
    const refused = [...r.refused].map(([v, why]) => `${v}: ${why}`).join(', ');
    const votes = `granted by ${[...r.granted].join(', ')} of ${this.p.quorum} needed${refused ? `; refused by ${refused}` : ''}`;
    return { epoch: r.epoch, pre: r.pre, reason, detail: detail ? `${detail}; ${votes}` : votes };
  }

  private lose(loss: RoundLoss, rounds = 1): void {
    this.round = null;
    this.stats.lost++;
    this.p.voter.releaseOwn();
    this.backOff(this.p.now(), rounds);
    this.p.onLost?.(loss);
  }
}

/** Standby votes that prove a candidate holds every acknowledged commit (N−k+1 of N, 0 in async). */
export function standbyVotesNeeded(syncStandbys: number, k: number, synchronous: boolean): number {
  return synchronous ? Math.max(1, syncStandbys - k + 1) : 0;
}

/** Votes needed: quorum_size if set (refused unless it is a majority), else a majority of voters. */
export function quorumOf(voters: number, quorumSize: number | undefined): number {
  return quorumSize ?? Math.floor(voters / 2) + 1;
}
