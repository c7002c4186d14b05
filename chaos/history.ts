// The operation history of a chaos run, in the style of Jepsen: every client operation is recorded
// when it is invoked and again when it completes — ok (it happened), fail (it certainly did not) or
// info (unknown: the connection broke or timed out after the request may have reached the node).
// Written as JSON lines so a run can be re-checked or inspected later.

import { createWriteStream, type WriteStream } from 'node:fs';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface Op {
  /** Position in the history. */
  index: number;
  /** Logical client (a client that saw an indeterminate result continues as a new process). */
  process: number;
  /** Node the client talks to (0-based). */
  node: number;
  type: OpType;
  /** Operation name: 'add', 'incr', 'write', 'transfer', 'read'. */
  f: string;
  value: unknown;
  /** Milliseconds since the start of the run. */
  timeMs: number;
  /** Why an operation failed or is indeterminate. */
  error?: string;
}

/** Upper bound on the operations one run records (the runner stops issuing new ones beyond it). */
export const historyOpsMax = 2_000_000;

export class History {
  readonly ops: Op[] = [];
  private readonly startedAt = performance.now();
  private readonly out: WriteStream | null;

  constructor(file: string | null) {
    this.out = file ? createWriteStream(file) : null;
  }

  get full(): boolean {
    return this.ops.length >= historyOpsMax;
  }

  private add(op: Omit<Op, 'index' | 'timeMs'>): Op {
    const full: Op = {
      index: this.ops.length,
      timeMs: Math.round((performance.now() - this.startedAt) * 1000) / 1000,
      ...op,
    };
    this.ops.push(full);
    this.out?.write(
      `${JSON.stringify(full, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
    return full;
  }

  invoke(process: number, node: number, f: string, value: unknown): Op {
    return this.add({ process, node, type: 'invoke', f, value });
  }

  complete(invoked: Op, type: Exclude<OpType, 'invoke'>, value: unknown = invoked.value, error?: string): Op {
    return this.add({
      process: invoked.process,
      node: invoked.node,
      type,
      f: invoked.f,
      value,
      ...(error !== undefined ? { error } : {}),
    });
  }

  async close(): Promise<void> {
    const out = this.out;
    if (!out) return;
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}

/** Completions of the invoked operations named f, paired with their invocations. */
export function completions(ops: readonly Op[], f: string): { invoke: Op; result: Op | null }[] {
  const open = new Map<number, Op>();
  const out: { invoke: Op; result: Op | null }[] = [];
  const byInvoke = new Map<Op, { invoke: Op; result: Op | null }>();
  for (const op of ops) {
    if (op.f !== f) continue;
    if (op.type === 'invoke') {
      const pair = { invoke: op, result: null };
      open.set(op.process, op);
      byInvoke.set(op, pair);
      out.push(pair);
    } else {
      const inv = open.get(op.process);
      if (!inv) throw new Error(`history: completion at index ${op.index} without an invocation`);
      open.delete(op.process);
      byInvoke.get(inv)!.result = op;
    }
  }
  return out;
}
