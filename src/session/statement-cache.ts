// A bounded LRU of compiled SQLite statements per connection, keyed by statement text, with each
// statement's result columns computed once. Cleared after DDL so cached columns never go stale.

import type Database from 'better-sqlite3';
import { statementCacheEntriesMax } from '../limits.js';
import type { ColumnInfo } from './result.js';

export interface CachedStatement {
  stmt: Database.Statement;
  /** Whether it returns rows (then it is in raw mode: rows come back as arrays). */
  reader: boolean;
  readonly: boolean;
  /** Result columns, or null for statements that return no rows. */
  columns: ColumnInfo[] | null;
}

export class StatementCache {
  private readonly map = new Map<string, CachedStatement>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly capacity = statementCacheEntriesMax,
  ) {}

  get(sql: string): CachedStatement {
    const found = this.map.get(sql);
    if (found) {
      this.hits++;
      this.map.delete(sql);
      this.map.set(sql, found);
      return found;
    }
    this.misses++;
    const stmt = this.db.prepare(sql);
    stmt.safeIntegers(true);
    const reader = stmt.reader;
    if (reader) stmt.raw(true);
    const entry: CachedStatement = {
      stmt,
      reader,
      readonly: stmt.readonly,
      columns: reader
        ? stmt.columns().map((c) => ({ name: c.name, declType: c.type, table: c.table }))
        : null,
    };
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(sql, entry);
    return entry;
  }

  clear(): void {
    this.map.clear();
  }

  /**
   * After another connection changed the schema: drop compiled statements and make this connection
   * read the committed schema now (starting a read of sqlite_schema checks the schema cookie), so
   * the next prepare sees new columns.
   */
  refreshSchema(): void {
    this.map.clear();
    this.db.prepare('SELECT count(*) FROM sqlite_schema').get();
  }
}
