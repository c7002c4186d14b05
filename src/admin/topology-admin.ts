// The operator's topology procedures of seed 000 ("Removing a Replication Node", quorum checks):
// replicate.validate_topology(), replicate.cluster_info / cluster_status, replicate.pinned_transactions,
// replicate.set_read_only / set_read_write, and replicate.remove_master. Membership changes are
// replicated admin commands (src/replication/cluster/membership.ts) so every node applies the same change.

import { ChorusError, InvalidParameterValueError } from '../errors.js';
import type { MembershipCommand } from '../replication/apply/ddl/admin-commands.js';
import type { FailoverMonitor } from '../replication/cluster/failover.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { QuorumGate } from '../replication/cluster/quorum.js';
import type { Snapshots } from '../replication/snapshot/snapshots.js';
import type { Replicator } from '../replication/stream/replicator.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import { registerFailoverAdmin } from './failover-admin.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8 } from './replication-views.js';

/** Rows replicate.pinned_transactions lists at most. */
export const pinnedRowsMax = 1_000;

export interface TopologyAdminContext {
  nodeId: string;
  /** The id this node goes by in replicate.masters (local_master_id or the node id). */
  selfMasterId: string;
  engine: StorageEngine;
  adminWrite<T>(fn: () => T): Promise<T>;
  membership(): Membership | null;
  replicator(): Replicator | null;
  /** Every other master this node knows, with its state as replicate.masters shows it. */
  peers(): { masterId: string; state: string }[];
  /** The write quorum when require_quorum_for_writes is on, else null. */
  quorum(): QuorumGate | null;
  isReadOnly(): boolean;
  snapshots(): Snapshots | null;
  failover(): FailoverMonitor | null;
}

/** What replicate.validate_topology() reports (empty when the topology is valid). */
export function topologyProblems(ctx: TopologyAdminContext): string[] {
  const selfIds = new Set([ctx.nodeId, ctx.selfMasterId]);
  const healthy = 1 + ctx.peers().filter((p) => p.state === 'ACTIVE').length;
  const out: string[] = [];
  for (const p of ctx.peers()) if (p.state !== 'ACTIVE') out.push(`master ${p.masterId} is ${p.state}`);
  const r = ctx.replicator();
  if (r?.isPaused) out.push('replication is paused on this node');
  if (r?.needsSnapshot) out.push(`this node needs a snapshot re-sync (told by ${r.needsSnapshot.from})`);
  const q = ctx.quorum()?.size ?? null;
  if (q !== null && healthy + (ctx.quorum()?.witness?.holdsLease() ? 1 : 0) < q)
    out.push(`only ${healthy} of the ${q} masters a write quorum needs are reachable`);
  if (ctx.membership()?.readOnly && [...selfIds].some((id) => ctx.membership()?.isRemoved(id)))
    out.push('this node was removed from the cluster');
  return out;
}

/** Registers the topology functions; returns what validate_topology checks (for failover). */
export function registerTopologyAdmin(registry: AdminRegistry, ctx: TopologyAdminContext): () => string[] {
  const selfIds = new Set([ctx.nodeId, ctx.selfMasterId]);
  const requireMembership = (): Membership => {
    const m = ctx.membership();
    if (!m) throw new ChorusError('55000', 'topology changes need multi-primary replication on this node');
    return m;
  };
  const healthy = (): number => 1 + ctx.peers().filter((p) => p.state === 'ACTIVE').length;
  const minQuorum = (): number => ctx.quorum()?.size ?? Math.floor((ctx.peers().length + 1) / 2) + 1;

  const problems = (): string[] => topologyProblems(ctx);
  registerFailoverAdmin(registry, ctx);

  registry.addView({
    kind: 'js',
    name: 'replicate.snapshot_status',
    columns: cols(`phase text, donor text, received_bytes int8, size_bytes int8, progress_percent float8,
      snapshots_made int8, chunks_served int8, bytes_served int8, last_make_ms int8`),
    rows: () => {
      const s = ctx.snapshots()?.status();
      if (!s) return [];
      return [
        [
          s.phase,
          s.donor,
          int8(s.receivedBytes),
          int8(s.sizeBytes),
          s.percent,
          int8(s.stats.made),
          int8(s.stats.chunksServed),
          int8(s.stats.bytesServed),
          int8(s.stats.lastMakeMs),
        ],
      ];
    },
  });

  registry.addFunction({
    name: 'validate_topology',
    params: [],
    mutates: false,
    columns: cols('validate_topology text'),
    run: () => {
      const p = problems();
      return [[p.length === 0 ? 'VALID' : `INVALID: ${p.join('; ')}`]];
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.cluster_info',
    columns: cols(`master_count int4, healthy_masters int4, min_quorum int4, quorum_required bool,
      quorum_reachable bool, read_only bool, removed_masters text, witness_vote bool`),
    rows: () => [
      [
        1 + ctx.peers().length,
        healthy(),
        minQuorum(),
        (ctx.quorum()?.size ?? null) !== null,
        healthy() >= minQuorum(),
        ctx.isReadOnly(),
        [...(ctx.membership()?.removed ?? [])].join(',') || null,
        ctx.quorum()?.witness?.holdsLease() ?? null,
      ],
    ],
  });

  // Seed 000's "Active-Active with Automatic Failover" validation reads these names.
  registry.addView({
    kind: 'js',
    name: 'replicate.cluster_status',
    columns: cols('master_count int4, min_quorum int4, healthy_count int4, quorum_required bool'),
    rows: () => [[1 + ctx.peers().length, minQuorum(), healthy(), (ctx.quorum()?.size ?? null) !== null]],
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.pinned_transactions',
    columns: cols('master_id text, origin_seq int8, txid int8, committed_at timestamptz, waiting_for text'),
    rows: () => {
      const r = ctx.replicator();
      if (!r) return [];
      const peers = ctx.peers().map((p) => p.masterId);
      const origins = ctx.engine.writer.prepare('SELECT DISTINCT origin FROM _chorus_tx').all() as {
        origin: string;
      }[];
      const out: AdminValue[][] = [];
      const stmt = ctx.engine.writer.prepare(
        'SELECT txid, origin_seq, committed_at_ms FROM _chorus_tx WHERE origin = ? AND origin_seq > ? ORDER BY origin_seq LIMIT ?',
      );
      stmt.safeIntegers(false);
      for (const { origin } of origins) {
        // Peers other than the origin itself that have not acknowledged everything of it we hold.
        const have = peers
          .filter((p) => p !== origin)
          .map((p) => ({ p, seq: r.peerAcks.get(p)?.[origin] ?? 0 }));
        if (have.length === 0) continue;
        const min = Math.min(...have.map((h) => h.seq));
        for (const t of stmt.all(origin, min, pinnedRowsMax - out.length) as {
          txid: number;
          origin_seq: number;
          committed_at_ms: number;
        }[]) {
          const waiting = have.filter((h) => h.seq < t.origin_seq).map((h) => h.p);
          out.push([
            origin,
            int8(t.origin_seq),
            int8(t.txid),
            formatTimestamp(t.committed_at_ms),
            waiting.join(','),
          ]);
        }
        if (out.length >= pinnedRowsMax) break;
      }
      return out;
    },
  });

  const replicated = async (cmd: MembershipCommand, sql: string): Promise<void> => {
    const m = requireMembership();
    await ctx.adminWrite(() => {
      m.apply(cmd);
      ctx.engine.logAdmin('', sql, cmd);
    });
  };

  const masterId = (v: AdminValue): string => {
    if (typeof v !== 'string' || v === '')
      throw new InvalidParameterValueError('master_id must be a master id');
    return v;
  };

  for (const [name, readOnly] of [
    ['set_read_only', true],
    ['set_read_write', false],
  ] as const) {
    registry.addFunction({
      name,
      params: [{ name: 'master_id', default: null }],
      mutates: true,
      columns: cols(`${name} text`),
      run: async ([id]) => {
        const target = id === null ? ctx.selfMasterId : masterId(id);
        const known = selfIds.has(target) || ctx.peers().some((p) => p.masterId === target);
        if (!known) throw new ChorusError('42704', `unknown master "${target}"`);
        await replicated(
          {
            kind: 'set_read_only',
            master_id: selfIds.has(target) ? ctx.nodeId : target,
            read_only: readOnly,
          },
          `SELECT replicate.${name}(master_id => ${JSON.stringify(target)})`,
        );
        return [[readOnly ? 'READ_ONLY' : 'READ_WRITE']];
      },
    });
  }

  registry.addFunction({
    name: 'initialize_master',
    params: [{ name: 'master_id' }, { name: 'region', default: null }, { name: 'priority', default: null }],
    mutates: true,
    columns: cols('initialize_master text'),
    run: async ([id]) => {
      const target = masterId(id);
      if (!selfIds.has(target))
        throw new ChorusError(
          '55000',
          `initialize_master runs on the new master itself (this node is "${ctx.nodeId}")`,
        );
      const m = requireMembership();
      await ctx.adminWrite(() => m.setInitializing(true));
      return [['INITIALIZING']];
    },
  });

  registry.addFunction({
    name: 'add_master',
    params: [
      { name: 'master_id' },
      { name: 'endpoint' },
      { name: 'region', default: null },
      { name: 'priority', default: null },
      { name: 'initial_role', default: 'replica' },
    ],
    mutates: true,
    columns: cols('add_master text'),
    run: async ([id, endpoint, region, priority]) => {
      const target = masterId(id);
      if (selfIds.has(target)) throw new ChorusError('42710', `"${target}" is this master`);
      if (ctx.peers().some((p) => p.masterId === target))
        throw new ChorusError('42710', `master "${target}" is already in the cluster`);
      if (typeof endpoint !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(endpoint))
        throw new InvalidParameterValueError("endpoint must be host:port of the new master's peer listener");
      await replicated(
        {
          kind: 'add_master',
          master_id: target,
          endpoint,
          region: region === null ? null : String(region),
          priority: priority === null ? null : Number(priority),
        },
        `SELECT replicate.add_master(master_id => ${JSON.stringify(target)}, endpoint => ${JSON.stringify(endpoint)})`,
      );
      return [['ADDED']];
    },
  });

  registry.addFunction({
    name: 'remove_master',
    params: [{ name: 'master_id' }, { name: 'verify_replication', default: true }],
    mutates: true,
    columns: cols('remove_master text'),
    run: async ([id, verify]) => {
      const target = masterId(id);
      const membership = requireMembership();
      if (selfIds.has(target))
        throw new ChorusError('55000', 'a master cannot remove itself', {
          hint: 'Run remove_master on another master.',
        });
      if (membership.isRemoved(target))
        throw new ChorusError('55000', `master "${target}" was already removed`);
      const peers = ctx.peers();
      if (!peers.some((p) => p.masterId === target))
        throw new ChorusError('42704', `unknown master "${target}"`);
      if (verify !== false) {
        const r = ctx.replicator();
        // What the target holds of its own writes is everything it committed: every remaining
        // master must have applied that much before the target may go.
        const latest = r?.peerAcks.get(target)?.[target];
        if (latest === undefined) {
          throw new ChorusError(
            '55000',
            `cannot verify that "${target}" is fully replicated: it never acknowledged`,
            {
              hint: 'Reconnect it, or pass verify_replication => false to remove it anyway (its unreplicated writes are lost).',
            },
          );
        }
        const behind: string[] = [];
        if ((ctx.engine.applied.get(target) ?? 0) < latest) behind.push(ctx.selfMasterId);
        for (const p of peers) {
          if (p.masterId === target) continue;
          if ((r?.peerAcks.get(p.masterId)?.[target] ?? 0) < latest) behind.push(p.masterId);
        }
        if (behind.length > 0) {
          throw new ChorusError(
            '55000',
            `master "${target}" still has changes not replicated to ${behind.join(', ')} (its latest is ${latest})`,
            {
              hint: 'Set it read-only, wait until replicate.masters shows no pending operations, then retry.',
            },
          );
        }
      }
      await replicated(
        { kind: 'remove_master', master_id: target },
        `SELECT replicate.remove_master(master_id => ${JSON.stringify(target)})`,
      );
      return [['REMOVED']];
    },
  });
  return problems;
}
