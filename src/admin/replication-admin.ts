// The multi-primary monitoring and control surface: replicate.status() (multi-primary variant),
// replicate.masters, the sampled histories (peer latency, lag, batches), failure log, connections
// and network counters, get_queue_depth() / check_peer_latency() / get_batch_metrics(),
// pause_replication() / resume_replication(), and the replication Prometheus metrics.
// The history and statistics views are declared in replication-views.ts.
//
// Registration has two steps because of how the node is built: the relations must be in the admin
// registry before the node constructs its AdminExecutor (which turns JS views into SQLite virtual
// tables once), while the replicator, peer network and metrics registry exist only later. Until
// attach() is called the relations describe this node alone.

import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import type { Timers } from '../clock/timers.js';
import type { Config } from '../config/load.js';
import { ChorusError } from '../errors.js';
import type { PeerNetwork } from '../replication/link/link.js';
import {
  historyRowsDefault,
  type PeerView,
  ReplicationMonitor,
  registerReplicationMetrics,
  sentBatchesOf,
} from '../replication/monitor/monitor.js';
import type { Replicator } from '../replication/stream/replicator.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { AdminRegistry, AdminValue } from './registry.js';
import { cols, formatTimestamp, int8, registerReplicationViews } from './replication-views.js';

export { formatTimestamp } from './replication-views.js';

export interface ReplicationAdminContext {
  nodeId: string;
  config: Config;
  engine: StorageEngine;
  /** Date.now() when the node opened (uptime_seconds). */
  startedAtMs: number;
  /** Masters removed from the cluster (not listed). */
  isRemoved?: (masterId: string) => boolean;
  /** The node refuses writes (drained by set_read_only, removed, or shutting down). */
  isReadOnly?: () => boolean;
  /** Masters added at run time (replicate.add_master). */
  addedMasters?: () => {
    master_id: string;
    endpoint: string;
    region: string | null;
    priority: number | null;
  }[];
  /** replicate.initialize_master ran and promote_to_master has not yet. */
  isInitializing?: () => boolean;
}

export interface ReplicationParts {
  replicator: Replicator;
  network: PeerNetwork;
  /** The timers the replicator runs on (virtual in simulations). */
  timers: Timers;
  /** The node's prom-client registry (node.metrics.registry). */
  metrics: Registry;
  /** Default: [replication] replication_monitor_interval_sec. */
  sampleIntervalMs?: number;
  /** Default: historyRowsDefault. */
  historyRowsMax?: number;
}

export interface ReplicationAdmin {
  /** Connect the relations to live replication state, register metrics, start the monitor. Once. */
  attach(parts: ReplicationParts): ReplicationMonitor;
  readonly monitor: ReplicationMonitor | null;
  /** Every other master this node knows, with its state as replicate.masters shows it. */
  peers(): { masterId: string; state: string }[];
}

type PeerStateName = 'ACTIVE' | 'SUSPECTED' | 'DISCONNECTED' | 'NEEDS_SNAPSHOT';
type MasterConfig = Config['replication']['masters'][number];

interface KnownPeer {
  masterId: string;
  endpoint: string | null;
  region: string | null;
  priority: number | null;
  live: PeerView | null;
}

interface Attached extends ReplicationParts {
  monitor: ReplicationMonitor;
}

function stateOf(live: PeerView | null, needsSnapshot = false): PeerStateName {
  // A peer that fell behind the retained log cannot be caught up from it (see retention).
  if (needsSnapshot) return 'NEEDS_SNAPSHOT';
  if (!live || live.link.closed) return 'DISCONNECTED';
  const h = live.link.stats().health;
  return h === 'healthy' ? 'ACTIVE' : h === 'suspected' ? 'SUSPECTED' : 'DISCONNECTED';
}

export function registerReplicationAdmin(
  registry: AdminRegistry,
  ctx: ReplicationAdminContext,
): ReplicationAdmin {
  const r = ctx.config.replication;
  const isSelfMaster = (m: MasterConfig): boolean =>
    m.master_id === ctx.nodeId || m.master_id === r.local_master_id || m.endpoint === r.ha_bind;
  const selfConfig = r.masters.find(isSelfMaster);
  const selfMasterId = r.local_master_id ?? ctx.nodeId;
  const selfRegion = r.local_region ?? selfConfig?.region ?? null;
  const configuredPeers = r.masters.filter((m) => !isSelfMaster(m));
  const peerConfigs = (): { master_id: string; endpoint: string; region?: string; priority?: number }[] => [
    ...configuredPeers,
    ...(ctx.addedMasters?.() ?? [])
      .filter((m) => !configuredPeers.some((c) => c.master_id === m.master_id))
      .map((m) => ({ ...m, region: m.region ?? undefined, priority: m.priority ?? undefined })),
  ];
  let att: Attached | null = null;
  let conflictStmt: Database.Statement | null = null;

  const now = (): number => att?.timers.nowMs() ?? Date.now();
  const open = (): boolean => ctx.engine.writer.open;
  const currentLsn = (): number => (open() ? ctx.engine.currentLsn() : 0);
  const conflicts = (): number => {
    if (!open()) return 0;
    conflictStmt ??= ctx.engine.writer.prepare('SELECT count(*) AS n FROM _chorus_conflicts');
    return Number((conflictStmt.get() as { n: bigint }).n);
  };
  const requireAttached = (): Attached => {
    if (!att) throw new ChorusError('55000', 'replication is not running on this node');
    return att;
  };

  /** Every peer this node knows: connected now, dialed by the network, or listed in [[replication.masters]]. */
  const snapshotStmt = ctx.engine.writer.prepare(
    'SELECT peer_id FROM _chorus_peers WHERE needs_snapshot = 1',
  );
  snapshotStmt.safeIntegers(false);
  const snapshotPeers = (): Set<string> =>
    new Set((snapshotStmt.all() as { peer_id: string }[]).map((r) => r.peer_id));

  const knownPeers = (): KnownPeer[] => {
    const out = new Map<string, KnownPeer>();
    const get = (id: string): KnownPeer => {
      let k = out.get(id);
      if (!k) {
        const c = peerConfigs().find((m) => m.master_id === id);
        const [endpoint, region, priority] = [c?.endpoint ?? null, c?.region ?? null, c?.priority ?? null];
        k = { masterId: id, endpoint, region, priority, live: null };
        out.set(id, k);
      }
      return k;
    };
    if (att) {
      for (const p of att.monitor.livePeers()) get(p.peerId).live = p;
      for (const d of att.network.peers()) {
        const id = d.peerId ?? peerConfigs().find((m) => m.endpoint === d.endpoint)?.master_id ?? d.endpoint;
        if (id === ctx.nodeId || id === selfMasterId) continue;
        get(id).endpoint ??= d.endpoint;
      }
    }
    for (const m of peerConfigs()) get(m.master_id);
    for (const k of out.values()) {
      // A peer that dialed us: the address and region it told us, not its source port.
      const told = k.live?.link.advertised;
      k.endpoint ??= told?.endpoint ?? k.live?.endpoint ?? null;
      k.region ??= told?.region ?? null;
    }
    return [...out.values()].filter((k) => !ctx.isRemoved?.(k.masterId));
  };

  const lagOf = (p: PeerView, withBytes: boolean) => att!.monitor.peerLag(p, withBytes);

  const masterRows = (): AdminValue[][] => {
    const t = now();
    const lsn = currentLsn();
    const rows: AdminValue[][] = [
      [
        selfMasterId,
        r.ha_bind,
        selfRegion,
        selfConfig?.priority ?? null,
        'ACTIVE',
        true,
        formatTimestamp(t),
        int8(lsn),
        int8(lsn),
        int8(att?.replicator.pendingTxs() ?? 0),
        0,
        0n,
        formatTimestamp(att?.replicator.stats.lastAppliedAtMs),
        100,
      ],
    ];
    for (const k of knownPeers()) {
      const state = stateOf(k.live, snapshotPeers().has(k.masterId));
      const lag = k.live ? lagOf(k.live, true) : null;
      rows.push([
        k.masterId,
        k.endpoint,
        k.region,
        k.priority,
        state,
        state === 'ACTIVE',
        formatTimestamp(k.live?.link.stats().lastHeartbeatMs),
        null,
        int8(lag?.lastReplicatedLsn),
        int8(lag?.pendingTxs),
        lag ? lag.lagMs : null,
        int8(lag?.lagBytes),
        formatTimestamp(k.live?.lastAckAtMs),
        lag ? (lag.behind ? (lsn > 0 ? (100 * lag.lastReplicatedLsn) / lsn : 0) : 100) : null,
      ]);
    }
    return rows;
  };

  registry.addFunction({
    name: 'status',
    params: [],
    mutates: false,
    columns: cols(`status text, master_id text, node_id text, mode text, role text, region text,
      current_lsn int8, replication_lag_ms numeric, peer_count int8, healthy_peers int8,
      conflicts_detected int8, pending_operations int8, is_read_only bool, uptime_seconds int8`),
    run: () => {
      const peers = knownPeers();
      const live = peers.flatMap((k) => (k.live ? [k.live] : []));
      return [
        [
          !att || ctx.isInitializing?.()
            ? 'INITIALIZING'
            : att.replicator.needsSnapshot
              ? 'NEEDS_SNAPSHOT'
              : att.replicator.isPaused
                ? 'PAUSED'
                : 'ACTIVE',
          selfMasterId,
          ctx.nodeId,
          ctx.config.haMode,
          ctx.isInitializing?.() ? 'replica' : 'master', // as ChorusNode.role()
          selfRegion,
          int8(currentLsn()),
          live.reduce((m, p) => Math.max(m, lagOf(p, false).lagMs), 0),
          int8(peers.length),
          int8(peers.filter((k) => stateOf(k.live, snapshotPeers().has(k.masterId)) === 'ACTIVE').length),
          int8(conflicts()),
          int8(att?.replicator.pendingTxs() ?? 0),
          ctx.isReadOnly?.() ?? false,
          int8(Math.floor((Date.now() - ctx.startedAtMs) / 1000)),
        ],
      ];
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.masters',
    columns: cols(`master_id text, endpoint text, region text, priority int4, state text, is_healthy bool,
      last_heartbeat timestamptz, current_lsn int8, last_replicated_lsn int8, pending_operations int8,
      replication_lag_ms numeric, replication_lag_bytes int8, last_replication_time timestamptz,
      catch_up_progress_percent float8`),
    rows: masterRows,
  });

  const regionOf = (peerId: string): string | null =>
    peerConfigs().find((m) => m.master_id === peerId)?.region ?? null;

  registerReplicationViews(registry, { attached: () => att, now, regionOf });

  registry.addFunction({
    name: 'get_queue_depth',
    params: [],
    mutates: false,
    columns: cols(
      'queue_depth int8, pending_apply int8, pending_ship int8, inflight_batches int8, paused bool',
    ),
    run: () => {
      if (!att) return [[0n, 0n, 0n, 0n, false]];
      const live = att.monitor.livePeers();
      const apply = att.replicator.pendingTxs();
      const ship = live.reduce((n, p) => n + lagOf(p, false).pendingTxs, 0);
      const inflight = live.reduce((n, p) => n + p.inflight, 0);
      return [[int8(apply + ship), int8(apply), int8(ship), int8(inflight), att.replicator.isPaused]];
    },
  });

  registry.addFunction({
    name: 'check_peer_latency',
    params: [{ name: 'peer_id' }],
    mutates: false,
    columns: cols(`peer_id text, state text, rtt_ms numeric, clock_skew_ms float8, health text,
      last_heartbeat timestamptz, avg_rtt_ms float8, max_rtt_ms float8, samples int8`),
    run: ([arg]) => {
      const id = arg === null || arg === undefined ? '' : String(arg);
      const k = knownPeers().find((p) => p.masterId === id || p.endpoint === id);
      if (!k) {
        throw new ChorusError('42704', `replication peer "${id}" is not known to this node`, {
          hint: `Known peers: ${knownPeers()
            .map((p) => p.masterId)
            .join(', ')}`,
        });
      }
      const s = k.live?.link.stats() ?? null;
      const history = (att?.monitor.latency.toArray() ?? []).filter((x) => x.peerId === k.masterId);
      const rtts = history.flatMap((x) => (x.rttMs === null ? [] : [x.rttMs]));
      return [
        [
          k.masterId,
          stateOf(k.live, snapshotPeers().has(k.masterId)),
          s?.rttMs ?? null,
          s?.clockSkewMs ?? null,
          s && !k.live?.link.closed ? s.health : 'disconnected',
          formatTimestamp(s?.lastHeartbeatMs),
          rtts.length > 0 ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null,
          rtts.length > 0 ? Math.max(...rtts) : null,
          int8(history.length),
        ],
      ];
    },
  });

  registry.addFunction({
    name: 'get_batch_metrics',
    params: [],
    mutates: false,
    columns:
      cols(`batches_sent int8, txs_sent int8, batches_applied int8, txs_applied int8, received_txs int8,
      duplicate_txs int8, apply_errors int8, pending_txs int8, avg_batch_size float8, last_applied_at timestamptz`),
    run: () => {
      const a = requireAttached();
      const s = a.replicator.stats;
      const peers = a.replicator.peerStates();
      const batches = peers.map(sentBatchesOf);
      return [
        [
          batches.some((b) => b === null) ? null : int8(batches.reduce((n: number, b) => n + (b ?? 0), 0)),
          int8(peers.reduce((n, p) => n + p.sentTxs, 0)),
          int8(s.applyBatches),
          int8(s.appliedTxs),
          int8(s.receivedTxs),
          int8(s.duplicateTxs),
          int8(s.applyErrors),
          int8(a.replicator.pendingTxs()),
          s.applyBatches > 0 ? s.appliedTxs / s.applyBatches : null,
          formatTimestamp(s.lastAppliedAtMs),
        ],
      ];
    },
  });

  registry.addFunction({
    name: 'pause_replication',
    params: [],
    mutates: true,
    columns: cols('status text'),
    run: () => {
      requireAttached().replicator.pause();
      return [['PAUSED']];
    },
  });

  registry.addFunction({
    name: 'resume_replication',
    params: [],
    mutates: true,
    columns: cols('status text'),
    run: () => {
      requireAttached().replicator.resume();
      return [['ACTIVE']];
    },
  });

  return {
    attach(parts: ReplicationParts): ReplicationMonitor {
      if (att) throw new ChorusError('55000', 'replication admin is already attached');
      const monitor = new ReplicationMonitor({
        replicator: parts.replicator,
        network: parts.network,
        engine: ctx.engine,
        timers: parts.timers,
        sampleIntervalMs: parts.sampleIntervalMs ?? r.replication_monitor_interval_sec * 1000,
        historyRowsMax: parts.historyRowsMax ?? historyRowsDefault,
      });
      att = { ...parts, monitor };
      registerReplicationMetrics(parts.metrics, monitor, {
        peersUp: () =>
          knownPeers().map((k) => ({
            peer: k.masterId,
            up: stateOf(k.live, snapshotPeers().has(k.masterId)) === 'ACTIVE',
          })),
        conflicts,
      });
      monitor.start();
      return monitor;
    },
    get monitor(): ReplicationMonitor | null {
      return att?.monitor ?? null;
    },
    peers: () =>
      knownPeers().map((k) => ({
        masterId: k.masterId,
        state: stateOf(k.live, snapshotPeers().has(k.masterId)),
      })),
  };
}
