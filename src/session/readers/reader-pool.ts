// Reads outside a write transaction. Each read runs on a read-only connection (WAL readers never
// wait for the writer). A thread hop costs more than a point read (~10-20 us of postMessage and
// wake-up against a few us of SQLite), so the pool measures each statement: a statement seen for
// the first time, or one whose recent runs were slow, goes to the least-busy reader thread; a
// statement known to be cheap runs inline on this thread's own read connection.

import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { registerCatalogFunctions } from '../../admin/catalog/catalog-functions.js';
import { ChorusError, ProgramLimitExceededError } from '../../errors.js';
import { readerHeapMbMax, readerQueueDepthMax, resultRowsMax } from '../../limits.js';
import { applyStorageMemory, type StorageMemory } from '../../storage/memory-settings.js';
import { registerSqlFunctions } from '../../storage/sql-functions.js';
import { fromTransferred, toChorusError } from '../../storage/sqlite-errors.js';
import type { BindParams, WorkerRequest, WorkerResponse } from '../read-protocol.js';
import type { ColumnInfo } from '../result.js';
import { StatementCache } from '../statement-cache.js';

export interface ReadOutput {
  columns: ColumnInfo[];
  rows: unknown[][];
}

/** A statement whose moving average stays under this runs inline (microseconds). */
export const inlineReadCostUsMax = 150;
/** Statements whose cost the pool remembers (bounded; forgotten ones start over on a thread). */
const readCostEntriesMax = 5_000;
/** Weight of the newest sample in the moving average. */
const readCostSmoothing = 0.2;

interface Pending {
  resolve: (v: WorkerResponse) => void;
  reject: (e: Error) => void;
}

interface Reader {
  worker: Worker;
  inFlight: number;
  pending: Map<number, Pending>;
}

export class ReaderPool {
  private readonly readers: Reader[] = [];
  private local: { db: Database.Database; cache: StatementCache } | null = null;
  private checkpointer: Database.Database | null = null;
  private nextId = 1;
  private closed = false;
  /** Moving average of each statement's execution cost, microseconds. */
  private readonly costUs = new Map<string, number>();
  reads = 0;
  inlineReads = 0;

  constructor(
    private readonly dbPath: string,
    threads: number,
    private readonly logger: Logger,
    private readonly memory?: StorageMemory,
  ) {
    for (let i = 0; i < threads; i++) this.readers.push(this.spawn(i));
    if (threads === 0) this.openLocal();
  }

  /**
   * Reader thread `i`, with a bounded heap: a read that exhausts it ends that thread only (its
   * reads fail with 53200), and a new thread takes its place.
   */
  private spawn(i: number): Reader {
    const script = fileURLToPath(new URL('./reader-worker.js', import.meta.url));
    const worker = new Worker(script, {
      workerData: { path: this.dbPath, memory: this.memory },
      resourceLimits: { maxOldGenerationSizeMb: readerHeapMbMax },
    });
    const reader: Reader = { worker, inFlight: 0, pending: new Map() };
    worker.on('message', (res: WorkerResponse) => {
      const p = reader.pending.get(res.id);
      if (!p) return;
      reader.pending.delete(res.id);
      reader.inFlight--;
      p.resolve(res);
    });
    const fail = (err: ChorusError): void => {
      for (const p of reader.pending.values()) p.reject(err);
      reader.pending.clear();
      reader.inFlight = 0;
    };
    worker.on('error', (err: Error & { code?: string }) => {
      this.logger.error({ err }, 'reader thread failed');
      fail(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ChorusError('53200', 'out of memory', {
              detail: 'A read ran out of memory on its reader thread.',
            })
          : new ChorusError('XX000', `reader thread failed: ${err.message}`),
      );
    });
    worker.on('exit', () => {
      fail(new ChorusError('XX000', 'reader thread exited'));
      if (!this.closed && this.readers[i] === reader) this.readers[i] = this.spawn(i);
    });
    return reader;
  }

  private openLocal(): { db: Database.Database; cache: StatementCache } {
    if (!this.local) {
      const db = new Database(this.dbPath, { readonly: true, fileMustExist: true });
      applyStorageMemory(db, this.memory);
      db.defaultSafeIntegers(true);
      registerSqlFunctions(db, { inWriter: false, catalogFunctions: registerCatalogFunctions });
      this.local = { db, cache: new StatementCache(db) };
    }
    return this.local;
  }

  get threads(): number {
    return this.readers.length;
  }

  private pick(): Reader {
    let best = this.readers[0]!;
    for (const r of this.readers) if (r.inFlight < best.inFlight) best = r;
    return best;
  }

  private send(req: WorkerRequest, reader = this.pick()): Promise<WorkerResponse> {
    if (this.closed) return Promise.reject(new ChorusError('57P01', 'node is shutting down'));
    if (reader.inFlight >= readerQueueDepthMax) {
      return Promise.reject(
        new ChorusError('53300', `reader queue is full (${readerQueueDepthMax} reads waiting)`),
      );
    }
    return new Promise<WorkerResponse>((resolve, reject) => {
      reader.pending.set(req.id, { resolve, reject });
      reader.inFlight++;
      reader.worker.postMessage(req);
    });
  }

  /** mayBlock: the statement can block (pg_sleep) and must never run inline. */
  async read(sql: string, params: BindParams, mayBlock = false): Promise<ReadOutput> {
    this.reads++;
    if (this.readers.length === 0) return this.readLocal(sql, params);
    const cost = this.costUs.get(sql);
    if (!mayBlock && cost !== undefined && cost < inlineReadCostUsMax) {
      this.inlineReads++;
      const t0 = process.hrtime.bigint();
      try {
        return this.readLocal(sql, params);
      } finally {
        this.recordCost(sql, Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    const res = await this.send({ kind: 'read', id: this.nextId++, sql, params });
    if (!res.ok) throw fromTransferred(res.error);
    if (!('rows' in res)) throw new ChorusError('XX000', 'reader answered a read with a checkpoint result');
    this.recordCost(sql, res.costUs);
    return { columns: res.columns, rows: res.rows };
  }

  private recordCost(sql: string, us: number): void {
    const prev = this.costUs.get(sql);
    if (prev === undefined && this.costUs.size >= readCostEntriesMax) this.costUs.clear();
    this.costUs.set(sql, prev === undefined ? us : prev + (us - prev) * readCostSmoothing);
  }

  private readLocal(sql: string, params: BindParams): ReadOutput {
    const { cache } = this.openLocal();
    try {
      const c = cache.get(sql);
      if (!c.reader) throw new ChorusError('25006', 'a statement that returns no rows was sent to a reader');
      const rows = c.stmt.all(params) as unknown[][];
      if (rows.length > resultRowsMax)
        throw new ProgramLimitExceededError(`result exceeds ${resultRowsMax} rows`);
      return { columns: c.columns!, rows };
    } catch (e) {
      throw toChorusError(e);
    }
  }

  /** After DDL: drop compiled statements everywhere so result columns are re-read. */
  invalidate(): void {
    this.local?.cache.refreshSchema();
    for (const r of this.readers) r.worker.postMessage({ kind: 'invalidate', id: 0 } satisfies WorkerRequest);
  }

  /** A passive WAL checkpoint, run off the main thread when there are reader threads. */
  async checkpoint(): Promise<{ busy: number; log: number; checkpointed: number }> {
    if (this.readers.length === 0) {
      this.checkpointer ??= new Database(this.dbPath, { fileMustExist: true });
      this.checkpointer.defaultSafeIntegers(true);
      const r = (
        this.checkpointer.pragma('wal_checkpoint(PASSIVE)') as {
          busy: bigint;
          log: bigint;
          checkpointed: bigint;
        }[]
      )[0]!;
      return { busy: Number(r.busy), log: Number(r.log), checkpointed: Number(r.checkpointed) };
    }
    const res = await this.send({ kind: 'checkpoint', id: this.nextId++ }, this.readers[0]);
    if (!res.ok) throw fromTransferred(res.error);
    if (!('checkpoint' in res)) throw new ChorusError('XX000', 'reader answered a checkpoint with rows');
    return res.checkpoint;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.readers.map((r) => r.worker.terminate()));
    this.local?.db.close();
    this.checkpointer?.close();
  }
}
