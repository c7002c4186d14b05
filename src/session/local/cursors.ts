// SQL cursors (DECLARE / FETCH / MOVE / CLOSE): PostgreSQL's positioning rules over a row source
// that reads on demand — a statement iterator on a connection of the cursor's own (restarted from
// its snapshot to move backwards) — or, inside a transaction that has written, the rows themselves.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import type { ColumnInfo } from '../result.js';
import type { FetchDirection } from './statement.js';

/** Cursors one session may hold open. */
export const sessionCursorsMax = 1_000;
/** Rows a cursor may hold in memory when it cannot read on demand (declared after a write). */
export const cursorRowsMax = 1_000_000;
/** Rows one FETCH may return (FETCH ALL over more fails with 54000; fetch in batches instead). */
export const fetchRowsMax = 5_000_000;

/** Rows by position (1-based), read in ascending runs. */
export interface RowSource {
  /** Rows at positions from..to (ascending; fewer when the result ends first). */
  read(from: number, to: number): unknown[][];
  /** The number of rows, reading to the end if it is not known yet. */
  count(): number;
  close(): void;
}

/** Rows already in memory. */
export class MemoryRows implements RowSource {
  constructor(private readonly rows: unknown[][]) {
    if (rows.length > cursorRowsMax)
      throw new ChorusError('54000', `cursor result exceeds ${cursorRowsMax} rows`, {
        hint: 'Declare the cursor before the transaction writes (it then reads on demand).',
      });
  }
  read(from: number, to: number): unknown[][] {
    return this.rows.slice(Math.max(from, 1) - 1, Math.max(to, 0));
  }
  count(): number {
    return this.rows.length;
  }
  close(): void {}
}

/** A statement iterated on a connection holding the cursor's snapshot; restarted to go back. */
export class IteratedRows implements RowSource {
  private iter: IterableIterator<unknown[]> | null = null;
  /** Rows the iterator has returned. */
  private consumed = 0;
  private total: number | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly stmt: Database.Statement,
    private readonly bind: readonly unknown[],
    private readonly release: (db: Database.Database) => void,
  ) {}

  private restart(): void {
    this.iter?.return?.();
    this.iter = this.stmt.iterate(...(this.bind as unknown[])) as IterableIterator<unknown[]>;
    this.consumed = 0;
  }

  private next(): unknown[] | null {
    if (!this.iter) this.restart();
    const r = this.iter!.next();
    if (r.done) {
      this.total = this.consumed;
      this.iter = null;
      return null;
    }
    this.consumed++;
    return r.value;
  }

  read(from: number, to: number): unknown[][] {
    const start = Math.max(from, 1);
    if (to < start || (this.total !== null && start > this.total)) return [];
    if (start <= this.consumed || this.iter === null) this.restart();
    while (this.consumed < start - 1) if (this.next() === null) return [];
    const out: unknown[][] = [];
    while (this.consumed < to) {
      const row = this.next();
      if (row === null) break;
      out.push(row);
    }
    return out;
  }

  count(): number {
    if (this.total === null) {
      if (!this.iter) this.restart();
      while (this.next() !== null);
    }
    return this.total!;
  }

  close(): void {
    this.iter?.return?.();
    this.iter = null;
    this.release(this.db);
  }
}

/** One open cursor: its rows, its position and how it may move. */
export class Cursor {
  /** 0: before the first row; n: on row n; past the last: count + 1. */
  private position = 0;

  constructor(
    readonly name: string,
    readonly columns: ColumnInfo[],
    private readonly source: RowSource,
    readonly scroll: boolean,
    readonly hold: boolean,
    /** The transaction block it was declared in is still open (a ROLLBACK drops it even WITH HOLD). */
    public inOpenBlock: boolean,
  ) {}

  /**
   * FETCH (rows returned) or MOVE (rows only counted), following PostgreSQL's PerformPortalFetch:
   * the rows and the count for the command tag.
   */
  fetch(direction: FetchDirection, howMany: number, move: boolean): { rows: unknown[][]; count: number } {
    switch (direction) {
      case 'forward':
        if (howMany < 0) return this.fetch('backward', -howMany, move);
        return this.forward(howMany, move);
      case 'backward':
        if (howMany < 0) return this.forward(-howMany, move);
        this.checkBackward();
        return this.backward(howMany, move);
      case 'absolute':
        return this.absolute(howMany, move);
      case 'relative':
        if (howMany === 0) return this.current(move);
        if (howMany < 0) this.checkBackward();
        return this.seek(this.position + howMany, move);
    }
  }

  private checkBackward(): void {
    if (!this.scroll)
      throw new ChorusError('55000', 'cursor can only scan forward', {
        hint: 'Declare it with SCROLL option to enable backward scan.',
      });
  }

  private forward(n: number, move: boolean): { rows: unknown[][]; count: number } {
    if (n === 0) return this.current(move);
    const want = Math.min(n, fetchRowsMax + 1);
    const rows = this.source.read(this.position + 1, this.position + want);
    if (rows.length > fetchRowsMax)
      throw new ChorusError('54000', `FETCH would return more than ${fetchRowsMax} rows`, {
        hint: 'Fetch in batches: FETCH 1000 FROM name.',
      });
    // Short of n: the result ended, and the cursor stands after its last row.
    if (rows.length === n) this.position += n;
    else this.position = rows.length > 0 ? this.position + rows.length + 1 : this.source.count() + 1;
    return { rows: move ? [] : rows, count: rows.length };
  }

  private backward(n: number, move: boolean): { rows: unknown[][]; count: number } {
    if (n === 0) return this.current(move);
    // From after the last row (position count + 1), the last row comes first.
    const from = this.position - 1;
    if (from < 1) {
      this.position = 0;
      return { rows: [], count: 0 };
    }
    const low = Math.max(1, from - n + 1);
    const rows = this.source.read(low, from).reverse();
    this.position = from - n + 1 >= 1 ? low : 0;
    return { rows: move ? [] : rows, count: rows.length };
  }

  private current(move: boolean): { rows: unknown[][]; count: number } {
    if (this.position < 1) return { rows: [], count: 0 };
    const rows = this.source.read(this.position, this.position);
    return { rows: move ? [] : rows, count: rows.length };
  }

  private absolute(k: number, move: boolean): { rows: unknown[][]; count: number } {
    const target = k >= 0 ? k : this.source.count() + 1 + k;
    if (target < this.position) this.checkBackward();
    return this.seek(target, move);
  }

  /** Stand on row `target` (returning it), or before the first / after the last row. */
  private seek(target: number, move: boolean): { rows: unknown[][]; count: number } {
    if (target <= 0) {
      this.position = 0;
      return { rows: [], count: 0 };
    }
    const rows = this.source.read(target, target);
    if (rows.length === 0) {
      this.position = this.source.count() + 1;
      return { rows: [], count: 0 };
    }
    this.position = target;
    return { rows: move ? [] : rows, count: 1 };
  }

  close(): void {
    this.source.close();
  }
}
