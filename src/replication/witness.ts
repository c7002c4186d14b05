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

import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../clock/timers.js';
import type { Link, PeerMessage, PeerNetwork } from './link.js';

/** How long a lease lasts. */
export const witnessLeaseMs = 3_000;
/** A lease is renewed this often while the master still needs it. */
export const witnessRenewMs = 1_000;
/** The master treats its lease as over this much before the witness does (clock-rate drift). */
export const witnessLeaseMarginMs = 250;
/** Longest lease a witness grants, whatever a master asks for. */
export const witnessLeaseMsMax = 30_000;

/** The witness process's side: grants the lease to one master at a time. */
export class WitnessServer {
  private holder: { nodeId: string; untilMs: number } | null = null;
  readonly stats = { granted: 0, refused: 0 };

  constructor(
    private readonly network: PeerNetwork,
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {}

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
    return this.holder && this.holder.untilMs > this.timers.nowMs() ? this.holder.nodeId : null;
  }

  private onMessage(link: Link, msg: PeerMessage): void {
    if (msg.t === 'lease_release') {
      if (this.holder?.nodeId === link.peerId) this.holder = null;
      return;
    }
    if (msg.t !== 'lease_req') return;
    const now = this.timers.nowMs();
    const ttl = Math.min(witnessLeaseMsMax, Math.max(1, Number(msg.ttlMs) || witnessLeaseMs));
    const current = this.leaseHolder();
    const granted = current === null || current === link.peerId;
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
  private leaseUntilMs = 0;
  private readonly pending = new Map<number, number>();
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
  ) {}

  async start(): Promise<void> {
    await this.network.start((link) => {
      this.links.add(link);
      this.tick();
      return {
        onMessage: (_l, msg) => this.onMessage(msg),
        onClose: () => {
          this.links.delete(link);
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

  /** This master holds the witness's vote right now. */
  holdsLease(): boolean {
    return this.leaseUntilMs > this.timers.nowMs();
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
      if (this.holdsLease()) {
        this.leaseUntilMs = 0;
        for (const l of this.links) if (!l.closed) l.send({ t: 'lease_release' });
      }
      return;
    }
    const sentAt = this.timers.nowMs();
    for (const l of this.links) {
      if (l.closed) continue;
      const req = ++this.req;
      this.pending.set(req, sentAt);
      if (this.pending.size > 64) this.pending.delete(this.pending.keys().next().value!);
      l.send({ t: 'lease_req', req, ttlMs: witnessLeaseMs });
    }
  }

  private onMessage(msg: PeerMessage): void {
    if (msg.t !== 'lease_reply') return;
    const sentAt = this.pending.get(Number(msg.req));
    if (sentAt === undefined) return;
    this.pending.delete(Number(msg.req));
    if (msg.granted === true) {
      const until = sentAt + Number(msg.ttlMs) - witnessLeaseMarginMs;
      if (!this.holdsLease())
        this.logger.warn('holding the witness vote: writes go on without a quorum of masters');
      this.leaseUntilMs = Math.max(this.leaseUntilMs, until);
      this.lastRefusedFor = null;
    } else {
      this.lastRefusedFor = typeof msg.holder === 'string' ? msg.holder : null;
    }
  }
}
