// One session's temporary tables and views: SQLite objects in the writer connection's temp schema
// named "pg_temp_<session id>.<name>" (never in the database file: never captured, logged,
// replicated or in snapshots). Knows which exist (re-read from SQLite after temp DDL and when a
// transaction that ran some ends, since SQLite rolls temp DDL back with its transaction), their
// ON COMMIT actions, and describes them to the front end through a catalog over the temp schema.

import type Database from 'better-sqlite3';
import type { AdminRegistry } from '../../admin/registry.js';
import type { CatalogRelation } from '../../sql/analyze/context.js';
import { quoteIdent } from '../../sql/lexer.js';
import type { WriterLock } from '../../storage/engine/writer-lock.js';
import type { ForeignKey } from '../constraint-errors.js';
import { SchemaCatalog } from '../planning/catalog.js';

export type TempKind = 'table' | 'view';

/** A temporary relation as the catalog shows it (pg_class: relpersistence 't', namespace pg_temp_N). */
export interface TempRelationInfo {
  /** The session's temp schema, pg_temp_<session id>. */
  schema: string;
  /** The PostgreSQL name. */
  name: string;
  /** The SQLite name (in SQLite's temp schema of the writer connection). */
  storedName: string;
  kind: TempKind;
  onCommit: 'preserve' | 'delete' | 'drop';
}

export class TempObjects {
  /** pg_temp_<session id>: the schema PostgreSQL would show these objects in. */
  readonly schema: string;
  private readonly prefix: string;
  private relations = new Map<string, TempKind>();
  private readonly onCommit = new Map<string, 'delete' | 'drop'>();
  private readonly catalog: SchemaCatalog;
  /** Changes whenever the set of objects (or their shape) may have changed. */
  generation = 0;
  /** The open transaction ran temp DDL: re-read when it ends (a rollback undoes it). */
  private dirty = false;

  constructor(
    private readonly db: Database.Database,
    registry: AdminRegistry,
    sessionId: number,
  ) {
    this.schema = `pg_temp_${sessionId}`;
    this.prefix = `${this.schema}.`;
    this.catalog = new SchemaCatalog(db, registry, { temp: true });
  }

  /** The session has temporary objects (its statements are then planned by its own planner). */
  get active(): boolean {
    return this.relations.size > 0;
  }

  storedName(name: string): string {
    return this.prefix + name;
  }

  /** Is this SQLite name one of this session's temporary objects? */
  isStored(stored: string): boolean {
    return stored.startsWith(this.prefix);
  }

  kindOf(name: string): TempKind | undefined {
    return this.relations.get(name);
  }

  /** A temporary relation by its PostgreSQL name. */
  relation(name: string): CatalogRelation | undefined {
    return this.relations.has(name) ? this.catalog.relation(null, this.prefix + name) : undefined;
  }

  /** A temporary relation by its SQLite name. */
  storedRelation(stored: string): CatalogRelation | undefined {
    return this.isStored(stored) ? this.relation(stored.slice(this.prefix.length)) : undefined;
  }

  foreignKeys(stored: string): ForeignKey[] {
    return this.catalog.foreignKeys(stored);
  }

  referencing(stored: string): ForeignKey[] {
    return this.catalog.referencing(stored).filter((fk) => this.isStored(fk.table));
  }

  /** Temp DDL ran: re-read now, and again when the transaction ends. */
  changed(): void {
    this.dirty = true;
    this.refresh();
  }

  /** The transaction ended (or rolled back to a savepoint): SQLite may have undone temp DDL. */
  transactionEnded(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.refresh();
  }

  /** ROLLBACK TO SAVEPOINT: temp DDL after the savepoint is undone. */
  rolledBack(): void {
    if (this.dirty) this.refresh();
  }

  /** Re-read the session's objects from SQLite's temp schema. */
  refresh(): void {
    const rows = this.db
      .prepare(
        "SELECT type, name FROM sqlite_temp_schema WHERE type IN ('table', 'view') AND substr(name, 1, ?) = ?",
      )
      .all(this.prefix.length, this.prefix) as { type: TempKind; name: string }[];
    this.relations = new Map(rows.map((r) => [r.name.slice(this.prefix.length), r.type]));
    for (const name of [...this.onCommit.keys()]) if (!this.relations.has(name)) this.onCommit.delete(name);
    this.catalog.invalidate();
    this.generation++;
  }

  setOnCommit(name: string, action: 'delete' | 'drop' | undefined): void {
    if (action) this.onCommit.set(name, action);
    else this.onCommit.delete(name);
  }

  /** Some table has ON COMMIT DELETE ROWS / DROP (its session's commits must run them). */
  get hasOnCommit(): boolean {
    return this.onCommit.size > 0;
  }

  /** ON COMMIT DELETE ROWS / DROP, run inside the committing transaction just before COMMIT. */
  beforeCommit(): void {
    if (this.onCommit.size === 0) return;
    let dropped = false;
    for (const [name, action] of this.onCommit) {
      if (!this.relations.has(name)) continue;
      const target = `temp.${quoteIdent(this.prefix + name)}`;
      if (action === 'delete') this.db.exec(`DELETE FROM ${target}`);
      else {
        this.db.exec(`DROP TABLE ${target}`);
        dropped = true;
      }
    }
    if (dropped) this.refresh();
  }

  /** Statements that drop every temporary object of the session (views first). */
  dropAllSql(): string[] {
    const rows = this.db
      .prepare(
        "SELECT type, name FROM sqlite_temp_schema WHERE type IN ('table', 'view') AND substr(name, 1, ?) = ? ORDER BY type = 'table'",
      )
      .all(this.prefix.length, this.prefix) as { type: TempKind; name: string }[];
    return rows.map(
      (r) => `DROP ${r.type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS temp.${quoteIdent(r.name)}`,
    );
  }

  /** The session's temporary relations, for the catalog (pg_class, information_schema). */
  list(): TempRelationInfo[] {
    return [...this.relations].map(([name, kind]) => ({
      schema: this.schema,
      name,
      storedName: this.prefix + name,
      kind,
      onCommit: this.onCommit.get(name) ?? 'preserve',
    }));
  }
}

/** Tries to take the writer at session end before the temporary objects are left to node restart. */
const closeDropAttemptsMax = 5;

/**
 * The session ended: its temporary objects are dropped once the writer is free (the connection
 * is shared; a drop inside another session's transaction would roll back with it). If the writer
 * stays busy past every attempt, or the node is closing, they go when the connection closes.
 */
export async function dropTempAtClose(
  host: { writerLock: WriterLock; engine: { writer: Database.Database } },
  temp: TempObjects,
): Promise<void> {
  const owner = {};
  for (let attempt = 0; attempt < closeDropAttemptsMax; attempt++) {
    try {
      const wait = host.writerLock.acquire(owner);
      if (wait) await wait;
    } catch {
      continue; // writer_lock_timeout_ms passed: try again
    }
    try {
      const db = host.engine.writer;
      if (db.open && !db.inTransaction) for (const sql of temp.dropAllSql()) db.exec(sql);
    } catch {
      // the node is closing: its connection, and the temp schema with it, goes
    } finally {
      host.writerLock.release(owner);
    }
    return;
  }
}
