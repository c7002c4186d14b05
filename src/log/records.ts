// The replication log as transactions: the shape shipped between nodes, and reading it back in
// local commit order (txid) for shipping. Entries are the rows of _chorus_log, verbatim.

import type Database from 'better-sqlite3';

export type LogOp = 'INSERT' | 'UPDATE' | 'DELETE' | 'DDL';

export interface LogEntry {
  tbl: string;
  op: LogOp;
  /** JSON array text of the primary key (null for DDL). */
  pk: string | null;
  /** JSON object text: changed columns and values; {"sql": ...} for DDL; null for DELETE. */
  cols: string | null;
}

/** An origin vector: for each origin node, the highest origin sequence number covered. */
export type Vector = Record<string, number>;

export interface ReplTx {
  origin: string;
  seq: number;
  hlcWall: number;
  hlcLogical: number;
  /** The origin's applied vector when it committed (its causal dependencies). */
  deps: Vector;
  /** What last-write-wins compares (see replication.timestamp_source). */
  orderKey: string;
  entries: LogEntry[];
}

export interface StoredTx extends ReplTx {
  /** Local commit position of this transaction on the node that stores it. */
  txid: number;
}

export class LogReader {
  private readonly txAfter;
  private readonly entriesOf;
  private readonly firstUncovered;

  /**
   * `bound`: the highest txid that may be read, or null for no bound. While the writer connection
   * (db) holds an uncommitted apply transaction, what it logged is visible here but may roll back.
   */
  constructor(
    db: Database.Database,
    private readonly bound: () => number | null = () => null,
  ) {
    this.txAfter = db.prepare(
      'SELECT txid, origin, origin_seq, hlc_wall, hlc_logical, deps, order_key FROM _chorus_tx WHERE txid > ? AND txid <= ? ORDER BY txid LIMIT ?',
    );
    this.txAfter.safeIntegers(false);
    this.entriesOf = db.prepare('SELECT tbl, op, pk, cols FROM _chorus_log WHERE txid = ? ORDER BY lsn');
    this.entriesOf.safeIntegers(false);
    this.firstUncovered = db.prepare(
      'SELECT min(txid) AS txid FROM _chorus_tx WHERE origin = ? AND origin_seq > ? AND txid <= ?',
    );
    this.firstUncovered.safeIntegers(false);
    this.lastTxid = db.prepare('SELECT coalesce(max(txid), 0) AS txid FROM _chorus_tx');
    this.lastTxid.safeIntegers(false);
  }

  private readonly lastTxid;

  private maxTxid(): number {
    return this.bound() ?? Number.MAX_SAFE_INTEGER;
  }

  /**
   * Transactions committed after `txid`, in commit order, at most `limit` of them; `skip` names those
   * the caller will not ship (their entries are not read: a large one takes seconds).
   */
  readAfter(txid: number, limit: number, skip?: (origin: string, seq: number) => boolean): StoredTx[] {
    const rows = this.txAfter.all(txid, this.maxTxid(), limit) as {
      txid: number;
      origin: string;
      origin_seq: number;
      hlc_wall: number;
      hlc_logical: number;
      deps: string;
      order_key: string;
    }[];
    return rows.map((r) => ({
      txid: r.txid,
      origin: r.origin,
      seq: r.origin_seq,
      hlcWall: r.hlc_wall,
      hlcLogical: r.hlc_logical,
      deps: JSON.parse(r.deps) as Vector,
      orderKey: r.order_key,
      entries: skip?.(r.origin, r.origin_seq) ? [] : (this.entriesOf.all(r.txid) as LogEntry[]),
    }));
  }

  /**
   * The position to start shipping from for a peer whose applied vector is `peer`: just before the
   * first transaction we have that the peer lacks. `ours` is our applied vector.
   */
  cursorFor(peer: Vector, ours: ReadonlyMap<string, number>): number {
    let first = Number.POSITIVE_INFINITY;
    for (const [origin, seq] of ours) {
      if (seq <= (peer[origin] ?? 0)) continue;
      const row = this.firstUncovered.get(origin, peer[origin] ?? 0, this.maxTxid()) as {
        txid: number | null;
      };
      if (row.txid !== null) first = Math.min(first, row.txid);
    }
    // Nothing missing: continue from the end of the log, so later commits are shipped.
    if (first === Number.POSITIVE_INFINITY)
      return Math.min((this.lastTxid.get() as { txid: number }).txid, this.maxTxid());
    return first - 1;
  }
}

export function covers(v: Vector | ReadonlyMap<string, number>, origin: string, seq: number): boolean {
  const have = v instanceof Map ? v.get(origin) : (v as Vector)[origin];
  return (have ?? 0) >= seq;
}

/** The elementwise maximum of two vectors. */
export function mergeVector(a: Vector, b: Vector): Vector {
  const out: Vector = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** Does `v` hold at least `need` for every origin in it? */
export function coversVector(v: Vector, need: Vector): boolean {
  return Object.entries(need).every(([o, seq]) => (v[o] ?? 0) >= seq);
}
