// Installing a snapshot received from a donor: the downloaded database is made this node's own
// (its node id and node-local settings, no peer acknowledgements) and, while no engine has the data
// directory open, swapped in for the live database. The swap is a marker file and renames that a
// crash at any step leaves re-doable; the previous database is kept beside it, never deleted.

import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { databaseFileName } from './engine.js';

/** Folder under the data directory where a snapshot being received is kept (resumable). */
export const snapshotIncomingDirName = 'snapshot-incoming';
/** The downloaded database file in that folder. */
export const snapshotFileName = 'snapshot.db';
/** Transfer progress (donor, snapshot id, bytes received) in that folder. */
export const snapshotProgressFileName = 'progress.json';
/** Present once the download is verified and prepared: install at the next open. */
export const snapshotReadyFileName = 'ready.json';
/** The database a snapshot replaced, kept next to the new one (the previous one is overwritten). */
export const preSnapshotFileName = `${databaseFileName}.pre-snapshot`;

export function snapshotIncomingDir(dataDir: string): string {
  const dir = join(dataDir, snapshotIncomingDirName);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Make a downloaded snapshot this node's database: its own node id and node-local meta values
 * (null deletes the key), the donor's peer acknowledgements dropped (they describe the donor's
 * peers; retention relearns them), and no WAL left beside it.
 */
export function prepareSnapshotFile(
  file: string,
  nodeId: string,
  localMeta: Record<string, string | null>,
): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.transaction(() => {
      const set = db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)');
      const del = db.prepare('DELETE FROM _chorus_meta WHERE key = ?');
      set.run('node_id', nodeId);
      for (const [k, v] of Object.entries(localMeta)) {
        if (v === null) del.run(k);
        else set.run(k, v);
      }
      db.prepare('DELETE FROM _chorus_peers').run();
    })();
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

function moveWithSidecars(from: string, to: string): void {
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(to + suffix, { force: true });
    if (existsSync(from + suffix)) renameSync(from + suffix, to + suffix);
  }
}

/**
 * If a verified snapshot waits in the data directory, swap it in (call before the engine opens the
 * directory). Returns true when a snapshot was installed. Safe to re-run after a crash at any step.
 */
export function installPendingSnapshot(dataDir: string): boolean {
  const dir = join(dataDir, snapshotIncomingDirName);
  const ready = join(dir, snapshotReadyFileName);
  if (!existsSync(ready)) return false;
  const incoming = join(dir, snapshotFileName);
  const live = join(dataDir, databaseFileName);
  if (existsSync(incoming)) {
    if (existsSync(live)) moveWithSidecars(live, join(dataDir, preSnapshotFileName));
    renameSync(incoming, live);
  }
  rmSync(join(dir, snapshotProgressFileName), { force: true });
  rmSync(ready, { force: true });
  return true;
}
