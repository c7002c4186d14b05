// Replicated entries that are not row changes of keyed tables, applied by the Applier: DDL (SQL
// text or a structured table operation), cluster-wide admin commands (resolvers, membership), and
// inserts into tables without a primary key.

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { failpoints } from '../../../config/failpoints.js';
import type { LogEntry, ReplTx } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { dropCaptureTriggers, isAlterTable } from '../../../storage/capture/capture.js';
import type { StorageEngine } from '../../../storage/engine/engine.js';
import { truncateCover, truncateKeyless } from '../../../storage/tables/keyless-rows.js';
import { recordShapeChange } from '../../../storage/tables/shape-changes.js';
import { applyTableOp, shapeChangesOf, type TableOp } from '../../../storage/tables/table-ops.js';
import type { CrdtColumns } from '../columns/crdt-columns.js';
import type { Resolvers } from '../columns/resolvers.js';
import type { RowBook } from '../rows/row-meta.js';
import { colPath, fromJson, type RowSql } from '../rows/row-sql.js';
import type { AdminCommand, MembershipSink } from './admin-commands.js';
import { peerRowsFor, settleUniqueIndex } from './ddl-rows.js';

export interface DdlContext {
  db: Database.Database;
  engine: StorageEngine;
  logger: Logger;
  resolvers: Resolvers | null;
  /** CRDT and delta columns (a replicated delta_column command changes them). */
  crdt: CrdtColumns | null;
  membership: MembershipSink | null;
  /** Conflict records and row metadata (the Applier). */
  rows: RowBook;
}

/**
 * A row of a table without a primary key: only inserts are captured for such tables (updates
 * and deletes are refused at the origin; TRUNCATE travels as a table operation). The row cannot
 * be identified, so there is nothing to compare: it is inserted as the origin wrote it (its origin
 * is noted by the capture trigger and written when the transaction is logged, storage/tables/keyless-rows.ts).
 * Returns false when the entry is not an insert (skipped).
 */
export function applyKeylessInsert(
  rows: RowSql,
  e: LogEntry,
  shape: { columns: Set<string> },
): bigint | null {
  if (e.op !== 'INSERT' || e.cols === null) return null;
  const cols = Object.keys(JSON.parse(e.cols) as object).filter((c) => shape.columns.has(c));
  const r = rows
    .stmt(`${e.tbl}|keyless-insert|${cols.join(',')}`, () => {
      const values = cols.map((c) => fromJson(':cols', colPath(c))).join(', ');
      return `INSERT INTO ${quoteIdent(e.tbl)} (${cols.map(quoteIdent).join(', ')}) VALUES (${values})`;
    })
    .run({ cols: e.cols });
  return BigInt(r.lastInsertRowid);
}

/** Replicated admin commands (resolver registrations and bindings) travel as DDL entries. */
function applyAdminCommand(ctx: DdlContext, cmd: AdminCommand, tx: ReplTx): void {
  try {
    if (
      cmd.kind === 'add_master' ||
      cmd.kind === 'remove_master' ||
      cmd.kind === 'set_read_only' ||
      cmd.kind === 'canonical_partition'
    ) {
      if (!ctx.membership) throw new Error('membership changes need multi-primary replication');
      ctx.membership.apply(cmd);
      return;
    }
    if (cmd.kind === 'delta_column') {
      if (!ctx.crdt) throw new Error('delta columns are not available on this node');
      ctx.crdt.setDelta(cmd.table, cmd.column, cmd.delta);
      return;
    }
    if (!ctx.resolvers) throw new Error('resolvers are not available on this node');
    if (cmd.kind === 'register_resolver') ctx.resolvers.register(cmd.name, cmd.language, cmd.definition);
    else if (cmd.kind === 'bind_resolver') ctx.resolvers.bind(cmd.table, cmd.resolver);
  } catch (err) {
    ctx.logger.warn({ err, cmd, origin: tx.origin, seq: tx.seq }, 'replicated admin command skipped');
  }
}

/**
 * One DDL entry: an admin command, a table operation, or SQL text run as the origin ran it. True
 * when it may have changed the schema or what caches hold (a keyless TRUNCATE does not: the apply
 * may still pause after it, and a large transaction that begins with one — pgbench -i's — is
 * applied in slices like any other).
 */
export function applyDdlEntry(ctx: DdlContext, e: LogEntry, tx: ReplTx): boolean {
  const parsed = JSON.parse(e.cols ?? '{}') as { sql?: string; admin?: AdminCommand; tableOp?: TableOp };
  if (parsed.admin) {
    applyAdminCommand(ctx, parsed.admin, tx);
    return true;
  }
  const sql = parsed.sql;
  if (!sql) return false;
  const { db, engine } = ctx;
  db.exec('SAVEPOINT chorus_apply_ddl');
  try {
    if (parsed.tableOp?.kind === 'truncate') {
      // The rows the origin had seen go; rows inserted concurrently elsewhere stay (keyless-rows.ts).
      const seen = parsed.tableOp.seen;
      const cover = seen && !failpoints.truncateRemovesAll ? truncateCover(seen, tx.origin, tx.seq) : null;
      truncateKeyless(db, e.tbl, cover);
      engine.keylessTruncated(e.tbl);
    } else if (parsed.tableOp) {
      dropCaptureTriggers(db, e.tbl);
      const outcome = applyTableOp(db, e.tbl, parsed.tableOp, (table) =>
        peerRowsFor(db, table, tx, ctx.rows),
      );
      for (const s of shapeChangesOf(e.tbl, parsed.tableOp))
        recordShapeChange(db, s.table, tx.origin, tx.seq, s.change);
      for (const s of outcome?.skipped ?? []) {
        // Concurrent DDL (only without the cluster DDL lock): the edit no longer fits here.
        ddlConflict(ctx, e, tx, `${s.edit.kind} skipped: ${s.reason}`);
      }
    } else {
      if (isAlterTable(sql) && e.tbl) dropCaptureTriggers(db, e.tbl);
      // Rows written here concurrently that the new unique index would refuse (ddl-rows.ts).
      settleUniqueIndex(db, sql, tx, ctx.rows);
      db.exec(sql);
    }
    const created = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(e.tbl);
    if (created && /^\s*create\s+table/i.test(sql)) engine.registerTable(e.tbl, false);
    engine.syncSchema();
    db.exec('RELEASE chorus_apply_ddl');
    return parsed.tableOp?.kind !== 'truncate';
  } catch (err) {
    // Concurrent DDL from two nodes (the table or column already exists, or is already gone):
    // the schema already has the intended shape; keep going.
    db.exec('ROLLBACK TO chorus_apply_ddl');
    db.exec('RELEASE chorus_apply_ddl');
    ddlConflict(ctx, e, tx, (err as Error).message);
    return false;
  }
}

/**
 * Replicated DDL that does not fit this node's schema (concurrent DDL: only possible without the
 * cluster DDL lock, ddl_locking = false) is skipped, and recorded where operators look.
 */
function ddlConflict(ctx: DdlContext, e: LogEntry, tx: ReplTx, reason: string): void {
  ctx.logger.warn({ table: e.tbl, reason, origin: tx.origin, seq: tx.seq }, 'replicated DDL skipped');
  const sql = (JSON.parse(e.cols ?? '{}') as { sql?: string }).sql ?? null;
  ctx.rows.recordConflict(
    e.tbl ?? '',
    '[]',
    ctx.rows.nodeId,
    tx,
    'ddl_conflict',
    null,
    JSON.stringify({ sql }),
    null,
    0,
    {
      strategy: 'skipped',
      status: 'pending',
      error: reason,
    },
  );
}
