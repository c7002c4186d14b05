// What every chaos workload is made of: the client's context, the recorded operation (invoke, then
// ok / fail / info) and the Workload interface the runner drives.

import type pg from 'pg';
import type { Random } from '../src/testing/random.js';
import type { CheckResult } from './checkers.js';
import type { History, Op } from './history.js';

/** An integer in [0, n). */
export function randInt(rng: Random, n: number): number {
  return Math.floor(rng() * n);
}

/** A client's connection to one node, as the workload sees it. */
export interface OpContext {
  client: pg.Client;
  history: History;
  process: number;
  node: number;
  rng: Random;
}

/** The outcome of a failed operation: 'fail' only when the node answered that it did not happen. */
export function outcomeOf(err: unknown): 'fail' | 'info' {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return 'info'; // broken connection, timeout
  // Connection exceptions, shutdown and cancellation: the statement may or may not have committed.
  if (code.startsWith('08') || code.startsWith('57') || code === '40P01' || code === 'XX000') return 'info';
  return 'fail';
}

/** Run one recorded operation: invoke, execute, complete as ok / fail / info. */
export async function recorded(
  ctx: OpContext,
  f: string,
  value: unknown,
  run: () => Promise<unknown>,
): Promise<Op> {
  const inv = ctx.history.invoke(ctx.process, ctx.node, f, value);
  try {
    const out = await run();
    return ctx.history.complete(inv, 'ok', out === undefined ? value : out);
  } catch (err) {
    return ctx.history.complete(inv, outcomeOf(err), value, (err as Error).message);
  }
}

export interface Workload {
  /** The workload's name (workloads.ts lists them). */
  name: string;
  tables: string[];
  /** DDL and initial rows, run once on node 0 before the clients start. */
  setup: string[];
  /**
   * One operation on ctx's node. Its name (`f`) must be the workload's own: several workloads run in
   * one history and each checker picks its operations by name.
   */
  op(ctx: OpContext): Promise<Op>;
  /** Everything the checker needs from one node after heal. */
  finalRead(client: pg.Client): Promise<unknown>;
  check(ops: readonly Op[], finals: unknown[], nodeIds: string[]): CheckResult[];
  /** Forget what the clients learned in an earlier run (called before each run's setup). */
  reset?(): void;
}
