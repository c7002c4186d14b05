// The simulated twin of the TCP peer network: in-process links between simulated nodes with
// seeded delays (order kept per link, as TCP does), partitions that cut links and refuse
// reconnection until healed, and reconnection attempts on virtual timers.

import type {
  Link,
  LinkHandlers,
  LinkStats,
  NetworkCounters,
  PeerMessage,
  PeerNetwork,
} from '../replication/link/link.js';
import type { SimWorld } from './sim-world.js';

export interface SimNetOptions {
  minDelayMs: number;
  maxDelayMs: number;
  reconnectMs: number;
}

export class SimFabric {
  private readonly nets = new Map<string, SimPeerNetwork>();
  private readonly cut = new Set<string>();

  constructor(
    readonly world: SimWorld,
    readonly opts: SimNetOptions = { minDelayMs: 1, maxDelayMs: 30, reconnectMs: 100 },
  ) {}

  private key(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  network(nodeId: string, peers: string[]): SimPeerNetwork {
    const net = new SimPeerNetwork(this, nodeId, peers);
    this.nets.set(nodeId, net);
    return net;
  }

  get(nodeId: string): SimPeerNetwork | undefined {
    return this.nets.get(nodeId);
  }

  isCut(a: string, b: string): boolean {
    return this.cut.has(this.key(a, b));
  }

  partition(a: string, b: string): void {
    this.cut.add(this.key(a, b));
    this.nets.get(a)?.dropLinksTo(b, 'partition');
    this.nets.get(b)?.dropLinksTo(a, 'partition');
  }

  heal(a: string, b: string): void {
    this.cut.delete(this.key(a, b));
  }

  healAll(): void {
    this.cut.clear();
  }

  /** Connect dialer to target if both are up and not cut apart. */
  connect(from: SimPeerNetwork, to: string): boolean {
    const target = this.nets.get(to);
    if (!target?.running || !from.running || this.isCut(from.nodeId, to)) return false;
    if (from.hasLinkTo(to)) return true;
    const a = new SimLink(this, from.nodeId, to);
    const b = new SimLink(this, to, from.nodeId);
    a.other = b;
    b.other = a;
    from.adopt(a);
    target.adopt(b);
    return true;
  }

  delay(): number {
    return this.world.int(this.opts.minDelayMs, this.opts.maxDelayMs);
  }
}

class SimLink implements Link {
  other: SimLink | null = null;
  closed = false;
  handlers: LinkHandlers | null = null;
  private lastDeliveryAt = 0;
  private sent = 0;
  private received = 0;

  constructor(
    private readonly fabric: SimFabric,
    readonly localId: string,
    readonly peerId: string,
  ) {}

  get endpoint(): string {
    return `sim:${this.peerId}`;
  }

  send(msg: PeerMessage): boolean {
    if (this.closed || !this.other) return false;
    const target = this.other;
    const world = this.fabric.world;
    const at = Math.max(this.lastDeliveryAt, world.nowMs + this.fabric.delay());
    this.lastDeliveryAt = at;
    const copy = structuredClone(msg);
    this.sent++;
    world.schedule(at, () => {
      if (target.closed || !target.handlers) return;
      target.received++;
      target.handlers.onMessage(target, copy);
    });
    return true;
  }

  bufferedBytes(): number {
    return 0;
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.onClose(this, reason);
    this.other?.close(reason);
  }

  stats(): LinkStats {
    return {
      rttMs: null,
      clockSkewMs: null,
      lastHeartbeatMs: null,
      bytesSent: 0,
      bytesReceived: 0,
      framesSent: this.sent,
      framesReceived: this.received,
      health: this.closed ? 'failed' : 'healthy',
    };
  }
}

export class SimPeerNetwork implements PeerNetwork {
  running = false;
  private onLink: ((link: Link) => LinkHandlers) | null = null;
  private readonly links = new Set<SimLink>();
  private readonly dialing: Set<string>;

  constructor(
    private readonly fabric: SimFabric,
    readonly nodeId: string,
    peers: string[],
  ) {
    this.dialing = new Set(peers.filter((p) => p !== nodeId));
  }

  async start(onLink: (link: Link) => LinkHandlers): Promise<void> {
    this.onLink = onLink;
    this.running = true;
    this.dialLoop();
  }

  private dialLoop(): void {
    if (!this.running) return;
    for (const peer of this.dialing) this.fabric.connect(this, peer);
    this.fabric.world.schedule(this.fabric.world.nowMs + this.fabric.opts.reconnectMs, () => this.dialLoop());
  }

  hasLinkTo(peer: string): boolean {
    return [...this.links].some((l) => l.peerId === peer && !l.closed);
  }

  adopt(link: SimLink): void {
    if (!this.onLink) return;
    this.links.add(link);
    const handlers = this.onLink(link);
    link.handlers = {
      onMessage: handlers.onMessage,
      onClose: (l, reason) => {
        this.links.delete(link);
        handlers.onClose(l, reason);
      },
    };
  }

  dropLinksTo(peer: string, reason: string): void {
    for (const l of [...this.links]) if (l.peerId === peer) l.close(reason);
  }

  addPeer(endpoint: string): void {
    this.dialing.add(endpoint);
  }

  removePeer(endpoint: string): void {
    this.dialing.delete(endpoint);
    this.dropLinksTo(endpoint, 'removed');
  }

  peers(): {
    endpoint: string;
    connected: boolean;
    peerId: string | null;
    attempts: number;
    lastError: string | null;
  }[] {
    return [...this.dialing].map((p) => ({
      endpoint: `sim:${p}`,
      connected: this.hasLinkTo(p),
      peerId: p,
      attempts: 0,
      lastError: null,
    }));
  }

  counters(): NetworkCounters {
    return {
      handshakeFailures: 0,
      malformedFrames: 0,
      reconnects: 0,
      heartbeatsSent: 0,
      heartbeatsReceived: 0,
      bytesSent: 0,
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const l of [...this.links]) l.close('stopped');
  }
}
