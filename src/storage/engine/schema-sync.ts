// Keeping the node's per-table bookkeeping true to the schema after DDL: the table registry, the
// capture triggers, keyless row ranges, delta columns, parked rows and sequence definitions.

import type Database from 'better-sqlite3';
import { internalPrefix } from '../../sql/namespaces.js';
import { syncCaptureTriggers } from '../capture/capture.js';
import { forgetStaleDeltaColumns } from '../capture/delta-registry.js';
import type { SequenceStore } from '../sequences/sequences.js';
import { forgetKeylessRows } from '../tables/keyless-rows.js';

/** Names of user tables that are replicated (not local-only). */
export function replicatedTables(db: Database.Database): string[] {
  const rows = db
    .prepare(
      `SELECT s.name AS name FROM sqlite_schema s
         LEFT JOIN _chorus_tables t ON t.name = s.name
         WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
           AND s.name NOT LIKE '${internalPrefix.replaceAll('_', '\\_')}%' ESCAPE '\\'
           AND coalesce(t.local_only, 0) = 0`,
    )
    .all() as { name: string }[];
  return rows.map((r) => r.name);
}

export function isLocalOnly(db: Database.Database, table: string): boolean {
  const row = db.prepare('SELECT local_only FROM _chorus_tables WHERE name = ?').get(table) as
    | { local_only: bigint }
    | undefined;
  return row !== undefined && row.local_only === 1n;
}

/** Drop registry rows of tables that no longer exist and re-generate capture triggers (in the open transaction). */
export function syncSchemaRows(
  db: Database.Database,
  guardPrimaryKeyUpdates: boolean,
  sequences: SequenceStore,
): void {
  const dropped = db
    .prepare(
      `DELETE FROM _chorus_tables WHERE name NOT IN (SELECT name FROM sqlite_schema WHERE type = 'table') RETURNING name`,
    )
    .pluck()
    .all() as string[];
  syncCaptureTriggers(db, replicatedTables(db), guardPrimaryKeyUpdates);
  forgetKeylessRows(db);
  forgetStaleDeltaColumns(db, dropped);
  if (dropped.length > 0) {
    // Rows parked for a dropped table must never come back into a new table of that name.
    const forgetParked = db.prepare('DELETE FROM _chorus_parked WHERE tbl = ?');
    for (const t of dropped) forgetParked.run(t);
  }
  sequences.load();
}
