// TCP (optionally TLS) implementation of PeerNetwork: dials configured peers with backoff, accepts
// peers, runs the HMAC handshake, frames messages, and keeps links alive with heartbeats.
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type TLSSocket, connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError, InternalError, listenError } from '../../errors.js';
import { dialerHello, type HandshakeConfig, handshakeStep } from './frames.js';
import type { Link, LinkHandlers, NetworkCounters, PeerMessage, PeerNetwork } from './link.js';
import { type DialEntry, type Endpoint, reservedTypes, TcpLink } from './tcp-link.js';

export { handshakeFrameBytesMax } from './tcp-link.js';

/** Time from TCP connect/accept to a completed handshake (TLS included). */
export const handshakeTimeoutMs = 5_000;
/** Inbound connections allowed to be mid-handshake at once; more are closed on accept. */
export const pendingHandshakesMax = 64;
/** Shortest period of the heartbeat/health timer. */
export const healthTickMsMin = 10;
/** TCP keepalive probe delay (a backstop under the heartbeat). */
export const tcpKeepAliveDelayMs = 10_000;

export interface TcpPeerNetworkOptions {
  nodeId: string;
  clusterName: string;
  /** Shared secret; required (ConfigError if empty). Never logged. */
  clusterSecret: string;
  /** host:port to listen on for peers (the node's --ha-bind), or null to only dial. Port 0 is allowed. */
  bind: string | null;
  /** What the listener is, in a "port in use" error (default: the peer link, --ha-bind). */
  listenerName?: string;
  /** Endpoints (host:port) to dial. */
  peers: string[];
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer } | null;
  heartbeatIntervalMs: number;
  /** A link is 'suspected' after this long without any frame. */
  heartbeatTimeoutMs: number;
  /** A link is closed ('timeout', health 'failed') after this long without any frame. */
  replicationTimeoutMs: number;
  /** Largest frame (flags byte + body, and the inflated body) sent or accepted. */
  frameBytesMax: number;
  compression: { enabled: boolean; thresholdBytes: number };
  /** send() returns false while the socket has more than this many bytes queued. */
  sendBufferBytesMax: number;
  reconnect: { initialMs: number; maxMs: number };
  logger: Logger;
  /** Wall clock for heartbeat timestamps and skew estimates (injectable for tests). */
  nowMs?: () => number;
  /** Override of handshakeTimeoutMs (tests). */
  handshakeTimeoutMs?: number;
  /** Randomness for backoff jitter (tests). */
  random?: () => number;
  /** Called with the bound address once listening (port 0 support). */
  onListening?: (address: Endpoint) => void;
  /** This node's region, told to peers in the handshake (their replicate.masters shows it). */
  region?: string | null;
}

export type { Endpoint } from './tcp-link.js';

/** Parses host:port or [v6]:port; throws ConfigError when malformed. */
export function parseEndpoint(endpoint: string): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65_535) throw new ConfigError(`invalid peer endpoint "${endpoint}": expected host:port`);
  return { host: (m[1] ?? m[2])!, port };
}

export class TcpPeerNetwork implements PeerNetwork {
  readonly opts: TcpPeerNetworkOptions;
  readonly nodeId: string;
  private readonly log: Logger;
  private readonly hsTimeoutMs: number;
  private readonly hsConfig: HandshakeConfig;
  private readonly random: () => number;
  private onLink: ((link: Link) => LinkHandlers) | null = null;
  private server: Server | null = null;
  private bound: Endpoint | null = null;
  private readonly dials = new Map<string, DialEntry>();
  private readonly sockets = new Set<TcpLink>();
  private readonly byPeer = new Map<string, TcpLink>();
  /** Every accepted TCP socket, including TLS ones still negotiating (destroyed by stop()). */
  private readonly rawSockets = new Set<Socket>();
  private tick: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly counts = {
    handshakeFailures: 0,
    malformedFrames: 0,
    reconnects: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
  };
  /** Bytes written to links that have closed (open links count their own). */
  private closedBytesSent = 0;

  constructor(opts: TcpPeerNetworkOptions) {
    if (!opts.clusterSecret) throw new ConfigError('replication needs a cluster secret (cluster_secret)');
    if (!opts.nodeId) throw new ConfigError('replication needs a node id');
    if (!opts.clusterName) throw new ConfigError('replication needs a cluster name');
    if (opts.bind !== null) parseEndpoint(opts.bind);
    this.opts = opts;
    this.nodeId = opts.nodeId;
    this.hsConfig = {
      nodeId: opts.nodeId,
      clusterName: opts.clusterName,
      secret: opts.clusterSecret,
      bind: opts.bind,
      region: opts.region ?? null,
    };
    this.log = opts.logger.child({ component: 'peer-transport' });
    this.hsTimeoutMs = opts.handshakeTimeoutMs ?? handshakeTimeoutMs;
    this.random = opts.random ?? Math.random;
    for (const p of opts.peers) this.addPeer(p);
  }

  /** @internal The injectable wall clock. */
  now(): number {
    return this.opts.nowMs ? this.opts.nowMs() : Date.now();
  }

  async start(onLink: (link: Link) => LinkHandlers): Promise<void> {
    if (this.onLink) throw new InternalError('TcpPeerNetwork started twice');
    this.onLink = onLink;
    const o = this.opts;
    const tickMs = Math.max(
      healthTickMsMin,
      Math.min(o.heartbeatIntervalMs, o.heartbeatTimeoutMs / 4, o.replicationTimeoutMs / 4),
    );
    this.tick = setInterval(() => this.healthTick(), tickMs);
    this.tick.unref();
    if (o.bind !== null) await this.listen(parseEndpoint(o.bind));
    for (const d of this.dials.values()) this.dialNow(d);
  }

  /** The listening address once started (the real port when bound to port 0). */
  address(): Endpoint | null {
    return this.bound;
  }

  private listen(at: Endpoint): Promise<void> {
    const tls = this.opts.tls;
    const server = tls
      ? tlsCreateServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            requestCert: tls.ca !== undefined,
            rejectUnauthorized: tls.ca !== undefined,
            handshakeTimeout: this.hsTimeoutMs,
          },
          (s) => this.accepted(s),
        )
      : createServer((s) => this.accepted(s));
    if (tls) {
      server.on('tlsClientError', (err: Error, s: TLSSocket) => {
        this.handshakeFailed(`${s.remoteAddress}:${s.remotePort}`, `TLS: ${err.message}`);
        s.destroy();
      });
    }
    server.on('connection', (s: Socket) => {
      this.rawSockets.add(s);
      s.once('close', () => this.rawSockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void =>
        reject(listenError(e, this.opts.listenerName ?? 'peer link, --ha-bind', `${at.host}:${at.port}`));
      server.once('error', onError);
      server.listen({ host: at.host, port: at.port }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error({ err }, 'peer listener error'));
        const a = server.address();
        if (a !== null && typeof a === 'object') this.bound = { host: a.address, port: a.port };
        if (this.bound) this.opts.onListening?.(this.bound);
        resolve();
      });
    });
  }

  private accepted(socket: Socket): void {
    const endpoint = `${socket.remoteAddress}:${socket.remotePort}`;
    let pending = 0;
    for (const l of this.sockets) if (l.phase === 'handshake' && !l.dial) pending++;
    if (this.stopped || pending >= pendingHandshakesMax) {
      this.handshakeFailed(endpoint, 'too many connections mid-handshake');
      socket.destroy();
      return;
    }
    this.adopt(new TcpLink(this, socket, endpoint, null));
  }

  /** Wires a socket's events to its link and starts the handshake clock. */
  private adopt(link: TcpLink): void {
    const { socket } = link;
    this.sockets.add(link);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, tcpKeepAliveDelayMs);
    const timeout = () => this.fail(link, 'no handshake within the timeout');
    link.handshakeTimer = setTimeout(timeout, this.hsTimeoutMs);
    link.handshakeTimer.unref();
    socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
    socket.on('error', (err) => {
      if (link.dial) link.dial.lastError = err.message;
      if (!link.tcpConnected) this.closeLink(link, `connect failed: ${err.message}`);
      else if (link.phase === 'handshake') this.fail(link, err.message);
      else this.closeLink(link, `socket error: ${err.message}`);
    });
    socket.on('close', () => {
      if (!link.tcpConnected) this.closeLink(link, 'connect failed');
      else if (link.phase === 'handshake') this.fail(link, 'peer closed during the handshake');
      else this.closeLink(link, 'peer closed the connection');
    });
  }

  private onData(link: TcpLink, chunk: Buffer): void {
    link.lastRecvMono = performance.now();
    link.decoder.push(chunk);
    for (;;) {
      if (link.phase === 'closed') return;
      const before = link.decoder.bufferedBytes();
      let msg: PeerMessage | null;
      try {
        msg = link.decoder.next();
      } catch (err) {
        const reason = (err as Error).message;
        if (link.phase === 'open') this.malformed(link, reason);
        else {
          this.counts.malformedFrames++;
          this.fail(link, `malformed frame: ${reason}`);
        }
        return;
      }
      if (msg === null) return;
      link.received(before - link.decoder.bufferedBytes());
      if (link.phase === 'open') this.onFrame(link, msg);
      else this.onHandshakeFrame(link, msg);
    }
  }

  private onFrame(link: TcpLink, msg: PeerMessage): void {
    if (msg.t === '_hb') {
      this.counts.heartbeatsReceived++;
      if (typeof msg.sent === 'number') link.write({ t: '_hb_ack', sent: msg.sent, peerNow: this.now() });
      else this.malformed(link, 'heartbeat without "sent"');
    } else if (msg.t === '_hb_ack') {
      if (typeof msg.sent === 'number' && typeof msg.peerNow === 'number')
        link.heartbeatAck(msg.sent, msg.peerNow);
      else this.malformed(link, 'heartbeat ack without "sent"/"peerNow"');
    } else if (reservedTypes.has(msg.t) || msg.t.startsWith('_')) {
      this.malformed(link, `unexpected "${msg.t.slice(0, 32)}" on an open link`);
    } else {
      try {
        link.handlers!.onMessage(link, msg);
      } catch (err) {
        this.log.error({ err, peer: link.peerId }, 'replication message handler threw; closing the link');
        this.closeLink(link, 'message handler error');
      }
    }
  }

  private malformed(link: TcpLink, reason: string): void {
    this.counts.malformedFrames++;
    this.log.warn({ peer: link.peerId, endpoint: link.endpoint, reason }, 'malformed frame');
    this.closeLink(link, `malformed frame: ${reason}`);
  }

  private onHandshakeFrame(link: TcpLink, msg: PeerMessage): void {
    const step = handshakeStep(this.hsConfig, link.hs, msg);
    if ('refused' in step) {
      if (step.selfNonce) this.dialedItself(step.selfNonce);
      this.fail(link, step.refused);
      return;
    }
    link.peerId = link.hs.peerId ?? '';
    if (step.reply) link.write(step.reply);
    if (link.hs.stage === 'open') this.established(link);
  }

  /** An inbound hello carried the nonce of one of our own dials: that peer address is this node. */
  private dialedItself(nonce: Uint8Array): void {
    for (const d of this.dials.values()) {
      const ours = d.link?.hs.ourNonce;
      if (d.self || !ours || Buffer.compare(Buffer.from(ours), Buffer.from(nonce)) !== 0) continue;
      d.self = true;
      d.lastError = 'this address reaches this node itself';
      this.log.error(
        { endpoint: d.endpoint, node: this.opts.nodeId },
        'a configured peer address reaches this node itself (same node id); it is not dialed again: remove it from --ha-peers / replication.peers, or give the peer link (--ha-bind) an address the other nodes reach',
      );
    }
  }

  /** Handshake done: resolve duplicates, then hand the link to the engine. */
  private established(link: TcpLink): void {
    clearTimeout(link.handshakeTimer!);
    link.phase = 'open';
    link.advertised = { endpoint: advertisedEndpoint(link), region: link.hs.peerRegion ?? null };
    link.decoder.frameBytesMax = this.opts.frameBytesMax;
    link.lastRecvMono = performance.now();
    if (link.dial) {
      link.dial.attempts = 0;
      link.dial.lastError = null;
    }
    const existing = this.byPeer.get(link.peerId);
    // Keep the link dialed by the smaller node id; between two dialed by the same node, the newer.
    if (existing && existing.dialerId() !== link.dialerId() && existing.dialerId() < link.dialerId()) {
      this.closeLink(link, 'duplicate');
      return;
    }
    this.byPeer.set(link.peerId, link);
    if (existing) this.closeLink(existing, 'duplicate');
    this.log.info(
      { peer: link.peerId, endpoint: link.endpoint, outbound: link.dial !== null },
      'peer link up',
    );
    try {
      link.handlers = this.onLink!(link);
    } catch (err) {
      this.log.error({ err, peer: link.peerId }, 'onLink threw; closing the link');
      this.closeLink(link, 'onLink error');
    }
  }

  private fail(link: TcpLink, reason: string): void {
    if (link.phase === 'closed') return;
    this.handshakeFailed(link.endpoint, reason, link.peerId || undefined);
    if (link.dial && !link.dial.self) link.dial.lastError = reason;
    this.closeLink(link, `handshake failed: ${reason}`);
  }

  private handshakeFailed(endpoint: string, reason: string, peer?: string): void {
    if (this.stopped) return;
    this.counts.handshakeFailures++;
    this.log.warn({ endpoint, peer, reason }, 'peer handshake refused');
  }

  /** @internal Closes a socket once: onClose for established links, redial for outbound ones. */
  closeLink(link: TcpLink, reason: string): void {
    if (link.phase === 'closed') return;
    const wasOpen = link.phase === 'open';
    link.phase = 'closed';
    link.setHealth('failed');
    if (link.handshakeTimer) clearTimeout(link.handshakeTimer);
    link.socket.destroy();
    if (this.sockets.delete(link)) this.closedBytesSent += link.stats().bytesSent;
    const current = this.byPeer.get(link.peerId) === link;
    if (current) this.byPeer.delete(link.peerId);
    if (wasOpen && link.handlers) {
      this.log.info({ peer: link.peerId, endpoint: link.endpoint, reason }, 'peer link down');
      try {
        link.handlers.onClose(link, reason);
      } catch (err) {
        this.log.error({ err, peer: link.peerId }, 'onClose handler threw');
      }
    }
    const d = link.dial;
    if (d && d.link === link) {
      d.link = null;
      if (wasOpen) d.lastPeerId = link.peerId;
      if (reason === 'duplicate' && this.byPeer.has(link.peerId)) d.waitingFor = link.peerId;
      else this.scheduleDial(d);
    }
    if (current) {
      // The peer has no link now: entries parked as duplicates of it dial again.
      for (const e of this.dials.values()) {
        if (e.waitingFor === link.peerId) {
          e.waitingFor = null;
          this.scheduleDial(e);
        }
      }
    }
  }

  addPeer(endpoint: string): void {
    const target = parseEndpoint(endpoint);
    if (this.dials.has(endpoint)) return;
    const d: DialEntry = {
      endpoint,
      target,
      link: null,
      timer: null,
      attempts: 0,
      lastError: null,
      waitingFor: null,
      lastPeerId: null,
    };
    this.dials.set(endpoint, d);
    if (this.onLink && !this.stopped) this.dialNow(d);
  }

  removePeer(endpoint: string): void {
    const d = this.dials.get(endpoint);
    if (!d) return;
    this.dials.delete(endpoint);
    if (d.timer) clearTimeout(d.timer);
    if (d.link) this.closeLink(d.link, 'peer removed');
  }

  private scheduleDial(d: DialEntry): void {
    if (this.dials.get(d.endpoint) !== d || this.stopped || d.timer || d.link || d.self) return;
    const { initialMs, maxMs } = this.opts.reconnect;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(d.attempts, 30));
    // Equal jitter: half fixed, half random, never below initialMs.
    const delay = Math.max(initialMs, base / 2 + (base / 2) * this.random());
    this.counts.reconnects++;
    d.timer = setTimeout(() => {
      d.timer = null;
      this.dialNow(d);
    }, delay);
    d.timer.unref();
  }

  private dialNow(d: DialEntry): void {
    if (this.dials.get(d.endpoint) !== d || this.stopped || d.link || d.timer) return;
    d.attempts++;
    const { host, port } = d.target;
    const tls = this.opts.tls;
    const socket = tls
      ? tlsConnect({
          host,
          port,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          rejectUnauthorized: tls.ca !== undefined,
        })
      : netConnect({ host, port });
    const link = new TcpLink(this, socket, d.endpoint, d);
    d.link = link;
    this.adopt(link);
    socket.once('connect', () => {
      link.tcpConnected = true;
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => link.write(dialerHello(this.hsConfig, link.hs)));
  }

  peers(): ReturnType<PeerNetwork['peers']> {
    return [...this.dials.values()].map((d) => {
      const open = d.link !== null && d.link.phase === 'open';
      const viaPeer = d.waitingFor !== null && this.byPeer.has(d.waitingFor);
      return {
        endpoint: d.endpoint,
        connected: open || viaPeer,
        // A peer that went away is still named by the id it proved when it was linked.
        peerId: open ? d.link!.peerId : (d.waitingFor ?? d.lastPeerId),
        attempts: d.attempts,
        lastError: d.lastError,
      };
    });
  }

  counters(): NetworkCounters {
    let bytesSent = this.closedBytesSent;
    for (const link of this.sockets) bytesSent += link.stats().bytesSent;
    return { ...this.counts, bytesSent };
  }

  /** Open links (tests and monitoring). */
  links(): Link[] {
    return [...this.byPeer.values()];
  }

  private healthTick(): void {
    const o = this.opts;
    const mono = performance.now();
    for (const link of [...this.byPeer.values()]) {
      const silent = mono - link.lastRecvMono;
      if (silent > o.replicationTimeoutMs) {
        this.log.warn({ peer: link.peerId, silentMs: Math.round(silent) }, 'peer link timed out');
        this.closeLink(link, 'timeout');
        continue;
      }
      if (silent > o.heartbeatTimeoutMs) link.setHealth('suspected');
      if (mono - link.lastHbSentMono >= o.heartbeatIntervalMs) {
        link.lastHbSentMono = mono;
        this.counts.heartbeatsSent++;
        link.write({ t: '_hb', sent: this.now() });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tick) clearInterval(this.tick);
    for (const d of this.dials.values()) if (d.timer) clearTimeout(d.timer);
    const closing: Promise<void>[] = [];
    for (const link of [...this.sockets]) {
      const s = link.socket;
      if (!s.closed) closing.push(new Promise((r) => s.once('close', () => r())));
      this.closeLink(link, 'stopped');
    }
    for (const s of this.rawSockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) closing.push(new Promise((r) => server.close(() => r())));
    await Promise.all(closing);
  }
}

/** Where a peer says it is dialed: its --ha-bind, with a wildcard host replaced by the address it came from. */
function advertisedEndpoint(link: TcpLink): string | null {
  const bind = link.hs.peerBind;
  if (!bind) return null;
  let at: Endpoint;
  try {
    at = parseEndpoint(bind);
  } catch {
    return null;
  }
  if (at.host !== '0.0.0.0' && at.host !== '::' && at.host !== '') return bind;
  const from = link.socket.remoteAddress;
  if (!from) return null;
  const host = from.startsWith('::ffff:') ? from.slice(7) : from;
  return host.includes(':') ? `[${host}]:${at.port}` : `${host}:${at.port}`;
}
