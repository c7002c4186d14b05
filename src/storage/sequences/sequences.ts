// Sequences at run time: nextval / currval / setval / lastval as SQLite functions of the writer
// connection. Values are not transactional (as in PostgreSQL): this node's progress lives in
// memory and is written with the next commit (or right after a rollback), and setval / RESTART
// are replicated as idempotent last-writer-wins updates ordered by (epoch, node).

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { quoteLiteral } from '../../sql/lexer.js';
import { parseSequenceName } from '../../sql/namespaces.js';
import {
  checkSetval,
  nextValue,
  type SequenceParams,
  type SequencePoint,
  type SequenceSlots,
} from './sequence-math.js';

/** A sequence as _chorus_sequences holds it. */
export interface SequenceDef extends SequenceParams {
  /** SQLite-side name: "seq" in public, "schema.seq" elsewhere. */
  name: string;
  oid: number;
  typeOid: number;
  ownerTable: string | null;
  ownerColumn: string | null;
  identity: string | null;
  /** The last setval / RESTART and its order (epoch, node). */
  reset: SequencePoint;
  epoch: bigint;
  node: string;
}

interface Progress {
  epoch: bigint;
  node: string;
  last: bigint;
}

interface SessionValues {
  values: Map<string, bigint>;
  last: string | null;
}

/** The _chorus_meta key holding this node's progress (carried over a snapshot install). */
export const sequenceProgressKey = 'sequence_progress';
/** Sessions whose currval / lastval are remembered; the oldest is forgotten past this. */
const sequenceSessionsMax = 10_000;

interface SequenceRow {
  name: string;
  oid: number | bigint;
  type_oid: number | bigint;
  start_value: bigint;
  increment: bigint;
  min_value: bigint;
  max_value: bigint;
  cache: bigint;
  cycle: number | bigint;
  owner_table: string | null;
  owner_column: string | null;
  identity: string | null;
  reset_value: bigint;
  reset_called: number | bigint;
  reset_epoch: bigint;
  reset_node: string;
}

export function sequenceFromRow(r: SequenceRow): SequenceDef {
  const typeOid = Number(r.type_oid);
  return {
    name: r.name,
    oid: Number(r.oid),
    typeOid,
    start: BigInt(r.start_value),
    increment: BigInt(r.increment),
    min: BigInt(r.min_value),
    max: BigInt(r.max_value),
    cache: BigInt(r.cache),
    cycle: Number(r.cycle) === 1,
    ownerTable: r.owner_table,
    ownerColumn: r.owner_column,
    identity: r.identity,
    reset: { value: BigInt(r.reset_value), called: Number(r.reset_called) === 1 },
    epoch: BigInt(r.reset_epoch),
    node: r.reset_node,
  };
}

/** Every sequence of the database, read from `db` (any connection). */
export function readSequences(db: Database.Database): SequenceDef[] {
  const stmt = db.prepare('SELECT * FROM _chorus_sequences ORDER BY name');
  stmt.safeIntegers(true);
  return (stmt.all() as SequenceRow[]).map(sequenceFromRow);
}

/** The SQL that records a reset on any node: kept only if it orders after the one there. */
export function resetSql(name: string, point: SequencePoint, epoch: bigint, node: string): string {
  return `UPDATE _chorus_sequences SET reset_value = ${point.value}, reset_called = ${point.called ? 1 : 0}, reset_epoch = ${epoch}, reset_node = ${quoteLiteral(node)} WHERE name = ${quoteLiteral(name)} AND (reset_epoch < ${epoch} OR (reset_epoch = ${epoch} AND reset_node < ${quoteLiteral(node)}))`;
}

export class SequenceStore {
  private defs = new Map<string, SequenceDef>();
  private readonly progress = new Map<string, Progress>();
  /**
   * The progress a sequence's newer reset or re-creation replaced, kept in memory: a sequence
   * dropped and re-created in a transaction that rolls back continues where it was.
   */
  private readonly replaced = new Map<string, Progress>();
  private progressDirty = false;
  /** Resets made here and not yet written and logged. */
  private pending = new Map<string, SequenceDef>();
  private readonly sessions = new Map<number, SessionValues>();
  /** Counts write statements (markStatement); `before` holds what the current one first moved. */
  private statement = 0;
  private beforeOf = -1;
  /** Progress of each sequence the current statement moved, as it stood before (undefined: none). */
  private readonly before = new Map<string, Progress | undefined>();
  /** During a replay: each session's values as they were before it (null: it had none). */
  private replaying: Map<number, SessionValues | null> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly nodeId: string,
    private readonly slots: () => SequenceSlots,
  ) {
    const meta = db
      .prepare('SELECT value FROM _chorus_meta WHERE key = ?')
      .pluck()
      .get(sequenceProgressKey) as string | undefined;
    if (meta) {
      for (const [name, [epoch, node, last]] of Object.entries(
        JSON.parse(meta) as Record<string, [string, string, string]>,
      ))
        this.progress.set(name, { epoch: BigInt(epoch), node, last: BigInt(last) });
    }
    this.load();
  }

  /** Re-read definitions (after DDL, a rollback, or applying a peer's change). */
  load(): void {
    this.defs = new Map(readSequences(this.db).map((d) => [d.name, d]));
    for (const [name, p] of this.pending) {
      const d = this.defs.get(name);
      if (d) this.defs.set(name, { ...d, reset: p.reset, epoch: p.epoch, node: p.node });
    }
  }

  /** Something to write at commit (progress or resets). */
  get dirty(): boolean {
    return this.progressDirty || this.pending.size > 0;
  }

  register(db: Database.Database): void {
    const opts = { deterministic: false, directOnly: false, safeIntegers: true } as const;
    db.function('pg_nextval', opts, (session, name) => this.nextval(Number(session), String(name)));
    db.function('pg_currval', opts, (session, name) => this.currval(Number(session), String(name)));
    db.function('pg_setval', opts, (session, name, value, called) =>
      value === null || called === null
        ? null
        : this.setval(Number(session), String(name), BigInt(value as bigint), Number(called) === 1),
    );
    db.function('pg_lastval', opts, (session) => this.lastval(Number(session)));
  }

  private def(text: string): SequenceDef {
    const { schema, name } = parseSequenceName(text);
    const stored = schema === null || schema === 'public' ? name : `${schema}.${name}`;
    const d = this.defs.get(stored);
    if (!d) throw new ChorusError('42P01', `relation "${schema ? `${schema}.` : ''}${name}" does not exist`);
    return d;
  }

  private session(id: number): SessionValues {
    let s = this.sessions.get(id);
    if (this.replaying && !this.replaying.has(id))
      this.replaying.set(id, s ? { values: new Map(s.values), last: s.last } : null);
    if (!s) {
      if (this.sessions.size >= sequenceSessionsMax) {
        const oldest = this.sessions.keys().next().value;
        if (oldest !== undefined) this.sessions.delete(oldest);
      }
      s = { values: new Map(), last: null };
      this.sessions.set(id, s);
    }
    return s;
  }

  nextval(session: number, text: string): bigint {
    const d = this.def(text);
    const of = (x: Progress | undefined): Progress | undefined =>
      x && x.epoch === d.epoch && x.node === d.node ? x : undefined;
    const p = this.progress.get(d.name);
    if (this.beforeOf !== this.statement) {
      this.before.clear();
      this.beforeOf = this.statement;
    }
    if (!this.before.has(d.name)) this.before.set(d.name, p && { ...p });
    const own = of(p) ?? of(this.replaced.get(d.name));
    const from = own ? { value: own.last, called: true } : d.reset;
    const v = nextValue(shortName(d.name), d, this.slots(), from);
    if (p && !of(p)) this.replaced.set(d.name, p);
    this.progress.set(d.name, { epoch: d.epoch, node: d.node, last: v });
    this.progressDirty = true;
    const s = this.session(session);
    s.values.set(d.name, v);
    s.last = d.name;
    return v;
  }

  currval(session: number, text: string): bigint {
    const d = this.def(text);
    const v = this.sessions.get(session)?.values.get(d.name);
    if (v === undefined)
      throw new ChorusError(
        '55000',
        `currval of sequence "${shortName(d.name)}" is not yet defined in this session`,
      );
    return v;
  }

  lastval(session: number): bigint {
    const s = this.sessions.get(session);
    if (!s?.last) throw new ChorusError('55000', 'lastval is not yet defined in this session');
    if (!this.defs.has(s.last)) throw new ChorusError('55000', 'lastval is not yet defined in this session');
    return s.values.get(s.last)!;
  }

  /** A write statement starts: what it draws from sequences is noted for `replay`. */
  markStatement(): void {
    this.statement++;
  }

  /**
   * Run `fn` — the current statement run once more after it failed, rolled back by the caller (a
   * constraint violation's diagnosis) — from where the sequences stood before the statement, so it
   * draws the same values; afterwards every sequence, currval and lastval are as the failed
   * statement left them (PostgreSQL runs a statement once: its next key must not move further).
   */
  replay<T>(fn: () => T): T {
    const progress = new Map(this.progress);
    const dirty = this.progressDirty;
    const defs = new Map(this.defs);
    const pending = new Map(this.pending);
    if (this.beforeOf === this.statement)
      for (const [name, p] of this.before) {
        if (p) this.progress.set(name, { ...p });
        else this.progress.delete(name);
      }
    const sessions = new Map<number, SessionValues | null>();
    this.replaying = sessions;
    try {
      return fn();
    } finally {
      this.replaying = null;
      this.progress.clear();
      for (const [name, p] of progress) this.progress.set(name, p);
      this.progressDirty = dirty;
      this.defs = defs;
      this.pending = pending;
      for (const [id, s] of sessions) {
        if (s) this.sessions.set(id, s);
        else this.sessions.delete(id);
      }
    }
  }

  /** setval: this node continues after `value`; every node does once the reset has replicated. */
  setval(session: number, text: string, value: bigint, called: boolean): bigint {
    const d = this.def(text);
    checkSetval(shortName(d.name), d, value);
    this.reset(d, { value, called });
    if (called) {
      const s = this.session(session);
      s.values.set(d.name, value);
    }
    return value;
  }

  /** A reset (setval, ALTER SEQUENCE RESTART, TRUNCATE ... RESTART IDENTITY) ordered after every one seen. */
  reset(d: SequenceDef, point: SequencePoint): void {
    const epoch = d.epoch + 1n;
    const next: SequenceDef = { ...d, reset: point, epoch, node: this.nodeId };
    this.defs.set(d.name, next);
    this.pending.set(d.name, next);
  }

  /** The definition of a sequence by its SQLite-side name. */
  get(name: string): SequenceDef | undefined {
    return this.defs.get(name);
  }

  /**
   * In the committing transaction: write resets (logged for peers by `log`) and this node's progress.
   */
  flush(log: (table: string, sql: string) => void): void {
    for (const d of this.pending.values()) {
      const sql = resetSql(d.name, d.reset, d.epoch, d.node);
      this.db.exec(sql);
      log(d.name, sql);
    }
    this.pending.clear();
    if (this.progressDirty) {
      const out: Record<string, [string, string, string]> = {};
      for (const [name, p] of this.progress)
        if (this.defs.has(name)) out[name] = [String(p.epoch), p.node, String(p.last)];
      this.db
        .prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)')
        .run(sequenceProgressKey, JSON.stringify(out));
      this.progressDirty = false;
    }
  }

  forgetSession(id: number): void {
    this.sessions.delete(id);
  }
}

function shortName(stored: string): string {
  const dot = stored.indexOf('.');
  return dot < 0 ? stored : stored.slice(dot + 1);
}
