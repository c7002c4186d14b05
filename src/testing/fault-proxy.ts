// A fault-injecting TCP proxy for tests: forwards loopback connections to a target and can partition,
// delay, throttle or randomly cut them (seeded), so transport and cluster tests exercise failures.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type Random, seededRandom } from './random.js';

/** The proxy listens on loopback only. */
export const faultProxyHost = '127.0.0.1';
/** Seed used by setDropProbability when none is given. */
export const faultProxyDefaultSeed = 1;

export interface FaultProxyStats {
  connectionsAccepted: number;
  bytesForwarded: number;
  connectionsCut: number;
}

interface Pipe {
  client: Socket;
  upstream: Socket;
  /** Per direction: when the previous chunk was (or will be) delivered, to keep order under delay. */
  nextAtMs: { up: number; down: number };
  timers: Set<NodeJS.Timeout>;
}

export class FaultProxy {
  private readonly server: Server;
  private readonly pipes = new Set<Pipe>();
  private partitioned = false;
  private latencyMs = 0;
  private dropProbability = 0;
  private random: Random = seededRandom(faultProxyDefaultSeed);
  private bytesPerSecond = 0;
  private readonly counts: FaultProxyStats = { connectionsAccepted: 0, bytesForwarded: 0, connectionsCut: 0 };

  private constructor(
    private readonly target: { host: string; port: number },
    server: Server,
    readonly port: number,
  ) {
    this.server = server;
    server.on('connection', (s) => this.accept(s));
  }

  /** Starts a proxy on 127.0.0.1 (an OS-chosen port unless listenPort is given) forwarding to target. */
  static async start(
    target: { host: string; port: number },
    opts: { listenPort?: number } = {},
  ): Promise<FaultProxy> {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: faultProxyHost, port: opts.listenPort ?? 0 }, () => {
        server.off('error', reject);
        const a = server.address();
        if (a === null || typeof a === 'string') reject(new Error('proxy has no TCP address'));
        else resolve(a.port);
      });
    });
    return new FaultProxy(target, server, port);
  }

  /** Cuts every connection and, until heal(), accepts new ones only to destroy them at once. */
  partition(): void {
    this.partitioned = true;
    for (const p of [...this.pipes]) this.cut(p);
  }

  heal(): void {
    this.partitioned = false;
  }

  /** Delays every chunk in both directions by ms (order is preserved). */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Cuts a connection with probability p for each chunk forwarded, drawing from a seeded PRNG. */
  setDropProbability(p: number, seed: number = faultProxyDefaultSeed): void {
    this.dropProbability = Math.min(1, Math.max(0, p));
    this.random = seededRandom(seed);
  }

  /** Throttles each direction of each connection to about bytesPerSecond (0 = unlimited). */
  slow(bytesPerSecond: number): void {
    this.bytesPerSecond = Math.max(0, bytesPerSecond);
  }

  stats(): FaultProxyStats {
    return { ...this.counts };
  }

  /** Cuts all connections and stops listening. */
  async close(): Promise<void> {
    for (const p of [...this.pipes]) this.teardown(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.counts.connectionsAccepted++;
    client.on('error', () => {});
    if (this.partitioned) {
      this.counts.connectionsCut++;
      client.destroy();
      return;
    }
    client.pause();
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    upstream.on('error', () => {});
    const pipe: Pipe = { client, upstream, nextAtMs: { up: 0, down: 0 }, timers: new Set() };
    this.pipes.add(pipe);
    upstream.once('connect', () => client.resume());
    client.on('data', (chunk: Buffer) => this.forward(pipe, chunk, 'up'));
    upstream.on('data', (chunk: Buffer) => this.forward(pipe, chunk, 'down'));
    client.on('close', () => this.sourceClosed(pipe, 'up'));
    upstream.on('close', () => this.sourceClosed(pipe, 'down'));
  }

  private forward(pipe: Pipe, chunk: Buffer, dir: 'up' | 'down'): void {
    if (!this.pipes.has(pipe)) return;
    if (this.dropProbability > 0 && this.random() < this.dropProbability) {
      this.cut(pipe);
      return;
    }
    const to = dir === 'up' ? pipe.upstream : pipe.client;
    const now = Date.now();
    const transferMs = this.bytesPerSecond > 0 ? (chunk.length * 1000) / this.bytesPerSecond : 0;
    const at = Math.max(now + this.latencyMs, pipe.nextAtMs[dir]) + transferMs;
    pipe.nextAtMs[dir] = at;
    if (at <= now && pipe.timers.size === 0) {
      this.deliver(to, chunk);
      return;
    }
    const timer = setTimeout(() => {
      pipe.timers.delete(timer);
      if (this.pipes.has(pipe)) this.deliver(to, chunk);
    }, at - now);
    pipe.timers.add(timer);
  }

  private deliver(to: Socket, chunk: Buffer): void {
    if (to.destroyed) return;
    this.counts.bytesForwarded += chunk.length;
    to.write(chunk);
  }

  /** One side closed: end the other after the chunks already scheduled for it; drop the pair when both are gone. */
  private sourceClosed(pipe: Pipe, dir: 'up' | 'down'): void {
    if (!this.pipes.has(pipe)) return;
    if (pipe.client.destroyed && pipe.upstream.destroyed) {
      this.teardown(pipe);
      return;
    }
    const to = dir === 'up' ? pipe.upstream : pipe.client;
    const timer = setTimeout(
      () => {
        pipe.timers.delete(timer);
        to.end();
      },
      Math.max(0, pipe.nextAtMs[dir] - Date.now()),
    );
    pipe.timers.add(timer);
  }

  private cut(pipe: Pipe): void {
    if (!this.pipes.has(pipe)) return;
    this.counts.connectionsCut++;
    this.teardown(pipe);
  }

  private teardown(pipe: Pipe): void {
    if (!this.pipes.delete(pipe)) return;
    for (const t of pipe.timers) clearTimeout(t);
    pipe.timers.clear();
    pipe.client.destroy();
    pipe.upstream.destroy();
  }
}
