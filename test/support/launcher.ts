// Starts real ChorusDB server processes (the built CLI) for integration tests and benchmarks:
// readiness polling, signals (stop/kill/pause), restarts on the same data dir, log capture and leak-proof cleanup.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

/** Finds the directory holding chorusdb's package.json, walking up from `start`. */
function findChorusRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'));
        if (
          typeof parsed === 'object' &&
          parsed !== null &&
          (parsed as { name?: unknown }).name === 'chorusdb'
        ) {
          return dir;
        }
      } catch {
        // Not a readable package.json: keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function computeRepoRoot(): string {
  if (process.env.TEST_CHORUS_REPO_ROOT) return path.resolve(process.env.TEST_CHORUS_REPO_ROOT);
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Normally this file runs as <root>/dist/test/support/launcher.js; walking up finds <root>.
  // When compiled elsewhere (e.g. a scratch outDir), fall back to the working directory.
  return findChorusRoot(here) ?? findChorusRoot(process.cwd()) ?? path.resolve(here, '../../..');
}

/** The repository root: the directory that contains package.json, src/ and dist/. */
/**
 * Whether a node's output says a port it was given was taken by another process in the meantime (the
 * CLI's own message, or Node's EADDRINUSE from an embedded start): the caller then retries on new ports.
 */
export function portTakenIn(text: string): boolean {
  return /EADDRINUSE|is already in use/.test(text);
}

export const repoRoot: string = computeRepoRoot();

// The launcher's own knobs are TEST_CHORUS_*, not CHORUS_*: the server refuses unknown CHORUS_* variables.

/** Path of the built CLI entry point (override with TEST_CHORUS_CLI). */
export function cliPath(): string {
  const override = process.env.TEST_CHORUS_CLI;
  return override ? path.resolve(override) : path.join(repoRoot, 'dist/src/cli/main.js');
}

/** The CLI a node runs: its options' `cli`, or this build's. */
function cliOf(opts: NodeProcessOptions): string {
  return opts.cli ? path.resolve(opts.cli) : cliPath();
}

export interface NodeProcessOptions {
  /** Node id passed as --node-id (default: node-<n>). */
  nodeId?: string;
  /** Data directory (default: a fresh directory under os.tmpdir(), removed by cleanup()). */
  dataDir?: string;
  /** Extra CLI arguments appended after the standard ones. */
  extraArgs?: string[];
  /** The CLI entry point to run (default cliPath(): this build); a benchmark's A/B runs another build. */
  cli?: string;
  /** The Node.js binary that runs it (default: the one running this process). */
  nodeBinary?: string;
  /** Extra environment variables (e.g. CHORUS_*), merged over process.env. */
  env?: Record<string, string>;
  /** Keep CHORUS_* variables of this process in the server's environment (default false: tests are hermetic). */
  inheritChorusEnv?: boolean;
  /** TOML written to a file and passed with --config. */
  configToml?: string;
  /** How long to wait for GET /health to answer 200 (default 20000 ms). */
  readyTimeoutMs?: number;
  /** Pass --ha-bind 127.0.0.1:<haPort> (default true). */
  haBind?: boolean;
  /** Fixed ports instead of free ones chosen by the OS. */
  pgPort?: number;
  httpPort?: number;
  haPort?: number;
  /** Echo the server's output to this process's stderr (default: env TEST_CHORUS_ECHO is set). */
  echo?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HttpResponse {
  status: number;
  body: string;
}

const MAX_LOG_BYTES = 2 * 1024 * 1024;
const POLL_INTERVAL_MS = 25;
/** Every node not yet cleaned up: the exit hook kills its process and removes its temp dir. */
const live = new Set<NodeProcess>();
let nodeCounter = 0;
let hooksInstalled = false;

function killAllSync(): void {
  for (const node of live) node.killSync();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllSync();
      // If we are the only listener, restore the default behaviour (terminate) by re-raising.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, handler);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One ChorusDB server process, restartable on the same ports and data dir. */
export class NodeProcess {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly pgPort: number;
  readonly httpPort: number;
  readonly haPort: number;
  readonly connectionString: string;
  /** Directory created by the launcher (holds the default data dir and config file); removed by cleanup(). */
  readonly workDir: string;
  readonly configPath: string | undefined;

  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private lastExit: ExitInfo | undefined;
  private logChunks: string[] = [];
  private logBytes = 0;
  private paused = false;
  private readonly args: string[];
  private readonly nodeBinary: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly readyTimeoutMs: number;
  private readonly echo: boolean;
  private readonly ownsDataDir: boolean;

  private constructor(init: {
    nodeId: string;
    dataDir: string;
    ownsDataDir: boolean;
    workDir: string;
    configPath: string | undefined;
    ports: [number, number, number];
    opts: NodeProcessOptions;
  }) {
    const { opts } = init;
    this.nodeId = init.nodeId;
    this.dataDir = init.dataDir;
    this.ownsDataDir = init.ownsDataDir;
    this.workDir = init.workDir;
    this.configPath = init.configPath;
    [this.pgPort, this.httpPort, this.haPort] = init.ports;
    this.connectionString = `postgres://test@127.0.0.1:${this.pgPort}/chorus`;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
    this.nodeBinary = opts.nodeBinary ?? process.execPath;
    this.echo = opts.echo ?? Boolean(process.env.TEST_CHORUS_ECHO);
    const inherited = Object.entries(process.env).filter(
      ([k]) => opts.inheritChorusEnv === true || !k.startsWith('CHORUS_'),
    );
    this.env = { ...Object.fromEntries(inherited), ...(opts.env ?? {}) };
    this.args = [
      cliOf(opts),
      'server',
      '--node-id',
      this.nodeId,
      '--data-dir',
      this.dataDir,
      '--listen',
      `127.0.0.1:${this.pgPort}`,
      '--http',
      `127.0.0.1:${this.httpPort}`,
      ...(opts.haBind === false ? [] : ['--ha-bind', `127.0.0.1:${this.haPort}`]),
      ...(this.configPath ? ['--config', this.configPath] : []),
      ...(opts.extraArgs ?? []),
    ];
  }

  /** Starts a server and waits until GET /health answers 200. Retries with new ports if one was taken. */
  static async start(opts: NodeProcessOptions = {}): Promise<NodeProcess> {
    installExitHooks();
    const cli = cliOf(opts);
    if (!existsSync(cli))
      throw new Error(`ChorusDB CLI not built: ${cli} does not exist (run npm run build)`);
    const fixedPorts = opts.pgPort !== undefined || opts.httpPort !== undefined || opts.haPort !== undefined;
    const attempts = fixedPorts ? 1 : 3;
    const nodeId = opts.nodeId ?? `node-${++nodeCounter}`;
    const workDir = await mkdtemp(path.join(tmpdir(), `chorus-${nodeId.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
    const dataDir = opts.dataDir ?? path.join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    let configPath: string | undefined;
    if (opts.configToml !== undefined) {
      configPath = path.join(workDir, 'config.toml');
      await writeFile(configPath, opts.configToml);
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const free = await freePorts(3);
      const ports: [number, number, number] = [
        opts.pgPort ?? free[0]!,
        opts.httpPort ?? free[1]!,
        opts.haPort ?? free[2]!,
      ];
      const node = new NodeProcess({
        nodeId,
        dataDir,
        ownsDataDir: opts.dataDir === undefined,
        workDir,
        configPath,
        ports,
        opts,
      });
      try {
        node.spawnChild();
        await node.waitReady();
        return node;
      } catch (err) {
        lastError = err;
        await node.kill().catch(() => undefined);
        live.delete(node);
        if (!portTakenIn(node.logs()) || attempt === attempts) break;
      }
    }
    if (!process.env.KEEP_DATA) await rm(workDir, { recursive: true, force: true });
    throw lastError;
  }

  /** PID of the current server process (changes on restart). */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error(`node ${this.nodeId} has no running process`);
    return this.child.pid;
  }

  /** Stopped with SIGSTOP (pause()) and not resumed yet. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** True while the current process has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.lastExit === undefined;
  }

  /** Exit status of the last process, if it exited. */
  get exitInfo(): ExitInfo | undefined {
    return this.lastExit;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  private appendLog(text: string): void {
    this.logChunks.push(text);
    this.logBytes += text.length;
    while (this.logBytes > MAX_LOG_BYTES && this.logChunks.length > 1) {
      this.logBytes -= this.logChunks.shift()!.length;
    }
    if (this.echo) process.stderr.write(`[${this.nodeId}] ${text}`);
  }

  private spawnChild(): void {
    this.lastExit = undefined;
    this.paused = false;
    this.appendLog(`--- launcher: node ${this.args.join(' ')}\n`);
    const child = spawn(this.nodeBinary, this.args, {
      cwd: repoRoot,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => this.appendLog(s));
    child.stderr?.on('data', (s: string) => this.appendLog(s));
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      child.once('error', (err) => {
        this.appendLog(`--- launcher: spawn error: ${err.message}\n`);
        if (this.child === child && this.lastExit === undefined) this.lastExit = { code: null, signal: null };
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => {
        this.appendLog(`--- launcher: exited code=${code} signal=${signal}\n`);
        const info = { code, signal };
        if (this.child === child) this.lastExit = info;
        resolve(info);
      });
    });
    // A forgotten server must not keep the test process alive; the exit hook kills it instead.
    child.unref();
    (child.stdout as Socket | null)?.unref();
    (child.stderr as Socket | null)?.unref();
  }

  /** Polls GET /health every 25 ms until it answers 200, the process exits, or the deadline passes. */
  async waitReady(timeoutMs: number = this.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `ChorusDB node ${this.nodeId} exited before becoming ready (${JSON.stringify(this.lastExit)})\n` +
            `--- logs ---\n${this.logs()}`,
        );
      }
      try {
        const res = await this.httpGet('/health', Math.max(100, Math.min(1000, deadline - Date.now())));
        if (res.status === 200) return;
        lastProblem = `/health answered ${res.status}: ${res.body.slice(0, 200)}`;
      } catch (err) {
        lastProblem = `/health: ${(err as Error).message}`;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `ChorusDB node ${this.nodeId} not ready within ${timeoutMs} ms (${lastProblem})\n--- logs ---\n${this.logs()}`,
    );
  }

  private async waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    if (!this.exitPromise) return this.lastExit;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      // This timer is ref'd on purpose: it keeps the event loop alive while the unref'd child exits.
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` and waits for exit. If the process does not exit within timeoutMs it is SIGKILLed
   * and an error (with logs) is thrown.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ExitInfo> {
    if (!this.running) return this.lastExit ?? { code: null, signal: null };
    this.child!.kill(signal);
    if (this.paused) this.resumeSync();
    const info = await this.waitExit(timeoutMs);
    if (info) return info;
    this.child!.kill('SIGKILL');
    await this.waitExit(10_000);
    throw new Error(
      `ChorusDB node ${this.nodeId} did not exit within ${timeoutMs} ms after ${signal}; SIGKILLed\n` +
        `--- logs ---\n${this.logs()}`,
    );
  }

  /** SIGKILL and wait for the process to be gone. */
  async kill(): Promise<ExitInfo> {
    if (!this.running) return this.lastExit ?? { code: null, signal: null };
    this.child!.kill('SIGKILL');
    const info = await this.waitExit(10_000);
    if (!info)
      throw new Error(`ChorusDB node ${this.nodeId} (pid ${this.child?.pid}) did not die after SIGKILL`);
    return info;
  }

  /** Used by the exit hook: synchronous best-effort SIGKILL plus removal of the temp dir. */
  killSync(): void {
    if (this.running) {
      try {
        this.child!.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (!process.env.KEEP_DATA) {
      try {
        rmSync(this.workDir, { recursive: true, force: true });
      } catch {
        // Best effort while exiting.
      }
    }
  }

  /** Restarts on the same ports and data dir (stops with SIGTERM first if running), then waits ready. */
  async restart(opts: { signal?: NodeJS.Signals; readyTimeoutMs?: number } = {}): Promise<void> {
    if (this.running) await this.stop(opts.signal ?? 'SIGTERM');
    this.spawnChild();
    await this.waitReady(opts.readyTimeoutMs ?? this.readyTimeoutMs);
  }

  /** SIGSTOP: the process freezes (simulates a hung node). */
  pause(): void {
    if (!this.running) throw new Error(`node ${this.nodeId} is not running`);
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (!this.running) throw new Error(`node ${this.nodeId} is not running`);
    this.resumeSync();
  }

  private resumeSync(): void {
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  /** Captured stdout+stderr of every process run by this object (last ~2 MB). */
  logs(): string {
    const text = this.logChunks.join('');
    return text.length > MAX_LOG_BYTES ? text.slice(text.length - MAX_LOG_BYTES) : text;
  }

  httpGet(urlPath: string, timeoutMs = 5000): Promise<HttpResponse> {
    return this.httpRequest('GET', urlPath, undefined, timeoutMs);
  }

  httpPost(urlPath: string, json: unknown, timeoutMs = 5000): Promise<HttpResponse> {
    return this.httpRequest('POST', urlPath, JSON.stringify(json ?? null), timeoutMs);
  }

  private httpRequest(
    method: string,
    urlPath: string,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(
        {
          host: '127.0.0.1',
          port: this.httpPort,
          path: urlPath,
          method,
          headers,
          agent: false,
          timeout: timeoutMs,
        },
        (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Kills the process if running and removes the launcher's temp dir (kept when env KEEP_DATA is set). */
  async cleanup(): Promise<void> {
    if (this.running) await this.kill();
    live.delete(this);
    if (process.env.KEEP_DATA) {
      console.log(
        `KEEP_DATA: kept ${this.ownsDataDir ? this.workDir : `${this.workDir} and ${this.dataDir}`}`,
      );
      return;
    }
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/** Starts `chorus observer` (a voter that holds no data) and resolves once it says it is ready. */
export async function startObserver(opts: {
  nodeId: string;
  bind: string;
  dataDir: string;
  secret: string;
}): Promise<ChildProcess> {
  const observer = spawn(
    process.execPath,
    [cliPath(), 'observer', '--node-id', opts.nodeId, '--bind', opts.bind, '--data-dir', opts.dataDir],
    { env: { ...process.env, CHORUS_CLUSTER_SECRET: opts.secret }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    observer.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    observer.once('exit', (code) => reject(new Error(`observer exited (${code}): ${out}`)));
  });
  return observer;
}
