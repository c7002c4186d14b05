// Small stateless helpers of Session: result construction, bind-parameter shaping and the DDL
// signature lookups (index table, rename target) used to track schema changes.

import type { AdminCallContext, AdminRegistry, AdminType, AdminValue } from '../admin/registry.js';
import { ChorusError } from '../errors.js';
import { isDdl } from '../sql/classify.js';
import { isKeyword, type Token } from '../sql/lexer.js';
import type { StorageEngine } from '../storage/engine.js';
import type { Prepared } from './planning/prepared.js';
import type { BindParams, BindValue } from './read-protocol.js';
import type { ColumnInfo, StatementResult } from './result.js';
import type { SessionSettings } from './settings/settings.js';

/** Columns read from an inlined admin view (internal source table or an expression) get the view's types. */
export function typedByView(r: StatementResult, types: ReadonlyMap<string, AdminType>): StatementResult {
  const columns = r.columns!.map((c) => {
    const t = types.get(c.name);
    return t && (c.table === null || c.table.startsWith('_chorus_')) ? { ...c, adminType: t } : c;
  });
  return { ...r, columns };
}

export function result(tag: string, columns: ColumnInfo[] | null): StatementResult {
  return { tag, columns, rows: [], notices: [] };
}

export function toAdminValue(v: BindValue | undefined): AdminValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

export function toBindParams(p: Prepared, params: readonly BindValue[]): BindParams {
  if (p.paramStyle === 'dollar') {
    const o: Record<string, BindValue> = {};
    params.forEach((v, i) => {
      o[String(i + 1)] = v;
    });
    return o;
  }
  return params as BindValue[];
}

export function tableExists(db: StorageEngine['writer'], name: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE").get(name) !==
    undefined
  );
}

export function indexTable(sig: Token[]): string | null {
  const on = sig.findIndex((t) => isKeyword(t, 'ON'));
  const t = on >= 0 ? sig[on + 1] : undefined;
  if (!t) return null;
  return t.kind === 'qident' ? t.value : t.text;
}

export function renameTarget(sig: Token[]): string | null {
  const i = sig.findIndex((t, k) => isKeyword(t, 'RENAME') && isKeyword(sig[k + 1], 'TO'));
  const t = i >= 0 ? sig[i + 2] : undefined;
  if (!t || isKeyword(sig[i + 1], 'COLUMN')) return null;
  return t.kind === 'qident' ? t.value : t.text;
}

/**
 * The client-supplied timestamp last-write-wins orders a session's writes by, when
 * timestamp_source = client_timestamp: `SET chorus.client_timestamp = '2025-01-02T03:04:05Z'` (or
 * epoch milliseconds). Null without one: the commit's HLC wall time is used.
 */
export function clientTimestampOf(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new ChorusError('22007', `chorus.client_timestamp: cannot read "${v}" as a timestamp`);
  }
  return n;
}

/** Statements that make a transaction block unfit for a commit group (see Session.ensureWriter). */
export const savepointKinds: ReadonlySet<string> = new Set(['savepoint', 'rollback_to', 'release']);

/**
 * Whether the transaction open while running items[next - 1] of one simple Query ends in that same
 * query (a later COMMIT/ROLLBACK, or the implicit transaction's end) with nothing in between that
 * makes the client answer first (COPY) or lets it go on interactively after an error (savepoints).
 */
export function queryEndsTransaction(
  items: readonly { prepared: Prepared }[],
  next: number,
  implicit: boolean,
): boolean {
  // DDL never runs inside a commit group: later members would be planned against the committed
  // schema and run against the block's uncommitted one.
  if (
    items.some(
      (i) =>
        isKeyword(i.prepared.cls.sig[0], 'COPY') ||
        savepointKinds.has(i.prepared.cls.kind) ||
        isDdl(i.prepared.cls.kind) ||
        i.prepared.cls.kind === 'truncate',
    )
  )
    return false;
  return (
    implicit ||
    items.slice(next).some((i) => i.prepared.cls.kind === 'commit' || i.prepared.cls.kind === 'rollback')
  );
}

/** A direct call of a replicate.* function: bind its arguments, run it, describe its result. */
export async function runAdminCall(
  registry: AdminRegistry,
  user: string,
  p: Prepared,
  params: readonly BindValue[],
  session?: AdminCallContext['session'],
): Promise<StatementResult> {
  if (p.route.type !== 'admin-call') throw new ChorusError('XX000', 'not an admin call');
  const resolve = (a: { value: AdminValue } | { param: number }): AdminValue =>
    'value' in a ? a.value : toAdminValue(params[a.param - 1]);
  const { fn, alias } = p.route;
  const args = registry.bindArguments(
    fn,
    p.route.positional.map(resolve),
    new Map([...p.route.named].map(([k, a]) => [k, resolve(a)])),
  );
  const rows = (await fn.run(args, session ? { user, session } : { user })).map((r) =>
    r.map((v) => (typeof v === 'boolean' ? (v ? 1n : 0n) : v)),
  );
  return {
    tag: `SELECT ${rows.length}`,
    columns: fn.columns.map((c) => ({
      name: alias !== undefined && fn.columns.length === 1 ? alias : c.name,
      declType: null,
      table: `replicate.${fn.name}`,
      adminType: c.type,
    })),
    rows,
    notices: [],
  };
}

/** A front-end plan's result columns as the wire layer describes them. */
export function planColumns(p: Prepared): ColumnInfo[] {
  return (p.plan?.columns ?? []).map((c) => ({ name: c.name, declType: null, table: null, pgType: c.type }));
}

export function sameColumns(a: Prepared, b: Prepared): boolean {
  const x = a.plan?.columns ?? null;
  const y = b.plan?.columns ?? null;
  if (x === null || y === null) return x === y;
  return (
    x.length === y.length &&
    // By OID: an enum type is a new object in each catalog version (types/enum.ts).
    x.every((c, i) => c.type.type.oid === y[i]!.type.type.oid && c.type.typmod === y[i]!.type.typmod)
  );
}

/**
 * A savepoint in a read-only block that holds no writer: only its name (and settings) to keep.
 * True when it was a ROLLBACK TO (the block is no longer failed).
 */
export function readOnlySavepoint(
  stack: string[],
  settings: Pick<SessionSettings, 'savepoint' | 'release' | 'rollbackTo'>,
  kind: string,
  name: string,
): boolean {
  if (kind === 'savepoint') {
    stack.push(name);
    settings.savepoint(name);
    return false;
  }
  const at = stack.lastIndexOf(name);
  if (at < 0) throw new ChorusError('3B001', `savepoint "${name}" does not exist`);
  if (kind === 'release') {
    stack.length = at;
    settings.release(name);
    return false;
  }
  stack.length = at + 1;
  settings.rollbackTo(name);
  return true;
}
