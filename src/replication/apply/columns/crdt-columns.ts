// CRDT columns in the replication path. A CRDT column (declared CRDT_COUNTER, CRDT_SET<...>,
// CRDT_MAP<...>, CRDT_REGISTER) holds a value users read and write with SQL; its full delta-state
// CRDT lives in _chorus_crdt. At a local commit each change of such a column becomes a delta (from
// the old value in the state to the new value written) and the log entry carries that delta; a
// replica joins the delta into its state and writes the merged value. Joins commute, so concurrent
// changes merge without conflicts.

import type Database from 'better-sqlite3';
import { failpoints } from '../../../config/failpoints.js';
import {
  type CounterState,
  type CrdtKind,
  type CrdtState,
  canonical,
  deltaFromValues,
  emptyState,
  type Json,
  join,
  parseCrdtType,
  parseState,
  valueOf as stateValue,
} from '../../../crdt/crdt.js';
import { ChorusError } from '../../../errors.js';
import { quoteIdent } from '../../../sql/lexer.js';
import { tableShape } from '../../../storage/capture/capture.js';
import type { StorageEngine } from '../../../storage/engine/engine.js';
import { mapReputMarker, setReaddMarker } from '../../../storage/sql-functions.js';
import { checkDeltaState, checkDeltaValue, DeltaColumnStore, seeded } from './delta-columns.js';

const noColumns: ReadonlySet<string> = new Set();

/** Rows kept in replicate.crdt_operations (older ones are trimmed). */
export const crdtOpsRowsMax = 100_000;

function colPath(col: string): string {
  return `$."${col}"`;
}

/** The column representation of a CRDT value: JSON text for sets, maps and structured registers. */
export function columnValue(kind: CrdtKind, v: Json): string | number | null {
  if (kind === 'counter') return typeof v === 'number' ? v : Number(v);
  if (kind === 'register')
    return v === null || typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** A CRDT column's value as written in a log entry (set/map values are JSON text). */
function parseColumnValue(kind: CrdtKind, raw: unknown): Json {
  if (raw === null || raw === undefined) return null;
  if ((kind === 'set' || kind === 'map') && typeof raw === 'string') {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      throw new ChorusError(
        '22P02',
        `a CRDT_${kind.toUpperCase()} column needs JSON, got ${raw.slice(0, 60)}`,
      );
    }
  }
  return raw as Json;
}

export interface MergeResult {
  /** The entry's cols JSON with CRDT deltas replaced by merged values. */
  cols: string;
  /** CRDT columns in the entry: they always take the merged value (never an LWW conflict). */
  crdtCols: Set<string>;
}

export class CrdtColumns {
  private readonly kinds = new Map<string, Map<string, CrdtKind>>();
  /** Per table: its delta columns (integer columns replicated as counters). */
  private readonly deltas = new Map<string, Set<string>>();
  readonly deltaStore: DeltaColumnStore;
  private readonly stmts;
  private readonly cache = new Map<string, Database.Statement>();
  merges = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly engine: StorageEngine,
    private readonly nowMs: () => number,
  ) {
    const prep = (sql: string): Database.Statement => {
      const s = db.prepare(sql);
      s.safeIntegers(false);
      return s;
    };
    this.deltaStore = new DeltaColumnStore(db);
    this.stmts = {
      get: prep('SELECT state FROM _chorus_crdt WHERE tbl = ? AND pk = ? AND col = ?'),
      put: prep('INSERT OR REPLACE INTO _chorus_crdt (tbl, pk, col, state) VALUES (?, ?, ?, ?)'),
      delRow: prep('DELETE FROM _chorus_crdt WHERE tbl = ? AND pk = ?'),
      entries: prep('SELECT lsn, tbl, op, pk, cols FROM _chorus_log WHERE txid = ? ORDER BY lsn'),
      setLogCol: prep('UPDATE _chorus_log SET cols = json_set(cols, ?, json(?)) WHERE lsn = ?'),
      op: prep(
        `INSERT INTO _chorus_crdt_ops (operation_type, table_name, column_name, row_id, origin, origin_seq,
          element_count, merge_latency_ms, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      trim: prep('DELETE FROM _chorus_crdt_ops WHERE op_id <= (SELECT max(op_id) FROM _chorus_crdt_ops) - ?'),
    };
  }

  invalidate(): void {
    this.kinds.clear();
    this.deltas.clear();
    this.cache.clear();
  }

  /** Make a column a delta column or an ordinary one again (see delta-columns.ts). */
  setDelta(tbl: string, col: string, on: boolean): void {
    this.deltaStore.set(tbl, col, on);
    this.invalidate();
  }

  /** The delta columns of a table (empty when none). */
  deltaColumns(tbl: string): ReadonlySet<string> {
    this.kindsOf(tbl);
    return this.deltas.get(tbl) ?? noColumns;
  }

  /** CRDT columns of a table (empty when none). */
  kindsOf(tbl: string): Map<string, CrdtKind> {
    let k = this.kinds.get(tbl);
    if (!k) {
      k = new Map();
      const exists = this.db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        .get(tbl);
      if (exists) {
        for (const [col, type] of tableShape(this.db, tbl).types) {
          const parsed = parseCrdtType(type);
          if (parsed) k.set(col, parsed.kind);
        }
        const deltas = new Set(failpoints.deltaAsLastWriteWins ? [] : this.deltaStore.columnsOf(tbl));
        for (const col of deltas) k.set(col, 'counter');
        this.deltas.set(tbl, deltas);
      }
      this.kinds.set(tbl, k);
    }
    return k;
  }

  private load(tbl: string, pk: string, col: string, kind: CrdtKind): CrdtState | null {
    const r = this.stmts.get.get(tbl, pk, col) as { state: string } | undefined;
    if (!r) return null;
    // States in _chorus_crdt were written by this node in canonical form: no need to re-validate.
    const s = JSON.parse(r.state) as CrdtState;
    return s.k === kind ? s : emptyState(kind);
  }

  /**
   * Local commit: turn each CRDT column change of the transaction into a delta, join it into the
   * state, and make the log entry carry the delta. Keeps the column's value canonical.
   */
  recordLocal(txid: number, origin: string, seq: number, orderKey: string): void {
    for (const e of this.stmts.entries.all(txid) as {
      lsn: number;
      tbl: string;
      op: string;
      pk: string | null;
      cols: string | null;
    }[]) {
      if (e.op === 'DDL' || e.pk === null) continue;
      if (e.op === 'DELETE') {
        // Every state of the row goes, a turned-off delta column's too (kept until then).
        this.stmts.delRow.run(e.tbl, e.pk);
        continue;
      }
      const kinds = this.kindsOf(e.tbl);
      if (kinds.size === 0) continue;
      const cols = JSON.parse(e.cols ?? '{}') as Record<string, unknown>;
      const deltas = this.deltas.get(e.tbl);
      for (const [col, kind] of kinds) {
        if (!(col in cols)) continue;
        if (deltas?.has(col)) checkDeltaValue(e.tbl, col, cols[col]);
        const before = e.op === 'INSERT' ? null : this.load(e.tbl, e.pk, col, kind);
        const state = before ?? emptyState(kind);
        const oldValue = before ? stateValue(before) : null;
        const { value: newValue, again } = extractMarkers(kind, parseColumnValue(kind, cols[col]));
        const ctx = { origin, tagBase: `${origin}:${seq}:${e.lsn}`, ts: orderKey };
        let delta = deltaFromValues(kind, state, oldValue, newValue, ctx);
        let merged = join(state, delta);
        // Re-added elements / re-put keys get fresh tags: they must win over a concurrent remove.
        if (again.length > 0) {
          const without = withoutItems(kind, newValue, again);
          const again2 = deltaFromValues(kind, merged, without, newValue, {
            ...ctx,
            tagBase: `${ctx.tagBase}:again`,
          });
          delta = join(delta, again2);
          merged = join(merged, again2);
        }
        if (deltas?.has(col)) checkDeltaState(e.tbl, col, merged as CounterState);
        this.stmts.put.run(e.tbl, e.pk, col, JSON.stringify(merged));
        this.stmts.setLogCol.run(colPath(col), JSON.stringify({ $crdt: delta }), e.lsn);
        const value = columnValue(kind, stateValue(merged));
        if (JSON.stringify(value) !== JSON.stringify(cols[col])) this.writeValue(e.tbl, e.pk, col, value);
      }
    }
  }

  /**
   * A plain value (from a master that wrote before it applied the column's switch to delta) was
   * applied to a delta column by last-write-wins: the counter takes that value as its new base,
   * keeping what it counted, so later deltas add to the value every node agreed on.
   */
  rebaseDelta(tbl: string, pk: string, col: string): void {
    const v = this.currentValue(tbl, pk, col);
    if (typeof v !== 'number' && typeof v !== 'bigint') return;
    const state = this.stmts.get.get(tbl, pk, col) as { state: string } | undefined;
    try {
      this.stmts.put.run(tbl, pk, col, canonical(seeded(col, v, state?.state ?? null)));
    } catch {
      // A value past the exact range: the row keeps its old state (the check reports the table).
    }
  }

  /** The value a row's column holds now (null when the row is absent). */
  private currentValue(tbl: string, pk: string, col: string): unknown {
    const pkCols = tableShape(this.db, tbl).primaryKey;
    const where = pkCols.map((c, i) => `${quoteIdent(c)} IS json_extract(?, '$[${i}]')`).join(' AND ');
    const row = this.db
      .prepare(`SELECT ${quoteIdent(col)} AS v FROM ${quoteIdent(tbl)} WHERE ${where}`)
      .get(...pkCols.map(() => pk)) as { v: unknown } | undefined;
    return row?.v ?? null;
  }

  /** Write a merged value into the user column without capturing it as a new change. */
  private writeValue(tbl: string, pk: string, col: string, value: string | number | null): void {
    const pkCols = tableShape(this.db, tbl).primaryKey;
    const key = `${tbl}|${col}`;
    let s = this.cache.get(key);
    if (!s) {
      const where = pkCols.map((c, i) => `${quoteIdent(c)} IS json_extract(?, '$[${i}]')`).join(' AND ');
      s = this.db.prepare(`UPDATE ${quoteIdent(tbl)} SET ${quoteIdent(col)} = ? WHERE ${where}`);
      this.cache.set(key, s);
    }
    const stmt = s;
    this.engine.suppressCapture(() => stmt.run(value, ...pkCols.map(() => pk)));
  }

  /**
   * Replica: join the deltas of an incoming INSERT/UPDATE into the states; returns the entry's
   * cols with merged values in place of deltas, or null when it has no CRDT columns.
   */
  mergeRemote(tbl: string, pk: string, colsText: string, origin: string, seq: number): MergeResult | null {
    // The payload decides, not this node's setting: a delta made while the origin's column was a
    // delta column counts here even if this node turned it off meanwhile (then it is added to the
    // value the row holds: the change it stands for).
    if (!colsText.includes('"$crdt"')) return null;
    const kinds = this.kindsOf(tbl);
    const cols = JSON.parse(colsText) as Record<string, unknown>;
    const crdtCols = new Set<string>();
    const paths: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [col, raw] of Object.entries(cols) as [string, { $crdt?: unknown } | null][]) {
      if (!raw || typeof raw !== 'object' || !('$crdt' in raw)) continue;
      const t0 = performance.now();
      const delta = parseState(JSON.stringify(raw.$crdt));
      const declared = kinds.get(col);
      const kind = declared ?? delta.k;
      const before = this.load(tbl, pk, col, kind) ?? emptyState(kind);
      const merged = join(before, delta);
      this.stmts.put.run(tbl, pk, col, JSON.stringify(merged));
      let value = stateValue(merged);
      if (declared === undefined && kind === 'counter')
        value = Number(this.currentValue(tbl, pk, col) ?? 0) + (Number(value) - Number(stateValue(before)));
      crdtCols.add(col);
      paths.push(colPath(col));
      values.push(columnValue(kind, value));
      this.merges++;
      this.stmts.op.run(
        `${kind}_merge`,
        tbl,
        col,
        pk,
        origin,
        seq,
        Array.isArray(value)
          ? value.length
          : value !== null && typeof value === 'object'
            ? Object.keys(value).length
            : 1,
        Math.round((performance.now() - t0) * 1000) / 1000,
        new Date(this.nowMs()).toISOString().replace('T', ' ').replace('Z', '+00:00'),
      );
    }
    if (crdtCols.size === 0) return null;
    const key = `merge|${paths.length}`;
    let s = this.cache.get(key);
    if (!s) {
      s = this.db.prepare(`SELECT json_set(?, ${paths.map(() => '?, ?').join(', ')}) AS j`);
      s.safeIntegers(false);
      this.cache.set(key, s);
    }
    const args: unknown[] = [colsText];
    paths.forEach((p, i) => {
      args.push(p, values[i]);
    });
    return { cols: (s.get(...args) as { j: string }).j, crdtCols };
  }

  deleteRow(tbl: string, pk: string): void {
    // Every state of the row goes (a delta column turned off keeps its states until then).
    this.stmts.delRow.run(tbl, pk);
  }

  /** Keep replicate.crdt_operations bounded. */
  trim(): void {
    this.stmts.trim.run(crdtOpsRowsMax);
  }

  /** The internal state of one CRDT column of one row (for inspection), or null. */
  stateOf(tbl: string, pk: string, col: string): string | null {
    const r = this.stmts.get.get(tbl, pk, col) as { state: string } | undefined;
    return r?.state ?? null;
  }
}

/** Split re-add / re-put markers (see sql-functions.ts) from a set or map value. */
function extractMarkers(kind: CrdtKind, v: Json): { value: Json; again: Json[] } {
  if (kind === 'set' && Array.isArray(v)) {
    const again: Json[] = [];
    const value = v.filter((e) => {
      if (e !== null && typeof e === 'object' && !Array.isArray(e) && setReaddMarker in e) {
        again.push(e[setReaddMarker] as Json);
        return false;
      }
      return true;
    });
    return { value, again };
  }
  if (kind === 'map' && v !== null && typeof v === 'object' && !Array.isArray(v) && mapReputMarker in v) {
    const { [mapReputMarker]: keys, ...rest } = v;
    return { value: rest, again: Array.isArray(keys) ? keys : [] };
  }
  return { value: v, again: [] };
}

/** The value without the given set elements / map keys (so they can be added again). */
function withoutItems(kind: CrdtKind, v: Json, items: Json[]): Json {
  const keys = new Set(items.map((i) => JSON.stringify(i)));
  if (kind === 'set' && Array.isArray(v)) return v.filter((e) => !keys.has(JSON.stringify(e)));
  if (kind === 'map' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !keys.has(JSON.stringify(k))));
  }
  return v;
}
