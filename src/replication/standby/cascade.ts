// Cascading standbys: a standby that listens (--ha-bind) serves standbys of its own as the primary
// serves its standbys. Its links split in two — the upstream it dials (the follower's) and the
// standbys that dial it (the tracker's) — and this router sends each peer's messages to its side.

import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import type { Replicator } from '../stream/replicator.js';
import type { PrimaryFollower } from './follower.js';
import type { StandbyLinks } from './role.js';
import type { StandbyTracker } from './standbys.js';

export class StandbyLinkRouter implements PeerExtension, StandbyLinks {
  readonly types: ReadonlySet<string>;

  constructor(
    private readonly follower: PrimaryFollower,
    /** The standbys that follow this one; null when it listens for none (every link is its upstream). */
    private readonly tracker: StandbyTracker | null,
    private readonly replicator: Replicator,
  ) {
    this.types = new Set([...follower.types, ...(tracker?.types ?? [])]);
  }

  get serves(): boolean {
    return this.tracker !== null;
  }

  /** The upstream is the link this standby dialed (its endpoint is the address dialed). */
  isUpstream(peerId: string): boolean {
    if (!this.tracker) return true;
    const link = this.replicator.peerStates().find((s) => s.peerId === peerId && !s.link.closed);
    return link !== undefined && link.endpoint === this.follower.upstreamAddress;
  }

  onOpen(peer: PeerHandle): void {
    if (this.isUpstream(peer.peerId)) {
      this.follower.onOpen(peer);
      return;
    }
    // Two standbys naming each other keep one link between them (the transport drops duplicates):
    // the one whose dial was dropped sees the node it follows link to it as its standby.
    const link = this.replicator.peerStates().find((s) => s.peerId === peer.peerId && !s.link.closed);
    if (link?.link.advertised?.endpoint === this.follower.upstreamAddress)
      this.follower.cycleWith(peer.peerId);
    this.tracker?.onOpen(peer);
  }

  onClose(peerId: string): void {
    if (peerId === this.follower.upstreamId) this.follower.onClose(peerId);
    this.tracker?.onClose(peerId);
  }

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (this.isUpstream(peer.peerId)) {
      if (this.follower.types.has(msg.t)) this.follower.onMessage(peer, msg);
    } else if (this.tracker?.types.has(msg.t)) this.tracker.onMessage(peer, msg);
  }
}
