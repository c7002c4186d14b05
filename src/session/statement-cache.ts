// A bounded LRU of compiled SQLite statements per connection, keyed by statement text.

import type Database from 'better-sqlite3';
import { statementCacheEntriesMax } from '../limits.js';

export class StatementCache {
  private readonly map = new Map<string, Database.Statement>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly capacity = statementCacheEntriesMax,
  ) {}

  get(sql: string): Database.Statement {
    const found = this.map.get(sql);
    if (found) {
      this.hits++;
      // Refresh recency only occasionally-cheap: delete + set moves it to the end.
      this.map.delete(sql);
      this.map.set(sql, found);
      return found;
    }
    this.misses++;
    const stmt = this.db.prepare(sql);
    stmt.safeIntegers(true);
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(sql, stmt);
    return stmt;
  }

  clear(): void {
    this.map.clear();
  }
}
