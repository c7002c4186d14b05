// SQL functions every connection (writer, readers, admin) registers, so PostgreSQL clients find
// what they expect: version(), pg_sleep(), current_database() and friends (and PostgreSQL's
// case-sensitive LIKE).

import type Database from 'better-sqlite3';
import { addElement, incrementValue, type Json, mapDelete, mapPut, removeElement } from '../crdt/crdt.js';
import { ChorusError, FeatureNotSupportedError } from '../errors.js';
import { pgSleepSecondsMax } from '../limits.js';
import { registerPgFunctions } from '../sql/pg-functions.js';
import { registerRuntime } from '../sql/runtime/register.js';

export const chorusVersion = '0.1.0';
export const pgServerVersion = '15.0';
export const versionString = `PostgreSQL ${pgServerVersion} (ChorusDB ${chorusVersion}) on ${process.arch}-${process.platform}, compiled by Node.js ${process.versions.node}, 64-bit`;

export interface SqlFunctionOptions {
  /** The writer connection cannot block: pg_sleep there would stall every session. */
  inWriter: boolean;
  /**
   * Replicated (multi-primary) writer: re-adding a present set element or re-putting an unchanged
   * map entry leaves a marker the commit turns into a fresh CRDT tag (so it wins over a concurrent
   * remove), then removes.
   */
  crdtMarkers?: boolean;
  /**
   * The catalog functions psql's queries call (admin/catalog/catalog-functions.ts), registered by
   * the layer that owns them: storage sits below admin.
   */
  catalogFunctions?: (db: Database.Database) => void;
}

/** Marker element of a set value: this element was added again. */
export const setReaddMarker = '$readd';
/** Marker key of a map value: these keys were put again with an unchanged value. */
export const mapReputMarker = '$reput';

export function registerSqlFunctions(db: Database.Database, opts: SqlFunctionOptions): void {
  // LIKE is case-sensitive in PostgreSQL; the dialect layer turns ILIKE into lower(a) LIKE lower(b).
  db.pragma('case_sensitive_like = ON');
  db.function('version', { deterministic: true }, () => versionString);
  db.function('current_database', { deterministic: true }, () => 'chorus');
  db.function('current_schema', { deterministic: true }, () => 'public');
  db.function('pg_backend_pid', () => BigInt(process.pid));
  opts.catalogFunctions?.(db);
  registerCrdtFunctions(db, opts.crdtMarkers ?? false);
  registerPgFunctions(db);
  registerRuntime(db, versionString);
  // Returns void: PostgreSQL's void prints as an empty string (NULL for a NULL argument).
  db.function('pg_sleep', (seconds: unknown) => {
    if (seconds === null) return null;
    const s = Math.max(Number(seconds), 0);
    if (!Number.isFinite(s) || s > pgSleepSecondsMax) {
      throw new ChorusError('22023', `pg_sleep: seconds must be between 0 and ${pgSleepSecondsMax}`);
    }
    if (opts.inWriter) throw new FeatureNotSupportedError('pg_sleep() inside a write transaction');
    // A reader thread may block: it only delays the reads queued on this one thread.
    if (s > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000);
    return '';
  });
}

/** A column value as the CRDT helpers see it: JSON text of sets and maps parsed, integers as numbers. */
function crdtArg(v: unknown): Json {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('[') || t.startsWith('{')) {
      try {
        return JSON.parse(t) as Json;
      } catch {
        throw new ChorusError('22P02', `invalid JSON in a CRDT column: ${t.slice(0, 60)}`);
      }
    }
  }
  if (v instanceof Uint8Array) throw new ChorusError('22023', 'CRDT values cannot be binary');
  return (v ?? null) as Json;
}

/** Canonical JSON text (sorted set elements, sorted map keys) so every node stores the same text. */
function canonicalText(v: Json): string {
  if (Array.isArray(v)) {
    const items = v.map((e) => JSON.stringify(e)).sort();
    return `[${items.join(',')}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** crdt_increment(col, n), crdt_add(col, v), crdt_set(col, k, v), ... and CRDT_COUNTER(n). */
function registerCrdtFunctions(db: Database.Database, markers: boolean): void {
  const num = (v: unknown, what: string): number => {
    const n = typeof v === 'bigint' ? Number(v) : Number(v);
    if (!Number.isFinite(n)) throw new ChorusError('22023', `${what}: expected a number, got ${String(v)}`);
    return n;
  };
  // Optional arguments need varargs: better-sqlite3 takes the arity from fn.length otherwise.
  db.function('crdt_increment', { deterministic: true, varargs: true }, (col: unknown, by: unknown = 1n) =>
    incrementValue(crdtArg(col), num(by, 'crdt_increment')),
  );
  db.function('crdt_decrement', { deterministic: true, varargs: true }, (col: unknown, by: unknown = 1n) =>
    incrementValue(crdtArg(col), -num(by, 'crdt_decrement')),
  );
  db.function('crdt_add', { deterministic: true }, (col: unknown, elem: unknown) => {
    const before = crdtArg(col);
    const e = crdtArg(elem);
    const after = addElement(before, e);
    const present = Array.isArray(before) && before.length === after.length;
    return canonicalText(markers && present ? [...after, { [setReaddMarker]: e }] : after);
  });
  db.function('crdt_remove', { deterministic: true }, (col: unknown, elem: unknown) =>
    canonicalText(removeElement(crdtArg(col), crdtArg(elem))),
  );
  db.function('crdt_set', { deterministic: true }, (col: unknown, key: unknown, value: unknown) => {
    const before = crdtArg(col);
    const k = String(key);
    const v = crdtArg(value);
    const after = mapPut(before, k, v) as { [k: string]: Json };
    const unchanged =
      before !== null &&
      typeof before === 'object' &&
      !Array.isArray(before) &&
      JSON.stringify(before[k]) === JSON.stringify(v);
    if (markers && unchanged) {
      const prior = Array.isArray(after[mapReputMarker]) ? (after[mapReputMarker] as Json[]) : [];
      after[mapReputMarker] = [...prior, k];
    }
    return canonicalText(after);
  });
  db.function('crdt_delete', { deterministic: true }, (col: unknown, key: unknown) =>
    canonicalText(mapDelete(crdtArg(col), String(key))),
  );
  db.function('crdt_counter', { deterministic: true, varargs: true }, (initial: unknown = 0n) =>
    num(initial, 'CRDT_COUNTER'),
  );
}
