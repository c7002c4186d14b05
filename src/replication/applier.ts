// Applies replicated transactions to the local database and keeps row/column versions for local
// ones. Concurrency is decided from each transaction's dependency vector: a local write the origin
// had not seen when it committed is concurrent with it. Columns resolve by last-write-wins on the
// HLC (node id breaks ties); deletes win over concurrent writes and leave tombstones. The outcome
// depends only on the set of transactions, never on their arrival order.

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { formatHlc } from '../clock/hlc.js';
import type { LogEntry, ReplTx, Vector } from '../log/records.js';
import { quoteIdent } from '../sql/lexer.js';
import { jsonValue, tableShape } from '../storage/capture.js';
import type { StorageEngine } from '../storage/engine.js';

interface RowMeta {
  vv: Vector;
  dels: Vector;
  deleted: boolean;
}

interface ColMeta {
  hlc: string;
  origin: string;
  seq: number;
}

export type ConflictType = 'write_conflict' | 'delete_conflict' | 'unique_conflict' | 'constraint_conflict';

export interface ApplyStats {
  txs: number;
  rowChanges: number;
  conflicts: number;
  skipped: number;
}

/** SQL reading JSON value at `path` of parameter `param` back into a SQLite value (BLOBs decoded). */
function fromJson(param: string, path: string): string {
  const p = `'${path.replaceAll("'", "''")}'`;
  return `CASE WHEN json_type(${param}, ${p}) = 'object' THEN unhex(json_extract(${param}, ${p} || '."$b"')) ELSE json_extract(${param}, ${p}) END`;
}

function colPath(col: string): string {
  return `$."${col}"`;
}

export class Applier {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly cache = new Map<string, Database.Statement>();
  private readonly shapes = new Map<string, { columns: Set<string>; primaryKey: string[] } | null>();
  readonly stats: ApplyStats = { txs: 0, rowChanges: 0, conflicts: 0, skipped: 0 };

  constructor(
    private readonly engine: StorageEngine,
    private readonly logger: Logger,
    private readonly onSchemaChange: () => void,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.db = engine.writer;
    const prep = (sql: string): Database.Statement => {
      const s = this.db.prepare(sql);
      s.safeIntegers(false);
      return s;
    };
    this.stmts = {
      getMeta: prep('SELECT vv, dels, deleted FROM _chorus_rowmeta WHERE tbl = ? AND pk = ?'),
      putMeta: prep(
        'INSERT INTO _chorus_rowmeta (tbl, pk, vv, dels, deleted) VALUES (?, ?, ?, ?, ?) ON CONFLICT (tbl, pk) DO UPDATE SET vv = excluded.vv, dels = excluded.dels, deleted = excluded.deleted',
      ),
      getCols: prep('SELECT col, hlc, origin, seq FROM _chorus_colmeta WHERE tbl = ? AND pk = ?'),
      putCol: prep(
        'INSERT INTO _chorus_colmeta (tbl, pk, col, hlc, origin, seq) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tbl, pk, col) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin, seq = excluded.seq',
      ),
      delCols: prep('DELETE FROM _chorus_colmeta WHERE tbl = ? AND pk = ?'),
      entriesOf: prep('SELECT tbl, op, pk, cols FROM _chorus_log WHERE txid = ? ORDER BY lsn'),
      insertConflict: prep(
        `INSERT INTO _chorus_conflicts (table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value,
          master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, origin_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'last_write_wins', ?, ?, ?)`,
      ),
    };
  }

  /** Forget cached table shapes and statements (after DDL). */
  invalidate(): void {
    this.cache.clear();
    this.shapes.clear();
  }

  private shape(tbl: string): { columns: Set<string>; primaryKey: string[] } | null {
    if (!this.shapes.has(tbl)) {
      const exists = this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .get(tbl);
      if (!exists || this.engine.isLocalOnly(tbl)) this.shapes.set(tbl, null);
      else {
        const s = tableShape(this.db, tbl);
        this.shapes.set(
          tbl,
          s.primaryKey.length > 0 ? { columns: new Set(s.columns), primaryKey: s.primaryKey } : null,
        );
      }
    }
    return this.shapes.get(tbl) ?? null;
  }

  private stmt(key: string, build: () => string): Database.Statement {
    let s = this.cache.get(key);
    if (!s) {
      s = this.db.prepare(build());
      s.safeIntegers(true);
      this.cache.set(key, s);
    }
    return s;
  }

  private pkWhere(pkCols: string[]): string {
    return pkCols.map((c, i) => `${quoteIdent(c)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ');
  }

  private loadMeta(tbl: string, pk: string): RowMeta {
    const r = this.stmts.getMeta.get(tbl, pk) as { vv: string; dels: string; deleted: number } | undefined;
    return r
      ? { vv: JSON.parse(r.vv) as Vector, dels: JSON.parse(r.dels) as Vector, deleted: r.deleted === 1 }
      : { vv: {}, dels: {}, deleted: false };
  }

  private saveMeta(tbl: string, pk: string, m: RowMeta): void {
    this.stmts.putMeta.run(tbl, pk, JSON.stringify(m.vv), JSON.stringify(m.dels), m.deleted ? 1 : 0);
  }

  /** Keep versions for a local transaction (called inside it, before COMMIT). */
  recordLocal(txid: number, origin: string, seq: number, hlc: string): void {
    for (const e of this.stmts.entriesOf.all(txid) as LogEntry[]) {
      if (e.op === 'DDL' || e.pk === null) continue;
      const m = this.loadMeta(e.tbl, e.pk);
      m.vv[origin] = seq;
      if (e.op === 'DELETE') {
        m.dels[origin] = seq;
        m.deleted = true;
        this.stmts.delCols.run(e.tbl, e.pk);
      } else {
        m.deleted = false;
        for (const col of Object.keys(JSON.parse(e.cols ?? '{}') as object)) {
          this.stmts.putCol.run(e.tbl, e.pk, col, hlc, origin, seq);
        }
      }
      this.saveMeta(e.tbl, e.pk, m);
    }
  }

  /** Apply one replicated transaction inside the engine's open apply transaction, then log it. */
  apply(tx: ReplTx): void {
    const seen: Vector = { ...tx.deps, [tx.origin]: tx.seq };
    // Last-write-wins compares order keys (HLC text by default; see timestamp_source).
    const hlc = tx.orderKey || formatHlc({ wallMs: tx.hlcWall, logical: tx.hlcLogical, nodeId: tx.origin });
    let schemaChanged = false;
    for (const e of tx.entries) {
      if (e.op === 'DDL') {
        this.applyDdl(e, tx);
        schemaChanged = true;
        continue;
      }
      if (e.pk === null) continue;
      const shape = this.shape(e.tbl);
      if (!shape) {
        this.stats.skipped++;
        continue;
      }
      this.stats.rowChanges++;
      this.db.exec('SAVEPOINT chorus_apply_row');
      try {
        this.applyRow(e, shape, tx, seen, hlc);
        this.db.exec('RELEASE chorus_apply_row');
      } catch (err) {
        this.db.exec('ROLLBACK TO chorus_apply_row');
        this.db.exec('RELEASE chorus_apply_row');
        const code = (err as { code?: string }).code ?? '';
        const type: ConflictType =
          code === 'SQLITE_CONSTRAINT_UNIQUE' ? 'unique_conflict' : 'constraint_conflict';
        this.logger.warn(
          { err, table: e.tbl, pk: e.pk, origin: tx.origin, seq: tx.seq },
          'replicated change refused by a constraint',
        );
        this.recordConflict(e.tbl, e.pk, this.engine.nodeId, tx, type, null, e.cols, null, 0);
        const m = this.loadMeta(e.tbl, e.pk);
        m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
        this.saveMeta(e.tbl, e.pk, m);
      }
    }
    this.engine.recordRemote(tx);
    this.stats.txs++;
    if (schemaChanged) {
      this.invalidate();
      this.onSchemaChange();
    }
  }

  private applyDdl(e: LogEntry, tx: ReplTx): void {
    const sql = (JSON.parse(e.cols ?? '{}') as { sql?: string }).sql;
    if (!sql) return;
    this.db.exec('SAVEPOINT chorus_apply_ddl');
    try {
      this.db.exec(sql);
      const created = this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .get(e.tbl);
      if (created && /^\s*create\s+table/i.test(sql)) this.engine.registerTable(e.tbl, false);
      this.engine.syncSchema();
      this.db.exec('RELEASE chorus_apply_ddl');
    } catch (err) {
      // Concurrent DDL from two nodes (the table or column already exists, or is already gone):
      // the schema already has the intended shape; keep going.
      this.db.exec('ROLLBACK TO chorus_apply_ddl');
      this.db.exec('RELEASE chorus_apply_ddl');
      this.logger.warn({ err, sql, origin: tx.origin, seq: tx.seq }, 'replicated DDL skipped');
    }
    this.invalidate();
  }

  private applyRow(
    e: LogEntry,
    shape: { columns: Set<string>; primaryKey: string[] },
    tx: ReplTx,
    seen: Vector,
    hlc: string,
  ): void {
    const t0 = performance.now();
    const tbl = e.tbl;
    const pk = e.pk!;
    const m = this.loadMeta(tbl, pk);
    const concurrentWith = (v: Vector): boolean => Object.entries(v).some(([o, s]) => s > (seen[o] ?? 0));
    const where = this.pkWhere(shape.primaryKey);
    const exists =
      this.stmt(`${tbl}|exists`, () => `SELECT 1 FROM ${quoteIdent(tbl)} WHERE ${where}`).get({ pk }) !==
      undefined;

    if (e.op === 'DELETE') {
      if (exists) {
        if (concurrentWith(m.vv)) {
          const local = this.rowJson(tbl, shape, pk);
          this.recordConflict(
            tbl,
            pk,
            this.lastWriter(m, seen),
            tx,
            'delete_conflict',
            local,
            null,
            null,
            performance.now() - t0,
          );
        }
        this.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk });
      }
      m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
      m.dels[tx.origin] = Math.max(m.dels[tx.origin] ?? 0, tx.seq);
      m.deleted = true;
      this.stmts.delCols.run(tbl, pk);
      this.saveMeta(tbl, pk, m);
      return;
    }

    m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
    if (concurrentWith(m.dels)) {
      // A delete this transaction had not seen wins over it: the row stays deleted everywhere.
      this.recordConflict(
        tbl,
        pk,
        this.lastDeleter(m, seen),
        tx,
        'delete_conflict',
        null,
        e.cols,
        null,
        performance.now() - t0,
      );
      this.saveMeta(tbl, pk, m);
      return;
    }
    const cols = Object.keys(JSON.parse(e.cols ?? '{}') as object).filter((c) => shape.columns.has(c));
    if (!exists) {
      if (e.op === 'INSERT') {
        const key = `${tbl}|insert|${cols.join(',')}`;
        this.stmt(key, () => {
          const names = cols.map(quoteIdent).join(', ');
          const values = cols.map((c) => fromJson(':cols', colPath(c))).join(', ');
          return `INSERT INTO ${quoteIdent(tbl)} (${names}) VALUES (${values})`;
        }).run({ cols: e.cols });
        this.stmts.delCols.run(tbl, pk);
        for (const c of cols) this.stmts.putCol.run(tbl, pk, c, hlc, tx.origin, tx.seq);
        m.deleted = false;
      } else {
        // An update of a row this node does not have (removed by a change that won): nothing to do.
        this.stats.skipped++;
      }
      this.saveMeta(tbl, pk, m);
      return;
    }
    const colMeta = new Map<string, ColMeta>();
    for (const r of this.stmts.getCols.all(tbl, pk) as (ColMeta & { col: string })[]) colMeta.set(r.col, r);
    const win: string[] = [];
    const conflicting: string[] = [];
    let localWriter = '';
    for (const c of cols) {
      const cm = colMeta.get(c);
      if (cm && cm.seq > (seen[cm.origin] ?? 0)) {
        conflicting.push(c);
        localWriter ||= cm.origin;
        if (hlc > cm.hlc) win.push(c);
      } else win.push(c);
    }
    const before = conflicting.length > 0 ? this.rowJson(tbl, shape, pk, conflicting) : null;
    if (win.length > 0) {
      const key = `${tbl}|update|${win.join(',')}`;
      this.stmt(key, () => {
        const sets = win.map((c) => `${quoteIdent(c)} = ${fromJson(':cols', colPath(c))}`).join(', ');
        return `UPDATE ${quoteIdent(tbl)} SET ${sets} WHERE ${where}`;
      }).run({ cols: e.cols, pk });
      for (const c of win) this.stmts.putCol.run(tbl, pk, c, hlc, tx.origin, tx.seq);
    }
    m.deleted = false;
    this.saveMeta(tbl, pk, m);
    if (conflicting.length > 0) {
      const remote = this.subset(e.cols!, conflicting);
      const resolved = this.rowJson(tbl, shape, pk, conflicting);
      this.recordConflict(
        tbl,
        pk,
        localWriter,
        tx,
        'write_conflict',
        before,
        remote,
        resolved,
        performance.now() - t0,
      );
    }
  }

  private lastWriter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.vv).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.engine.nodeId;
  }

  private lastDeleter(m: RowMeta, seen: Vector): string {
    return Object.entries(m.dels).find(([o, s]) => s > (seen[o] ?? 0))?.[0] ?? this.engine.nodeId;
  }

  /** JSON text of a row's columns (all, or the named ones), BLOBs as {"$b": hex}. */
  private rowJson(
    tbl: string,
    shape: { columns: Set<string>; primaryKey: string[] },
    pk: string,
    only?: string[],
  ): string | null {
    const cols = only ?? [...shape.columns];
    const key = `${tbl}|json|${cols.join(',')}`;
    const row = this.stmt(key, () => {
      const pairs = cols.map((c) => `'${c.replaceAll("'", "''")}', ${jsonValue(quoteIdent(c))}`).join(', ');
      return `SELECT json_object(${pairs}) AS j FROM ${quoteIdent(tbl)} WHERE ${this.pkWhere(shape.primaryKey)}`;
    }).get({ pk }) as { j: string } | undefined;
    return row?.j ?? null;
  }

  private subset(colsJson: string, keys: string[]): string {
    const key = `subset|${keys.join(',')}`;
    const row = this.stmt(key, () => {
      const pairs = keys.map(
        (c) => `'${c.replaceAll("'", "''")}', json_extract(:cols, '${colPath(c).replaceAll("'", "''")}')`,
      );
      return `SELECT json_object(${pairs.join(', ')}) AS j`;
    }).get({ cols: colsJson }) as { j: string };
    return row.j;
  }

  private recordConflict(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: ConflictType,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
  ): void {
    this.stats.conflicts++;
    this.stmts.insertConflict.run(
      tbl,
      pk,
      localOrigin,
      tx.origin,
      type,
      localValue,
      remoteValue,
      resolved,
      new Date(this.nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
      latencyMs,
      tx.seq,
    );
  }
}
