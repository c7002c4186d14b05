// Maps SQLite errors (better-sqlite3's SqliteError: a code like SQLITE_CONSTRAINT_UNIQUE and a
// message) to the SQLSTATE a PostgreSQL client expects.

import { ChorusError } from '../errors.js';

export interface SqliteErrorLike {
  code: string;
  message: string;
}

export function isSqliteError(e: unknown): e is SqliteErrorLike & Error {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

const byCode: Record<string, string> = {
  SQLITE_CONSTRAINT_UNIQUE: '23505',
  SQLITE_CONSTRAINT_PRIMARYKEY: '23505',
  SQLITE_CONSTRAINT_NOTNULL: '23502',
  SQLITE_CONSTRAINT_FOREIGNKEY: '23503',
  SQLITE_CONSTRAINT_CHECK: '23514',
  SQLITE_CONSTRAINT_TRIGGER: '23000',
  SQLITE_CONSTRAINT: '23000',
  SQLITE_MISMATCH: '42804',
  SQLITE_TOOBIG: '54000',
  SQLITE_BUSY: '55P03',
  SQLITE_LOCKED: '55P03',
  SQLITE_READONLY: '25006',
  SQLITE_IOERR: '58030',
  SQLITE_FULL: '53100',
  SQLITE_CORRUPT: 'XX001',
  SQLITE_NOMEM: '53200',
  SQLITE_INTERRUPT: '57014',
  SQLITE_RANGE: '08P01',
  SQLITE_AUTH: '42501',
};

const byMessage: [RegExp, string][] = [
  [/^no such table/, '42P01'],
  [/^no such view/, '42P01'],
  [/^no such column/, '42703'],
  [/^no such function/, '42883'],
  [/^no such index/, '42704'],
  [/^no such trigger/, '42704'],
  [/^no such savepoint/, '3B001'],
  [/^(table|index|view|trigger) .* already exists/, '42P07'],
  [/syntax error|^incomplete input|^unrecognized token/, '42601'],
  [/^wrong number of arguments/, '42883'],
  [/^ambiguous column name/, '42702'],
  [/^datatype mismatch/, '42804'],
  [/^duplicate column name/, '42701'],
  [/^misuse of aggregate|^aggregate functions are not allowed/, '42803'],
  [/^integer overflow/, '22003'],
  [/^division by zero/, '22012'],
  [/^cannot (start|commit|rollback)/, '25000'],
  [/^too many (terms|columns|SQL variables)/, '54000'],
  [/^malformed JSON/, '22032'],
  // A row value ((a, b), ROW(...)) where SQLite cannot take one: PostgreSQL can, ChorusDB refuses.
  [/^row value misused/, '0A000'],
  [/^Expression tree is too large/, '54001'],
  [/^unable to identify the object to be reindexed/, '42P01'],
];

function pgMessage(message: string): string {
  const exists = /^(?:table|index|view) "?([^"]+?)"? already exists$/.exec(message);
  if (exists) return `relation "${exists[1]}" already exists`;
  if (message === 'integer overflow') return 'bigint out of range';
  if (message === 'row value misused')
    return 'a row value ((a, b) or ROW(...)) in this position is not supported';
  const sp = /^no such savepoint: (.+)$/.exec(message);
  if (sp) return `savepoint "${sp[1]}" does not exist`;
  const m = /^no such table: (?:main\.)?(.+)$/.exec(message);
  if (m) return `relation "${m[1]}" does not exist`;
  const c = /^no such column: (.+)$/.exec(message);
  if (c) return `column "${c[1]}" does not exist`;
  const u = /^UNIQUE constraint failed: (.+)$/.exec(message);
  if (u) return `duplicate key value violates unique constraint on ${u[1]}`;
  const n = /^NOT NULL constraint failed: (.+)$/.exec(message);
  if (n) return `null value in column "${n[1]!.split('.').pop()}" violates not-null constraint`;
  return message;
}

/** Convert any error thrown while executing SQL into a ChorusError with a SQLSTATE. */
export function toChorusError(e: unknown): ChorusError {
  if (e instanceof ChorusError) return e;
  if (isSqliteError(e)) {
    // Errors thrown by our own SQL functions come back wrapped; keep their SQLSTATE.
    const fromFn = (e as { cause?: unknown }).cause;
    if (fromFn instanceof ChorusError) return fromFn;
    if (e.message.startsWith('chorus: ')) return new ChorusError('0A000', e.message.slice(8), { cause: e });
    let state = byCode[e.code];
    if (!state || state === '23000') {
      for (const [re, s] of byMessage) {
        if (re.test(e.message)) {
          state = s;
          break;
        }
      }
    }
    const plain = e.code === 'SQLITE_ERROR' || e.code.startsWith('SQLITE_CONSTRAINT');
    return new ChorusError(
      state ?? '42000',
      pgMessage(e.message),
      plain ? { cause: e } : { detail: `SQLite: ${e.code}`, cause: e },
    );
  }
  if (e instanceof Error) return new ChorusError('XX000', e.message, { cause: e });
  return new ChorusError('XX000', String(e));
}

/** Rebuild an error that crossed a worker-thread boundary as plain {code, message, sqlstate?}. */
export function fromTransferred(err: {
  code?: string;
  message: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
}): ChorusError {
  if (err.sqlstate) return new ChorusError(err.sqlstate, err.message, { detail: err.detail, hint: err.hint });
  if (err.code?.startsWith('SQLITE_')) {
    const e = Object.assign(new Error(err.message), { code: err.code });
    return toChorusError(e);
  }
  return new ChorusError('XX000', err.message);
}
