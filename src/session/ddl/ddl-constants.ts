// The constants of a DDL plan (ALTER TABLE ... ADD COLUMN defaults) evaluated on the writer and
// written into the DDL text as SQLite literals, so every node runs the same text.

import { constantMarker } from '../../sql/analyze/ddl/ddl.js';
import type { StorageEngine } from '../../storage/engine/engine.js';

/** DDL text with each DdlPlan constant evaluated (on the writer, in this transaction) as a literal. */
export function withConstants(
  db: StorageEngine['writer'],
  sql: string,
  constants: readonly string[],
): string {
  let out = sql;
  constants.forEach((expr, i) => {
    const stmt = db.prepare(`SELECT ${expr}`);
    stmt.safeIntegers(true);
    const v = stmt.pluck().get() as unknown;
    out = out.replace(constantMarker(i), sqlLiteral(v));
  });
  return out;
}

/** A storage value as an SQLite literal. */
function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  // A REAL stays a REAL (exponent form), -0 keeps its sign.
  if (typeof v === 'number') return Object.is(v, -0) ? '-0.0' : v.toExponential();
  if (v instanceof Uint8Array) return `X'${Buffer.from(v).toString('hex')}'`;
  return `'${String(v).replaceAll("'", "''")}'`;
}
