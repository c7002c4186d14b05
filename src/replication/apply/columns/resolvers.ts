// Custom conflict resolvers: SQL expressions registered cluster-wide (replicate.register_resolver,
// replicated through the log) and JavaScript modules named in the config. A resolver receives the
// two versions of the row in a canonical order — `local` is the older write and `remote` the newer
// one by order key — so every node evaluates the same call. It must be deterministic and decide each
// conflicting column from that column's two values for the nodes to converge (other columns can hold
// different values on different nodes when each resolves); the divergence check reports rows where
// they did not.

import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Database from 'better-sqlite3';
import { ChorusError, ConfigError } from '../../../errors.js';
import { parseJsonExact, stringifyJsonExact } from './resolver-values.js';

/** Characters of a malformed resolver result quoted in the conflict's error. */
export const resolverResultQuoteCharsMax = 80;

export type ResolverFn = (
  local: Record<string, unknown>,
  remote: Record<string, unknown>,
  meta: ResolverMeta,
) => unknown;

export interface ResolverMeta {
  table: string;
  rowId: string;
  conflictType: string;
  columns: string[];
  localOrigin: string;
  remoteOrigin: string;
}

export type Resolution = { ok: true; row: Record<string, unknown> } | { ok: false; error: string };

export class Resolvers {
  private readonly js = new Map<string, ResolverFn>();
  private readonly stmts;
  private readonly sqlCache = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    /** [replication] conflict_resolution = "custom" with resolver_function: the default for every table. */
    private readonly defaultResolver: string | null,
    private readonly timeoutMs: number,
  ) {
    const prep = (sql: string): Database.Statement => {
      const s = db.prepare(sql);
      s.safeIntegers(false);
      return s;
    };
    this.stmts = {
      bound: prep('SELECT resolver FROM _chorus_table_resolvers WHERE tbl = ?'),
      bind: prep('INSERT OR REPLACE INTO _chorus_table_resolvers (tbl, resolver) VALUES (?, ?)'),
      unbind: prep('DELETE FROM _chorus_table_resolvers WHERE tbl = ?'),
      get: prep('SELECT language, definition FROM _chorus_resolvers WHERE name = ?'),
      put: prep('INSERT OR REPLACE INTO _chorus_resolvers (name, language, definition) VALUES (?, ?, ?)'),
      list: prep(
        `SELECT name, language, definition FROM _chorus_resolvers
         UNION ALL SELECT '(table) ' || tbl, 'binding', resolver FROM _chorus_table_resolvers`,
      ),
    };
  }

  /** Load the JavaScript resolvers named in the config. */
  async loadModules(specs: readonly { name: string; module: string; export: string }[]): Promise<void> {
    for (const spec of specs) {
      let mod: Record<string, unknown>;
      try {
        mod = (await import(pathToFileURL(resolvePath(spec.module)).href)) as Record<string, unknown>;
      } catch (e) {
        throw new ConfigError(
          `replication.resolvers: cannot load module ${spec.module}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      const fn = mod[spec.export];
      if (typeof fn !== 'function') {
        throw new ConfigError(
          `replication.resolvers: ${spec.module} has no function export "${spec.export}"`,
        );
      }
      this.js.set(spec.name, fn as ResolverFn);
    }
  }

  /** Validate and store a SQL resolver (done on every node: the registration is replicated). */
  register(name: string, language: string, definition: string): void {
    if (language !== 'sql') {
      throw new ChorusError('0A000', `resolver language "${language}" cannot be registered with SQL`, {
        hint: 'JavaScript resolvers are modules named in [[replication.resolvers]] of the config.',
      });
    }
    this.compileSql(name, definition);
    this.stmts.put.run(name, language, definition);
  }

  bind(table: string, resolver: string | null): void {
    if (resolver === null) this.stmts.unbind.run(table);
    else this.stmts.bind.run(table, resolver);
  }

  exists(name: string): boolean {
    return this.js.has(name) || this.stmts.get.get(name) !== undefined;
  }

  /** The resolver that settles conflicts on this table, if any. */
  forTable(table: string): string | null {
    const r = this.stmts.bound.get(table) as { resolver: string } | undefined;
    return r?.resolver ?? this.defaultResolver;
  }

  list(): { name: string; language: string; definition: string }[] {
    return this.stmts.list.all() as { name: string; language: string; definition: string }[];
  }

  private compileSql(name: string, definition: string): Database.Statement {
    let s = this.sqlCache.get(name);
    if (!s) {
      try {
        s = this.db.prepare(
          `SELECT (${definition}) AS r FROM (SELECT json(:local) AS local, json(:remote) AS remote, :conflict_type AS conflict_type,
             json(:local) AS local_value, json(:remote) AS remote_value)`,
        );
      } catch (e) {
        throw new ChorusError(
          '42601',
          `resolver "${name}" is not a valid SQL expression over local and remote: ${(e as Error).message}`,
        );
      }
      s.safeIntegers(false);
      this.sqlCache.set(name, s);
    }
    return s;
  }

  /**
   * Run a resolver; any failure (unknown, throws, too slow, malformed result) is reported, never thrown.
   * `texts` are the rows' JSON texts as SQLite wrote them, given to a SQL resolver as they are (else
   * the rows are written exactly: integers beyond 2^53, -0 and ±Infinity kept). A SQL resolver's
   * result is read exactly too (resolver-values.ts).
   */
  resolve(
    name: string,
    local: Record<string, unknown>,
    remote: Record<string, unknown>,
    meta: ResolverMeta,
    texts?: { local: string; remote: string },
  ): Resolution {
    const t0 = performance.now();
    let out: unknown;
    try {
      const fn = this.js.get(name);
      if (fn) out = fn(structuredClone(local), structuredClone(remote), meta);
      else {
        const def = this.stmts.get.get(name) as { language: string; definition: string } | undefined;
        if (!def) return { ok: false, error: `resolver "${name}" is not registered on this node` };
        const r = this.compileSql(name, def.definition).get({
          local: texts?.local ?? stringifyJsonExact(local),
          remote: texts?.remote ?? stringifyJsonExact(remote),
          conflict_type: meta.conflictType,
        }) as { r: unknown };
        out = typeof r.r === 'string' ? parseJsonExact(r.r) : r.r;
      }
    } catch (e) {
      return { ok: false, error: `resolver "${name}" failed: ${(e as Error).message}` };
    }
    const ms = performance.now() - t0;
    if (ms > this.timeoutMs)
      return { ok: false, error: `resolver "${name}" took ${ms.toFixed(0)} ms (limit ${this.timeoutMs} ms)` };
    if (out === null || typeof out !== 'object' || Array.isArray(out)) {
      let shown: string;
      try {
        shown = stringifyJsonExact(out);
      } catch {
        shown = String(out);
      }
      return {
        ok: false,
        error: `resolver "${name}" returned ${shown.slice(0, resolverResultQuoteCharsMax)}, not a row object`,
      };
    }
    return { ok: true, row: out as Record<string, unknown> };
  }
}
