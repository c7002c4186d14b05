// `chorus demo`: a local multi-primary cluster in one command. Starts N `chorus server` processes
// on loopback (a shared random cluster secret, every node listing every other as a peer), waits
// until each answers /health, prints how to connect to each, and stops them all on Ctrl-C. A node
// that dies (kill -9 is what people try) leaves the others running; `restart N` on stdin (or
// --restart-on-exit) starts it again on the same ports and data.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** How long the nodes have to answer /health after starting. */
export const demoReadyTimeoutMs = 30_000;
/** How long a node has to exit after SIGTERM before it is killed. */
export const demoStopGraceMs = 10_000;
/** Most nodes a demo cluster may have. */
export const demoNodesMax = 9;
/** --restart-on-exit starts a node again at most this many times (a node that cannot start). */
export const demoRestartsMax = 5;
/** Wait before an automatic restart, so the ports and the database are free. */
export const demoRestartDelayMs = 500;

export interface DemoOptions {
  nodes: number;
  /** Data directory; a temporary one (removed on exit) when absent. */
  dataDir?: string;
  /** First PostgreSQL port (node i listens on base + i); 0 = ports chosen by the OS. */
  pgPortBase: number;
  /** First HTTP port; 0 = chosen by the OS. */
  httpPortBase: number;
  /** Start a node again by itself when it exits (instead of waiting for `restart N`). */
  restartOnExit?: boolean;
  /** Lines typed by the user (`restart N`, `status`, `stop`); none when absent. */
  input?: NodeJS.ReadableStream;
}

interface DemoNode {
  id: string;
  pgPort: number;
  httpPort: number;
  haPort: number;
  dataDir: string;
  logFile: string;
  child: ChildProcess | null;
  restarts: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = s.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

async function choosePorts(base: number, n: number, what: string): Promise<number[]> {
  if (base === 0) return Promise.all(Array.from({ length: n }, () => freePort()));
  const ports = Array.from({ length: n }, (_, i) => base + i);
  for (const p of ports) {
    if (!(await portFree(p)))
      throw new Error(
        `${what} port ${p} is in use; choose another base port, or 0 for ports picked by the OS`,
      );
  }
  return ports;
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Runs the demo until SIGINT/SIGTERM (or `stop`); resolves with the exit code. */
export async function runDemo(opts: DemoOptions, out: (line: string) => void): Promise<number> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > demoNodesMax)
    throw new Error(`--nodes must be between 1 and ${demoNodesMax}`);
  const temporary = opts.dataDir === undefined;
  const root = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'chorus-demo-'));
  try {
    mkdirSync(root, { recursive: true });
    return await runNodes(opts, root, temporary, out);
  } finally {
    // Also when startup failed (ports in use, a node that never became ready).
    if (temporary) rmSync(root, { recursive: true, force: true });
  }
}

async function runNodes(
  opts: DemoOptions,
  root: string,
  temporary: boolean,
  out: (line: string) => void,
): Promise<number> {
  const pgPorts = await choosePorts(opts.pgPortBase, opts.nodes, 'PostgreSQL');
  const httpPorts = await choosePorts(opts.httpPortBase, opts.nodes, 'HTTP');
  const haPorts = await choosePorts(0, opts.nodes, 'peer');
  const secret = randomBytes(24).toString('base64url');
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const nodes: DemoNode[] = pgPorts.map((pgPort, i) => ({
    id: `demo-${i + 1}`,
    pgPort,
    httpPort: httpPorts[i]!,
    haPort: haPorts[i]!,
    dataDir: path.join(root, `node-${i + 1}`),
    logFile: path.join(root, `node-${i + 1}.log`),
    child: null,
    restarts: 0,
  }));
  let ready = false;
  let stopping = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });

  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const n of nodes) n.child?.kill('SIGTERM');
    for (const n of nodes) {
      if (n.child && !(await exited(n.child, demoStopGraceMs))) n.child.kill('SIGKILL');
    }
    resolveDone(code);
  };
  const onSignal = (): void => {
    // npm forwards the terminal's SIGINT too: one message, one stop.
    if (stopping) return;
    out('stopping the cluster...');
    void stopAll(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const start = (n: DemoNode): void => {
    const peers = nodes.filter((m) => m !== n).map((m) => `127.0.0.1:${m.haPort}`);
    const log = openSync(n.logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        cli,
        'server',
        '--node-id',
        n.id,
        '--data-dir',
        n.dataDir,
        '--listen',
        `127.0.0.1:${n.pgPort}`,
        '--http',
        `127.0.0.1:${n.httpPort}`,
        '--ha-mode',
        'multi-primary',
        '--ha-bind',
        `127.0.0.1:${n.haPort}`,
        ...(peers.length > 0 ? ['--ha-peers', peers.join(',')] : []),
      ],
      {
        env: {
          ...process.env,
          CHORUS_CLUSTER_SECRET: secret,
          // Each master hands out its own slot of every sequence (serial keys never collide).
          CHORUS_REPLICATION__SEQUENCE_SLOT: String(nodes.indexOf(n)),
          CHORUS_REPLICATION__SEQUENCE_SLOTS: String(nodes.length),
        },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    n.child = child;
    child.on('exit', (code, signal) => {
      if (stopping || n.child !== child) return;
      n.child = null;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!ready) {
        out(`node ${n.id} exited during startup (${how}); see ${n.logFile}`);
        void stopAll(1);
        return;
      }
      if (opts.restartOnExit && n.restarts < demoRestartsMax) {
        n.restarts++;
        out(`node ${n.id} exited (${how}); restarting it (${n.restarts} of ${demoRestartsMax})`);
        setTimeout(() => {
          if (!stopping && !n.child) start(n);
        }, demoRestartDelayMs);
        return;
      }
      out(
        `node ${n.id} exited (${how}); the others keep running. Type "restart ${n.id.slice(5)}" to start it again (log: ${n.logFile}).`,
      );
    });
  };
  for (const n of nodes) start(n);

  const deadline = Date.now() + demoReadyTimeoutMs;
  for (const n of nodes) {
    while (!stopping && !(await healthy(n.httpPort))) {
      if (Date.now() > deadline) {
        out(`node ${n.id} did not become ready within ${demoReadyTimeoutMs} ms; see ${n.logFile}`);
        await stopAll(1);
        break;
      }
      await sleep(100);
    }
  }
  const lines = opts.input ? createInterface({ input: opts.input }) : null;
  if (!stopping) {
    ready = true;
    out(
      `ChorusDB demo: ${opts.nodes} masters (multi-primary), data in ${root}${temporary ? ' (removed on exit)' : ''}`,
    );
    for (const n of nodes) {
      out(
        `  ${n.id}: psql -h 127.0.0.1 -p ${n.pgPort} -U postgres chorus   http://127.0.0.1:${n.httpPort}/status   log ${n.logFile}`,
      );
    }
    out('Write on any node; the others follow. Type "restart N" to restart node N, "status", or "stop".');
    out('Ctrl-C stops the cluster.');
    lines?.on('line', (line) => command(line.trim()));
  }
  function command(line: string): void {
    if (line === '') return;
    const [verb, arg] = line.split(/\s+/);
    if (verb === 'stop' || verb === 'quit') {
      onSignal();
      return;
    }
    if (verb === 'status') {
      for (const n of nodes) out(`  ${n.id}: ${n.child ? `running (pid ${n.child.pid})` : 'stopped'}`);
      return;
    }
    const n = verb === 'restart' ? nodes.find((m) => m.id === arg || m.id === `demo-${arg}`) : undefined;
    if (!n) out(`unknown command "${line}": restart N | status | stop`);
    else if (n.child) out(`node ${n.id} is running (pid ${n.child.pid}); kill it first to restart it`);
    else {
      out(`starting ${n.id} again`);
      start(n);
    }
  }
  const code = await done;
  lines?.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
