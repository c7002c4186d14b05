// A ChorusDB node in-process: storage, clock, sessions, admin SQL, metrics and (optionally) the
// PostgreSQL and HTTP listeners. The CLI is a thin layer over openNode(); tests embed it directly.

import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import { registerBuiltins } from '../admin/builtin.js';
import { registerCatalogFunctions } from '../admin/catalog/catalog-functions.js';
import { registerPgCatalog } from '../admin/catalog/pg-catalog.js';
import {
  registerConflictAdmin,
  registerConflictStrategy,
  registerCrdtState,
} from '../admin/conflict-admin.js';
import { registerFailoverViews } from '../admin/failover-views.js';
import { registerLsnFunctions } from '../admin/lsn-functions.js';
import { AdminRegistry } from '../admin/registry.js';
import { type ReplicationAdmin, registerReplicationAdmin } from '../admin/replication-admin.js';
import { registerReplicationMetrics } from '../admin/replication-metrics.js';
import { registerSplitBrainAdmin } from '../admin/split-brain-admin.js';
import { registerStandbyViews } from '../admin/standby-views.js';
import { registerTopologyAdmin } from '../admin/topology-admin.js';
import { type PhysicalClock, systemClock } from '../clock/clock.js';
import { HybridLogicalClock } from '../clock/hlc.js';
import { systemTimers, type Timers } from '../clock/timers.js';
import { type Config, type LoadOptions, loadConfig, standbyServes } from '../config/load.js';
import { ChorusError, MinLsnTimeoutError, ReadOnlyTransactionError } from '../errors.js';
import { shutdownGraceMs } from '../limits.js';
import { NodeMetrics } from '../metrics/metrics.js';
import { Applier } from '../replication/apply/applier.js';
import { CrdtColumns } from '../replication/apply/crdt-columns.js';
import { Resolvers } from '../replication/apply/resolvers.js';
import { Membership } from '../replication/cluster/membership.js';
import type { QuorumGate } from '../replication/cluster/quorum.js';
import type { PeerNetwork } from '../replication/link/link.js';
import {
  applyFailoverState,
  deposedAtStart,
  failoverChannel,
  readRewound,
} from '../replication/standby/failover-state.js';
import type { VoterCarry } from '../replication/standby/lease.js';
import {
  newEpochState,
  newRoleState,
  PrimaryStandby,
  roleHooks,
} from '../replication/standby/primary-standby.js';
import { Replicator } from '../replication/stream/replicator.js';
import { LogRetention } from '../replication/stream/retention.js';
import { registerDiagnosisFunction } from '../session/constraint-errors.js';
import { GroupCommitter } from '../session/group-commit.js';
import { advisoryColumns } from '../session/local/advisory-calls.js';
import { AdvisoryLocks } from '../session/local/advisory-locks.js';
import { CursorConnections } from '../session/local/cursor-connections.js';
import { NotifyHub } from '../session/local/notify-hub.js';
import { SchemaCatalog } from '../session/planning/catalog.js';
import { PlanCache, type PlannedStatement } from '../session/planning/plan-cache.js';
import type { Prepared } from '../session/planning/prepared.js';
import type { BindValue } from '../session/read-protocol.js';
import { AdminExecutor } from '../session/readers/admin-executor.js';
import { ReaderPool } from '../session/readers/reader-pool.js';
import type { ColumnInfo, StatementResult } from '../session/result.js';
import { planColumns, Session, typedByView } from '../session/session.js';
import type { SessionHost } from '../session/session-state.js';
import { showColumns } from '../session/settings/settings.js';
import { StatementCache } from '../session/statement-cache.js';
import { forwardRunner } from '../session/write-routing/forward-runner.js';
import { StorageEngine } from '../storage/engine.js';
import { applyStorageMemory, type StorageMemory } from '../storage/memory-settings.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { WriterLock } from '../storage/writer-lock.js';
import { ReplicationExtras } from './replication-extras.js';
import { sequenceSlotsOf } from './sequence-slots.js';

export interface OpenNodeOptions {
  config?: Config;
  /** Used when config is absent: the same inputs the CLI passes to loadConfig. */
  load?: LoadOptions;
  logger?: Logger;
  clock?: PhysicalClock;
  /** Start the PostgreSQL and HTTP listeners (default false for embedding). */
  listen?: boolean;
  /** Multi-primary: the peer network (the CLI passes the TCP one; simulations a simulated one). */
  network?: PeerNetwork | ((node: ChorusNode) => PeerNetwork);
  /** Timers for replication (virtual time in simulations). */
  timers?: Timers;
  /** Monitoring sample period and history length (defaults from config). */
  monitor?: { sampleIntervalMs?: number; historyRowsMax?: number };
  /** Vote links of automatic failover in primary/standby mode ([ha] nodes; the CLI passes TCP ones), or null. */
  voteNetwork?: (node: ChorusNode) => PeerNetwork | null;
  /** Links to witness nodes (use_witness_node; the CLI passes TCP ones), or null. */
  witnessNetwork?: (node: ChorusNode) => PeerNetwork | null;
  /** Restart this node in-process (to install a received snapshot); without it, none is taken. */
  onRestart?: (reason: string) => void;
  /** Primary/standby: this node was promoted or follows a new primary (the chorus_failover JSON, parsed). */
  onFailover?: (notice: Record<string, unknown>) => void;
  /** The vote promise of the node this one replaces in the process (voterCarry() of the closed node). */
  carriedVoter?: VoterCarry | null;
}

export interface QueryOutput {
  columns: string[];
  rows: Record<string, unknown>[];
  tag: string;
}

export interface ListenAddresses {
  pg: { host: string; port: number };
  http: { host: string; port: number } | null;
}

/** Something that listens for clients and can be closed (wire server, HTTP server). */
export interface Listener {
  address(): { host: string; port: number };
  /** Stop accepting; resolve when existing connections have ended or been ended. */
  close(): Promise<void>;
  connectionCount(): number;
}

export type ListenerFactory = (node: ChorusNode) => Promise<{ pg: Listener; http: Listener | null }>;

export class ChorusNode {
  readonly config: Config;
  readonly logger: Logger;
  readonly engine: StorageEngine;
  readonly clock: HybridLogicalClock;
  readonly registry = new AdminRegistry();
  readonly metrics: NodeMetrics;
  readonly plans: PlanCache;
  /** What the PostgreSQL front end resolves names against (invalidated when the schema changes). */
  readonly catalog: SchemaCatalog;
  /** Read-only connection the catalog reads the committed schema through. */
  private readonly schemaReader: Database.Database;
  readonly startedAtMs = Date.now();
  readonly replicator: Replicator | null = null;
  /** Removed masters and drain state (multi-primary); null otherwise. */
  readonly membership: Membership | null;
  /** Quorum writes (require_quorum_for_writes); null when off. */
  quorum: QuorumGate | null = null;
  readonly applier: Applier | null = null;
  /** Custom conflict resolvers (multi-primary). */
  readonly resolvers: Resolvers | null = null;
  /** CRDT and delta columns (replicated modes). */
  readonly crdt: CrdtColumns | null = null;
  /** Replication monitoring (multi-primary): histories sampled by its monitor. */
  readonly replicationAdmin: ReplicationAdmin | null = null;
  /** Snapshots, split-brain handling, quorum and failover (multi-primary). */
  readonly extras: ReplicationExtras | null = null;
  /** Roles, sync modes and the standbys' state (primary/standby mode). */
  readonly standby: PrimaryStandby | null = null;
  /** The peer links (any replicated mode). */
  private network: PeerNetwork | null = null;
  private readonly readers: ReaderPool;
  private readonly admin: AdminExecutor;
  private readonly writerLock: WriterLock;
  private readonly writerCache: StatementCache;
  private readonly sessions = new Set<Session>();
  /** LISTEN / NOTIFY among this node's sessions (node-local, as in PostgreSQL). */
  readonly notifyHub = new NotifyHub();
  private readonly host: SessionHost;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private listeners: { pg: Listener; http: Listener | null } | null = null;
  private closing: Promise<void> | null = null;
  /** Set once the listeners have drained: from then on no session may open. */
  private sessionsClosed = false;

  constructor(opts: OpenNodeOptions) {
    this.config = opts.config ?? loadConfig(opts.load);
    this.logger =
      opts.logger ??
      pino({ level: this.config.server.log_level, base: { node: this.config.server.node_id } });
    const memory: StorageMemory = {
      cacheSizeMb: this.config.storage.cache_size_mb,
      mmapSizeMb: this.config.storage.mmap_size_mb,
    };
    this.engine = new StorageEngine({
      dataDir: this.config.server.data_dir,
      synchronous: this.config.server.synchronous,
      nodeId: this.config.server.node_id,
      logger: this.logger,
      generateNodeId: () => `node-${randomBytes(4).toString('hex')}`,
      guardPrimaryKeyUpdates: this.config.haMode === 'multi-primary',
      multiPrimary: this.config.haMode === 'multi-primary',
      timestampSource: this.config.replication.timestamp_source,
      sequenceSlots: (nodeId) => sequenceSlotsOf(this.config, nodeId),
      catalogFunctions: registerCatalogFunctions,
      memory,
      ...(this.config.haMode === 'standalone'
        ? {}
        : { logEntryBytesMax: this.config.replication.max_batch_size_mb * 1024 * 1024 }),
    });
    sequenceSlotsOf(this.config, this.engine.nodeId); // a bad slot setting fails at start
    // Automatic failover may have made this node primary, or given it another primary to follow.
    this.config = applyFailoverState(this.config, this.engine.writer);
    this.clock = new HybridLogicalClock(this.engine.nodeId, opts.clock ?? systemClock);
    this.engine.attachClock(this.clock, opts.clock ?? systemClock);
    registerBuiltins(this.registry, {
      nodeId: this.engine.nodeId,
      mode: this.config.haMode,
      role: () => this.role(),
      syncMode: () => this.standby?.syncMode ?? 'async',
      listenAddress: `${this.config.server.listen_address}:${this.config.server.port}`,
      // A standby listens for no peer links (it dials its upstream) unless it serves cascading standbys.
      replicationPort:
        this.config.haMode === 'standby' && !standbyServes(this.config)
          ? null
          : this.config.replication.ha_bind,
      currentLsn: () => this.standby?.position() ?? this.engine.currentLsn(),
      isReadOnly: () => this.host.isReadOnlyNode(),
      uptimeSeconds: () => Math.floor((Date.now() - this.startedAtMs) / 1000),
      healthyPeers: () => 0,
      conflictsDetected: () => 0,
      replicationLagMs: () => 0,
      standbyCount: () => this.standby?.standbyCount() ?? 0,
    });
    registerStandbyViews(this.registry, () => this.standby);
    registerLsnFunctions(this.registry);
    if (this.config.haMode === 'primary' || this.config.haMode === 'standby')
      registerFailoverViews(
        this.registry,
        () => readRewound(this.config.server.data_dir),
        () => this.standby?.agent ?? null,
      );
    // pg_is_in_recovery() reads the role here, on any connection (readers run in worker threads).
    this.engine.writer
      .prepare("INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES ('ha_role', ?)")
      .run(this.config.haMode);
    registerReplicationMetrics(this.registry, {
      logWrites: () => this.engine.logWrites,
      sent: () => this.replicator?.sent ?? null,
      lastAppliedAtMs: () => this.replicator?.stats.lastAppliedAtMs ?? null,
      network: () => this.network?.counters() ?? null,
    });
    registerPgCatalog(this.registry);
    const self = this;
    const conflictAdmin = registerConflictAdmin(this.registry, {
      engine: this.engine,
      get resolvers() {
        return self.resolvers;
      },
      get crdt() {
        return self.crdt;
      },
      adminWrite: (fn) => this.adminWrite(fn),
      get checkDivergence() {
        const d = self.extras?.divergence;
        return d ? (rows: { table: string; rowId: string }[]) => d.check(rows) : null;
      },
      nowIso: () =>
        new Date((opts.clock ?? systemClock).nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
    });
    registerConflictStrategy(this.registry, this.config.replication);
    const multiPrimary = this.config.haMode === 'multi-primary';
    /** Multi-primary, primary or standby: the log is shipped and applied. */
    const replicated = this.config.haMode !== 'standalone';
    const selfMasterId = this.config.replication.local_master_id ?? this.engine.nodeId;
    this.membership = multiPrimary
      ? new Membership(this.engine.writer, new Set([this.engine.nodeId, selfMasterId]), this.logger)
      : null;
    const membership = this.membership;
    const replicationAdmin = multiPrimary
      ? registerReplicationAdmin(this.registry, {
          nodeId: this.engine.nodeId,
          config: this.config,
          engine: this.engine,
          startedAtMs: this.startedAtMs,
          isRemoved: (id) => membership?.isRemoved(id) ?? false,
          isReadOnly: () => this.host.isReadOnlyNode(),
          addedMasters: () => membership?.added() ?? [],
          isInitializing: () => membership?.initializing ?? false,
        })
      : null;
    let problems = (): string[] => [];
    if (replicationAdmin) {
      problems = registerTopologyAdmin(this.registry, {
        nodeId: this.engine.nodeId,
        selfMasterId,
        engine: this.engine,
        adminWrite: (fn) => this.adminWrite(fn),
        membership: () => membership,
        replicator: () => this.replicator,
        peers: () => replicationAdmin.peers(),
        quorum: () => this.quorum,
        isReadOnly: () => this.host.isReadOnlyNode(),
        snapshots: () => this.extras?.snapshots ?? null,
        failover: () => this.extras?.failover ?? null,
      });
      registerSplitBrainAdmin(this.registry, {
        selfMasterId,
        splitBrain: () => this.extras?.splitBrain ?? null,
        membership: () => membership,
        adminWrite: (fn) => this.adminWrite(fn),
        logAdmin: (cmd, sql) => this.engine.logAdmin('', sql, cmd),
        peers: () => replicationAdmin.peers(),
        nowMs: () => (opts.clock ?? systemClock).nowMs(),
      });
    }
    this.readers = new ReaderPool(this.engine.path, this.config.server.reader_threads, this.logger, memory);
    this.admin = new AdminExecutor(this.engine.path, this.registry, memory);
    this.writerLock = new WriterLock(this.config.server.writer_lock_timeout_ms);
    this.writerCache = new StatementCache(this.engine.writer);
    // The node's catalog reads the committed schema: an open transaction's DDL stays its own.
    this.schemaReader = new Database(this.engine.path, { readonly: true, fileMustExist: true });
    applyStorageMemory(this.schemaReader, memory);
    this.catalog = new SchemaCatalog(this.schemaReader, this.registry);
    registerDiagnosisFunction(this.engine.writer);
    this.plans = new PlanCache(this.registry, (sql) => this.writerCache.get(sql), this.catalog);
    this.metrics = new NodeMetrics(
      {
        currentLsn: () => this.engine.currentLsn(),
        logBytes: () => this.engine.logBytes(),
        connections: () =>
          (this.listeners?.pg.connectionCount() ?? 0) + (this.listeners?.http?.connectionCount() ?? 0),
        groupCommit: () => this.groupCommitStats,
      },
      this.engine.nodeId,
    );
    const metrics = this.metrics;
    const lock = this.writerLock;
    let lastContended = 0;
    // A group's commit is a commit like any other: counted, and shipped at once (not at the next
    // batch_timeout_ms poll, which made every autocommitted write wait up to 100 ms for its standby).
    const groupCommit = new GroupCommitter(this.engine, this.writerLock, (captured) =>
      this.host.onCommit({ captured }),
    );
    this.host = {
      engine: this.engine,
      groupCommit,
      writerLock: this.writerLock,
      writerCache: this.writerCache,
      readers: this.readers,
      admin: this.admin,
      registry: this.registry,
      isReadOnlyNode: () =>
        this.closing !== null ||
        (this.membership?.readOnly ?? false) ||
        (this.extras?.blocksWrites ?? false) ||
        (this.standby?.blocksWrites ?? false),
      inRecovery: () => this.standby?.inRecovery ?? false,
      multiPrimary: replicated,
      clientTimestamps: this.config.replication.timestamp_source === 'client_timestamp',
      customDdl: (p) => conflictAdmin.customDdl(p),
      local: {
        advisoryLocks: new AdvisoryLocks(),
        cursorConnections: new CursorConnections(
          this.engine.path === ':memory:' ? null : this.engine.path,
          memory,
        ),
        notifyHub: this.notifyHub,
      },
      schema: { catalog: this.catalog, planner: this.plans },
      openWriterView: () => {
        const catalog = new SchemaCatalog(this.engine.writer, this.registry);
        return {
          catalog,
          planner: new PlanCache(this.registry, (sql) => this.writerCache.get(sql), catalog),
        };
      },
      onSchemaChange: () => {
        this.catalog.invalidate();
        this.applier?.invalidate();
        this.writerCache.clear();
        this.readers.invalidate();
        this.admin.invalidate();
      },
      onCommit: (info) => {
        metrics.commits.inc({ captured: String(info.captured) });
        if (!info.captured) return;
        // The commit is made: a failure to ship it now is the sender's to report (its next poll
        // retries), never an error for the client whose write is durable.
        try {
          this.replicator?.kick();
        } catch (err) {
          this.logger.error({ err }, 'shipping a commit failed; the sender retries at its next poll');
        }
      },
      onStatement: (kind, ok) => {
        metrics.statements.inc({ kind });
        if (!ok) metrics.errors.inc({ kind });
        if (lock.contended !== lastContended) {
          metrics.writerWaits.inc(lock.contended - lastContended);
          lastContended = lock.contended;
        }
      },
    };
    if (replicated) {
      const physical = opts.clock ?? systemClock;
      const crdt = new CrdtColumns(this.engine.writer, this.engine, () => physical.nowMs());
      this.crdt = crdt;
      registerCrdtState(this.registry, crdt);
      const r1 = this.config.replication;
      const resolvers = new Resolvers(
        this.engine.writer,
        r1.conflict_resolution === 'custom' ? (r1.resolver_function ?? r1.custom_resolver ?? null) : null,
        r1.resolver_timeout_ms,
      );
      this.resolvers = resolvers;
      const applier = new Applier(
        this.engine,
        this.logger,
        () => this.host.onSchemaChange(),
        () => physical.nowMs(),
        crdt,
        resolvers,
      );
      this.applier = applier;
      this.engine.localCommitHook = (txid, origin, seq, orderKey) => {
        crdt.recordLocal(txid, origin, seq, orderKey);
        applier.recordLocal(txid, origin, seq, orderKey);
      };
      this.engine.syncSchemaNow();
      const network = typeof opts.network === 'function' ? opts.network(this) : opts.network;
      if (!network)
        throw new ChorusError('F0000', `${this.config.haMode} mode needs a peer network`, {}, 'FATAL');
      const timers = opts.timers ?? systemTimers;
      this.network = network;
      const role = multiPrimary
        ? null
        : newRoleState(this.config.haMode === 'standby' ? 'standby' : 'primary', timers);
      const epoch = role ? newEpochState(this.engine) : null;
      const deposed =
        role?.role === 'primary' && epoch !== null && deposedAtStart(this.engine.writer, epoch.current);
      const r = this.config.replication;
      this.replicator = new Replicator({
        nodeId: this.engine.nodeId,
        engine: this.engine,
        applier,
        network,
        writerLock: this.writerLock,
        clock: this.clock,
        timers: opts.timers ?? systemTimers,
        logger: this.logger,
        batchEntries: r.replication_batch_size ?? r.batch_size,
        batchBytesMax: r.max_batch_size_mb * 1024 * 1024,
        batchTimeoutMs: r.batch_timeout_ms,
        retention: new LogRetention(
          this.engine,
          r.buffers.wal_buffer_size_mb * 1024 * 1024,
          this.logger,
          r.log_retention_min_ms,
        ),
        expectedPeers: () => network.peers().length,
        onAcks: () => {
          this.quorum?.onAcks();
          this.standby?.onAcks();
        },
        onApplied: () => {
          this.extras?.ddlLock?.onApplied();
          this.standby?.forwardClient?.onApplied();
        },
        isRemoved: (id) => this.membership?.isRemoved(id) ?? false,
        holdShipping: () => (this.extras ?? this.standby)?.snapshots.holding ?? false,
        ...(role && epoch ? roleHooks(role, epoch, () => this.standby) : {}),
      });
      if (role && epoch) {
        this.standby = new PrimaryStandby({
          config: this.config,
          role,
          epoch,
          engine: this.engine,
          replicator: this.replicator,
          logger: this.logger,
          timers,
          requestRestart: opts.onRestart ?? null,
          voteNetwork: opts.voteNetwork?.(this) ?? null,
          carriedVoter: opts.carriedVoter ?? null,
          metrics: this.metrics.registry,
          startFenced: deposed
            ? `deposed while down: epoch ${epoch.current} is newer than the one this node became primary in`
            : null,
          onFailover: (json) => {
            const full = this.notifyHub.publishFromNode(failoverChannel, json);
            if (full > 0)
              this.logger.warn({ sessions: full }, 'chorus_failover not queued: listener queue full');
            try {
              opts.onFailover?.(JSON.parse(json) as Record<string, unknown>);
            } catch (err) {
              this.logger.error({ err }, 'the onFailover callback threw');
            }
          },
          redial: (from, to) => {
            network.removePeer(from);
            network.addPeer(to);
          },
        });
        this.host.quorum = this.standby.writeGate();
        this.wireWriteRouting(this.standby);
      }
    }
    if (this.replicator && this.applier && this.network && multiPrimary) {
      const { applier, network } = this;
      this.extras = new ReplicationExtras({
        config: this.config,
        engine: this.engine,
        replicator: this.replicator,
        rowDigest: (table, rowId) => applier.rowDigest(table, rowId),
        membership: this.membership,
        writerLock: this.writerLock,
        logger: this.logger,
        timers: opts.timers ?? systemTimers,
        requestRestart: opts.onRestart ?? null,
        configuredPeers: network.peers().length,
        network,
        witnessNetwork: opts.witnessNetwork?.(this) ?? null,
        peers: () => replicationAdmin?.peers() ?? [],
        topologyProblems: () => problems(),
        adminWrite: (fn) => this.adminWrite(fn),
        nowMs: () => (opts.clock ?? systemClock).nowMs(),
      });
      this.host.quorum = this.quorum = this.extras.quorum;
      const ddlLock = this.extras.ddlLock;
      this.host.ddlLock = ddlLock;
      if (ddlLock) applier.onDdlApplied = (origin, seq) => ddlLock.note(origin, seq);
      applier.membership = this.membership;
      this.membership?.attach({ replicator: this.replicator, network });
      replicationAdmin?.attach({
        replicator: this.replicator,
        network,
        timers: opts.timers ?? systemTimers,
        metrics: this.metrics.registry,
        ...(opts.monitor ?? {}),
      });
      this.replicationAdmin = replicationAdmin;
    }
    this.checkpointTimer = setInterval(() => {
      this.readers.checkpoint().catch((err: unknown) => this.logger.warn({ err }, 'WAL checkpoint failed'));
    }, this.config.server.checkpoint_interval_ms);
    this.checkpointTimer.unref();
    this.logger.info(
      { nodeId: this.engine.nodeId, dataDir: this.config.server.data_dir, lsn: this.engine.currentLsn() },
      'node opened',
    );
  }

  get nodeId(): string {
    return this.engine.nodeId;
  }

  /** Commit groups so far, and the autocommit statements and transaction blocks they carried. */
  get groupCommitStats(): { groups: number; statements: number; blocks: number } {
    const g = this.host.groupCommit;
    return { groups: g.groups, statements: g.statements, blocks: g.blocks };
  }

  get shuttingDown(): boolean {
    return this.closing !== null;
  }

  /** The node's role, as replicate.status(), pg_replication_status and GET /status report it. */
  role(): 'standalone' | 'master' | 'replica' | 'primary' | 'standby' {
    if (this.standby) return this.standby.role.role;
    if (this.config.haMode !== 'multi-primary') return 'standalone';
    return this.membership?.initializing ? 'replica' : 'master';
  }

  /** Write routing (write-forward.ts): a standby's sessions route writes; the primary runs them. */
  private wireWriteRouting(standby: PrimaryStandby): void {
    standby.forwardServer.runner = forwardRunner(
      (startup) => this.openSession(startup),
      (s) => this.closeSession(s),
    );
    const client = standby.forwardClient;
    if (!client) return;
    const inAsync = this.config.ha.route_writes_in_async;
    this.host.writeRouting = {
      client,
      enabled: () => standby.role.role === 'standby' && (standby.syncMode !== 'async' || inAsync),
    };
  }

  openSession(startupParams: Record<string, string> = {}): Session {
    if (this.sessionsClosed) throw new ChorusError('57P01', 'node is shutting down', {}, 'FATAL');
    const s = new Session(this.host, startupParams);
    this.sessions.add(s);
    return s;
  }

  closeSession(s: Session): void {
    s.close();
    this.sessions.delete(s);
  }

  /** Result columns of a prepared statement without running it (Describe of a statement), or null. */
  describe(p: Prepared): ColumnInfo[] | null {
    if (p.plan) return p.plan.columns ? planColumns(p) : null;
    if (p.ddl) return null;
    if (p.local) return p.local.kind === 'advisory' ? advisoryColumns(p.local.calls) : null;
    if (p.route.type === 'admin-call') {
      const fn = p.route.fn;
      return fn.columns.map((c) => ({ name: c.name, declType: null, table: `replicate.${fn.name}` }));
    }
    if (p.route.type === 'session') {
      return p.cls.kind === 'show'
        ? showColumns(p.text).map((name) => ({ name, declType: 'TEXT', table: null }))
        : null;
    }
    if (p.route.onAdmin) return this.admin.describe(p.execSql);
    // DDL and TRUNCATE return no rows (and TRUNCATE is no SQLite statement to compile).
    if (
      p.cls.kind.startsWith('create_') ||
      p.cls.kind.startsWith('drop_') ||
      p.cls.kind === 'alter_table' ||
      p.cls.kind === 'truncate'
    )
      return null;
    try {
      const columns = this.writerCache.get(p.execSql).columns;
      if (!columns || !p.viewColumnTypes) return columns;
      return typedByView({ tag: '', columns, rows: [], notices: [] }, p.viewColumnTypes).columns;
    } catch (e) {
      throw toChorusError(e);
    }
  }

  /** Run a script (one or more statements, optional $n parameters for a single statement). */
  async exec(sql: string, params: readonly BindValue[] = []): Promise<StatementResult[]> {
    return (await this.execTracked(sql, params)).results;
  }

  /**
   * exec() with read-your-writes positions (the HTTP API's headers): first wait, at most
   * `minLsnTimeoutMs`, until this node holds position `minLsn` of the primary's history (a standby
   * waits for its apply; any other node holds it or fails at once), then report the position of
   * the request's last commit (null if it committed nothing). 57014 when the wait times out.
   */
  async execTracked(
    sql: string,
    params: readonly BindValue[] = [],
    minLsn: number | null = null,
    minLsnTimeoutMs = 0,
  ): Promise<{ results: StatementResult[]; commitLsn: number | null }> {
    if (minLsn !== null) await this.awaitLsn(minLsn, minLsnTimeoutMs);
    const session = this.openSession();
    try {
      const planned: PlannedStatement[] =
        params.length > 0
          ? [{ prepared: session.schema.planner.prepareOne(sql), params }]
          : session.schema.planner.planSimple(sql);
      const results: StatementResult[] = [];
      await session.executeSimple(planned, (r) => results.push(r));
      return { results, commitLsn: session.lastCommitLsn };
    } finally {
      this.closeSession(session);
    }
  }

  private async awaitLsn(lsn: number, timeoutMs: number): Promise<void> {
    const client = this.host.writeRouting?.client;
    const position = (): number =>
      client?.position() ?? this.standby?.position() ?? this.engine.applied.get(this.nodeId) ?? 0;
    if (position() >= lsn || (client && (await client.waitFor(lsn, timeoutMs)))) return;
    throw new MinLsnTimeoutError(
      `this node has not reached position ${lsn} (it is at ${position()})${client ? ` within ${timeoutMs} ms` : ''}`,
      client
        ? 'The standby is behind: retry, send a longer Chorus-Min-LSN-Timeout, or read from the primary.'
        : 'Only a standby waits for a position; this node does not hold that one.',
    );
  }

  /** Run one statement and return its rows as objects keyed by column name. */
  async query(sql: string, params: readonly BindValue[] = []): Promise<QueryOutput> {
    const results = await this.exec(sql, params);
    const last = results[results.length - 1];
    if (!last) return { columns: [], rows: [], tag: '' };
    const columns = (last.columns ?? []).map((c) => c.name);
    const rows = last.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    return { columns, rows, tag: last.tag };
  }

  /** Start replication (multi-primary): connect to peers and begin shipping and applying. */
  async startReplication(): Promise<void> {
    await this.resolvers?.loadModules(this.config.replication.resolvers);
    await this.replicator?.start();
    await this.extras?.start();
    await this.standby?.start();
  }

  /** Run fn in a write transaction of its own (holding the writer); what it writes is replicated. */
  async adminWrite<T>(fn: () => T): Promise<T> {
    // A standby writes nothing of its own (replicate.register_resolver and the like included): a
    // transaction of its own origin would be a write the primary never has, which no snapshot re-sync can keep.
    if (this.standby?.blocksWrites)
      throw new ReadOnlyTransactionError('cannot execute a replicate.* write in a read-only transaction');
    // A primary's sync mode holds an admin write's acknowledgement as any commit's (the lease and
    // [ha] strict are checked first). Multi-primary quorum writes do not gate these: repairing a
    // cluster that lost its quorum takes them.
    const gate = this.standby?.writeGate() ?? null;
    gate?.checkWritable();
    const owner = {};
    const wait = this.writerLock.acquire(owner);
    if (wait) await wait;
    let out: T;
    let info: ReturnType<StorageEngine['commitWrite']>;
    try {
      this.engine.beginWrite();
      try {
        out = fn();
      } catch (e) {
        this.engine.rollbackWrite();
        throw toChorusError(e);
      }
      info = this.engine.commitWrite();
      this.host.onCommit({ captured: info !== null });
    } finally {
      this.writerLock.release(owner);
    }
    if (info && gate) await gate.wait(info.originSeq);
    return out;
  }

  /** Start the listeners (the factory keeps wire/http out of the node's import graph). */
  async listen(factory: ListenerFactory): Promise<ListenAddresses> {
    if (this.listeners) throw new ChorusError('55000', 'node is already listening');
    this.listeners = await factory(this);
    return { pg: this.listeners.pg.address(), http: this.listeners.http?.address() ?? null };
  }

  /**
   * The vote promise this node's voter holds (automatic failover), for the node that replaces it
   * in the same process (carriedVoter): a role change's restart needs no quiet period. Null without one.
   */
  voterCarry(): VoterCarry | null {
    return this.standby?.agent?.voter.carry() ?? null;
  }

  /** Clean shutdown: stop accepting, let open transactions finish (bounded), roll back the rest, close the database. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.logger.info('node shutting down');
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    const listeners = this.listeners;
    // Listeners force-close their own connections after shutdownGraceMs; allow them that plus a margin.
    const deadline = Date.now() + shutdownGraceMs + 1_000;
    const closingListeners = Promise.all([listeners?.pg.close(), listeners?.http?.close()]);
    await Promise.race([
      closingListeners,
      new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
    ]);
    this.sessionsClosed = true;
    this.host.groupCommit.flush();
    await this.extras?.stopBeforeReplicator();
    await this.standby?.stopBeforeReplicator();
    await this.replicator?.stop();
    await this.extras?.stop();
    for (const s of this.sessions) this.closeSession(s);
    await this.readers.close();
    this.host.local.cursorConnections.close();
    this.admin.close();
    this.schemaReader.close();
    this.engine.close();
    this.logger.info('node closed');
  }
}

export function openNode(opts: OpenNodeOptions = {}): ChorusNode {
  return new ChorusNode(opts);
}
