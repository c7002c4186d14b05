// Runs one pgbench process for a benchmark (hard time limit, tracked so Ctrl-C can stop it) and reads
// the summary lines of its output (tps, transactions processed, failed transactions).
import { type ChildProcess, spawn } from 'node:child_process';

export interface PgbenchRun {
  /** Full pgbench argument list (connection options included). */
  args: string[];
  /** application_name of pgbench's connections. */
  appName: string;
  /** pgbench is killed (SIGKILL) after this: its -T only counts while transactions complete. */
  killAfterMs: number;
  cwd?: string;
  /** The running child is in this set until it exits (for interruption). */
  live?: Set<ChildProcess>;
}

/** Runs pgbench to its end; resolves with its exit code and stdout + stderr. */
export function spawnPgbench(
  pgbench: string,
  run: PgbenchRun,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(pgbench, run.args, {
      ...(run.cwd !== undefined ? { cwd: run.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGAPPNAME: run.appName },
    });
    run.live?.add(child);
    let text = '';
    child.stdout?.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      text += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), run.killAfterMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      run.live?.delete(child);
      reject(err);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      run.live?.delete(child);
      resolve({ code: exitCode, output: text });
    });
  });
}

export interface PgbenchSummary {
  /** tps "without initial connection time"; NaN when pgbench printed no summary. */
  tps: number;
  /** "number of transactions actually processed" (0 when missing). */
  transactions: number;
  /** "number of failed transactions" (0 when missing). */
  failed: number;
}

export function pgbenchSummary(output: string): PgbenchSummary {
  return {
    tps: Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(output)?.[1] ?? Number.NaN),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? 0),
    failed: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0),
  };
}

/** The last lines of pgbench's output, for an error message. */
export function pgbenchError(code: number | null, output: string): string {
  return `pgbench exited ${code}: ${output.trim().split('\n').slice(-6).join(' | ')}`;
}
