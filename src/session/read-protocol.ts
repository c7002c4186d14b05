// Messages between the main thread and reader threads, and the shape of a read's result.

import type { ColumnInfo } from './result.js';

export type BindValue = null | number | bigint | string | Uint8Array;
/** Positional values, or {"1": v, ...} for statements written with $n parameters. */
export type BindParams = BindValue[] | Record<string, BindValue>;

export interface ReadRequest {
  kind: 'read';
  id: number;
  sql: string;
  params: BindParams;
}

export interface CheckpointRequest {
  kind: 'checkpoint';
  id: number;
}

/** Schema changed: drop compiled statements. No response. */
export interface InvalidateRequest {
  kind: 'invalidate';
  id: number;
}

export type WorkerRequest = ReadRequest | CheckpointRequest | InvalidateRequest;

export interface TransferredError {
  message: string;
  code?: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
}

export type WorkerResponse =
  | { id: number; ok: true; columns: ColumnInfo[]; rows: unknown[][]; costUs: number }
  | { id: number; ok: true; checkpoint: { busy: number; log: number; checkpointed: number } }
  | { id: number; ok: false; error: TransferredError };
