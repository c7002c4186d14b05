// Write load against benchmark nodes for a fixed time, optionally paced to a rate: pgbench running a
// script file when installed, else a loop of pg-driver connections running the same statement.
import { performance } from 'node:perf_hooks';
import { connect, HOST, PG_DATABASE, PG_USER, type PgClient } from './cluster.js';
import { pgbenchError, pgbenchSummary, spawnPgbench } from './pgbench-process.js';
import { isInterrupted, liveChildren, sleep } from './run-control.js';

/** pgbench is killed this long after its -T duration (it only stops counting while transactions complete). */
const PGBENCH_GRACE_S = 60;
/** The pg-driver loop gives up after this many failed statements. */
const JS_LOAD_ERRORS_MAX = 1000;

export interface LoadTarget {
  label: string;
  port: number;
}

export interface LoadResult {
  label: string;
  driver: 'pgbench' | 'js';
  writesPerSec: number;
  transactions: number;
  failed: number;
  error: string | undefined;
}

export interface LoadSpec {
  /** pgbench's path; undefined: use the pg-driver loop. */
  pgbench: string | undefined;
  /** pgbench script (one transaction), run with -M prepared. */
  scriptFile: string;
  /** The same transaction for the pg-driver loop: one prepared statement. */
  statement: { name: string; text: string; values: (clientId: number) => unknown[] };
  /** Connections per target (pgbench -c). */
  clients: number;
  /** pgbench threads per target (-j). */
  threads: number;
  /** application_name of pgbench's connections. */
  appName: string;
}

/** Runs the load of a LoadSpec against one target at a time (call run() concurrently for several). */
export class LoadRunner {
  constructor(private readonly spec: LoadSpec) {}

  get driver(): 'pgbench' | 'js' {
    return this.spec.pgbench ? 'pgbench' : 'js';
  }

  run(target: LoadTarget, seconds: number, ratePerSec?: number): Promise<LoadResult> {
    return this.spec.pgbench
      ? this.runPgbench(this.spec.pgbench, target, seconds, ratePerSec)
      : this.runJs(target, seconds, ratePerSec);
  }

  private async runPgbench(
    pgbench: string,
    target: LoadTarget,
    seconds: number,
    ratePerSec: number | undefined,
  ): Promise<LoadResult> {
    const args = [
      '-n',
      '-c',
      String(this.spec.clients),
      '-j',
      String(this.spec.threads),
      '-T',
      String(seconds),
      ...(ratePerSec !== undefined ? ['-R', String(ratePerSec)] : []),
      '-M',
      'prepared',
      '-f',
      this.spec.scriptFile,
      '-h',
      HOST,
      '-p',
      String(target.port),
      '-U',
      PG_USER,
      PG_DATABASE,
    ];
    const { code, output } = await spawnPgbench(pgbench, {
      args,
      appName: this.spec.appName,
      killAfterMs: (seconds + PGBENCH_GRACE_S) * 1000,
      live: liveChildren,
    });
    const { tps, transactions, failed } = pgbenchSummary(output);
    const ok = code === 0 && Number.isFinite(tps);
    return {
      label: target.label,
      driver: 'pgbench',
      writesPerSec: Number.isFinite(tps) ? tps : 0,
      transactions,
      failed,
      error: ok ? undefined : pgbenchError(code, output),
    };
  }

  /** `clients` connections running the statement in a loop; paced to ratePerSec when given. */
  private async runJs(
    target: LoadTarget,
    seconds: number,
    ratePerSec: number | undefined,
  ): Promise<LoadResult> {
    const { clients: clientCount, statement } = this.spec;
    const clients: PgClient[] = [];
    let done = 0;
    let failed = 0;
    let firstError: string | undefined;
    try {
      for (let i = 0; i < clientCount; i++) clients.push(await connect(target.port));
      const start = performance.now();
      const end = start + seconds * 1000;
      const intervalMs = ratePerSec !== undefined ? (1000 * clientCount) / ratePerSec : 0;
      await Promise.all(
        clients.map(async (c, clientId) => {
          let k = 0;
          while (!isInterrupted()) {
            const due = start + k * intervalMs;
            if (due >= end || performance.now() >= end) break;
            if (due > performance.now()) await sleep(due - performance.now());
            k++;
            try {
              await c.query({
                name: statement.name,
                text: statement.text,
                values: statement.values(clientId),
              });
              done++;
            } catch (err) {
              failed++;
              firstError ??= (err as Error).message;
              if (failed > JS_LOAD_ERRORS_MAX) throw new Error(`too many errors; first: ${firstError}`);
            }
          }
        }),
      );
      const elapsed = (performance.now() - start) / 1000;
      return {
        label: target.label,
        driver: 'js',
        writesPerSec: done / elapsed,
        transactions: done,
        failed,
        error: failed > 0 ? `${failed} failed inserts; first: ${firstError}` : undefined,
      };
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  }
}
