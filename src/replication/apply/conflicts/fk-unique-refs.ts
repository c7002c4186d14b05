// Foreign keys that reference a UNIQUE column rather than the parent's primary key: which parent a
// child saw is not named by the child, only the value, and another row may hold that value since. A
// child goes (the key's ON DELETE action) when the row it saw lost the value by a change the child's
// writer had not seen — a delete, an update writing the referenced columns, a unique collision lost —
// even where another row holds the value now. Where the change arrives second its old values are
// read before it (`lostValueChildren`); where the child arrives second, the value's holder got it by
// a write the child's transaction had not seen (`childOfRewrittenHolder`).

import type { Vector } from '../../../log/records.js';
import { quoteIdent } from '../../../sql/lexer.js';
import type { RowBook } from '../rows/row-meta.js';
import { colPath, fromJson, keyJsonSql, rowJsonSql } from '../rows/row-sql.js';
import type { ForeignKey } from './foreign-keys.js';

/** What of the applier these rules use (the Applier itself). */
export type HolderBook = Pick<RowBook, 'loadMeta'> & {
  stmt(key: string, build: () => string): import('better-sqlite3').Statement;
};

/**
 * The rowid of the child (by key, or a keyless row by rowid) of `fk` (a key referencing other
 * columns than the parent's primary key) when the parent row now holding the values it references
 * got one of them by a write `seen` does not cover: the row the child's writer saw held them, and
 * lost them by a change it had not seen. Null otherwise.
 */
export function childOfRewrittenHolder(
  book: HolderBook,
  fk: ForeignKey,
  child: { pk: string } | { rowid: bigint },
  seen: Vector,
): bigint | null {
  if (fk.parentKey.length === 0) return null;
  const byKey = 'pk' in child;
  if (byKey && fk.childKey.length === 0) return null;
  const r = book
    .stmt(`${fk.child}|holder|${byKey ? 'pk' : 'rowid'}|${fk.from.join(',')}|${fk.parent}`, () => {
      const at = byKey
        ? fk.childKey.map((k, i) => `c.${quoteIdent(k)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ')
        : 'c.rowid = :rowid';
      const on = fk.from.map((f, i) => `p.${quoteIdent(fk.to[i]!)} = c.${quoteIdent(f)}`).join(' AND ');
      return `SELECT c.rowid AS rowid, ${keyJsonSql(fk.parentKey, 'p')} AS parent
                FROM ${quoteIdent(fk.child)} c JOIN ${quoteIdent(fk.parent)} p ON ${on} WHERE ${at}`;
    })
    .safeIntegers(true)
    .get(child) as { rowid: bigint; parent: string } | undefined;
  if (!r) return null;
  const clocks = book.loadMeta(fk.parent, r.parent).cols;
  const unseen = fk.to.some((c) => {
    const k = clocks[c];
    return k !== undefined && (seen[k[1]] ?? 0) < k[2];
  });
  return unseen ? r.rowid : null;
}

/**
 * Whether the keyed child `pk` of `fk` got the values it references by a write `seen` does not
 * cover: the clocks of its key columns, not its whole row — a concurrent write of its other columns
 * does not make a child the change had seen unseen (as where the child arrives second, which checks
 * it only when its transaction wrote the key columns).
 */
export function childKeyUnseen(book: HolderBook, fk: ForeignKey, pk: string, seen: Vector): boolean {
  const clocks = book.loadMeta(fk.child, pk).cols;
  return fk.from.some((f) => {
    const k = clocks[f];
    return k !== undefined && (seen[k[1]] ?? 0) < k[2];
  });
}

/** A child whose parent row lost the values it references by a change of the transaction. */
export interface LostChild {
  fk: ForeignKey;
  /** The child's key (JSON array); null for a keyless child, named by `rowid`. */
  pk: string | null;
  rowid?: bigint;
  /** The child's row (log JSON form) before the change, as recorded: not as the key's ON UPDATE action left it. */
  row?: string;
}

/**
 * The children of `fk` referencing the values the parent row `row` (log JSON form, as it is before a
 * change that removes it or writes its referenced columns) holds that `seen` had not seen — a keyed
 * child whose key columns were written by a write `seen` does not cover (childKeyUnseen), a keyless
 * one inserted by a transaction it does not cover (keylessRowSeen): they go once the change is
 * applied, whoever holds the values then.
 */
export function lostValueChildren(book: HolderBook, fk: ForeignKey, row: string, seen: Vector): LostChild[] {
  const keyed = fk.childKey.length > 0;
  const rows = book
    .stmt(`${fk.child}|lost-value|${fk.from.join(',')}|${fk.parent}|${fk.to.join(',')}`, () => {
      const at = fk.from
        .map((f, i) => `c.${quoteIdent(f)} = ${fromJson(':row', colPath(fk.to[i]!))}`)
        .join(' AND ');
      const key = keyed ? keyJsonSql(fk.childKey, 'c') : 'NULL';
      const child = rowJsonSql(fk.childColumns, 'c');
      return `SELECT c.rowid AS rowid, ${key} AS pk, ${child} AS row FROM ${quoteIdent(fk.child)} c WHERE ${at}`;
    })
    .safeIntegers(true)
    .all({ row }) as { rowid: bigint; pk: string | null; row: string }[];
  const lost: LostChild[] = [];
  for (const r of rows)
    if (keyed ? childKeyUnseen(book, fk, r.pk!, seen) : !keylessRowSeen(book, fk.child, r.rowid, seen))
      lost.push(keyed ? { fk, pk: r.pk, row: r.row } : { fk, pk: null, rowid: r.rowid, row: r.row });
  return lost;
}

/** Whether the transaction that inserted the keyless row `rowid` of `tbl` is covered by `seen`. */
export function keylessRowSeen(book: HolderBook, tbl: string, rowid: bigint, seen: Vector): boolean {
  const r = book
    .stmt(
      'keyless-origin',
      () =>
        'SELECT origin, seq FROM _chorus_keyless_ranges WHERE tbl = :tbl AND lo <= :rowid AND hi >= :rowid ORDER BY lo DESC LIMIT 1',
    )
    .get({ tbl, rowid }) as { origin: string; seq: bigint } | undefined;
  // Rows without a range (written before origins were kept, or by this transaction) count as seen.
  return !r || (seen[r.origin] ?? 0) >= Number(r.seq);
}

/** The rowid of the keyed row `pk` of fk's child table, if it is there. */
export function childRowid(book: HolderBook, fk: ForeignKey, pk: string): bigint | null {
  const r = book
    .stmt(`${fk.child}|rowid-by-key`, () => {
      const at = fk.childKey.map((k, i) => `${quoteIdent(k)} IS ${fromJson(':pk', `$[${i}]`)}`).join(' AND ');
      return `SELECT rowid FROM ${quoteIdent(fk.child)} WHERE ${at}`;
    })
    .pluck()
    .safeIntegers(true)
    .get({ pk }) as bigint | undefined;
  return r ?? null;
}

/** The values the parent row `pk` holds in fk's referenced columns (JSON array), null when it is not there. */
export function referencedValues(book: HolderBook, fk: ForeignKey, pk: string): string | null {
  if (fk.parentKey.length === 0) return null;
  const r = book
    .stmt(`${fk.parent}|referenced|${fk.to.join(',')}`, () => {
      const at = fk.parentKey
        .map((k, i) => `${quoteIdent(k)} IS ${fromJson(':pk', `$[${i}]`)}`)
        .join(' AND ');
      return `SELECT ${keyJsonSql(fk.to)} FROM ${quoteIdent(fk.parent)} WHERE ${at}`;
    })
    .pluck()
    .get({ pk }) as string | undefined;
  return r ?? null;
}
