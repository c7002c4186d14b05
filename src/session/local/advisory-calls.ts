// Runs `SELECT pg_advisory_lock(...)`-style statements for one session: PostgreSQL's overloads
// ((bigint) and (int, int)), results (void / boolean, NULL for NULL keys), warnings, and waits
// bounded by lock_timeout / statement_timeout and abandoned on CancelRequest.

import { ChorusError } from '../../errors.js';
import { T } from '../../sql/types/pg-types.js';
import type { BindValue } from '../read-protocol.js';
import type { ColumnInfo, Notice, StatementResult } from '../result.js';
import type { AdvisoryLocks, LockMode, LockScope } from './advisory-locks.js';
import type { AdvisoryCall, LocalArg } from './statement.js';

const int4Min = -(2n ** 31n);
const int4Max = 2n ** 31n - 1n;
const int8Min = -(2n ** 63n);
const int8Max = 2n ** 63n - 1n;

/** What the calls need from their session. */
export interface AdvisoryHost {
  readonly locks: AdvisoryLocks;
  /** The session, as lock owner. */
  readonly owner: object;
  /** A wait bounded by lock_timeout (55P03) and abandoned on cancel or statement_timeout (57014). */
  lockWait<T>(wait: Promise<T>): Promise<T>;
}

export function advisoryColumns(calls: readonly AdvisoryCall[]): ColumnInfo[] {
  return calls.map((c) => ({
    name: c.column,
    declType: null,
    table: null,
    pgType: { type: returnsVoid(c.fn) ? T.void : T.bool, typmod: -1 },
  }));
}

function returnsVoid(fn: string): boolean {
  return (
    fn === 'pg_advisory_unlock_all' || !(fn.startsWith('pg_try_') || fn.startsWith('pg_advisory_unlock'))
  );
}

/** The statement's one row: each call made in order (a failing call leaves earlier ones made, as in PostgreSQL). */
export async function runAdvisoryCalls(
  host: AdvisoryHost,
  calls: readonly AdvisoryCall[],
  params: readonly BindValue[],
  inBlock: boolean,
): Promise<StatementResult & { xactLocks: boolean }> {
  const row: unknown[] = [];
  const notices: Notice[] = [];
  let xactLocks = false;
  for (const c of calls) {
    const key = lockKey(c, params);
    if (key === 'null') {
      row.push(null);
      continue;
    }
    if (c.fn === 'pg_advisory_unlock_all') {
      host.locks.releaseAll(host.owner, 'session');
      row.push('');
      continue;
    }
    const mode: LockMode = c.fn.endsWith('_shared') ? 'shared' : 'exclusive';
    if (c.fn.startsWith('pg_advisory_unlock')) {
      const ok = host.locks.release(host.owner, key, mode, 'session');
      if (!ok)
        notices.push({
          severity: 'WARNING',
          code: '01000',
          message: `you don't own a lock of type ${mode === 'shared' ? 'ShareLock' : 'ExclusiveLock'}`,
        });
      row.push(ok ? 1n : 0n);
      continue;
    }
    const scope: LockScope = c.fn.includes('_xact_') ? 'xact' : 'session';
    if (scope === 'xact') xactLocks = true;
    if (c.fn.startsWith('pg_try_')) {
      row.push(host.locks.acquire(host.owner, key, mode, scope, false) === 'granted' ? 1n : 0n);
      continue;
    }
    const wait = host.locks.acquire(host.owner, key, mode, scope, true);
    if (wait !== 'granted') {
      try {
        await host.lockWait(wait.granted);
      } catch (e) {
        wait.abandon();
        throw e;
      }
    }
    row.push('');
  }
  // Outside a transaction block, the statement is its own transaction: its xact locks end with it.
  if (xactLocks && !inBlock) host.locks.releaseAll(host.owner, 'xact');
  return { tag: 'SELECT 1', columns: advisoryColumns(calls), rows: [row], notices, xactLocks };
}

type ArgType = 'unknown' | 'int4' | 'int8' | 'numeric';

/** The lock key of a call ('8:k' or '4:a:b', the two key spaces PostgreSQL keeps apart), or 'null'. */
function lockKey(c: AdvisoryCall, params: readonly BindValue[]): string {
  const n = c.args.length;
  const types = c.args.map(argType);
  const signature = (): string =>
    `${c.fn}(${types.map((t) => (t === 'int4' ? 'integer' : t === 'int8' ? 'bigint' : t)).join(', ')})`;
  const fits =
    c.fn === 'pg_advisory_unlock_all'
      ? n === 0
      : n === 1
        ? types[0] !== 'numeric'
        : n === 2 && types.every((t) => t === 'int4' || t === 'unknown');
  if (!fits)
    throw new ChorusError('42883', `function ${signature()} does not exist`, {
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      position: c.position,
    });
  if (n === 0) return '';
  const values = c.args.map((a) => keyValue(a, params, n === 1 ? 'bigint' : 'integer'));
  if (values.some((v) => v === null)) return 'null';
  return n === 1 ? `8:${values[0]}` : `4:${values[0]}:${values[1]}`;
}

function argType(a: LocalArg): ArgType {
  if ('param' in a || a.text === null) return 'unknown';
  if (!/^-?\d+$/.test(a.text)) return /^-?[\d.]+(e[-+]?\d+)?$/i.test(a.text) ? 'numeric' : 'unknown';
  const v = BigInt(a.text);
  if (v >= int4Min && v <= int4Max) return 'int4';
  return v >= int8Min && v <= int8Max ? 'int8' : 'numeric';
}

function keyValue(a: LocalArg, params: readonly BindValue[], type: 'bigint' | 'integer'): bigint | null {
  const raw = 'param' in a ? params[a.param - 1] : a.text;
  if (raw === null || raw === undefined) return null;
  let v: bigint;
  if (typeof raw === 'bigint') v = raw;
  else if (typeof raw === 'number' && Number.isInteger(raw)) v = BigInt(raw);
  else {
    const text = typeof raw === 'string' ? raw.trim() : String(raw);
    if (!/^[-+]?\d+$/.test(text))
      throw new ChorusError('22P02', `invalid input syntax for type ${type}: "${String(raw)}"`, {
        position: 'text' in a ? a.position : undefined,
      });
    v = BigInt(text);
  }
  const [lo, hi] = type === 'bigint' ? [int8Min, int8Max] : [int4Min, int4Max];
  if (v < lo || v > hi)
    throw new ChorusError('22003', `value "${String(raw)}" is out of range for type ${type}`);
  return v;
}
