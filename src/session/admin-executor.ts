// Runs queries over admin relations on a dedicated read-only connection in the main thread, where
// the JavaScript-backed relations (live node state) are registered as SQLite virtual tables.

import Database from 'better-sqlite3';
import { registerCatalogFunctions } from '../admin/catalog/catalog-functions.js';
import { withCatalogConnection } from '../admin/catalog/pg-catalog-snapshot.js';
import type { AdminRegistry, AdminValue } from '../admin/registry.js';
import { applyStorageMemory, type StorageMemory } from '../storage/memory-settings.js';
import { registerSqlFunctions } from '../storage/sql-functions.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import type { BindParams } from './read-protocol.js';
import type { ColumnInfo } from './result.js';
import { StatementCache } from './statement-cache.js';

function toSqlite(v: AdminValue): string | number | bigint | null {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return v;
}

export class AdminExecutor {
  private readonly db: Database.Database;
  private readonly cache: StatementCache;

  constructor(dbPath: string, registry: AdminRegistry, memory?: StorageMemory) {
    this.db = new Database(dbPath, { readonly: true, fileMustExist: true });
    applyStorageMemory(this.db, memory);
    this.db.defaultSafeIntegers(true);
    registerSqlFunctions(this.db, { inWriter: false, catalogFunctions: registerCatalogFunctions });
    for (const view of registry.views.values()) {
      if (view.kind !== 'js') continue;
      this.db.table(view.name, {
        columns: view.columns.map((c) => c.name),
        *rows() {
          for (const row of view.rows()) yield row.map(toSqlite);
        },
      });
    }
    for (const fn of registry.functions.values()) {
      if (fn.mutates) continue;
      this.db.table(`replicate.${fn.name}`, {
        columns: fn.columns.map((c) => c.name),
        parameters: fn.params.map((p) => `arg_${p.name}`),
        *rows(...args: unknown[]) {
          const result = fn.run(args as AdminValue[]);
          if (result instanceof Promise)
            throw new Error(`replicate.${fn.name} cannot be used inside a query`);
          for (const row of result) yield row.map(toSqlite);
        },
      });
    }
    this.cache = new StatementCache(this.db);
  }

  /**
   * `ownSchema`: the writer connection of a session whose open transaction changed the schema —
   * the catalog then shows that session its uncommitted DDL, as PostgreSQL's transactional
   * catalog does.
   */
  query(
    sql: string,
    params: BindParams,
    ownSchema?: Database.Database,
  ): { columns: ColumnInfo[]; rows: unknown[][] } {
    if (ownSchema) return withCatalogConnection(ownSchema, () => this.query(sql, params));
    try {
      const c = this.cache.get(sql);
      const rows = (c.reader ? c.stmt.all(params) : []) as unknown[][];
      return { columns: c.columns ?? [], rows };
    } catch (e) {
      throw toChorusError(e);
    }
  }

  describe(sql: string): ColumnInfo[] | null {
    try {
      return this.cache.get(sql).columns;
    } catch (e) {
      throw toChorusError(e);
    }
  }

  /** After DDL: cached statements may describe old columns. */
  invalidate(): void {
    this.cache.refreshSchema();
  }

  close(): void {
    this.db.close();
  }
}
