// The id of a database's history: made when the database is created, copied with it by every
// snapshot, kept by the node that streams from it. A primary whose data directory was wiped and
// re-created has a new one, so a standby that followed the old database sees it is no longer the
// same history even when the new one has already numbered more commits than the standby holds
// (PostgreSQL's system identifier plays this part for its streaming replicas).

import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** `_chorus_meta` key of the history id. */
export const historyIdMetaKey = 'history_id';
/** The id given to a database that held commits before history ids existed (all such share it). */
export const legacyHistoryId = 'legacy';

/** This database's history id, made now if it has none (a database with commits gets the legacy id). */
export function ensureHistoryId(db: Database.Database): string {
  const current = readHistoryId(db);
  if (current !== null) return current;
  const hasCommits = db.prepare('SELECT 1 FROM _chorus_tx LIMIT 1').get() !== undefined;
  const id = hasCommits ? legacyHistoryId : randomBytes(8).toString('hex');
  db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)').run(historyIdMetaKey, id);
  return id;
}

export function readHistoryId(db: Database.Database): string | null {
  const v = db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(historyIdMetaKey);
  return typeof v === 'string' ? v : null;
}

/** A node that holds nothing yet takes the history of the node it starts streaming from. */
export function adoptHistoryId(db: Database.Database, id: string): void {
  db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)').run(historyIdMetaKey, id);
}
