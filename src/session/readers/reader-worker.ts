// A reader thread: its own read-only SQLite connection (WAL readers never block the writer and are
// never blocked by it) running reads sent from the main thread, plus background WAL checkpoints.

import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { registerCatalogFunctions } from '../../admin/catalog/catalog-functions.js';
import { ChorusError, ProgramLimitExceededError } from '../../errors.js';
import { resultRowsMax } from '../../limits.js';
import { applyStorageMemory, type StorageMemory } from '../../storage/memory-settings.js';
import { registerSqlFunctions } from '../../storage/sql-functions.js';
import type { BindParams, TransferredError, WorkerRequest, WorkerResponse } from '../read-protocol.js';
import { StatementCache } from '../statement-cache.js';

interface ReaderWorkerData {
  path: string;
  memory: StorageMemory | undefined;
}

function transfer(e: unknown): TransferredError {
  if (e instanceof ChorusError)
    return { message: e.message, sqlstate: e.sqlstate, detail: e.detail, hint: e.hint };
  if (e instanceof Error) return { message: e.message, code: (e as { code?: string }).code };
  return { message: String(e) };
}

function toBindable(params: BindParams): BindParams {
  const fix = (v: unknown): unknown => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v);
  if (Array.isArray(params)) return params.map(fix) as BindParams;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = fix(v);
  return out as BindParams;
}

export function runReaderWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('reader-worker must run in a worker thread');
  const { path, memory } = workerData as ReaderWorkerData;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  applyStorageMemory(db, memory);
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(true);
  registerSqlFunctions(db, { inWriter: false, catalogFunctions: registerCatalogFunctions });
  const cache = new StatementCache(db);
  // Checkpoints need write access to the database file; a second connection does them, off the
  // main thread, so a client's commit never waits for one (PASSIVE never blocks the writer).
  let checkpointer: Database.Database | null = null;
  port.on('message', (req: WorkerRequest) => {
    if (req.kind === 'invalidate') {
      cache.refreshSchema();
      return;
    }
    let res: WorkerResponse;
    try {
      if (req.kind === 'checkpoint') {
        checkpointer ??= new Database(path, { fileMustExist: true });
        checkpointer.defaultSafeIntegers(true);
        const r = checkpointer.pragma('wal_checkpoint(PASSIVE)') as {
          busy: bigint;
          log: bigint;
          checkpointed: bigint;
        }[];
        const row = r[0]!;
        res = {
          id: req.id,
          ok: true,
          checkpoint: {
            busy: Number(row.busy),
            log: Number(row.log),
            checkpointed: Number(row.checkpointed),
          },
        };
      } else {
        const t0 = process.hrtime.bigint();
        const c = cache.get(req.sql);
        if (!c.reader)
          throw new ChorusError('25006', 'a statement that returns no rows was sent to a reader');
        const params = toBindable(req.params);
        const rows: unknown[][] = [];
        for (const row of c.stmt.iterate(params) as IterableIterator<unknown[]>) {
          if (rows.length >= resultRowsMax) {
            throw new ProgramLimitExceededError(`result exceeds ${resultRowsMax} rows`);
          }
          rows.push(row);
        }
        res = {
          id: req.id,
          ok: true,
          columns: c.columns!,
          rows,
          costUs: Number(process.hrtime.bigint() - t0) / 1000,
        };
      }
    } catch (e) {
      res = { id: req.id, ok: false, error: transfer(e) };
    }
    port.postMessage(res);
  });
}

runReaderWorker();
