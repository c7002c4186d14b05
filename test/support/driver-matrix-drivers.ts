// Driver adapters for the driver matrix (test/integration/driver-matrix.test.ts): one small adapter per
// client library that runs a statement and reports what the application sees — the JavaScript values of
// the rows, the column names and type OIDs, the command tag, or the error and its fields — plus each
// driver's own value parsers, with which hard-coded expectations (PostgreSQL's text output) become the
// values that driver would return.
//
// Drivers: `pg` (simple protocol without parameters, untyped OID-0 parameters), `pg` with binary results
// (extended protocol, every result column in binary format), postgres.js 3 (tagged templates, parameter
// types inferred from JavaScript values, the rest described by the server) and postgres.js 4 (parameter
// types decided by the server; bytea results in binary format).
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import postgres from 'postgres';
import postgres4 from 'postgres4';
import { binaryCell } from './driver-matrix-binary.js';

export const DRIVERS = ['pg', 'pg-binary', 'postgres.js-3', 'postgres.js-4'] as const;
export type DriverName = (typeof DRIVERS)[number];

export interface Column {
  name: string;
  type: number;
}

/** The fields of an ErrorResponse a client exposes (file/line/routine left out: they name server source). */
export interface ErrorFields {
  code: string;
  message: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

export type Outcome =
  | { ok: true; command: string | null; count: number | null; columns: Column[]; rows: unknown[] }
  | { ok: false; error: ErrorFields };

/** A connection of one driver to one server. */
export interface DriverConnection {
  /** Runs one statement; `$n` placeholders take params[n-1]. Never throws; a hang is an error outcome. */
  query(sql: string, params: unknown[], timeoutMs: number): Promise<Outcome>;
  close(): Promise<void>;
}

/** Client-side outcome codes (not SQLSTATEs). */
export const TIMEOUT = 'TIMEOUT';
export const NOT_RUN = 'NOT_RUN';

function timeout<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { timedOut: true }> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then((value) => ({ value })),
    new Promise<{ timedOut: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: true }), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const hung = (ms: number): Outcome => ({
  ok: false,
  error: { code: TIMEOUT, message: `no answer within ${ms} ms: the query hangs` },
});
const closed: Outcome = {
  ok: false,
  error: { code: NOT_RUN, message: 'not run: the connection was closed after an earlier query hung' },
};

/** Copies the error fields a driver exposes under the names `names` maps to ours. */
function errorFields(err: unknown, names: Record<keyof ErrorFields, string>): ErrorFields {
  const e = err as Record<string, unknown>;
  const out: Partial<ErrorFields> = {};
  for (const [ours, theirs] of Object.entries(names) as [keyof ErrorFields, string][]) {
    const v = e?.[theirs];
    if (v !== undefined && v !== null && v !== '') out[ours] = String(v);
  }
  out.code ??= 'NO_CODE';
  out.message ??= String(err);
  return out as ErrorFields;
}

const pgErrorNames: Record<keyof ErrorFields, string> = {
  code: 'code',
  message: 'message',
  severity: 'severity',
  detail: 'detail',
  hint: 'hint',
  position: 'position',
  schema: 'schema',
  table: 'table',
  column: 'column',
  dataType: 'dataType',
  constraint: 'constraint',
};

const postgresJsErrorNames: Record<keyof ErrorFields, string> = {
  code: 'code',
  message: 'message',
  severity: 'severity',
  detail: 'detail',
  hint: 'hint',
  position: 'position',
  schema: 'schema_name',
  table: 'table_name',
  column: 'column_name',
  dataType: 'data_type_name',
  constraint: 'constraint_name',
};

/** Rows as plain objects (drivers build them with different prototypes). */
function plainRow(row: unknown): unknown {
  return Object.fromEntries(Object.entries(row as Record<string, unknown>));
}

async function connectPg(url: string, binary: boolean, timeoutMs: number): Promise<DriverConnection> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  let broken = false;
  return {
    async query(sql, params, ms) {
      if (broken) return closed;
      const config = {
        text: sql,
        values: params,
        // Without `queryMode: 'extended'`, pg sends a statement without parameters as a simple query,
        // whose results are always text.
        ...(binary ? { binary: true, queryMode: 'extended' } : {}),
      } as pg.QueryConfig;
      const r = await timeout(
        client.query(config).then(
          (res): Outcome => ({
            ok: true,
            command: res.command,
            count: res.rowCount,
            columns: res.fields.map((f) => ({ name: f.name, type: f.dataTypeID })),
            rows: res.rows.map(plainRow),
          }),
          (err): Outcome => ({ ok: false, error: errorFields(err, pgErrorNames) }),
        ),
        ms,
      );
      if ('value' in r) return r.value;
      broken = true;
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      return hung(ms);
    },
    async close() {
      if (!broken) await timeout(client.end(), 5000);
    },
  };
}

type PostgresJs = ReturnType<typeof postgres>;

/** Splits `$n` placeholders out of `sql` into a template strings array and the matching values. */
export function templateOf(sql: string, params: unknown[]): [TemplateStringsArray, unknown[]] {
  const strings: string[] = [];
  const values: unknown[] = [];
  let last = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) {
    strings.push(sql.slice(last, m.index));
    const n = Number(m[1]);
    if (n < 1 || n > params.length) throw new Error(`${m[0]} without a parameter in: ${sql}`);
    values.push(params[n - 1]);
    last = m.index + m[0].length;
  }
  strings.push(sql.slice(last));
  return [Object.assign([...strings], { raw: [...strings] }), values];
}

async function connectPostgresJs(version: 3 | 4, url: string, timeoutMs: number): Promise<DriverConnection> {
  const options = {
    max: 1,
    onnotice: () => undefined,
    connect_timeout: Math.ceil(timeoutMs / 1000),
  };
  const sql = (
    version === 3 ? postgres(url, options) : (postgres4 as unknown as typeof postgres)(url, options)
  ) as PostgresJs;
  let broken = false;
  // Connect now, so that a refused connection fails the case here and not inside its first statement.
  const probe = await timeout(
    (sql`SELECT 1` as unknown as Promise<unknown>).then(
      () => undefined,
      (err: unknown) => err,
    ),
    timeoutMs,
  );
  if (!('value' in probe) || probe.value !== undefined) {
    await sql.end({ timeout: 0 });
    throw 'value' in probe
      ? probe.value
      : new Error(`postgres.js ${version}: no connection in ${timeoutMs} ms`);
  }
  return {
    async query(text, params, ms) {
      if (broken) return closed;
      let run: Promise<Outcome>;
      try {
        // The tagged-template call an application makes: sql`... ${value} ...`.
        const [strings, values] = templateOf(text, params);
        const pending = (sql as unknown as (s: TemplateStringsArray, ...v: unknown[]) => Promise<unknown>)(
          strings,
          ...values,
        );
        run = pending.then(
          (res): Outcome => {
            const list = res as unknown[] & {
              command?: string;
              count?: number | null;
              columns?: { name: string; type: number }[];
            };
            return {
              ok: true,
              command: list.command ?? null,
              count: list.count ?? null,
              columns: (list.columns ?? []).map((c) => ({ name: c.name, type: c.type })),
              rows: [...list].map(plainRow),
            };
          },
          (err): Outcome => ({ ok: false, error: errorFields(err, postgresJsErrorNames) }),
        );
      } catch (err) {
        run = Promise.resolve({ ok: false, error: errorFields(err, postgresJsErrorNames) });
      }
      const r = await timeout(run, ms);
      if ('value' in r) return r.value;
      broken = true;
      await sql.end({ timeout: 0 }).catch(() => undefined);
      return hung(ms);
    },
    async close() {
      if (!broken) await timeout(sql.end({ timeout: 1 }), 5000);
    },
  };
}

export function connectDriver(driver: DriverName, url: string, timeoutMs: number): Promise<DriverConnection> {
  switch (driver) {
    case 'pg':
      return connectPg(url, false, timeoutMs);
    case 'pg-binary':
      return connectPg(url, true, timeoutMs);
    case 'postgres.js-3':
      return connectPostgresJs(3, url, timeoutMs);
    case 'postgres.js-4':
      return connectPostgresJs(4, url, timeoutMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Each driver's value parsers: PostgreSQL's text output of a value → what the driver returns for it.

type Parser = (text: string) => unknown;
const identity: Parser = (x) => x;

// Instances that never connect (postgres.js connects on the first query): only their parsers are used.
const parserHosts = {
  3: postgres('postgres://nobody@127.0.0.1:1/none', { max: 1 }),
  4: (postgres4 as unknown as typeof postgres)('postgres://nobody@127.0.0.1:1/none', { max: 1 }),
};

function postgresJsParser(version: 3 | 4, oid: number): Parser {
  const parsers = (parserHosts[version].options as unknown as { parsers: Record<number, Parser | undefined> })
    .parsers;
  return parsers[oid] ?? identity;
}

/** What `driver` returns for a value of type `oid` whose PostgreSQL text output is `text`. */
export function driverValue(driver: DriverName, oid: number, text: string | null): unknown {
  if (text === null) return null;
  switch (driver) {
    case 'pg':
      return pg.types.getTypeParser(oid, 'text')(text);
    case 'pg-binary': {
      // node-postgres decodes every cell as UTF-8 text and turns it back into bytes for binary parsers
      // (src: pg/lib/result.js), so bytes that are not UTF-8 reach the parser changed; mimic that.
      const mangled = Buffer.from(binaryCell(oid, text).toString('utf8'), 'utf8');
      return (pg.types.getTypeParser(oid, 'binary') as (b: Buffer) => unknown)(mangled);
    }
    case 'postgres.js-3':
      return postgresJsParser(3, oid)(text);
    case 'postgres.js-4':
      return postgresJsParser(4, oid)(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison of outcomes.

/**
 * A value in a form deep equality compares as the application would: node-postgres's binary timestamp
 * parser hangs fresh closures (getMicroSeconds, ...) on every Date, which are never equal (the
 * microseconds it records stay part of the value), and invalid Dates must equal each other.
 */
export function canonical(v: unknown): unknown {
  if (v instanceof Date) {
    // Deep equality compares times with !==, so two invalid Dates (NaN) would never be equal.
    const invalid = Number.isNaN(v.getTime());
    const own = Object.entries(v).filter(([, x]) => typeof x !== 'function');
    if (own.length === 0 && !invalid) return v;
    return { date: invalid ? 'Invalid Date' : new Date(v.getTime()), ...Object.fromEntries(own) };
  }
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(canonical);
  const proto = Object.getPrototypeOf(v);
  const entries = Object.entries(v).map(([k, x]) => [k, canonical(x)] as const);
  return Object.assign(Object.create(proto), Object.fromEntries(entries));
}

/** The kind of a value, for cases whose values cannot be known in advance (now()). */
export function shapeOf(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Date(invalid)' : 'Date';
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'Object';
  return typeof v;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}
