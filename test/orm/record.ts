// What every ORM program of the suite shares: the connection config it is given, the record of step
// results it returns (JSON-able, compared between PostgreSQL and ChorusDB), and a trace of the SQL the
// `pg` driver sent, so a failing step names the exact statement and the server's error.
import pg from 'pg';

/** Where a program connects: a real PostgreSQL or a ChorusDB node. */
export interface DbConfig {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
}

/** The results of one phase of a program, step name → value (or `{ unexpectedError }`). */
export type PhaseRecord = Record<string, unknown>;

/**
 * One ORM program, split where the multi-primary case splits it: `migrate` (the ORM's schema tool) runs
 * on one node, `app` (CRUD, relations, transactions, ...) on another, `down` (the down-migration) back
 * on the first. `tables` are the application tables `migrate` creates (to wait for their replication).
 */
export interface OrmProgram {
  name: string;
  tables: string[];
  migrate(db: DbConfig): Promise<PhaseRecord>;
  app(db: DbConfig): Promise<PhaseRecord>;
  down(db: DbConfig): Promise<PhaseRecord>;
}

/** A statement the server answered with an error. */
export interface FailedStatement {
  sql: string;
  params?: unknown[];
  code?: string;
  message: string;
}

/** Every statement sent through `pg` (text, parameters, error) while tracing is on. */
export interface TracedStatement {
  sql: string;
  params?: unknown[];
  error?: { code?: string; message: string };
  /** What the server answered: the command tag's verb, the row count, the column names and the first rows. */
  result?: { command?: string; rowCount?: number | null; fields?: string[]; rows?: unknown[] };
}

const traceRowsMax = 5;

function noteResult(st: TracedStatement, res: unknown): void {
  // A simple-protocol query holding several statements answers with one result per statement.
  const last = (Array.isArray(res) ? res[res.length - 1] : res) as
    | { command?: string; rowCount?: number | null; fields?: { name: string }[]; rows?: unknown[] }
    | undefined;
  if (!last || typeof last !== 'object') return;
  st.result = {
    ...(last.command ? { command: last.command } : {}),
    rowCount: last.rowCount ?? null,
    ...(last.fields ? { fields: last.fields.map((f) => f.name) } : {}),
    ...(last.rows ? { rows: last.rows.slice(0, traceRowsMax) } : {}),
  };
}

const traceMaxStatements = 20_000;
let traced: TracedStatement[] = [];
let installed = false;

function statementOf(config: unknown, values: unknown): TracedStatement | undefined {
  if (typeof config === 'string')
    return { sql: config, ...(Array.isArray(values) ? { params: values } : {}) };
  if (config && typeof config === 'object' && typeof (config as { text?: unknown }).text === 'string') {
    const c = config as { text: string; values?: unknown[] };
    const params = c.values ?? (Array.isArray(values) ? values : undefined);
    return { sql: c.text, ...(params ? { params } : {}) };
  }
  return undefined;
}

function noteError(st: TracedStatement, err: unknown): void {
  const e = err as { code?: string; message?: string };
  st.error = { ...(e?.code ? { code: e.code } : {}), message: String(e?.message ?? err) };
}

/**
 * Wraps pg.Client.prototype.query once (every ORM here reaches the server through it, promise or
 * callback style) so each statement and its error is recorded.
 */
export function installTracer(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function tracedQuery(this: unknown, ...args: unknown[]): unknown {
    const st = statementOf(args[0], args[1]);
    if (!st) return original.apply(this, args);
    if (traced.length < traceMaxStatements) traced.push(st);
    const cbIndex = args.findIndex((a) => typeof a === 'function');
    if (cbIndex >= 0) {
      const cb = args[cbIndex] as (err: unknown, res: unknown) => void;
      args[cbIndex] = (err: unknown, res: unknown) => {
        if (err) noteError(st, err);
        else noteResult(st, res);
        cb(err, res);
      };
      return original.apply(this, args);
    }
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<unknown>).then(
        (res: unknown) => noteResult(st, res),
        (err: unknown) => noteError(st, err),
      );
    }
    return out;
  };
}

/** The statements traced since the last call (and forgets them). */
export function takeTrace(): TracedStatement[] {
  const out = traced;
  traced = [];
  return out;
}

/** Number of statements traced so far (a mark for `failuresSince`). */
export function traceMark(): number {
  return traced.length;
}

/** The statements that failed since `mark`. */
export function failuresSince(mark: number): FailedStatement[] {
  return traced
    .slice(mark)
    .filter((s) => s.error)
    .map((s) => ({
      sql: s.sql,
      ...(s.params ? { params: s.params.map(jsonable) } : {}),
      ...(s.error?.code ? { code: s.error.code } : {}),
      message: s.error!.message,
    }));
}

/** A value as JSON can hold it, keeping what the driver's JS type was. */
export function jsonable(v: unknown): unknown {
  if (v === undefined) return { $undefined: true };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString() };
  if (Buffer.isBuffer(v)) return { $buffer: v.toString('hex') };
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonable(x);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
  return v;
}

/** What an application sees of an error: the class chain (ORM wrapper → driver error) and PostgreSQL's fields. */
export function describeError(err: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const classes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const o = e as Record<string, unknown>;
    classes.push((e as object).constructor?.name ?? 'Object');
    for (const k of ['code', 'constraint', 'table', 'column', 'detail', 'severity']) {
      if (out[k] === undefined && typeof o[k] === 'string') out[k] = o[k];
    }
    e = o.driverError ?? o.cause;
  }
  out.classes = classes;
  out.message = (err as Error)?.message ?? String(err);
  return out;
}

/** The step of a phase record holding its generated keys' raw values, label → value (`KeyLabels`). */
export const generatedKeysStep = 'generatedKeys';

/**
 * Stable labels for the keys the database generates (serial / identity values). A multi-primary
 * ChorusDB node hands out its own slot of each sequence (node k of N: START + INCREMENT×(k + j×N)), so
 * node 2 of 3 numbers rows 2, 5, 8 where PostgreSQL numbers them 1, 2, 3. A program names each key it is
 * given back by the order of its creation (the first user inserted is "user#1"), and records labels
 * wherever it records a key or a foreign key: a wrong row, a missing row, a foreign key to the wrong
 * row and a wrong order still differ. The raw values are recorded too (step `generatedKeys`): on one
 * node they must be PostgreSQL's; on a cluster, PostgreSQL's mapped into the application node's slot.
 */
export class KeyLabels {
  private readonly labelOf = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  readonly values: Record<string, unknown> = {};

  private static keyOf(entity: string, value: unknown): string {
    return `${entity}\u0000${typeof value === 'bigint' ? value.toString() : String(value)}`;
  }

  /** Registers keys just generated for rows of `entity`, in the order the rows were created; their labels. */
  created(entity: string, ...values: unknown[]): string[] {
    return values.map((value) => {
      const k = KeyLabels.keyOf(entity, value);
      if (this.labelOf.has(k)) throw new Error(`${entity} key ${String(value)} generated twice`);
      const n = (this.counts.get(entity) ?? 0) + 1;
      this.counts.set(entity, n);
      const label = `${entity}#${n}`;
      this.labelOf.set(k, label);
      this.values[label] = jsonable(value);
      return label;
    });
  }

  /** The label of a key registered before; a key never generated here is `entity#?value` (a difference). */
  of(entity: string, value: unknown): string | null {
    if (value === null || value === undefined) return null;
    return this.labelOf.get(KeyLabels.keyOf(entity, value)) ?? `${entity}#?${String(value)}`;
  }

  /**
   * An error's description (`describeError`) with the generated keys of the row PostgreSQL shows in its
   * detail ("Failing row contains (v1, v2, ...).") replaced by their labels: `columns` maps a value's
   * position (0-based) to its key's entity. Positions count values split at ", ", so a text value holding
   * ", " before a key shifts it (and the label then differs: a difference, never a silent pass).
   */
  failingRow(e: Record<string, unknown>, columns: Record<number, string>): Record<string, unknown> {
    const m = typeof e.detail === 'string' ? /^Failing row contains \((.*)\)\.$/s.exec(e.detail) : null;
    if (!m) return e;
    const values = m[1]!.split(', ');
    for (const [pos, entity] of Object.entries(columns)) {
      const i = Number(pos);
      if (i < values.length && values[i] !== 'null') values[i] = this.of(entity, values[i]) ?? 'null';
    }
    return { ...e, detail: `Failing row contains (${values.join(', ')}).` };
  }

  /**
   * An error's description with the generated keys of its detail "Key (c1, c2)=(v1, v2) ..." (unique and
   * foreign key violations) replaced by their labels: `columns` maps a column name to its key's entity.
   */
  keyDetail(e: Record<string, unknown>, columns: Record<string, string>): Record<string, unknown> {
    const m = typeof e.detail === 'string' ? /^Key \(([^)]*)\)=\((.*)\)( .*)$/s.exec(e.detail) : null;
    if (!m) return e;
    const names = m[1]!.split(', ');
    const values = m[2]!.split(', ');
    if (names.length !== values.length) return e;
    const labelled = values.map((v, i) => {
      const entity = columns[names[i]!];
      return entity && v !== 'null' ? this.of(entity, v) : v;
    });
    return { ...e, detail: `Key (${m[1]})=(${labelled.join(', ')})${m[3]}` };
  }

  /** A row with its key fields (field → entity) replaced by their labels; other fields as they are. */
  row(row: object, fields: Record<string, string>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...row };
    for (const [field, entity] of Object.entries(fields))
      if (field in out) out[field] = this.of(entity, out[field]);
    return out;
  }
}

/**
 * A generated key as node `slot` of a cluster of `slots` masters hands it out, given PostgreSQL's value
 * for the same row: the j-th value of a sequence (START 1, INCREMENT 1 in every program) is 1 + j on
 * PostgreSQL and START + INCREMENT×(slot + j×slots) on the node (docs/replication.md).
 */
export function inSlot(pgValue: unknown, slot: number, slots: number): unknown {
  const slotted = (v: bigint) => 1n + BigInt(slot) + (v - 1n) * BigInt(slots);
  if (typeof pgValue === 'number' && Number.isInteger(pgValue)) return Number(slotted(BigInt(pgValue)));
  if (typeof pgValue === 'string' && /^\d+$/.test(pgValue)) return slotted(BigInt(pgValue)).toString();
  throw new Error(`generated key ${JSON.stringify(pgValue)} is not a sequence value`);
}

/** PostgreSQL's record of a phase as node `slot` of a cluster must give it: its generated keys in that slot. */
export function keysInSlot(want: PhaseRecord, slot: number, slots: number): PhaseRecord {
  const keys = want[generatedKeysStep] as Record<string, unknown> | undefined;
  if (!keys) return want;
  const mapped = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, inSlot(v, slot, slots)]));
  return { ...want, [generatedKeysStep]: mapped };
}

/** Collects the results of a phase's steps; a step that throws is recorded with the statements that failed. */
export class Recorder {
  private readonly steps: PhaseRecord = {};
  /** The phase's generated keys (recorded, when there are any, as the step `generatedKeys`). */
  readonly keys = new KeyLabels();

  /** The phase's record: each step's result, then the generated keys' raw values. */
  get record(): PhaseRecord {
    return Object.keys(this.keys.values).length > 0
      ? { ...this.steps, [generatedKeysStep]: { ...this.keys.values } }
      : { ...this.steps };
  }

  async step(name: string, fn: () => Promise<unknown>): Promise<void> {
    const mark = traceMark();
    if (process.env.ORM_DEBUG) console.error(`step ${name}`);
    try {
      this.steps[name] = jsonable(await fn());
      if (process.env.ORM_DEBUG) console.error(`step ${name} done`);
    } catch (err) {
      this.steps[name] = { unexpectedError: describeError(err), failedStatements: failuresSince(mark) };
      if (process.env.ORM_DEBUG) console.error(`step ${name} failed: ${(err as Error)?.message}`);
    }
  }
}

/** The steps of a record that failed unexpectedly (none may on PostgreSQL). */
export function unexpectedErrors(rec: Record<string, PhaseRecord>): string[] {
  const out: string[] = [];
  for (const [phase, steps] of Object.entries(rec)) {
    for (const [step, v] of Object.entries(steps)) {
      if (v && typeof v === 'object' && 'unexpectedError' in v)
        out.push(`${phase}.${step}: ${JSON.stringify(v)}`);
    }
  }
  return out;
}

/** The JS type of each field of a row as the driver gave it (typeof, or the class of an object). */
export function jsTypes(row: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] =
      v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'Object') : typeof v;
  }
  return out;
}

/** An assertion inside a program: its failure is an unexpected error of the step. */
export function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** Matches PostgreSQL's uuid text form (gen_random_uuid() values are v4). */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
