// The psql client for tests that drive it: locating the binary (tests skip with a printed reason
// when it is absent) and running it against a server with input on stdin and a hard time limit.

import { execFileSync, spawn } from 'node:child_process';

/** Absolute path of psql on PATH, or undefined when it is not installed. */
export function findPsql(): string | undefined {
  try {
    const found = execFileSync('which', ['psql'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

export interface PsqlResult {
  /** Exit status; null when psql was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PsqlRun {
  port: number;
  /** psql arguments after the connection options (-h -p -U -d -X are supplied). */
  args: string[];
  user?: string;
  db?: string;
  /** Written to psql's stdin (COPY FROM STDIN data). */
  input?: string;
  /** psql is killed (SIGKILL) after this long and the promise rejects. */
  timeoutMs?: number;
}

/** Runs psql against 127.0.0.1:port without a password, pager or ~/.psqlrc. */
export function runPsql(psqlPath: string, run: PsqlRun): Promise<PsqlResult> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(run.port),
    '-U',
    run.user ?? 'anyone',
    '-d',
    run.db ?? 'anydb',
    '-X',
  ];
  const timeoutMs = run.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(psqlPath, [...args, ...run.args], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '5', PGPASSWORD: '', PAGER: '', PSQL_PAGER: '' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `psql timed out after ${timeoutMs} ms: ${run.args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      } else {
        resolve({ code, stdout, stderr });
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.input ?? '');
  });
}
