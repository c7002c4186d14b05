// Running SQL on a node from inside the process (embedding, tests, the HTTP API): describing a
// prepared statement, running a script in a session of its own, read-your-writes waits.

import { MinLsnTimeoutError } from '../errors.js';
import type { PrimaryStandby } from '../replication/standby/primary-standby.js';
import { advisoryColumns } from '../session/local/advisory-calls.js';
import type { PlannedStatement } from '../session/planning/plan-cache.js';
import type { Prepared } from '../session/planning/prepared.js';
import type { BindValue } from '../session/read-protocol.js';
import type { AdminExecutor } from '../session/readers/admin-executor.js';
import type { ColumnInfo, StatementResult } from '../session/result.js';
import { planColumns, type Session, typedByView } from '../session/session.js';
import type { SessionHost } from '../session/session-state.js';
import { showColumns } from '../session/settings/settings.js';
import type { StatementCache } from '../session/statement-cache.js';
import type { StorageEngine } from '../storage/engine/engine.js';
import { toChorusError } from '../storage/sqlite-errors.js';

export interface QueryOutput {
  columns: string[];
  rows: Record<string, unknown>[];
  tag: string;
}

/** Result columns of a prepared statement without running it (Describe of a statement), or null. */
export function describePrepared(
  p: Prepared,
  admin: AdminExecutor,
  writerCache: StatementCache,
): ColumnInfo[] | null {
  if (p.plan) return p.plan.columns ? planColumns(p) : null;
  if (p.ddl) return null;
  if (p.local) return p.local.kind === 'advisory' ? advisoryColumns(p.local.calls) : null;
  if (p.route.type === 'admin-call') {
    const fn = p.route.fn;
    return fn.columns.map((c) => ({ name: c.name, declType: null, table: `replicate.${fn.name}` }));
  }
  if (p.route.type === 'session') {
    return p.cls.kind === 'show'
      ? showColumns(p.text).map((name) => ({ name, declType: 'TEXT', table: null }))
      : null;
  }
  if (p.route.onAdmin) return admin.describe(p.execSql);
  // DDL and TRUNCATE return no rows (and TRUNCATE is no SQLite statement to compile).
  if (
    p.cls.kind.startsWith('create_') ||
    p.cls.kind.startsWith('drop_') ||
    p.cls.kind === 'alter_table' ||
    p.cls.kind === 'truncate'
  )
    return null;
  try {
    const columns = writerCache.get(p.execSql).columns;
    if (!columns || !p.viewColumnTypes) return columns;
    return typedByView({ tag: '', columns, rows: [], notices: [] }, p.viewColumnTypes).columns;
  } catch (e) {
    throw toChorusError(e);
  }
}

/** What running a script needs of the node (ChorusNode is one). */
export interface QueryNode {
  readonly nodeId: string;
  readonly engine: StorageEngine;
  readonly standby: PrimaryStandby | null;
  openSession(startupParams?: Record<string, string>): Session;
  closeSession(s: Session): void;
}

/** ChorusNode.execTracked: wait for `minLsn` (if given), run the script, report its last commit's position. */
export async function runTracked(
  node: QueryNode,
  host: SessionHost,
  sql: string,
  params: readonly BindValue[],
  minLsn: number | null,
  minLsnTimeoutMs: number,
): Promise<{ results: StatementResult[]; commitLsn: number | null }> {
  if (minLsn !== null) await awaitLsn(node, host, minLsn, minLsnTimeoutMs);
  const session = node.openSession();
  try {
    const planned: PlannedStatement[] =
      params.length > 0
        ? [{ prepared: session.schema.planner.prepareOne(sql), params }]
        : session.schema.planner.planSimple(sql);
    const results: StatementResult[] = [];
    await session.executeSimple(planned, (r) => results.push(r));
    return { results, commitLsn: session.lastCommitLsn };
  } finally {
    node.closeSession(session);
  }
}

async function awaitLsn(node: QueryNode, host: SessionHost, lsn: number, timeoutMs: number): Promise<void> {
  const client = host.writeRouting?.client;
  const position = (): number =>
    client?.position() ?? node.standby?.position() ?? node.engine.applied.get(node.nodeId) ?? 0;
  if (position() >= lsn || (client && (await client.waitFor(lsn, timeoutMs)))) return;
  throw new MinLsnTimeoutError(
    `this node has not reached position ${lsn} (it is at ${position()})${client ? ` within ${timeoutMs} ms` : ''}`,
    client
      ? 'The standby is behind: retry, send a longer Chorus-Min-LSN-Timeout, or read from the primary.'
      : 'Only a standby waits for a position; this node does not hold that one.',
  );
}

/** The last result of a script as rows of objects keyed by column name. */
export function lastResultRows(results: StatementResult[]): QueryOutput {
  const last = results[results.length - 1];
  if (!last) return { columns: [], rows: [], tag: '' };
  const columns = (last.columns ?? []).map((c) => c.name);
  const rows = last.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  return { columns, rows, tag: last.tag };
}
