// One peer socket (TcpLink): handshake state, framing, stats and heartbeat health; plus the
// dial bookkeeping (DialEntry) that TcpPeerNetwork keeps per configured endpoint.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InternalError } from '../../errors.js';
import {
  type EncodeOptions,
  encodeFrame,
  FrameDecoder,
  type HandshakeState,
  newHandshake,
} from './frames.js';
import type { Link, LinkHandlers, LinkStats, PeerMessage } from './link.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** What a link needs of the network that owns it (TcpPeerNetwork in transport.ts). */
export interface LinkOwner {
  readonly nodeId: string;
  readonly opts: EncodeOptions & { readonly sendBufferBytesMax: number };
  now(): number;
  closeLink(link: TcpLink, reason: string): void;
}

/** Largest frame accepted before the handshake has completed. */
export const handshakeFrameBytesMax = 4_096;

export const reservedTypes = new Set(['hello', 'auth', '_hb', '_hb_ack']);

export type Phase = 'handshake' | 'open' | 'closed';

/** One socket: handshake state, then an established Link. */
export class TcpLink implements Link {
  peerId = '';
  phase: Phase;
  handlers: LinkHandlers | null = null;
  readonly decoder = new FrameDecoder(handshakeFrameBytesMax);
  readonly hs: HandshakeState;
  /** Set when the handshake completes (see Link.advertised). */
  advertised?: { endpoint: string | null; region: string | null };
  handshakeTimer: NodeJS.Timeout | null = null;
  /** Monotonic time of the last bytes received (liveness counts partial frames too). */
  lastRecvMono = performance.now();
  lastHbSentMono = 0;
  /** False until an outbound socket has connected (a refused dial is not a handshake failure). */
  tcpConnected: boolean;
  private readonly st: LinkStats = {
    rttMs: null,
    clockSkewMs: null,
    lastHeartbeatMs: null,
    bytesSent: 0,
    bytesReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    health: 'healthy',
  };

  constructor(
    readonly net: LinkOwner,
    readonly socket: Socket,
    readonly endpoint: string,
    readonly dial: DialEntry | null,
  ) {
    this.phase = 'handshake';
    this.hs = newHandshake(dial !== null);
    this.tcpConnected = dial === null;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Node id of the side that dialed this connection. */
  dialerId(): string {
    return this.dial ? this.net.nodeId : this.peerId;
  }

  send(msg: PeerMessage): boolean {
    if (reservedTypes.has(msg.t) || msg.t.startsWith('_')) {
      throw new InternalError(`message type "${msg.t}" is reserved for the transport`);
    }
    if (this.phase !== 'open') return false;
    this.write(msg);
    return this.socket.writableLength <= this.net.opts.sendBufferBytesMax;
  }

  /** Writes any frame, internal ones included. */
  write(msg: PeerMessage): void {
    if (this.phase === 'closed') return;
    const frame = encodeFrame(msg, this.net.opts);
    this.st.bytesSent += frame.length;
    this.st.framesSent++;
    this.socket.write(frame);
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  close(reason = 'closed'): void {
    this.net.closeLink(this, reason);
  }

  stats(): LinkStats {
    return { ...this.st };
  }

  /** Records a received frame of `bytes` bytes (for stats and liveness). */
  received(bytes: number): void {
    this.st.bytesReceived += bytes;
    this.st.framesReceived++;
    this.st.lastHeartbeatMs = this.net.now();
    if (this.phase === 'open') this.st.health = 'healthy';
  }

  setHealth(h: LinkStats['health']): void {
    this.st.health = h;
  }

  heartbeatAck(sent: number, peerNow: number): void {
    const rtt = this.net.now() - sent;
    this.st.rttMs = rtt;
    this.st.clockSkewMs = peerNow - (sent + rtt / 2);
  }
}

export interface DialEntry {
  endpoint: string;
  target: Endpoint;
  link: TcpLink | null;
  timer: NodeJS.Timeout | null;
  /** Dial attempts since the last completed handshake. */
  attempts: number;
  lastError: string | null;
  /** Closed as a duplicate of a link to this peer: redial only once that peer has no link. */
  waitingFor: string | null;
  /** The id the peer at this endpoint proved on its last link (names it while it is away). */
  lastPeerId: string | null;
  /** The address reaches this node itself (a misconfigured peer list): never dialed again. */
  self?: boolean;
}
