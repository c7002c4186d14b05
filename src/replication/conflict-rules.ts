// Conflict rules beyond last-write-wins, applied by the Applier: a table's custom resolver settles
// concurrently changed columns (called in canonical order), and unique-index collisions between
// different keys keep the write with the greater order key on every node.

import type { LogEntry, ReplTx, Vector } from '../log/records.js';
import { quoteIdent } from '../sql/lexer.js';
import { jsonValue } from '../storage/capture.js';
import type { Applier, ColClock, RowMeta } from './applier.js';
import { colPath, fromJson } from './row-sql.js';

/**
 * Settle conflicting columns with the table's resolver, called with the two versions in a
 * canonical order (older write first by order key) so every node evaluates the same call. On any
 * failure the local version stays (a safe state) and the conflict is parked as pending.
 */
export function settleByResolver(
  a: Applier,
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
  const localRow = JSON.parse(localRowJson) as Record<string, unknown>;
  const remoteRow: Record<string, unknown> = { ...localRow };
  const incoming = JSON.parse(colsText) as Record<string, unknown>;
  for (const c of Object.keys(incoming)) if (shape.columns.has(c)) remoteRow[c] = incoming[c];
  const localOlder = v.localKey < v.remoteKey;
  const [older, newer] = localOlder ? [localRow, remoteRow] : [remoteRow, localRow];
  const res = a.resolvers!.resolve(resolver, older, newer, {
    table: tbl,
    rowId: pk,
    conflictType: 'write_conflict',
    columns: conflicting,
    localOrigin: localOlder ? v.localWriter : v.tx.origin,
    remoteOrigin: localOlder ? v.tx.origin : v.localWriter,
  });
  if (!res.ok) {
    a.warn({ table: tbl, pk, resolver, error: res.error }, 'conflict resolver failed; conflict left pending');
    return { strategy, status: 'pending', error: res.error };
  }
  const chosen: Record<string, unknown> = {};
  for (const c of conflicting) chosen[c] = c in res.row ? res.row[c] : newer[c];
  const key = `${tbl}|update|${conflicting.join(',')}`;
  a.stmt(key, () => {
    const sets = conflicting.map((c) => `${quoteIdent(c)} = ${fromJson(':cols', colPath(c))}`).join(', ');
    return `UPDATE ${quoteIdent(tbl)} SET ${sets} WHERE ${where}`;
  }).run({ cols: JSON.stringify(chosen), pk });
  // The settled value carries the newer version's clock, so later writes compare against it.
  const top: ColClock =
    v.localKey > v.remoteKey
      ? [v.localKey, v.localWriter, m.cols[conflicting[0]!]?.[2] ?? 0]
      : [v.remoteKey, v.tx.origin, v.tx.seq];
  for (const c of conflicting) m.cols[c] = top;
  return { strategy, status: 'resolved', error: null };
}

/**
 * An incoming row collides on a unique index with a different local row: the write with the
 * greater order key keeps the value and the other row is removed — the same decision on every
 * node, whatever the arrival order (a node that sees the loser later discards it the same way).
 * Returns true when the incoming change was applied (or deliberately discarded and recorded).
 */
export function resolveUnique(
  a: Applier,
  e: LogEntry,
  shape: { columns: Set<string>; primaryKey: string[] },
  tx: ReplTx,
  seen: Vector,
  hlc: string,
): boolean {
  const tbl = e.tbl;
  const pk = e.pk!;
  const holder = uniqueHolder(a, tbl, shape, pk, e.cols ?? '{}');
  if (!holder) return false;
  const hm = a.loadMeta(tbl, holder);
  // biome-ignore lint/complexity/useMathMinMax: order keys are strings compared as text
  const holderKey = Object.values(hm.cols).reduce((k, c) => (c[0] > k ? c[0] : k), '');
  const holderOrigin = Object.values(hm.cols).find((c) => c[0] === holderKey)?.[1] ?? a.nodeId;
  const holderValue = a.rowJson(tbl, shape, holder);
  if (hlc > holderKey) {
    a.rowSavepoint('begin');
    try {
      const where = a.pkWhere(shape.primaryKey);
      a.stmt(`${tbl}|delete`, () => `DELETE FROM ${quoteIdent(tbl)} WHERE ${where}`).run({ pk: holder });
      a.crdt?.deleteRow(tbl, holder);
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
  // The local holder wins: the incoming row is discarded here as on every other node.
  const m = a.loadMeta(tbl, pk);
  m.vv[tx.origin] = Math.max(m.vv[tx.origin] ?? 0, tx.seq);
  a.saveMeta(tbl, pk, m);
  a.recordConflict(tbl, pk, holderOrigin, tx, 'unique_conflict', holderValue, e.cols, holderValue, 0, {
    strategy: 'last_write_wins',
    localKey: holderKey,
    remoteKey: hlc,
  });
  return true;
}

/** The primary key (log JSON form) of a local row, other than pk, holding the incoming unique values. */
export function uniqueHolder(
  a: Applier,
  tbl: string,
  shape: { columns: Set<string>; primaryKey: string[] },
  pk: string,
  colsText: string,
): string | null {
  const incoming = JSON.parse(colsText) as Record<string, unknown>;
  const indexes = a.internalDb
    .prepare(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1 AND origin <> 'pk'`)
    .all(tbl) as { name: string }[];
  const pkJson = `json_array(${shape.primaryKey.map((c) => jsonValue(quoteIdent(c))).join(', ')})`;
  for (const ix of indexes) {
    const cols = (
      a.internalDb.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(ix.name) as {
        name: string | null;
      }[]
    ).map((r) => r.name);
    if (cols.some((c) => c === null || !(c in incoming))) continue; // expression index, or a column this change does not set
    const key = `${tbl}|uniq|${ix.name}`;
    const row = a
      .stmt(key, () => {
        const match = (cols as string[])
          .map((c) => `${quoteIdent(c)} IS ${fromJson(':cols', colPath(c))}`)
          .join(' AND ');
        return `SELECT ${pkJson} AS pk FROM ${quoteIdent(tbl)} WHERE ${match} AND ${pkJson} IS NOT :pk LIMIT 1`;
      })
      .get({ cols: colsText, pk }) as { pk: string } | undefined;
    if (row) return row.pk;
  }
  return null;
}
