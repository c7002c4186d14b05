// A ChorusDB node in-process: storage, clock, sessions, admin SQL, metrics and (optionally) the
// PostgreSQL and HTTP listeners. The CLI is a thin layer over openNode(); tests embed it directly.
// Start-up is wired in parts: admin-setup.ts, session-host.ts, replication-setup.ts.

import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import { registerCatalogFunctions } from '../admin/catalog/catalog-functions.js';
import { AdminRegistry } from '../admin/registry.js';
import type { ReplicationAdmin } from '../admin/replication-admin.js';
import { type PhysicalClock, systemClock } from '../clock/clock.js';
import { HybridLogicalClock } from '../clock/hlc.js';
import type { Timers } from '../clock/timers.js';
import { type Config, type LoadOptions, loadConfig } from '../config/load.js';
import { ChorusError, ReadOnlyTransactionError } from '../errors.js';
import { shutdownGraceMs } from '../limits.js';
import type { NodeMetrics } from '../metrics/metrics.js';
import type { Applier } from '../replication/apply/applier.js';
import type { CrdtColumns } from '../replication/apply/columns/crdt-columns.js';
import type { Resolvers } from '../replication/apply/columns/resolvers.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { QuorumGate } from '../replication/cluster/quorum.js';
import type { PeerNetwork } from '../replication/link/link.js';
import { applyFailoverState } from '../replication/standby/failover-state.js';
import type { VoterCarry } from '../replication/standby/lease.js';
import type { PrimaryStandby } from '../replication/standby/primary-standby.js';
import type { Replicator } from '../replication/stream/replicator.js';
import { NotifyHub } from '../session/local/notify-hub.js';
import type { SchemaCatalog } from '../session/planning/catalog.js';
import type { PlanCache } from '../session/planning/plan-cache.js';
import type { Prepared } from '../session/planning/prepared.js';
import type { BindValue } from '../session/read-protocol.js';
import type { AdminExecutor } from '../session/readers/admin-executor.js';
import type { ReaderPool } from '../session/readers/reader-pool.js';
import type { ColumnInfo, StatementResult } from '../session/result.js';
import { Session } from '../session/session.js';
import type { SessionHost } from '../session/session-state.js';
import type { StatementCache } from '../session/statement-cache.js';
import { StorageEngine } from '../storage/engine/engine.js';
import type { WriterLock } from '../storage/engine/writer-lock.js';
import type { StorageMemory } from '../storage/memory-settings.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { registerNodeAdmin } from './admin-setup.js';
import { describePrepared, lastResultRows, type QueryOutput, runTracked } from './node-queries.js';
import type { ReplicationExtras } from './replication-extras.js';
import { wireReplication } from './replication-setup.js';
import { sequenceSlotsOf } from './sequence-slots.js';
import { buildSessionHost } from './session-host.js';

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
    const physical = opts.clock ?? systemClock;
    this.clock = new HybridLogicalClock(this.engine.nodeId, physical);
    this.engine.attachClock(this.clock, physical);
    const admin = registerNodeAdmin(this, {
      isReadOnly: () => this.host.isReadOnlyNode(),
      networkCounters: () => this.network?.counters() ?? null,
      physical,
    });
    this.membership = admin.membership;
    const parts = buildSessionHost(
      this,
      memory,
      admin.conflictAdmin,
      () => (this.listeners?.pg.connectionCount() ?? 0) + (this.listeners?.http?.connectionCount() ?? 0),
    );
    this.readers = parts.readers;
    this.admin = parts.admin;
    this.writerLock = parts.writerLock;
    this.writerCache = parts.writerCache;
    this.schemaReader = parts.schemaReader;
    this.catalog = parts.catalog;
    this.plans = parts.plans;
    this.metrics = parts.metrics;
    this.host = parts.host;
    // Multi-primary, primary or standby: the log is shipped and applied.
    if (this.config.haMode !== 'standalone') {
      const r = wireReplication(this, {
        host: this.host,
        writerLock: this.writerLock,
        network: () => (typeof opts.network === 'function' ? opts.network(this) : opts.network),
        voteNetwork: () => opts.voteNetwork?.(this) ?? null,
        witnessNetwork: () => opts.witnessNetwork?.(this) ?? null,
        timers: opts.timers,
        physical,
        monitor: opts.monitor,
        onRestart: opts.onRestart,
        onFailover: opts.onFailover,
        carriedVoter: opts.carriedVoter,
        replicationAdmin: admin.replicationAdmin,
        problems: admin.problems,
      });
      this.crdt = r.crdt;
      this.resolvers = r.resolvers;
      this.applier = r.applier;
      this.network = r.network;
      this.replicator = r.replicator;
      this.standby = r.standby;
      this.extras = r.extras;
      this.replicationAdmin = r.replicationAdmin;
      this.quorum = r.quorum;
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
    return describePrepared(p, this.admin, this.writerCache);
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
    return runTracked(this, this.host, sql, params, minLsn, minLsnTimeoutMs);
  }

  /** Run one statement and return its rows as objects keyed by column name. */
  async query(sql: string, params: readonly BindValue[] = []): Promise<QueryOutput> {
    return lastResultRows(await this.exec(sql, params));
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
