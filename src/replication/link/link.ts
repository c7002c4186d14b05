// The boundary between the replication engine and the network: authenticated, ordered, framed
// links to peers. The TCP transport (transport.ts) and the simulated network (src/testing/
// sim-network.ts) both implement it, so the engine runs unchanged in deterministic simulations.

/** A message the engine exchanges with a peer: any msgpack-encodable object with a `t` tag. */
export interface PeerMessage {
  t: string;
  [key: string]: unknown;
}

/** An authenticated, ordered connection to one peer. Messages arrive in the order sent. */
export interface Link {
  /** The node id the peer proved during the handshake. */
  readonly peerId: string;
  /** The peer's address as dialed or accepted (for monitoring). */
  readonly endpoint: string;
  /** Queue a message. Returns false when the link's send buffer is over its limit (back off). */
  send(msg: PeerMessage): boolean;
  /** Bytes queued and not yet written. */
  bufferedBytes(): number;
  close(reason?: string): void;
  readonly closed: boolean;
  /** Latest heartbeat round-trip time and estimated clock offset (peer minus us), if measured. */
  stats(): LinkStats;
  /**
   * What the peer said of itself in the handshake: the address other nodes dial it at (its
   * --ha-bind; `endpoint` of an inbound link is only its source port) and its region.
   */
  readonly advertised?: { endpoint: string | null; region: string | null };
}

export interface LinkStats {
  rttMs: number | null;
  clockSkewMs: number | null;
  lastHeartbeatMs: number | null;
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  /** suspected after heartbeat_timeout_ms without a frame; failed after replication_timeout_ms. */
  health: 'healthy' | 'suspected' | 'failed';
}

/** What a network counts from its start (replicate.network_stats, pg_replication_metrics). */
export interface NetworkCounters {
  handshakeFailures: number;
  malformedFrames: number;
  reconnects: number;
  /** Heartbeat frames sent and received on every link. */
  heartbeatsSent: number;
  heartbeatsReceived: number;
  /** Bytes written to every link, closed ones included. */
  bytesSent: number;
}

export interface LinkHandlers {
  onMessage(link: Link, msg: PeerMessage): void;
  onClose(link: Link, reason: string): void;
}

/**
 * Dials the configured peers (reconnecting with backoff) and accepts peers that dial us. Every link
 * handed to onLink has completed the handshake: cluster name, protocol version and the cluster
 * secret (HMAC challenge-response) have been checked before any other frame was read.
 */
export interface PeerNetwork {
  start(onLink: (link: Link) => LinkHandlers): Promise<void>;
  /** Add a peer to dial (replicate.add_master and [[replication.masters]]). Idempotent. */
  addPeer(endpoint: string): void;
  removePeer(endpoint: string): void;
  /** Endpoints being dialed, and whether each is connected right now. */
  peers(): {
    endpoint: string;
    connected: boolean;
    peerId: string | null;
    attempts: number;
    lastError: string | null;
  }[];
  /** Counters since the network started: handshakes and frames refused, reconnects, heartbeats, bytes. */
  counters(): NetworkCounters;
  stop(): Promise<void>;
}
