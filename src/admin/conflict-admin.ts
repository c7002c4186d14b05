// Conflict management SQL: custom resolvers (replicate.register_resolver, ALTER TABLE ... SET
// REPLICATION CONFLICT_RESOLVER = 'name', replicate.resolvers) and manual resolution
// (replicate.override_conflict_resolution, replicate.manual_crdt_merge,
// replicate.resolve_pending_conflicts). Every change is a replicated write: overrides reach every
// node as a newer write, registrations as admin commands in the log.

import type { Config } from '../config/load.js';
import { parseCrdtType } from '../crdt/crdt.js';
import {
  ChorusError,
  FeatureNotSupportedError,
  InvalidParameterValueError,
  UndefinedFunctionError,
} from '../errors.js';
import type { CrdtColumns } from '../replication/apply/columns/crdt-columns.js';
import {
  bindable,
  parseJsonExact,
  resolvedStorageValue,
} from '../replication/apply/columns/resolver-values.js';
import type { Resolvers } from '../replication/apply/columns/resolvers.js';
import type { Classified } from '../sql/classify.js';
import { isKeyword, quoteIdent } from '../sql/lexer.js';
import { typeOfDeclared } from '../sql/types/declared-types.js';
import type { TypeRef } from '../sql/types/pg-types.js';
import { inputValue } from '../sql/types/values.js';
import { tableShape } from '../storage/capture/capture.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import type { AdminRegistry, AdminValue } from './registry.js';

/** Pending conflicts settled by one resolve_pending_conflicts call at most. */
export const pendingBatchMax = 10_000;

export interface ConflictAdminContext {
  engine: StorageEngine;
  resolvers: Resolvers | null;
  /** CRDT and delta columns (null outside replicated modes). */
  crdt: CrdtColumns | null;
  /** Run fn inside a write transaction that holds the writer and is replicated when it commits. */
  adminWrite<T>(fn: () => T): Promise<T>;
  nowIso(): string;
  /** Compare digests of rows with peers (null outside multi-primary). */
  checkDivergence:
    | ((rows: { table: string; rowId: string }[]) => Promise<{
        reports: { peer: string; table: string; rowId: string; localDigest: string; peerDigest: string }[];
        peersAsked: number;
        peersAnswered: number;
      }>)
    | null;
}

interface ConflictRow {
  conflict_id: number;
  table_name: string;
  row_id: string;
  master_1_value: string | null;
  master_2_value: string | null;
  status: string;
  local_order_key: string | null;
  remote_order_key: string | null;
}

/** The statement the session hands to customDdl (session/prepare.ts's Prepared has these). */
export interface CustomDdlStatement {
  readonly text: string;
  readonly cls: Pick<Classified, 'kind' | 'table' | 'sig'>;
}

/** customDdl's result: the statement ran, with this command tag and no rows. */
export interface CustomDdlResult {
  tag: string;
  columns: null;
  rows: unknown[][];
  notices: never[];
}

/**
 * Parse `ALTER TABLE t [ALTER [COLUMN] c] SET REPLICATION CONFLICT_RESOLVER = 'name' | NULL |
 * DEFAULT`; `column` is set for the column form (whose only resolver is 'delta').
 */
export function parseSetResolver(
  p: CustomDdlStatement,
): { table: string; resolver: string | null; column?: string } | null {
  const sig = p.cls.sig;
  if (p.cls.kind !== 'alter_table' || p.cls.table === null) return null;
  const at = sig.findIndex((t, i) => isKeyword(t, 'SET') && isKeyword(sig[i + 1], 'REPLICATION'));
  if (at < 0) return null;
  if (!isKeyword(sig[at + 2], 'CONFLICT_RESOLVER') || sig[at + 3]?.text !== '=') {
    throw new ChorusError('42601', "expected ALTER TABLE ... SET REPLICATION CONFLICT_RESOLVER = 'name'");
  }
  const v = sig[at + 4];
  if (!v || sig.length !== at + 5)
    throw new ChorusError('42601', 'expected a resolver name after CONFLICT_RESOLVER =');
  // ALTER TABLE t ALTER [COLUMN] c SET REPLICATION ...: the column names the resolver's scope.
  const alter = sig.findIndex((t, i) => i > 1 && i < at && isKeyword(t, 'ALTER'));
  let column: string | undefined;
  if (alter >= 0) {
    const c = sig[alter + 1] && isKeyword(sig[alter + 1], 'COLUMN') ? alter + 2 : alter + 1;
    const name = sig[c];
    if (!name || c + 1 !== at || (name.kind !== 'ident' && name.kind !== 'qident'))
      throw new ChorusError(
        '42601',
        "expected ALTER TABLE ... ALTER COLUMN c SET REPLICATION CONFLICT_RESOLVER = 'delta'",
      );
    column = name.kind === 'qident' ? name.value : name.text.toLowerCase();
  }
  const scope = column === undefined ? {} : { column };
  if (isKeyword(v, 'NULL', 'DEFAULT', 'NONE')) return { table: p.cls.table, resolver: null, ...scope };
  if (v.kind !== 'string' && v.kind !== 'ident')
    throw new ChorusError('42601', 'the resolver name must be a string');
  return { table: p.cls.table, resolver: v.kind === 'string' ? v.value : v.text, ...scope };
}

export function registerConflictAdmin(
  registry: AdminRegistry,
  ctx: ConflictAdminContext,
): {
  customDdl(p: CustomDdlStatement): CustomDdlResult | null;
} {
  const db = ctx.engine.writer;
  const getConflict = db.prepare(
    `SELECT conflict_id, table_name, row_id, master_1_value, master_2_value, status, local_order_key, remote_order_key
       FROM _chorus_conflicts WHERE conflict_id = ?`,
  );
  getConflict.safeIntegers(false);
  const settle = db.prepare(
    `UPDATE _chorus_conflicts SET status = ?, resolved_value = ?, resolved_by = ?, resolved_at = ?, resolution_reason = ?
      WHERE conflict_id = ?`,
  );
  const pending = db.prepare(
    `SELECT conflict_id, table_name, row_id, master_1_value, master_2_value, status, local_order_key, remote_order_key
       FROM _chorus_conflicts WHERE status = 'pending' ORDER BY conflict_id LIMIT ?`,
  );
  pending.safeIntegers(false);

  const requireResolvers = (): Resolvers => {
    if (!ctx.resolvers) throw new FeatureNotSupportedError('conflict resolvers outside multi-primary mode');
    return ctx.resolvers;
  };

  const conflictOf = (id: AdminValue): ConflictRow => {
    const row = getConflict.get(Number(id)) as ConflictRow | undefined;
    if (!row) throw new InvalidParameterValueError(`conflict ${String(id)} does not exist on this node`);
    return row;
  };

  /**
   * UPDATE the conflicted row's columns (a normal, captured, replicated write). `logged`: the values
   * are a logged version of the row (storage forms, read exactly), not values a user typed.
   */
  const writeColumns = (
    table: string,
    rowId: string,
    values: Record<string, unknown>,
    logged = false,
  ): void => {
    const shape = tableShape(db, table);
    const cols = Object.keys(values).filter(
      (c) => shape.columns.includes(c) && !shape.primaryKey.includes(c),
    );
    if (cols.length === 0) throw new InvalidParameterValueError(`resolved_value names no column of ${table}`);
    const sets = cols.map((c) => `${quoteIdent(c)} = ?`).join(', ');
    const where = shape.primaryKey
      .map((c, i) => `${quoteIdent(c)} IS json_extract(?, '$[${i}]')`)
      .join(' AND ');
    const args = cols.map((c) => {
      const decl = shape.types.get(c);
      if (!logged) return overrideValue(values[c], typeOfDeclared(decl));
      // A logged value is already a storage form: checked and taken as it is (CRDT values untyped).
      return bindable(resolvedStorageValue(parseCrdtType(decl) ? null : typeOfDeclared(decl), values[c], c));
    });
    const info = db
      .prepare(`UPDATE ${quoteIdent(table)} SET ${sets} WHERE ${where}`)
      .run(...args, ...shape.primaryKey.map(() => rowId));
    if (info.changes === 0)
      throw new InvalidParameterValueError(`row ${rowId} of ${table} no longer exists on this node`);
  };

  /**
   * One column's override value in its storage form: a logged BLOB ({"$b": hex}) as it was, any
   * other value read by the column type's input function (as an INSERT would read it).
   */
  const overrideValue = (v: unknown, type: TypeRef | null): unknown => {
    if (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      typeof (v as { $b?: unknown }).$b === 'string'
    ) {
      return Buffer.from((v as { $b: string }).$b, 'hex');
    }
    if (type && v !== null && v !== undefined) {
      const text = typeof v === 'object' ? JSON.stringify(v) : typeof v === 'boolean' ? String(v) : String(v);
      return inputValue(type, text);
    }
    if (v !== null && typeof v === 'object') return JSON.stringify(v);
    return typeof v === 'boolean' ? (v ? 1 : 0) : v;
  };

  /** resolved_value as column values: a JSON object, or one value for the single conflicting column. */
  const asColumns = (c: ConflictRow, resolved: AdminValue): Record<string, unknown> => {
    let v: unknown = resolved;
    if (typeof resolved === 'string') {
      try {
        v = JSON.parse(resolved);
      } catch {
        v = resolved;
      }
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    const cols = Object.keys(JSON.parse(c.master_2_value ?? c.master_1_value ?? '{}') as object);
    if (cols.length !== 1) {
      throw new InvalidParameterValueError(
        'resolved_value must be a JSON object of column values: this conflict involves several columns',
      );
    }
    return { [cols[0]!]: v };
  };

  registry.addFunction({
    name: 'register_resolver',
    params: [{ name: 'name' }, { name: 'language', default: 'sql' }, { name: 'definition' }],
    columns: [{ name: 'status', type: 'text' }],
    mutates: true,
    run: async ([name, language, definition]) => {
      const r = requireResolvers();
      const cmd = {
        kind: 'register_resolver',
        name: String(name),
        language: String(language),
        definition: String(definition),
      };
      await ctx.adminWrite(() => {
        r.register(cmd.name, cmd.language, cmd.definition);
        ctx.engine.logAdmin('', `SELECT replicate.register_resolver(${JSON.stringify(cmd.name)})`, cmd);
      });
      return [['REGISTERED']];
    },
  });

  registry.addView({
    kind: 'js',
    name: 'replicate.resolvers',
    columns: [
      { name: 'name', type: 'text' },
      { name: 'language', type: 'text' },
      { name: 'definition', type: 'text' },
    ],
    rows: () => (ctx.resolvers?.list() ?? []).map((r) => [r.name, r.language, r.definition]),
  });

  registry.addFunction({
    name: 'override_conflict_resolution',
    params: [{ name: 'conflict_id' }, { name: 'resolved_value' }, { name: 'reason', default: null }],
    columns: [
      { name: 'conflict_id', type: 'int8' },
      { name: 'status', type: 'text' },
    ],
    mutates: true,
    run: async ([id, resolved, reason], call) => {
      const c = conflictOf(id);
      const values = asColumns(c, resolved);
      await ctx.adminWrite(() => {
        writeColumns(c.table_name, c.row_id, values);
        settle.run(
          'overridden',
          JSON.stringify(values),
          call?.user ?? null,
          ctx.nowIso(),
          reason === null ? null : String(reason),
          c.conflict_id,
        );
      });
      return [[c.conflict_id, 'overridden']];
    },
  });

  registry.addFunction({
    name: 'manual_crdt_merge',
    params: [
      { name: 'conflict_id' },
      { name: 'resolved_value' },
      { name: 'reason', default: null },
      { name: 'column_name', default: null },
    ],
    columns: [
      { name: 'conflict_id', type: 'int8' },
      { name: 'status', type: 'text' },
    ],
    mutates: true,
    run: async ([id, resolved, reason, columnName], call) => {
      const c = conflictOf(id);
      const shape = tableShape(db, c.table_name);
      const crdtCols = [...shape.types].filter(([, t]) => parseCrdtType(t) !== null).map(([col]) => col);
      const col =
        columnName === null ? (crdtCols.length === 1 ? crdtCols[0] : undefined) : String(columnName);
      if (!col || !crdtCols.includes(col)) {
        throw new InvalidParameterValueError(
          `name the CRDT column with column_name => (CRDT columns of ${c.table_name}: ${crdtCols.join(', ') || 'none'})`,
        );
      }
      const value = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
      await ctx.adminWrite(() => {
        writeColumns(c.table_name, c.row_id, {
          [col]: parseCrdtType(shape.types.get(col))?.kind === 'counter' ? Number(value) : value,
        });
        settle.run(
          'overridden',
          value,
          call?.user ?? null,
          ctx.nowIso(),
          reason === null ? null : String(reason),
          c.conflict_id,
        );
      });
      return [[c.conflict_id, 'merged']];
    },
  });

  registry.addFunction({
    name: 'resolve_pending_conflicts',
    params: [
      { name: 'strategy', default: 'last_write_wins' },
      { name: 'timeout_sec', default: 30 },
    ],
    columns: [
      { name: 'resolved', type: 'int8' },
      { name: 'remaining', type: 'int8' },
      { name: 'strategy', type: 'text' },
    ],
    mutates: true,
    run: async ([strategy, timeoutSec], call) => {
      const s = String(strategy);
      if (!['last_write_wins', 'keep_local', 'keep_remote'].includes(s)) {
        throw new UndefinedFunctionError(`unknown strategy "${s}"`, {
          hint: 'Use last_write_wins, keep_local or keep_remote.',
        });
      }
      const deadline = Date.now() + Number(timeoutSec) * 1000;
      let resolved = 0;
      for (const c of pending.all(pendingBatchMax) as ConflictRow[]) {
        if (Date.now() > deadline) break;
        const remoteWins =
          s === 'keep_remote' ||
          (s === 'last_write_wins' && (c.remote_order_key ?? '') > (c.local_order_key ?? ''));
        await ctx.adminWrite(() => {
          if (remoteWins && c.master_2_value)
            writeColumns(
              c.table_name,
              c.row_id,
              parseJsonExact(c.master_2_value) as Record<string, unknown>,
              true,
            );
          settle.run(
            'resolved',
            remoteWins ? c.master_2_value : c.master_1_value,
            call?.user ?? null,
            ctx.nowIso(),
            `resolve_pending_conflicts(${s})`,
            c.conflict_id,
          );
        });
        resolved++;
      }
      const remaining = (
        db.prepare("SELECT count(*) AS n FROM _chorus_conflicts WHERE status = 'pending'").get() as {
          n: bigint;
        }
      ).n;
      return [[resolved, remaining, s]];
    },
  });

  registry.addFunction({
    name: 'check_divergence',
    params: [{ name: 'limit', default: 1000 }],
    columns: [
      { name: 'peer_id', type: 'text' },
      { name: 'table_name', type: 'text' },
      { name: 'row_id', type: 'text' },
      { name: 'local_digest', type: 'text' },
      { name: 'peer_digest', type: 'text' },
      { name: 'status', type: 'text' },
    ],
    mutates: false,
    run: async ([limit]) => {
      const check = ctx.checkDivergence;
      if (!check) throw new FeatureNotSupportedError('check_divergence outside multi-primary mode');
      const rows = (
        db
          .prepare(
            'SELECT DISTINCT table_name, row_id FROM (SELECT table_name, row_id FROM _chorus_conflicts ORDER BY conflict_id DESC LIMIT ?)',
          )
          .all(Number(limit)) as { table_name: string; row_id: string }[]
      ).map((r) => ({ table: r.table_name, rowId: r.row_id }));
      const { reports, peersAsked, peersAnswered } = await check(rows);
      if (reports.length === 0) {
        return [
          [
            null,
            null,
            null,
            null,
            null,
            `consistent: ${rows.length} conflicted rows, ${peersAnswered}/${peersAsked} peers answered`,
          ],
        ];
      }
      return reports.map((r) => [r.peer, r.table, r.rowId, r.localDigest, r.peerDigest, 'MISMATCH']);
    },
  });

  /** ALTER TABLE t ALTER COLUMN c SET REPLICATION CONFLICT_RESOLVER = 'delta' | DEFAULT. */
  const setColumnResolver = (
    table: string,
    column: string,
    resolver: string | null,
    text: string,
  ): CustomDdlResult => {
    const crdt = ctx.crdt;
    if (!crdt) throw new FeatureNotSupportedError('delta columns outside replicated modes');
    const on = resolver !== null && resolver.toLowerCase() !== 'lww';
    if (on && resolver.toLowerCase() !== 'delta')
      throw new ChorusError(
        '0A000',
        `a column's conflict resolver can be 'delta' (or DEFAULT for last-write-wins), not "${resolver}"`,
        {
          hint: "Resolvers that choose between rows are bound to the table: ALTER TABLE t SET REPLICATION CONFLICT_RESOLVER = 'name'.",
        },
      );
    if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table))
      throw new ChorusError('42P01', `relation "${table}" does not exist`);
    crdt.setDelta(table, column, on);
    ctx.engine.logAdmin(table, text, { kind: 'delta_column', table, column, delta: on });
    return { tag: 'ALTER TABLE', columns: null, rows: [], notices: [] };
  };

  return {
    customDdl(p: CustomDdlStatement): CustomDdlResult | null {
      const set = parseSetResolver(p);
      if (!set) return null;
      if (set.column !== undefined) return setColumnResolver(set.table, set.column, set.resolver, p.text);
      const r = requireResolvers();
      if (set.resolver !== null && !r.exists(set.resolver)) {
        throw new UndefinedFunctionError(`conflict resolver "${set.resolver}" does not exist`, {
          hint: 'Register it with SELECT replicate.register_resolver(name => ..., definition => ...) or name a module in [[replication.resolvers]].',
        });
      }
      r.bind(set.table, set.resolver);
      ctx.engine.logAdmin(set.table, p.text, {
        kind: 'bind_resolver',
        table: set.table,
        resolver: set.resolver,
      });
      return { tag: 'ALTER TABLE', columns: null, rows: [], notices: [] };
    },
  };
}

/** replicate.get_conflict_strategy(): the configured conflict handling. */
export function registerConflictStrategy(registry: AdminRegistry, r0: Config['replication']): void {
  registry.addFunction({
    name: 'get_conflict_strategy',
    params: [],
    columns: [
      { name: 'conflict_resolution', type: 'text' },
      { name: 'timestamp_source', type: 'text' },
      { name: 'crdt_types', type: 'json' },
      { name: 'resolver_function', type: 'text' },
      { name: 'resolver_language', type: 'text' },
    ],
    mutates: false,
    run: () => [
      [
        r0.conflict_resolution,
        r0.timestamp_source,
        JSON.stringify(r0.crdt_types.length > 0 ? r0.crdt_types : ['counter', 'set', 'map', 'register']),
        r0.resolver_function ?? r0.custom_resolver ?? null,
        r0.resolver_language ?? null,
      ],
    ],
  });
}

/** replicate.crdt_state(table_name, row_id, column_name): the full CRDT state of one column of one row. */
export function registerCrdtState(registry: AdminRegistry, crdt: CrdtColumns): void {
  registry.addFunction({
    name: 'crdt_state',
    params: [{ name: 'table_name' }, { name: 'row_id' }, { name: 'column_name' }],
    columns: [{ name: 'state', type: 'json' }],
    mutates: false,
    run: ([t, pk, col]) => [[crdt.stateOf(String(t), String(pk), String(col))]],
  });
}
