// Read-only SQLite connections lent to cursors: a cursor keeps one for its life, holding a read
// transaction (its snapshot) and a statement iterator, so FETCH reads on demand instead of the
// whole result being held in memory. Bounded node-wide; a few idle ones are kept for reuse.

import Database from 'better-sqlite3';
import { registerCatalogFunctions } from '../../admin/catalog/catalog-functions.js';
import { ChorusError } from '../../errors.js';
import { applyStorageMemory, type StorageMemory } from '../../storage/memory-settings.js';
import { registerSqlFunctions } from '../../storage/sql-functions.js';

/** Cursors reading from their own connection at once, node-wide (54000 past it). */
export const cursorConnectionsMax = 64;
/** Idle cursor connections kept open for the next cursor. */
export const cursorIdleConnectionsMax = 4;

export class CursorConnections {
  private readonly idle: Database.Database[] = [];
  private lent = 0;
  private closed = false;

  /** dbPath: the node's database file; null when it has none (in-memory), then no connection is lent. */
  constructor(
    private readonly dbPath: string | null,
    private readonly memory?: StorageMemory,
  ) {}

  get available(): boolean {
    return this.dbPath !== null && !this.closed;
  }

  /** A connection with an open read transaction (its snapshot starts now). */
  take(): Database.Database {
    if (!this.available) throw new ChorusError('57P01', 'node is shutting down');
    if (this.lent >= cursorConnectionsMax)
      throw new ChorusError('54000', `too many open cursors on this node (limit ${cursorConnectionsMax})`, {
        hint: 'Close cursors when done (CLOSE name), or declare them inside shorter transactions.',
      });
    let db = this.idle.pop();
    if (!db) {
      db = new Database(this.dbPath!, { readonly: true, fileMustExist: true });
      applyStorageMemory(db, this.memory);
      db.defaultSafeIntegers(true);
      registerSqlFunctions(db, { inWriter: false, catalogFunctions: registerCatalogFunctions });
    }
    this.lent++;
    try {
      db.exec('BEGIN');
      // The snapshot is taken at the first read, not at BEGIN.
      db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    } catch (e) {
      this.lent--;
      db.close();
      throw e;
    }
    return db;
  }

  give(db: Database.Database): void {
    this.lent--;
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } catch {
      db.close();
      return;
    }
    if (this.closed || this.idle.length >= cursorIdleConnectionsMax) db.close();
    else this.idle.push(db);
  }

  close(): void {
    this.closed = true;
    for (const db of this.idle.splice(0)) db.close();
  }
}
