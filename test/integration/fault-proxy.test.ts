// Integration tests for the fault-injecting TCP proxy against a plain echo server: forwarding,
// partition and heal, latency (with order preserved), throttling, and seeded connection drops.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { FaultProxy } from '../../src/testing/fault-proxy.js';

let echo: Server;
let echoPort = 0;
const echoSockets = new Set<Socket>();

before(async () => {
  echo = createServer((s) => {
    echoSockets.add(s);
    s.on('close', () => echoSockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
});

after(async () => {
  for (const s of echoSockets) s.destroy();
  await new Promise<void>((r) => echo.close(() => r()));
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A client socket that accumulates what it receives and notes when it closes. */
class Client {
  received = Buffer.alloc(0);
  closed = false;
  readonly socket: Socket;
  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
    });
  }
  /** Writes text and waits for its echo; returns false if the connection closed first. */
  async roundTrip(text: string): Promise<boolean> {
    const want = this.received.length + Buffer.byteLength(text);
    this.socket.write(text);
    await waitFor('echo or close', () => this.received.length >= want || this.closed);
    return this.received.length >= want;
  }
  end(): void {
    this.socket.destroy();
  }
}

async function withProxy(fn: (p: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: echoPort });
  try {
    await fn(proxy);
  } finally {
    await proxy.close();
  }
}

test('data flows through the proxy both ways', () =>
  withProxy(async (proxy) => {
    const c = new Client(proxy.port);
    assert.ok(await c.roundTrip('hello'));
    assert.ok(await c.roundTrip(' world'));
    assert.equal(c.received.toString(), 'hello world');
    c.end();
    const st = proxy.stats();
    assert.equal(st.connectionsAccepted, 1);
    assert.equal(st.bytesForwarded, 22);
    assert.equal(st.connectionsCut, 0);
  }));

test('partition cuts existing connections and refuses new ones; heal restores', () =>
  withProxy(async (proxy) => {
    const c = new Client(proxy.port);
    assert.ok(await c.roundTrip('before'));
    proxy.partition();
    await waitFor('cut', () => c.closed);
    const refused = new Client(proxy.port);
    assert.equal(await refused.roundTrip('during'), false);
    assert.equal(refused.received.length, 0);
    assert.equal(proxy.stats().connectionsCut, 2);
    proxy.heal();
    const again = new Client(proxy.port);
    assert.ok(await again.roundTrip('after'));
    again.end();
  }));

test('latency delays delivery in both directions and keeps order', () =>
  withProxy(async (proxy) => {
    proxy.setLatency(150);
    const c = new Client(proxy.port);
    const started = Date.now();
    assert.ok(await c.roundTrip('ping'));
    assert.ok(Date.now() - started >= 290, `round trip took ${Date.now() - started} ms`);
    const parts = Array.from({ length: 50 }, (_, i) => `<${i}>`);
    for (const p of parts) c.socket.write(p);
    const want = `ping${parts.join('')}`;
    await waitFor('ordered echo', () => c.received.length >= Buffer.byteLength(want));
    assert.equal(c.received.toString(), want);
    c.end();
  }));

test('slow() throttles throughput', () =>
  withProxy(async (proxy) => {
    proxy.slow(200_000);
    const c = new Client(proxy.port);
    const started = Date.now();
    assert.ok(await c.roundTrip('x'.repeat(20_000)));
    // 20 kB each way at 200 kB/s: at least ~200 ms.
    assert.ok(Date.now() - started >= 180, `took ${Date.now() - started} ms`);
    c.end();
  }));

/** Opens connections one after another, each doing a few round trips; returns which were cut. */
async function dropPattern(seed: number): Promise<boolean[]> {
  const pattern: boolean[] = [];
  await withProxy(async (proxy) => {
    proxy.setDropProbability(0.1, seed);
    for (let i = 0; i < 20; i++) {
      const c = new Client(proxy.port);
      let ok = true;
      for (let j = 0; j < 3 && ok; j++) ok = await c.roundTrip(`m${i}.${j};`);
      pattern.push(!ok);
      c.end();
      await waitFor('client closed', () => c.closed);
    }
    assert.equal(proxy.stats().connectionsCut, pattern.filter(Boolean).length);
  });
  return pattern;
}

test('drop probability cuts some connections, the same ones for the same seed', async () => {
  const first = await dropPattern(42);
  const second = await dropPattern(42);
  assert.deepEqual(first, second);
  const cut = first.filter(Boolean).length;
  assert.ok(cut > 0 && cut < first.length, `cut ${cut} of ${first.length}`);
});
