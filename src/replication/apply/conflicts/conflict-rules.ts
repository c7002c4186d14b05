// Conflict rules beyond last-write-wins, applied by the Applier: a table's custom resolver settles
// concurrently changed columns (called in canonical order), and unique-index collisions between
// different keys keep the write with the greater order key on every node.

import type Database from 'better-sqlite3';
import { parseCrdtType } from '../../../crdt/crdt.js';
import type { LogEntry, ReplTx, Vector } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { typeOfDeclared } from '../../../sql/types/declared-types.js';
import type { TypeRef } from '../../../sql/types/pg-types.js';
import { tableShape } from '../../../storage/capture/capture.js';
import { storedUniqueIndex } from '../../../storage/tables/index-def.js';
import type { CrdtColumns } from '../columns/crdt-columns.js';
import {
  bindable,
  parseJsonExact,
  type ResolverJson,
  resolvedStorageValue,
} from '../columns/resolver-values.js';
import type { Resolvers } from '../columns/resolvers.js';
import type { ColClock, ConflictType, RowMeta } from '../rows/row-meta.js';
import { colPath, fromJson, keyJsonSql, overlaySql } from '../rows/row-sql.js';

type Shape = { columns: Set<string>; primaryKey: string[] };

/** What the conflict rules need of the applier that calls them (applier.ts implements it). */
export interface ConflictHost {
  readonly nodeId: string;
  readonly internalDb: Database.Database;
  readonly resolvers: Resolvers | null;
  readonly crdt: CrdtColumns | null;
  stmt(key: string, build: () => string): Database.Statement;
  warn(obj: object, msg: string): void;
  loadMeta(tbl: string, pk: string): RowMeta;
  saveMeta(tbl: string, pk: string, m: RowMeta): void;
  rowSavepoint(step: 'begin' | 'release' | 'rollback'): void;
  /** Keep a removed row so that a later update of it from its origin can bring it back (parked-rows.ts). */
  parkRow(tbl: string, pk: string, row: string, cols: RowMeta['cols']): void;
  /** A row was removed (`row`: its values): rows referencing it are settled at the end of the transaction (fk-orphans.ts). */
  rowRemoved(tbl: string, pk: string, row: string | null): void;
  pkWhere(pkCols: string[]): string;
  rowJson(tbl: string, shape: Shape, pk: string, only?: string[]): string | null;
  applyRow(e: LogEntry, shape: Shape, tx: ReplTx, seen: Vector, hlc: string): void;
  recordConflict(
    tbl: string,
    pk: string,
    localOrigin: string,
    tx: ReplTx,
    type: ConflictType,
    localValue: string | null,
    remoteValue: string | null,
    resolved: string | null,
    latencyMs: number,
    extra?: {
      strategy?: string;
      status?: string;
      error?: string | null;
      localKey?: string;
      remoteKey?: string;
    },
  ): void;
}

/**
 * Settle conflicting columns with the table's resolver, called with the two versions in a
 * canonical order (older write first by order key) so every node evaluates the same call. Each
 * conflicting column's result is converted to the column type's storage form (resolver-values.ts)
 * before anything is written. On any failure — the resolver fails, a value cannot be converted, or
 * the row refuses it (a constraint) — the local version stays (a safe state) and the conflict is
 * parked as pending with the error.
 */
export function settleByResolver(
  a: ConflictHost,
  resolver: string,
  tbl: string,
  pk: string,
  shape: { columns: Set<string>; primaryKey: string[] },
  where: string,
  m: RowMeta,
  conflicting: string[],
  localRowJson: string,
  colsText: string,
  v: { localKey: string; localWriter: string; remoteKey: string; tx: ReplTx },
): { strategy: string; status: string; error: string | null } {
  const strategy = `custom:${resolver}`;
  const pending = (error: string): { strategy: string; status: string; error: string } => {
    a.warn({ table: tbl, pk, resolver, error }, 'conflict resolver failed; conflict left pending');
    return { strategy, status: 'pending', error };
  };
  // The remote version: the local row with the incoming columns, built by SQLite's JSON functions so
  // that every value stays exactly as stored or logged.
  const incoming = Object.keys(JSON.parse(colsText) as object).filter((c) => shape.columns.has(c));
  const remoteRowJson = (
    a
      .stmt(`${tbl}|overlay|${incoming.join(',')}`, () => overlaySql(incoming))
      .get({
        row: localRowJson,
        cols: colsText,
      }) as { j: string }
  ).j;
  const localOlder = v.localKey < v.remoteKey;
  const [olderJson, newerJson] = localOlder ? [localRowJson, remoteRowJson] : [remoteRowJson, localRowJson];
  const older = parseJsonExact(olderJson) as Record<string, ResolverJson>;
  const newer = parseJsonExact(newerJson) as Record<string, ResolverJson>;
  const res = a.resolvers!.resolve(
    resolver,
    older,
    newer,
    {
      table: tbl,
      rowId: pk,
      conflictType: 'write_conflict',
      columns: conflicting,
      localOrigin: localOlder ? v.localWriter : v.tx.origin,
      remoteOrigin: localOlder ? v.tx.origin : v.localWriter,
    },
    { local: olderJson, remote: newerJson },
  );
  if (!res.ok) return pending(res.error);
  // Every value converted first: nothing is written unless all of them can be.
  const types = columnTypes(a, tbl);
  const values: Record<string, ReturnType<typeof bindable>> = {};
  try {
    conflicting.forEach((c, i) => {
      const chosen = Object.hasOwn(res.row, c) ? res.row[c] : newer[c];
      values[`v${i}`] = bindable(resolvedStorageValue(types.get(c) ?? null, chosen, c));
    });
  } catch (e) {
    return pending(`resolver "${resolver}" returned a ${(e as Error).message}`);
  }
  const key = `${tbl}|resolved|${conflicting.join(',')}`;
  const write = a.stmt(key, () => {
    const sets = conflicting.map((c, i) => `${quoteIdent(c)} = :v${i}`).join(', ');
    return `UPDATE ${quoteIdent(tbl)} SET ${sets} WHERE ${where}`;
  });
  try {
    // One statement: a refused value (NOT NULL, CHECK, UNIQUE) leaves the row as it was.
    write.run({ ...values, pk });
  } catch (e) {
    if (!String((e as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT')) throw e;
    return pending(`the row refused resolver "${resolver}"'s result: ${(e as Error).message}`);
  }
  // The settled value carries the newer version's clock, so later writes compare against it.
  const top: ColClock =
    v.localKey > v.remoteKey
      ? [v.localKey, v.localWriter, m.cols[conflicting[0]!]?.[2] ?? 0]
      : [v.remoteKey, v.tx.origin, v.tx.seq];
  for (const c of conflicting) m.cols[c] = top;
  return { strategy, status: 'resolved', error: null };
}

/**
 * The PostgreSQL type of each column of a table, from its declared type; null for CRDT columns (merged,
 * never settled by a resolver) and for columns of no PostgreSQL type (a table made in SQLite by hand).
 */
function columnTypes(a: ConflictHost, tbl: string): Map<string, TypeRef | null> {
  const out = new Map<string, TypeRef | null>();
  for (const [c, decl] of tableShape(a.internalDb, tbl).types)
    out.set(c, parseCrdtType(decl) === null ? typeOfDeclared(decl) : null);
  return out;
}

/**
 * An incoming row collides on a unique index with a different local row: of the two writes that
 * set the colliding value (the incoming one, and the holder's last write of the index's columns),
 * the one with the greater order key keeps the value and the row of the other is removed — the
 * same decision on every node, whatever the arrival order. An insert or an update that loses
 * removes its row everywhere: where it arrives second, the row it would have changed goes (its
 * values are kept in the unique_conflict record), as it went where it was the holder.
 * Returns true when the incoming change was applied (or deliberately discarded and recorded).
 */
export function resolveUnique(
  a: ConflictHost,
  e: LogEntry,
  shape: { columns: Set<string>; primaryKey: string[] },
  tx: ReplTx,
  seen: Vector,
  hlc: string,
): boolean {
  const tbl = e.tbl;
  const pk = e.pk!;
  const found = uniqueHolder(a, tbl, shape, pk, e.cols ?? '{}');
  if (!found) return false;
  const holder = found.pk;
  const hm = a.loadMeta(tbl, holder);
  // The holder's write of the colliding columns (not a later write of other columns): both nodes
  // compare the same two writes.
  const keyOf = (c: string): string => hm.cols[c]?.[0] ?? '';
  // biome-ignore lint/complexity/useMathMinMax: order keys are strings compared as text
  const holderKey = found.columns.map(keyOf).reduce((k, c) => (c > k ? c : k), '');
  const holderOrigin = Object.values(hm.cols).find((c) => c[0] === holderKey)?.[1] ?? a.nodeId;
  const holderValue = a.rowJson(tbl, shape, holder);
  if (hlc > holderKey) {
    a.rowSavepoint('begin');
    try {
      const where = a.pkWhere(shape.primaryKey);
      a.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk: holder });
      a.crdt?.deleteRow(tbl, holder);
      if (holderValue !== null) a.parkRow(tbl, holder, holderValue, hm.cols);
      a.rowRemoved(tbl, holder, holderValue);
      hm.deleted = true;
      hm.cols = {};
      a.saveMeta(tbl, holder, hm);
      a.applyRow(e, shape, tx, seen, hlc);
      a.rowSavepoint('release');
    } catch {
      a.rowSavepoint('rollback');
      a.rowSavepoint('release');
      return false;
    }
    a.recordConflict(tbl, holder, holderOrigin, tx, 'unique_conflict', holderValue, e.cols, e.cols, 0, {
      strategy: 'last_write_wins',
      localKey: holderKey,
      remoteKey: hlc,
    });
    return true;
  }
  // The local holder wins: the incoming write is discarded, and the row it changed goes, as it went
  // on the nodes where that row held the value first (the branch above).
  const m = a.loadMeta(tbl, pk);
  m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
  let loserValue = e.op === 'UPDATE' ? a.rowJson(tbl, shape, pk) : null;
  if (loserValue !== null) {
    a.rowSavepoint('begin');
    try {
      const where = a.pkWhere(shape.primaryKey);
      a.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk });
      a.crdt?.deleteRow(tbl, pk);
      // Parked as its origin has it: with the losing update's values and clock.
      const written = Object.keys(JSON.parse(e.cols ?? '{}') as object).filter((c) => shape.columns.has(c));
      const parkedRow = a
        .stmt(`${tbl}|park-overlay|${written.join(',')}`, () => overlaySql(written))
        .pluck()
        .get({ row: loserValue, cols: e.cols ?? '{}' }) as string;
      const clocks = { ...m.cols };
      for (const c of written) clocks[c] = [hlc, tx.origin, tx.seq];
      a.parkRow(tbl, pk, parkedRow, clocks);
      a.rowRemoved(tbl, pk, loserValue);
      a.rowSavepoint('release');
      m.deleted = true;
      m.cols = {};
    } catch {
      // A constraint keeps the row: the write alone is discarded. (Foreign keys are checked at the
      // end of the transaction: rows referencing the removed row are settled then, fk-orphans.ts.)
      a.rowSavepoint('rollback');
      a.rowSavepoint('release');
      loserValue = null;
    }
  }
  if (e.op === 'INSERT' && e.cols) {
    // A losing insert arriving second: parked as its origin has it, in case its origin moves it off.
    const clocks: RowMeta['cols'] = {};
    for (const c of Object.keys(JSON.parse(e.cols) as object))
      if (shape.columns.has(c)) clocks[c] = [hlc, tx.origin, tx.seq];
    a.parkRow(tbl, pk, e.cols, clocks);
  }
  a.saveMeta(tbl, pk, m);
  a.recordConflict(
    tbl,
    pk,
    holderOrigin,
    tx,
    'unique_conflict',
    loserValue ?? holderValue,
    e.cols,
    holderValue,
    0,
    {
      strategy: 'last_write_wins',
      localKey: holderKey,
      remoteKey: hlc,
    },
  );
  return true;
}

/**
 * The primary key (log JSON form) of a local row, other than pk, holding the incoming unique
 * values, and the columns of the index they collide on.
 */
export function uniqueHolder(
  a: ConflictHost,
  tbl: string,
  shape: { columns: Set<string>; primaryKey: string[] },
  pk: string,
  colsText: string,
): { pk: string; columns: string[] } | null {
  const incoming = JSON.parse(colsText) as Record<string, unknown>;
  const indexes = a.internalDb
    .prepare(`SELECT name, partial FROM pragma_index_list(?) WHERE "unique" = 1 AND origin <> 'pk'`)
    .all(tbl) as { name: string; partial: number }[];
  const pkJson = keyJsonSql(shape.primaryKey);
  for (const ix of indexes) {
    const cols = (
      a.internalDb.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(ix.name) as {
        name: string | null;
      }[]
    ).map((r) => r.name);
    if (cols.some((c) => c === null)) continue; // an expression index
    // Columns of the index this change does not set keep the changed row's values (an UPDATE of
    // one column of a two-column unique key collides with the row holding both).
    const missing = (cols as string[]).filter((c) => !(c in incoming));
    if (missing.length === cols.length) continue;
    const key = `${tbl}|uniq|${ix.name}|${missing.join(',')}`;
    const row = a
      .stmt(key, () => {
        const t = quoteIdent(tbl);
        const match = (cols as string[])
          .map((c) =>
            missing.includes(c)
              ? `${quoteIdent(c)} IS (SELECT ${quoteIdent(c)} FROM ${t} WHERE ${a.pkWhere(shape.primaryKey)})`
              : `${quoteIdent(c)} IS ${fromJson(':cols', colPath(c))}`,
          )
          .join(' AND ');
        // A partial index: only rows its predicate holds collide.
        const where = ix.partial ? storedUniqueIndex(a.internalDb, ix.name)?.where : null;
        const inIndex = where ? ` AND (${where})` : '';
        return `SELECT ${pkJson} AS pk FROM ${t} WHERE ${match}${inIndex} AND ${pkJson} IS NOT :pk LIMIT 1`;
      })
      .get({ cols: colsText, pk }) as { pk: string } | undefined;
    if (row) return { pk: row.pk, columns: cols as string[] };
  }
  return null;
}
