// Starts a REAL PostgreSQL (default settings, fresh initdb in a temp dir) for comparison tests and benchmarks.
// Runs the server as the `postgres` OS user when we are root, because PostgreSQL refuses to run as root.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { access, chown, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const execFileAsync = promisify(execFile);

export interface PostgresInstall {
  bindir: string;
  /** Output of `postgres --version`, e.g. "postgres (PostgreSQL) 15.18 (Debian ...)". */
  version: string;
  /** OS user to run as (uid/gid) when we are root; undefined when running as ourselves. */
  runAs: { user: string; uid: number; gid: number } | undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Candidate bin directories: $PG_BINDIR, `pg_config --bindir`, then /usr/lib/postgresql/<newest first>/bin. */
async function candidateBindirs(): Promise<string[]> {
  const dirs: string[] = [];
  if (process.env.PG_BINDIR) dirs.push(process.env.PG_BINDIR);
  try {
    const { stdout } = await execFileAsync('pg_config', ['--bindir'], { timeout: 5000 });
    if (stdout.trim()) dirs.push(stdout.trim());
  } catch {
    // pg_config not installed: fall through to the Debian layout.
  }
  try {
    const versions = (await readdir('/usr/lib/postgresql'))
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // No /usr/lib/postgresql.
  }
  return [...new Set(dirs)];
}

async function lookupUser(user: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFileAsync('id', ['-u', user], { timeout: 5000 }),
      execFileAsync('id', ['-g', user], { timeout: 5000 }),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return undefined;
  }
}

/** Locates PostgreSQL binaries (initdb + postgres), or explains why PostgreSQL tests must be skipped. */
export async function findPostgres(): Promise<PostgresInstall | { skip: string }> {
  const tried: string[] = [];
  let bindir: string | undefined;
  for (const dir of await candidateBindirs()) {
    tried.push(dir);
    if ((await isExecutable(path.join(dir, 'initdb'))) && (await isExecutable(path.join(dir, 'postgres')))) {
      bindir = dir;
      break;
    }
  }
  if (!bindir) {
    return {
      skip:
        'PostgreSQL server binaries (initdb, postgres) not found ' +
        `(tried ${tried.length ? tried.join(', ') : 'pg_config --bindir and /usr/lib/postgresql/*/bin'}); ` +
        'install postgresql (e.g. apt-get install postgresql-15) or set PG_BINDIR',
    };
  }
  let version: string;
  try {
    version = (
      await execFileAsync(path.join(bindir, 'postgres'), ['--version'], { timeout: 5000 })
    ).stdout.trim();
  } catch (err) {
    return { skip: `${bindir}/postgres --version failed: ${(err as Error).message}` };
  }
  let runAs: PostgresInstall['runAs'];
  if (process.getuid?.() === 0) {
    const user = process.env.PG_RUN_AS ?? 'postgres';
    const ids = await lookupUser(user);
    if (!ids) {
      return {
        skip: `running as root and OS user '${user}' does not exist (PostgreSQL refuses to run as root)`,
      };
    }
    if (ids.uid === 0) return { skip: `OS user '${user}' is root; PostgreSQL refuses to run as root` };
    runAs = { user, ...ids };
  }
  return { bindir, version, runAs };
}

interface RunResult {
  code: number | null;
  output: string;
}

function spawnAs(install: PostgresInstall, bin: string, args: string[], cwd: string): ChildProcess {
  // spawn's uid/gid (rather than a `runuser` wrapper) so that signals reach postgres itself.
  return spawn(path.join(install.bindir, bin), args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', ...(install.runAs ? { HOME: cwd, USER: install.runAs.user } : {}) },
    ...(install.runAs ? { uid: install.runAs.uid, gid: install.runAs.gid } : {}),
  });
}

function run(
  install: PostgresInstall,
  bin: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(install, bin, args, cwd);
    let output = '';
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const MAX_LOG_CHARS = 1024 * 1024;
const live = new Set<PostgresServer>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const server of live) server.killSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      for (const server of live) server.killSync();
      // If we are the only listener, restore the default behaviour (terminate) by re-raising.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, handler);
  }
}

export interface PostgresServerOptions {
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Extra `-c name=value` settings (default: none; benchmarks compare against default settings). */
  settings?: Record<string, string>;
  /** Deadline for initdb + start + first successful connection (default 60000 ms). */
  startTimeoutMs?: number;
}

/** A throwaway PostgreSQL cluster: initdb -A trust -U postgres, listening on 127.0.0.1:<port>. */
export class PostgresServer {
  readonly port: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly install: PostgresInstall;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly connectionString: string;
  readonly user = 'postgres';
  readonly database = 'postgres';

  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private hasExited = false;
  private logText = '';

  private constructor(install: PostgresInstall, dir: string, port: number) {
    this.install = install;
    this.dir = dir;
    this.dataDir = path.join(dir, 'data');
    this.socketDir = path.join(dir, 'sock');
    this.port = port;
    this.connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** Runs initdb into a fresh temp dir, starts postgres and waits until a client can connect. */
  static async start(opts: PostgresServerOptions = {}): Promise<PostgresServer> {
    const found = await findPostgres();
    if ('skip' in found) throw new Error(`PostgreSQL unavailable: ${found.skip}`);
    return PostgresServer.launch(found, 'chorus-pg-', opts, {}, (server, timeoutMs) =>
      run(
        found,
        'initdb',
        ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
        server.dir,
        timeoutMs,
      ),
    );
  }

  /**
   * A streaming-replication standby of `primary` (pg_basebackup -R, hot standby), named `name`
   * (its cluster_name, so the primary's synchronous_standby_names can name it).
   */
  static startStandby(
    primary: PostgresServer,
    name: string,
    opts: PostgresServerOptions = {},
  ): Promise<PostgresServer> {
    const found = primary.install;
    return PostgresServer.launch(
      found,
      'chorus-pg-standby-',
      opts,
      { cluster_name: name, hot_standby: 'on' },
      (server, timeoutMs) =>
        run(
          found,
          'pg_basebackup',
          [
            '-D',
            server.dataDir,
            '-h',
            '127.0.0.1',
            '-p',
            String(primary.port),
            '-U',
            'postgres',
            '-R',
            '-X',
            'stream',
            '--no-sync',
          ],
          server.dir,
          timeoutMs,
        ),
    );
  }

  /** A temp dir, its data directory made by `makeData` (initdb or a base backup), postgres started on it. */
  private static async launch(
    found: PostgresInstall,
    prefix: string,
    opts: PostgresServerOptions,
    defaults: Record<string, string>,
    makeData: (server: PostgresServer, timeoutMs: number) => Promise<RunResult>,
  ): Promise<PostgresServer> {
    installExitHooks();
    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    const server = new PostgresServer(found, dir, opts.port ?? (await freePort()));
    live.add(server);
    try {
      await mkdir(server.socketDir);
      if (found.runAs) {
        await chown(dir, found.runAs.uid, found.runAs.gid);
        await chown(server.socketDir, found.runAs.uid, found.runAs.gid);
      }
      const made = await makeData(server, Math.max(1000, deadline - Date.now()));
      if (made.code !== 0)
        throw new Error(`creating the data directory failed (exit ${made.code}):\n${made.output}`);
      const settings: Record<string, string> = {
        listen_addresses: '127.0.0.1',
        fsync: 'on',
        ...defaults,
        ...opts.settings,
      };
      const args = ['-D', server.dataDir, '-p', String(server.port), '-k', server.socketDir];
      for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
      server.spawnPostgres(args);
      await server.waitReady(deadline);
      return server;
    } catch (err) {
      await server.stop().catch(() => undefined);
      throw err;
    }
  }

  /** PID of the postmaster. */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('postgres is not running');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== undefined && !this.hasExited;
  }

  /** Captured postgres server output (last ~1 MB). */
  logs(): string {
    return this.logText;
  }

  private appendLog(text: string): void {
    this.logText += text;
    if (this.logText.length > MAX_LOG_CHARS) this.logText = this.logText.slice(-MAX_LOG_CHARS);
  }

  private spawnPostgres(args: string[]): void {
    const child = spawnAs(this.install, 'postgres', args, this.dir);
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => this.appendLog(b.toString()));
    child.stderr?.on('data', (b: Buffer) => this.appendLog(b.toString()));
    this.exited = new Promise<void>((resolve) => {
      const done = (): void => {
        this.hasExited = true;
        resolve();
      };
      child.once('error', (err) => {
        this.appendLog(`spawn error: ${err.message}\n`);
        done();
      });
      child.once('exit', done);
    });
  }

  private async waitReady(deadline: number): Promise<void> {
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`postgres exited during startup:\n${this.logs()}`);
      const client = new pg.Client({
        host: '127.0.0.1',
        port: this.port,
        user: this.user,
        database: this.database,
        connectionTimeoutMillis: 2000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`postgres not ready in time (last error: ${lastError}):\n${this.logs()}`);
  }

  /** Fast shutdown (SIGINT), SIGKILL after timeoutMs, then removes the temp dir. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.running) {
      this.child!.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited!.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.child!.kill('SIGKILL');
        await this.exited;
      }
    }
    live.delete(this);
    if (process.env.KEEP_DATA) {
      console.log(`KEEP_DATA: kept PostgreSQL dir ${this.dir}`);
      return;
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Used by the exit hook: SIGQUIT (immediate shutdown) and best-effort removal of the temp dir. */
  killSync(): void {
    if (this.running) {
      try {
        this.child!.kill('SIGQUIT');
      } catch {
        // Already gone.
      }
    }
    if (!process.env.KEEP_DATA) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch {
        // Best effort while exiting.
      }
    }
  }
}
