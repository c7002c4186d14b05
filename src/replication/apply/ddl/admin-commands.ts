// The cluster-wide admin commands that travel in the replication log as DDL entries (resolver
// registrations, membership changes), and the small interface the applier hands membership commands
// to. Owned by the apply path, which decodes them; cluster/membership.ts implements MembershipSink.

export interface AddedMaster {
  master_id: string;
  endpoint: string;
  region: string | null;
  priority: number | null;
}

/** replicate.mark_as_canonical_partition: the partition whose data wins after a split brain. */
export interface CanonicalMark {
  partition_id: string;
  /** The masters of that partition when it was marked (the marking node and its linked peers). */
  members: string[];
  marked_by: string;
  marked_at_ms: number;
}

export type MembershipCommand =
  | ({ kind: 'add_master' } & AddedMaster)
  | { kind: 'remove_master'; master_id: string }
  | { kind: 'set_read_only'; master_id: string; read_only: boolean }
  | ({ kind: 'canonical_partition' } & CanonicalMark);

/** Cluster-wide admin commands carried in the log (replicate.register_resolver, remove_master, ...). */
export type AdminCommand =
  | { kind: 'register_resolver'; name: string; language: string; definition: string }
  | { kind: 'bind_resolver'; table: string; resolver: string | null }
  | { kind: 'delta_column'; table: string; column: string; delta: boolean }
  | MembershipCommand;

/** What applying a membership command needs (cluster/membership.ts implements it). */
export interface MembershipSink {
  apply(cmd: MembershipCommand): void;
}
