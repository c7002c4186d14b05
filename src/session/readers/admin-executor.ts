// Runs queries over admin relations on a dedicated read-only connection in the main thread, where
// the JavaScript-backed relations (live node state) are registered as SQLite virtual tables.

import Database from 'better-sqlite3';
import { registerCatalogFunctions } from '../../admin/catalog/catalog-functions.js';
import { withCatalogConnection } from '../../admin/catalog/pg-catalog-snapshot.js';
import type { AdminCallContext, AdminRegistry, AdminValue } from '../../admin/registry.js';
import { ChorusError } from '../../errors.js';
import { applyStorageMemory, type StorageMemory } from '../../storage/memory-settings.js';
import { registerSqlFunctions } from '../../storage/sql-functions.js';
import { toChorusError } from '../../storage/sqlite-errors.js';
import type { BindParams } from '../read-protocol.js';
import type { ColumnInfo } from '../result.js';
import { StatementCache } from '../statement-cache.js';

function toSqlite(v: AdminValue): string | number | bigint | null {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return v;
}

export class AdminExecutor {
  private readonly db: Database.Database;
  private readonly cache: StatementCache;
  /** The calling session while one of its queries runs (functions of the session's own state). */
  private ctx: AdminCallContext | undefined;

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
    const self = this;
    for (const fn of registry.functions.values()) {
      if (fn.mutates) continue;
      this.db.table(`replicate.${fn.name}`, {
        columns: fn.columns.map((c) => c.name),
        parameters: fn.params.map((p) => `arg_${p.name}`),
        *rows(...args: unknown[]) {
          const result = fn.run(args as AdminValue[], self.ctx);
          if (result instanceof Promise) {
            // Started but not awaited: its outcome is dropped (a wait that fails later is no error here).
            result.catch(() => undefined);
            throw new ChorusError('0A000', `replicate.${fn.name}() cannot be used inside a larger query`, {
              hint: `Call it on its own: SELECT replicate.${fn.name}(...).`,
            });
          }
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
    ctx?: AdminCallContext,
  ): { columns: ColumnInfo[]; rows: unknown[][] } {
    if (ownSchema) return withCatalogConnection(ownSchema, () => this.query(sql, params, undefined, ctx));
    // Statements run synchronously on this thread: the context is the caller's for exactly this run.
    this.ctx = ctx;
    try {
      const c = this.cache.get(sql);
      const rows = (c.reader ? c.stmt.all(params) : []) as unknown[][];
      return { columns: c.columns ?? [], rows };
    } catch (e) {
      throw toChorusError(e);
    } finally {
      this.ctx = undefined;
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
