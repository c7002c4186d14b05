// Run control for benchmarks that drive real processes: Ctrl-C stops the load generators (a second one
// exits at once), every wait polls a condition until a deadline, temp dirs go away even on exit.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

let interrupted = false;

/** Load-generator processes running now (killed on interruption and at the end of a run). */
export const liveChildren = new Set<ChildProcess>();

/** Thrown by waits and loops once the run was interrupted (SIGINT / SIGTERM). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export function isInterrupted(): boolean {
  return interrupted;
}

export function checkInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kills every live load generator (SIGKILL). */
export function killLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

/**
 * On the first SIGINT / SIGTERM: marks the run interrupted and kills the load generators, so the phases
 * end and clean up; on the second: exits at once with 130 (exit hooks still kill the servers).
 */
export function stopOnSignals(): void {
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      signals++;
      interrupted = true;
      // Exit hooks (ours and the launcher's) kill the servers and remove the temp dirs.
      if (signals > 1) process.exit(130);
      console.log(`\n${signal}: stopping load generators and servers...`);
      killLiveChildren();
    });
  }
}

/** Calls probe every pollMs until it returns a value; throws after timeoutMs or when interrupted. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  pollMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    checkInterrupted();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (performance.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError}`);
    await sleep(pollMs);
  }
}

/** A fresh temp directory, also removed (synchronously, best effort) when the process exits. */
export async function tempWorkDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  process.on('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
