// Cluster membership changes that travel through the replication log: adding a master
// (replicate.add_master), removing one (replicate.remove_master) and draining one
// (replicate.set_read_only). Every node applies the same
// command: a removed master is forgotten by log retention, its links are closed, its endpoint is no
// longer dialed and its future handshakes are turned away; a node that learns it was removed, or
// that it was set read-only, refuses writes.

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { AddedMaster, CanonicalMark, MembershipCommand } from '../apply/ddl/admin-commands.js';
import type { PeerNetwork } from '../link/link.js';

/** What membership changes need of the replicator (replicator.ts implements it). */
export interface MembershipReplicator {
  forgetPeer(id: string): void;
  peerStates(): readonly { peerId: string; link: { close(reason?: string): void } }[];
}

export interface MembershipParts {
  replicator: MembershipReplicator;
  network: PeerNetwork;
}

export class Membership {
  private readonly removedIds: Set<string>;
  private readonly addedMasters: Map<string, AddedMaster>;
  private readOnlyFlag: boolean;
  private initializingFlag: boolean;
  private canonicalMark: CanonicalMark | null;
  private parts: MembershipParts | null = null;

  constructor(
    private readonly db: Database.Database,
    /** This node's ids (node id and configured local master id). */
    private readonly selfIds: ReadonlySet<string>,
    private readonly logger: Logger,
  ) {
    this.removedIds = new Set(JSON.parse(this.meta('removed_masters') ?? '[]') as string[]);
    this.readOnlyFlag = this.meta('read_only') === 'true';
    this.initializingFlag = this.meta('initializing') === 'true';
    this.canonicalMark = JSON.parse(this.meta('canonical_partition') ?? 'null') as CanonicalMark | null;
    this.addedMasters = new Map(
      (JSON.parse(this.meta('added_masters') ?? '[]') as AddedMaster[])
        // A snapshot from a donor lists this node among the masters it added: never dial ourselves.
        .filter((m) => !selfIds.has(m.master_id))
        .map((m) => [m.master_id, m]),
    );
  }

  private meta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)').run(key, value);
  }

  attach(parts: MembershipParts): void {
    this.parts = parts;
    // Masters added while this node ran before: dial them again.
    for (const m of this.addedMasters.values())
      if (!this.removedIds.has(m.master_id)) parts.network.addPeer(m.endpoint);
  }

  /** Masters added with replicate.add_master (not removed since). */
  added(): AddedMaster[] {
    return [...this.addedMasters.values()].filter((m) => !this.removedIds.has(m.master_id));
  }

  /** replicate.initialize_master ran here and replicate.promote_to_master has not yet. */
  get initializing(): boolean {
    return this.initializingFlag;
  }

  /** Local only (not replicated): this node joins as a new master, read-only until promoted. */
  setInitializing(on: boolean): void {
    this.initializingFlag = on;
    this.setMeta('initializing', String(on));
  }

  /** The partition last marked canonical (this node's partition saw the mark), or null. */
  get canonical(): CanonicalMark | null {
    return this.canonicalMark;
  }

  get removed(): ReadonlySet<string> {
    return this.removedIds;
  }

  /** Set read-only by replicate.set_read_only, or removed from the cluster. */
  get readOnly(): boolean {
    return (
      this.readOnlyFlag || this.initializingFlag || [...this.selfIds].some((id) => this.removedIds.has(id))
    );
  }

  isRemoved(peerId: string): boolean {
    return this.removedIds.has(peerId);
  }

  /**
   * Apply a command inside the caller's write transaction (the origin's admin write, or a peer's
   * apply transaction); link and dial changes follow at once (they are idempotent).
   */
  apply(cmd: MembershipCommand): void {
    if (cmd.kind === 'add_master') {
      if (this.selfIds.has(cmd.master_id)) return;
      const { kind: _kind, ...m } = cmd;
      this.removedIds.delete(m.master_id);
      this.addedMasters.set(m.master_id, m);
      this.setMeta('removed_masters', JSON.stringify([...this.removedIds]));
      this.setMeta('added_masters', JSON.stringify([...this.addedMasters.values()]));
      this.logger.info({ master: m.master_id, endpoint: m.endpoint }, 'master added to the cluster');
      this.parts?.network.addPeer(m.endpoint);
      return;
    }
    if (cmd.kind === 'canonical_partition') {
      const { kind: _kind, ...mark } = cmd;
      this.canonicalMark = mark;
      this.setMeta('canonical_partition', JSON.stringify(mark));
      this.logger.warn({ partition: mark.partition_id, members: mark.members }, 'partition marked canonical');
      return;
    }
    if (cmd.kind === 'set_read_only') {
      if (!this.selfIds.has(cmd.master_id)) return;
      this.readOnlyFlag = cmd.read_only;
      this.setMeta('read_only', String(cmd.read_only));
      this.logger.info({ readOnly: cmd.read_only }, 'read-only mode changed');
      return;
    }
    const id = cmd.master_id;
    this.removedIds.add(id);
    this.setMeta('removed_masters', JSON.stringify([...this.removedIds]));
    if (this.selfIds.has(id)) {
      this.logger.warn('this node was removed from the cluster: writes are refused');
      return;
    }
    this.db.prepare('DELETE FROM _chorus_peers WHERE peer_id = ?').run(id);
    this.logger.info({ master: id }, 'master removed from the cluster');
    this.disconnect(id);
  }

  /** Is this id one of this node's own (node id or configured master id)? */
  isSelf(id: string): boolean {
    return this.selfIds.has(id);
  }

  /** This node's ids: its configured master id (when set) and its node id. */
  ownIds(): string[] {
    return [...this.selfIds];
  }

  /** Close links to a removed master and stop dialing its endpoint. */
  disconnect(id: string): void {
    const parts = this.parts;
    if (!parts) return;
    parts.replicator.forgetPeer(id);
    // Its dial entry goes too — also one that never connected (no peer id), found by the endpoint
    // add_master gave it.
    const endpoint = this.addedMasters.get(id)?.endpoint;
    for (const d of parts.network.peers())
      if (d.peerId === id || d.endpoint === endpoint) parts.network.removePeer(d.endpoint);
    for (const p of parts.replicator.peerStates())
      if (p.peerId === id) p.link.close('removed from the cluster');
  }
}
