// Peer-link protocols that ride next to log shipping on the same authenticated links: snapshot
// transfer and data digests. The replicator routes their message types to them, so each protocol
// lives in its own file and the replicator stays about the log.

import type { PeerMessage } from './link.js';

/** One connected peer, as an extension sees it. */
export interface PeerHandle {
  readonly peerId: string;
  /** Queue a message; false when the link's send buffer is over its limit (back off). */
  send(msg: PeerMessage): boolean;
  readonly closed: boolean;
}

export interface PeerExtension {
  /** Message types routed to this extension. */
  readonly types: ReadonlySet<string>;
  onMessage(peer: PeerHandle, msg: PeerMessage): void;
  /** A link to this peer closed (in-flight requests on it are lost). */
  onClose?(peerId: string): void;
  /** A link to this peer came up (after the replicator's own resync). */
  onOpen?(peer: PeerHandle): void;
}
