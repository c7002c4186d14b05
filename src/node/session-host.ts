// What the node's sessions share, built at start-up: the writer lock and statement cache, the reader
// pool, the catalog and plan cache, metrics, group commit and the commit / statement / schema hooks.

import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { registerConflictAdmin } from '../admin/conflict-admin.js';
import type { AdminRegistry } from '../admin/registry.js';
import type { Config } from '../config/load.js';
import { NodeMetrics } from '../metrics/metrics.js';
import type { Applier } from '../replication/apply/applier.js';
import type { Membership } from '../replication/cluster/membership.js';
import type { PrimaryStandby } from '../replication/standby/primary-standby.js';
import type { Replicator } from '../replication/stream/replicator.js';
import { registerDiagnosisFunction } from '../session/constraint-errors.js';
import { GroupCommitter } from '../session/group-commit.js';
import { AdvisoryLocks } from '../session/local/advisory-locks.js';
import { CursorConnections } from '../session/local/cursor-connections.js';
import type { NotifyHub } from '../session/local/notify-hub.js';
import { SchemaCatalog } from '../session/planning/catalog.js';
import { PlanCache } from '../session/planning/plan-cache.js';
import { AdminExecutor } from '../session/readers/admin-executor.js';
import { ReaderPool } from '../session/readers/reader-pool.js';
import type { SessionHost } from '../session/session-state.js';
import { StatementCache } from '../session/statement-cache.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import { WriterLock } from '../storage/engine/writer-lock.js';
import { applyStorageMemory, type StorageMemory } from '../storage/memory-settings.js';
import type { ReplicationExtras } from './replication-extras.js';

/**
 * What the session host reads of the node (ChorusNode is one); the replication parts are built
 * after the host, and read when its hooks run.
 */
export interface HostNode {
  readonly config: Config;
  readonly logger: Logger;
  readonly engine: StorageEngine;
  readonly registry: AdminRegistry;
  readonly notifyHub: NotifyHub;
  readonly membership: Membership | null;
  readonly extras: ReplicationExtras | null;
  readonly standby: PrimaryStandby | null;
  readonly applier: Applier | null;
  readonly replicator: Replicator | null;
  readonly shuttingDown: boolean;
  readonly groupCommitStats: { groups: number; statements: number; blocks: number };
}

/** The session host and the parts of it the node keeps for itself. */
export interface NodeSessionParts {
  host: SessionHost;
  readers: ReaderPool;
  admin: AdminExecutor;
  writerLock: WriterLock;
  writerCache: StatementCache;
  /** Read-only connection the catalog reads the committed schema through. */
  schemaReader: Database.Database;
  catalog: SchemaCatalog;
  plans: PlanCache;
  metrics: NodeMetrics;
}

export function buildSessionHost(
  node: HostNode,
  memory: StorageMemory,
  conflictAdmin: ReturnType<typeof registerConflictAdmin>,
  /** Client connections open on the node's listeners. */
  connectionCount: () => number,
): NodeSessionParts {
  const { config, engine, registry } = node;
  const readers = new ReaderPool(engine.path, config.server.reader_threads, node.logger, memory);
  const admin = new AdminExecutor(engine.path, registry, memory);
  const writerLock = new WriterLock(config.server.writer_lock_timeout_ms);
  const writerCache = new StatementCache(engine.writer);
  // The node's catalog reads the committed schema: an open transaction's DDL stays its own.
  const schemaReader = new Database(engine.path, { readonly: true, fileMustExist: true });
  applyStorageMemory(schemaReader, memory);
  const catalog = new SchemaCatalog(schemaReader, registry);
  registerDiagnosisFunction(engine.writer);
  const plans = new PlanCache(registry, (sql) => writerCache.get(sql), catalog);
  const metrics = new NodeMetrics(
    {
      currentLsn: () => engine.currentLsn(),
      logBytes: () => engine.logBytes(),
      connections: connectionCount,
      groupCommit: () => node.groupCommitStats,
    },
    engine.nodeId,
  );
  const lock = writerLock;
  let lastContended = 0;
  // A group's commit is a commit like any other: counted, and shipped at once (not at the next
  // batch_timeout_ms poll, which made every autocommitted write wait up to 100 ms for its standby).
  const groupCommit = new GroupCommitter(engine, writerLock, (captured) => host.onCommit({ captured }));
  const host: SessionHost = {
    engine,
    groupCommit,
    writerLock,
    writerCache,
    readers,
    admin,
    registry,
    isReadOnlyNode: () =>
      node.shuttingDown ||
      (node.membership?.readOnly ?? false) ||
      (node.extras?.blocksWrites ?? false) ||
      (node.standby?.blocksWrites ?? false),
    inRecovery: () => node.standby?.inRecovery ?? false,
    multiPrimary: config.haMode !== 'standalone',
    clientTimestamps: config.replication.timestamp_source === 'client_timestamp',
    customDdl: (p) => conflictAdmin.customDdl(p),
    local: {
      advisoryLocks: new AdvisoryLocks(),
      cursorConnections: new CursorConnections(engine.path === ':memory:' ? null : engine.path, memory),
      notifyHub: node.notifyHub,
    },
    schema: { catalog, planner: plans },
    openWriterView: () => {
      const writerCatalog = new SchemaCatalog(engine.writer, registry);
      return {
        catalog: writerCatalog,
        planner: new PlanCache(registry, (sql) => writerCache.get(sql), writerCatalog),
      };
    },
    onSchemaChange: () => {
      catalog.invalidate();
      node.applier?.invalidate();
      writerCache.clear();
      readers.invalidate();
      admin.invalidate();
    },
    onCommit: (info) => {
      metrics.commits.inc({ captured: String(info.captured) });
      if (!info.captured) return;
      // The commit is made: a failure to ship it now is the sender's to report (its next poll
      // retries), never an error for the client whose write is durable.
      try {
        node.replicator?.kick();
      } catch (err) {
        node.logger.error({ err }, 'shipping a commit failed; the sender retries at its next poll');
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
  return { host, readers, admin, writerLock, writerCache, schemaReader, catalog, plans, metrics };
}
