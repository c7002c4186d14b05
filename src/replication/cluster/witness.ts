// Witness nodes ([replication] use_witness_node, witness_endpoints; `chorus witness`): a process that
// stores no data and holds one vote, so two masters split by a partition do not both stop (or both
// go on) writing. A master that cannot see a quorum of masters asks the witness for a write lease;
// the witness grants it to one master at a time, and while the lease runs that master counts the
// witness as one more node in the write quorum. The lease is renewed while it is needed and lapses
// on its own (a master that stops renewing — crashed, partitioned from the witness — loses it
// before the witness gives it to anyone else: the master's expiry is measured from before it asked,
// the witness's from when it granted).
//
// What the vote does not give: the witness holds no copy, so a write acknowledged under a lease is
// durable on one master only until the other returns (documented in docs/replication.md).
//
// Safety details: a restarted witness has forgotten its holder, so it grants nothing for one lease
// length after it starts (any lease granted before has lapsed by then); with several witness
// endpoints a master holds the vote only while a majority of them granted it (two witnesses cannot
// each give one master the vote); leases are timed on a monotonic clock where there is one.

import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { Link, PeerMessage, PeerNetwork } from '../link/link.js';

/** How long a lease lasts (also the longest a witness grants, whatever a master asks for). */
export const witnessLeaseMs = 3_000;
/** A lease is renewed this often while the master still needs it. */
export const witnessRenewMs = 1_000;
/** The master treats its lease as over this much before the witness does (clock-rate drift). */
export const witnessLeaseMarginMs = 250;
/** Lease requests a master keeps track of at once (older ones are forgotten; their replies ignored). */
export const witnessPendingMax = 64;

/** Lease time: monotonic where the timers have it (a wall-clock step must not stretch a lease). */
function leaseNow(timers: Timers): number {
  return timers.monotonicMs?.() ?? timers.nowMs();
}

/** The witness process's side: grants the lease to one master at a time. */
export class WitnessServer {
  private holder: { nodeId: string; untilMs: number } | null = null;
  /** No grant before this: a lease granted before a restart may still run. */
  private readonly quietUntilMs: number;
  readonly stats = { granted: 0, refused: 0 };

  constructor(
    private readonly network: PeerNetwork,
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {
    this.quietUntilMs = leaseNow(timers) + witnessLeaseMs;
  }

  async start(): Promise<void> {
    await this.network.start(() => ({
      onMessage: (l, msg) => this.onMessage(l, msg),
      onClose: () => undefined,
    }));
  }

  stop(): Promise<void> {
    return this.network.stop();
  }

  /** The master holding the lease now, if any. */
  leaseHolder(): string | null {
    return this.holder && this.holder.untilMs > leaseNow(this.timers) ? this.holder.nodeId : null;
  }

  private onMessage(link: Link, msg: PeerMessage): void {
    if (msg.t === 'lease_release') {
      if (this.holder?.nodeId === link.peerId) this.holder = null;
      return;
    }
    if (msg.t !== 'lease_req') return;
    const now = leaseNow(this.timers);
    const ttl = Math.min(witnessLeaseMs, Math.max(1, Number(msg.ttlMs) || witnessLeaseMs));
    const current = this.leaseHolder();
    const granted = now >= this.quietUntilMs && (current === null || current === link.peerId);
    if (granted) {
      if (current !== link.peerId)
        this.logger.warn({ master: link.peerId, ttlMs: ttl }, 'witness vote granted');
      this.holder = { nodeId: link.peerId, untilMs: now + ttl };
      this.stats.granted++;
    } else this.stats.refused++;
    link.send({
      t: 'lease_reply',
      req: msg.req,
      granted,
      holder: granted ? link.peerId : current,
      ttlMs: ttl,
    });
  }
}

/** A master's side: asks for the lease while it cannot see a quorum of masters. */
export class WitnessClient {
  /** Per witness link: until when it granted us the lease. */
  private readonly leases = new Map<Link, number>();
  private readonly pending = new Map<number, { sentAt: number; link: Link }>();
  private req = 0;
  private readonly links = new Set<Link>();
  private timer: TimerHandle | null = null;
  private stopped = false;
  /** Who the witness said holds the lease, when it refused us. */
  lastRefusedFor: string | null = null;

  constructor(
    private readonly network: PeerNetwork,
    private readonly timers: Timers,
    private readonly logger: Logger,
    /** Does this master need the witness's vote now (it lacks a quorum of masters)? */
    private readonly needed: () => boolean,
    /** Witness endpoints configured: the vote needs grants from a majority of them. */
    private readonly witnesses = 1,
  ) {}

  async start(): Promise<void> {
    await this.network.start((link) => {
      this.links.add(link);
      this.tick();
      return {
        onMessage: (_l, msg) => this.onMessage(msg),
        onClose: () => {
          this.links.delete(link);
          this.leases.delete(link);
        },
      };
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.network.stop();
  }

  /** This master holds the witness's vote right now (granted by a majority of the witnesses). */
  holdsLease(): boolean {
    const now = leaseNow(this.timers);
    let granted = 0;
    for (const until of this.leases.values()) if (until > now) granted++;
    return granted * 2 > this.witnesses;
  }

  /** Witness links up now. */
  connected(): number {
    return [...this.links].filter((l) => !l.closed).length;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.after(witnessRenewMs, () => {
      this.tick();
      this.schedule();
    });
  }

  /** Ask (or renew) when needed; let the lease lapse otherwise. */
  tick(): void {
    if (!this.needed()) {
      if (this.leases.size > 0 || this.pending.size > 0) {
        // A grant still on its way would otherwise arrive after the release and count as held.
        this.pending.clear();
        this.leases.clear();
        for (const l of this.links) if (!l.closed) l.send({ t: 'lease_release' });
      }
      return;
    }
    const sentAt = leaseNow(this.timers);
    for (const l of this.links) {
      if (l.closed) continue;
      const req = ++this.req;
      this.pending.set(req, { sentAt, link: l });
      if (this.pending.size > witnessPendingMax) this.pending.delete(this.pending.keys().next().value!);
      l.send({ t: 'lease_req', req, ttlMs: witnessLeaseMs });
    }
  }

  private onMessage(msg: PeerMessage): void {
    if (msg.t !== 'lease_reply') return;
    const asked = this.pending.get(Number(msg.req));
    if (asked === undefined) return;
    this.pending.delete(Number(msg.req));
    if (msg.granted === true) {
      if (!this.needed()) {
        // Not wanted any more: hand it straight back so the witness can grant the other master.
        if (!asked.link.closed) asked.link.send({ t: 'lease_release' });
        return;
      }
      // Timed from before we asked: it ends here before it ends at the witness.
      const ttl = Math.min(witnessLeaseMs, Number(msg.ttlMs) || 0);
      const until = asked.sentAt + ttl - witnessLeaseMarginMs;
      const held = this.holdsLease();
      this.leases.set(asked.link, Math.max(this.leases.get(asked.link) ?? 0, until));
      if (!held && this.holdsLease())
        this.logger.warn('holding the witness vote: writes go on without a quorum of masters');
      this.lastRefusedFor = null;
    } else {
      this.lastRefusedFor = typeof msg.holder === 'string' ? msg.holder : null;
    }
  }
}
