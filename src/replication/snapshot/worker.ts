// Worker thread that makes one snapshot of the node's database for a joining or re-syncing peer:
// SQLite's online backup from a read-only connection of its own (so the node's writer and event
// loop keep running), then the file's SHA-256 and the applied vector the copy holds.

import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface SnapshotWorkerData {
  source: string;
  dest: string;
}

export type SnapshotWorkerResult =
  | { ok: true; size: number; sha256: string; vector: Record<string, number>; pages: number }
  | { ok: false; message: string };

/**
 * Pages per backup step after the first. Large enough that one step copies the whole database in
 * one read transaction: a WAL reader sees one consistent state and writers are never blocked, and
 * a write between two small steps would restart the copy over and over under a steady load.
 */
export const backupStepPagesMax = 0x7fffffff;

/** The applied vector of a database file: the newest origin sequence of each origin in its log. */
export function vectorOf(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT origin, max(origin_seq) AS seq FROM _chorus_tx GROUP BY origin').all() as {
    origin: string;
    seq: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.origin, Number(r.seq)]));
}

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function run(data: SnapshotWorkerData): Promise<SnapshotWorkerResult> {
  const src = new Database(data.source, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    const r = await src.backup(data.dest, { progress: () => backupStepPagesMax });
    pages = r.totalPages;
  } finally {
    src.close();
  }
  // The copy is a complete database of its own: its log says which transactions it holds.
  const copy = new Database(data.dest, { fileMustExist: true });
  let vector: Record<string, number>;
  try {
    // A backup keeps the source's WAL mode; fold any WAL content into the file we ship.
    copy.pragma('journal_mode = DELETE');
    vector = vectorOf(copy);
  } finally {
    copy.close();
  }
  return { ok: true, size: statSync(data.dest).size, sha256: await sha256OfFile(data.dest), vector, pages };
}

if (parentPort && workerData) {
  const port = parentPort;
  run(workerData as SnapshotWorkerData).then(
    (r) => port.postMessage(r),
    (err: unknown) => port.postMessage({ ok: false, message: (err as Error).message }),
  );
}
