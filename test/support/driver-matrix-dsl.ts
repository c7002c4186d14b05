// The driver matrix's case language: a case is data (steps of SQL + parameters, the drivers it runs on,
// and PostgreSQL's answer written down as text), turned per driver into the JavaScript values that driver
// must return; and the comparison of two outcomes (rows with their JS types, column names and type OIDs,
// command tag, or SQLSTATE and every error field).
import { inspect } from 'node:util';
import {
  type DriverName,
  driverValue,
  type ErrorFields,
  type Outcome,
  sameValue,
  shapeOf,
} from './driver-matrix-drivers.js';

export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  _int4: 1007,
  _int8: 1016,
  _text: 1009,
  _numeric: 1231,
  /** Any user enum type: its OID is each database's own (from 16384 up), so columns compare as a class. */
  enum: 16384,
} as const;
export type TypeName = keyof typeof OID;

const typeNames = new Map<number, string>(Object.entries(OID).map(([name, oid]) => [oid, name]));

export const GROUPS = [
  'types',
  'computed',
  'parameters',
  'value checks',
  'errors',
  'no hang',
  'transactions',
] as const;
export type Group = (typeof GROUPS)[number];

/** PostgreSQL's answer: rows as PostgreSQL's text output (NULL as null), or an error. */
export type Expectation =
  | {
      command: string;
      /** Row count of the command tag; unchecked when undefined. */
      count?: number | null;
      columns: [string, TypeName][];
      rows: (string | null)[][];
    }
  | { error: ErrorFields };

export interface Step {
  sql: string;
  params?: unknown[];
  expect?: Expectation | ((driver: DriverName) => Expectation);
  /** Runs on both servers to put the data in the state the case needs; its outcome is not compared. */
  setup?: true;
}

export interface Case {
  group: Group;
  name: string;
  steps: Step[];
  /** Default: every driver. */
  drivers?: readonly DriverName[];
  /** Compare values by their kind (Date, string, ...) only: for values nobody can predict, like now(). */
  shape?: true;
}

// ---------------------------------------------------------------------------------------------
// Writing expectations.

/** A SELECT's answer: columns (name, type) and rows of PostgreSQL text output. */
export function rows(columns: [string, TypeName][], ...data: (string | null)[][]): Expectation {
  return { command: 'SELECT', count: data.length, columns, rows: data };
}

/** INSERT/UPDATE/DELETE ... RETURNING. */
export function returning(
  command: 'INSERT' | 'UPDATE' | 'DELETE',
  columns: [string, TypeName][],
  ...data: (string | null)[][]
): Expectation {
  return { command, count: data.length, columns, rows: data };
}

/** A command without rows (BEGIN, INSERT without RETURNING, ...). */
export function done(command: string, count?: number | null): Expectation {
  return { command, count, columns: [], rows: [] };
}

/** An error: SQLSTATE, message and every other field PostgreSQL sends (severity ERROR implied). */
export function fails(code: string, message: string, fields: Partial<ErrorFields> = {}): Expectation {
  return { error: { code, message, severity: 'ERROR', ...fields } };
}

/** A one-statement case. */
export function single(
  group: Group,
  sql: string,
  params: unknown[] | undefined,
  expect: Step['expect'],
  more: Partial<Case> & { name?: string } = {},
): Case {
  const name = more.name ?? (params?.length ? `${sql}  ${showParams(params)}` : sql);
  return { group, name, steps: [{ sql, params, expect }], ...more };
}

export function showParams(params: unknown[]): string {
  return `[${params.map((p) => inspect(p, { breakLength: Infinity, maxStringLength: 40, maxArrayLength: 8 })).join(', ')}]`;
}

/** What `driver` must return, as an outcome; count undefined = unchecked. */
export function expectedOutcome(e: Expectation, driver: DriverName): Outcome {
  if ('error' in e) return { ok: false, error: e.error };
  return {
    ok: true,
    command: e.command,
    count: e.count as number | null,
    columns: e.columns.map(([name, type]) => ({ name, type: OID[type] })),
    rows: e.rows.map((r) => {
      if (r.length !== e.columns.length) throw new Error(`row ${JSON.stringify(r)} does not fit the columns`);
      return Object.fromEntries(
        e.columns.map(([name, type], i) => [name, driverValue(driver, OID[type], r[i]!)]),
      );
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing outcomes.

export function show(v: unknown): string {
  return inspect(v, { depth: 6, breakLength: Infinity, maxArrayLength: 12, maxStringLength: 120 });
}

function showColumns(columns: { name: string; type: number }[]): string {
  const name = (t: number) => (t >= OID.enum ? 'enum' : (typeNames.get(t) ?? t));
  return `(${columns.map((c) => `${c.name} ${name(c.type)}`).join(', ')})`;
}

export function summary(o: Outcome): string {
  if (!o.ok) return `ERROR ${o.error.code}: ${o.error.message}`;
  const shown = o.rows.length > 4 ? [...o.rows.slice(0, 4), `… ${o.rows.length - 4} more`] : o.rows;
  return `${o.command} ${o.count ?? ''} ${showColumns(o.columns)} ${show(shown)}`;
}

/**
 * Every way `actual` differs from `expected` ("actual ≠ expected" each). An expected count of
 * undefined is not checked; with `shape`, values compare by kind only.
 */
export function diff(actual: Outcome, expected: Outcome, shape = false): string[] {
  if (!expected.ok) {
    if (actual.ok) return [`${summary(actual)} ≠ ${summary(expected)}`];
    const problems: string[] = [];
    const keys = new Set([...Object.keys(actual.error), ...Object.keys(expected.error)]) as Set<
      keyof ErrorFields
    >;
    for (const k of keys) {
      if (actual.error[k] !== expected.error[k]) {
        problems.push(`${k}: ${show(actual.error[k])} ≠ ${show(expected.error[k])}`);
      }
    }
    return problems;
  }
  if (!actual.ok) return [`${summary(actual)} ≠ ${summary(expected)}`];
  const problems: string[] = [];
  if (actual.command !== expected.command) {
    problems.push(`command ${show(actual.command)} ≠ ${show(expected.command)}`);
  }
  if (expected.count !== undefined && actual.count !== expected.count) {
    problems.push(`row count ${show(actual.count)} ≠ ${show(expected.count)}`);
  }
  const a = showColumns(actual.columns);
  const e = showColumns(expected.columns);
  if (a !== e) problems.push(`columns ${a} ≠ ${e}`);
  const shaped = (rows: unknown[]): unknown[] =>
    shape
      ? rows.map((r) =>
          Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, shapeOf(v)])),
        )
      : rows;
  const ar = shaped(actual.rows);
  const er = shaped(expected.rows);
  if (ar.length !== er.length) {
    problems.push(`${ar.length} rows ${show(ar)} ≠ ${er.length} rows ${show(er)}`);
  } else {
    let shown = 0;
    for (let i = 0; i < ar.length; i++) {
      if (sameValue(ar[i], er[i])) continue;
      if (shown++ === 3) {
        problems.push('(more rows differ)');
        break;
      }
      problems.push(`row ${i + 1} ${show(ar[i])} ≠ ${show(er[i])}`);
    }
  }
  return problems;
}
