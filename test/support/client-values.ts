// What a PostgreSQL client would receive for an embedded node's results. node.exec()/query() return
// values in their storage form (numeric as its order key, booleans as 0/1, timestamps as µs); tests
// that assert on values a user sees turn them into the wire's text, then parse that text as
// node-postgres does (int4 → number, int8 and numeric → string, bool → boolean, timestamptz → Date,
// json → parsed), so the assertions read like those of the wire tests.
import pg from 'pg';
import type { ChorusNode } from '../../src/node/node.js';
import type { BindValue } from '../../src/session/read-protocol.js';
import type { StatementResult } from '../../src/session/result.js';
import { defaultEnv } from '../../src/sql/types/values.js';
import { cellEncoders, columnOids, pgColumnName } from '../../src/wire/results.js';

/** The rows of one statement result as node-postgres (text format, default parsers) would give them. */
export function clientRows(node: ChorusNode, r: StatementResult): Record<string, unknown>[] {
  const columns = r.columns ?? [];
  const oids = columnOids(columns, r.rows, node.registry); // as the wire types them
  const encoders = cellEncoders(columns, oids, [], defaultEnv);
  const parsers = oids.map((oid) => pg.types.getTypeParser(oid, 'text') as (text: string) => unknown);
  const names = columns.map(pgColumnName);
  return r.rows.map((row) =>
    Object.fromEntries(
      names.map((name, i) => {
        const text = encoders[i]!(row[i]);
        return [name, text === null ? null : parsers[i]!(typeof text === 'string' ? text : text.toString())];
      }),
    ),
  );
}

/** Runs sql on the node and returns the last statement's rows as a PostgreSQL client would see them. */
export async function clientQuery(
  node: ChorusNode,
  sql: string,
  params: readonly BindValue[] = [],
): Promise<Record<string, unknown>[]> {
  const results = await node.exec(sql, params);
  const last = results[results.length - 1];
  return last ? clientRows(node, last) : [];
}
