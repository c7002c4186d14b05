// SQL functions every connection (writer, readers, admin) registers, so PostgreSQL clients find
// what they expect: version(), pg_sleep(), current_database() and friends.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../errors.js';
import { pgSleepSecondsMax } from '../limits.js';

export const chorusVersion = '0.1.0';
export const pgServerVersion = '15.0';
export const versionString = `PostgreSQL ${pgServerVersion} (ChorusDB ${chorusVersion}) on ${process.arch}-${process.platform}, compiled by Node.js ${process.versions.node}, 64-bit`;

export interface SqlFunctionOptions {
  /** The writer connection cannot block: pg_sleep there would stall every session. */
  inWriter: boolean;
}

export function registerSqlFunctions(db: Database.Database, opts: SqlFunctionOptions): void {
  db.function('version', { deterministic: true }, () => versionString);
  db.function('current_database', { deterministic: true }, () => 'chorus');
  db.function('current_schema', { deterministic: true }, () => 'public');
  db.function('pg_backend_pid', () => BigInt(process.pid));
  db.function('pg_sleep', (seconds: unknown) => {
    const s = Number(seconds);
    if (!Number.isFinite(s) || s < 0 || s > pgSleepSecondsMax) {
      throw new ChorusError('22023', `pg_sleep: seconds must be between 0 and ${pgSleepSecondsMax}`);
    }
    if (opts.inWriter) throw new FeatureNotSupportedError('pg_sleep() inside a write transaction');
    // A reader thread may block: it only delays the reads queued on this one thread.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000);
    return null;
  });
}
