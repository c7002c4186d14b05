// Installing a snapshot received from a donor: the downloaded database is made this node's own
// (its node id and node-local settings, no peer acknowledgements) and, while no engine has the data
// directory open, swapped in for the live database. The swap is a marker file and renames that a
// crash at any step leaves re-doable; the previous database is kept beside it, never deleted.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
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
/**
 * Meta key of a node that agreed to give up what it holds past a vector (JSON), because that was
 * recorded elsewhere first — a deposed primary's rewound commits (rewound-rows.jsonl). A copy that
 * covers this vector may replace the database. The installed copy does not carry the key.
 */
export const rewindToMetaKey = 'rewind_to';
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
      // A rewind ends with this install (a donor's own pending one is not this node's).
      del.run(rewindToMetaKey);
      db.prepare('DELETE FROM _chorus_peers').run();
    })();
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

const sidecars = ['-wal', '-shm', '-journal'];

/** Make the directory's renames durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * For each origin, the highest transaction sequence the database holds (the newest transaction
 * of each origin always stays in the log), capped at `rewindToMetaKey` when set on the live one (`fold`). With `fold`, the database's WAL is folded into it and
 * removed first, so the file alone is the database and one rename moves it.
 */
function vectorOf(file: string, fold: boolean): Record<string, number> {
  const db = new Database(file, { readonly: !fold, fileMustExist: true });
  try {
    if (fold) db.pragma('journal_mode = DELETE');
    const hasLog = db.prepare("SELECT 1 FROM sqlite_master WHERE name = '_chorus_tx'").get();
    if (!hasLog) return {};
    const rows = db
      .prepare('SELECT origin, max(origin_seq) AS seq FROM _chorus_tx GROUP BY origin')
      .all() as {
      origin: string;
      seq: number | bigint;
    }[];
    const vector: Record<string, number> = Object.fromEntries(rows.map((r) => [r.origin, Number(r.seq)]));
    const rewind = db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(rewindToMetaKey) as
      | string
      | undefined;
    if (!fold || rewind === undefined) return vector;
    // What the node agreed to give up is no loss: only the vector up to the cap must be covered.
    const cap = JSON.parse(rewind) as Record<string, unknown>;
    for (const o of Object.keys(vector)) {
      const c = cap[o];
      vector[o] = Math.min(vector[o]!, typeof c === 'number' && Number.isSafeInteger(c) ? c : 0);
    }
    return vector;
  } finally {
    db.close();
  }
}

/** The _chorus_meta key of the primary/standby epoch (replication/standby/epoch.ts keeps it; the install below keeps the greater). */
export const haEpochMetaKey = 'ha_epoch';

/**
 * The copy carries the node-local meta read when the download began; a vote granted after that
 * (while the node closed for the install) raised the live database's epoch. One vote per epoch
 * must survive the install: the copy takes the greater epoch.
 */
function keepNewerEpoch(live: string, incoming: string): void {
  const read = (db: Database.Database): number =>
    Number(db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(haEpochMetaKey) ?? 0);
  const liveDb = new Database(live, { readonly: true, fileMustExist: true });
  let liveEpoch: number;
  try {
    liveEpoch = liveDb.prepare("SELECT 1 FROM sqlite_master WHERE name = '_chorus_meta'").get()
      ? read(liveDb)
      : 0;
  } finally {
    liveDb.close();
  }
  if (!Number.isSafeInteger(liveEpoch) || liveEpoch <= 0) return;
  const copy = new Database(incoming, { fileMustExist: true });
  try {
    // No WAL beside the copy: the install moves the one file.
    copy.pragma('journal_mode = DELETE');
    if (read(copy) < liveEpoch)
      copy
        .prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)')
        .run(haEpochMetaKey, String(liveEpoch));
  } finally {
    copy.close();
  }
}

export type SnapshotInstallResult =
  | { installed: false; refused?: string }
  | { installed: true; previous: string | null };

/**
 * If a verified snapshot waits in the data directory, swap it in (call before the engine opens the
 * directory). Refuses (and discards the copy) when the live database holds transactions the copy
 * lacks, of any origin: installing would lose them. Safe to re-run after a crash at any step.
 */
export function installPendingSnapshot(dataDir: string): SnapshotInstallResult {
  const dir = join(dataDir, snapshotIncomingDirName);
  const ready = join(dir, snapshotReadyFileName);
  if (!existsSync(ready)) return { installed: false };
  const incoming = join(dir, snapshotFileName);
  const live = join(dataDir, databaseFileName);
  let previous: string | null = null;
  if (existsSync(incoming)) {
    if (existsSync(live)) {
      const liveVector = vectorOf(live, true);
      const copyVector = vectorOf(incoming, false);
      const lacking = Object.entries(liveVector).filter(([o, seq]) => (copyVector[o] ?? 0) < seq);
      if (lacking.length > 0) {
        // ready.json first: a crash between the two must not look like a finished install.
        rmSync(ready, { force: true });
        rmSync(incoming, { force: true });
        rmSync(join(dir, snapshotProgressFileName), { force: true });
        const what = lacking.map(([o, seq]) => `${o} up to ${seq} (copy: ${copyVector[o] ?? 0})`).join(', ');
        return {
          installed: false,
          refused: `the database holds transactions the snapshot lacks (${what}); installing it would lose them`,
        };
      }
      keepNewerEpoch(live, incoming);
      previous = join(dataDir, preSnapshotFileName);
      for (const suffix of sidecars) rmSync(previous + suffix, { force: true });
      renameSync(live, previous);
    }
    // Sidecars without their database can only be stale; beside the new one they would corrupt it.
    for (const suffix of sidecars) rmSync(live + suffix, { force: true });
    renameSync(incoming, live);
    syncDir(dataDir);
  }
  rmSync(join(dir, snapshotProgressFileName), { force: true });
  rmSync(ready, { force: true });
  return { installed: true, previous };
}
