// The pgbench client for the pgbench test and benchmark: locating the binary (PATH, then the
// PostgreSQL bindir), running it with a hard time limit, and reading its summary lines.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Absolute path of pgbench (PATH first, then `pg_config --bindir`), or a reason it is missing. */
export function findPgbench(): { path: string } | { skip: string } {
  const which = (bin: string): string | undefined => {
    try {
      return (
        execFileSync('which', [bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() ||
        undefined
      );
    } catch {
      return undefined;
    }
  };
  const onPath = which('pgbench');
  if (onPath) return { path: onPath };
  const pgConfig = which('pg_config');
  if (pgConfig) {
    const bindir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim();
    const inBindir = path.join(bindir, 'pgbench');
    if (existsSync(inBindir)) return { path: inBindir };
  }
  return { skip: 'pgbench is not installed (Debian: apt-get install postgresql-client or postgresql-15)' };
}

export interface PgbenchTarget {
  host: string;
  port: number;
  user: string;
  db: string;
}

export interface PgbenchResult {
  code: number | null;
  output: string;
  /** "number of transactions actually processed" (null when pgbench printed no summary). */
  processed: number | null;
  /** "number of failed transactions". */
  failed: number | null;
  /** tps "without initial connection time". */
  tps: number | null;
}

function match(output: string, re: RegExp): number | null {
  const m = re.exec(output);
  return m ? Number(m[1]) : null;
}

/** Run pgbench against target with args (connection options are supplied); killed after timeoutMs. */
export function runPgbench(
  pgbench: string,
  target: PgbenchTarget,
  args: string[],
  timeoutMs: number,
  cwd?: string,
): Promise<PgbenchResult> {
  const conn = ['-h', target.host, '-p', String(target.port), '-U', target.user];
  return new Promise((resolve, reject) => {
    const child = spawn(pgbench, [...conn, ...args, target.db], {
      cwd,
      env: { ...process.env, PGCONNECT_TIMEOUT: '5', PGPASSWORD: '' },
    });
    let output = '';
    const add = (d: Buffer): void => {
      output += d.toString('utf8');
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`pgbench ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output.slice(-2000)}`),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        output,
        processed: match(output, /number of transactions actually processed: (\d+)/),
        failed: match(output, /number of failed transactions: (\d+)/),
        tps: match(output, /tps = ([0-9.]+) \(without initial connection time\)/),
      });
    });
  });
}

/** pgbench's built-in tpcb-like transaction, sent as one pipeline (\startpipeline ... \endpipeline). */
export const tpcbPipelineScript = `\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
\\startpipeline
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
\\endpipeline
`;
