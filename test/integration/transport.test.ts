// Integration tests for the TCP peer transport: real sockets on 127.0.0.1 between in-process networks —
// handshake (secret, cluster, raw garbage), ordering, heartbeats and skew, health, reconnect, TLS.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import pino from 'pino';
import { generate } from 'selfsigned';
import {
  acceptProof,
  encodeFrame,
  FrameDecoder,
  newNonce,
  parseHello,
  protocolVersion,
} from '../../src/replication/link/frames.js';
import type { Link, PeerMessage } from '../../src/replication/link/link.js';
import { TcpPeerNetwork, type TcpPeerNetworkOptions } from '../../src/replication/link/transport.js';
import { FaultProxy } from '../../src/testing/fault-proxy.js';
import { seededRandom } from '../../src/testing/random.js';

const logger = pino({ level: 'silent' });
const secret = 'correct horse battery staple';
const stopAll: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stopAll.reverse()) await s();
});

interface TestNode {
  id: string;
  net: TcpPeerNetwork;
  endpoint: string;
  msgs: Map<string, PeerMessage[]>;
  closes: { peer: string; reason: string }[];
  linkFor(peer: string): Link | undefined;
}

async function startNode(
  id: string,
  over: Partial<TcpPeerNetworkOptions> = {},
  onLink?: (link: Link) => void,
): Promise<TestNode> {
  const net = new TcpPeerNetwork({
    nodeId: id,
    clusterName: 'test',
    clusterSecret: secret,
    bind: '127.0.0.1:0',
    peers: [],
    heartbeatIntervalMs: 50,
    heartbeatTimeoutMs: 2_000,
    replicationTimeoutMs: 5_000,
    frameBytesMax: 8 * 1024 * 1024,
    compression: { enabled: true, thresholdBytes: 1024 },
    sendBufferBytesMax: 4 * 1024 * 1024,
    reconnect: { initialMs: 20, maxMs: 200 },
    logger,
    ...over,
  });
  const node: TestNode = {
    id,
    net,
    endpoint: '',
    msgs: new Map(),
    closes: [],
    linkFor: (peer) => net.links().find((l) => l.peerId === peer && !l.closed),
  };
  await net.start((up) => {
    onLink?.(up);
    return {
      onMessage: (link, msg) => {
        const list = node.msgs.get(link.peerId) ?? [];
        list.push(msg);
        node.msgs.set(link.peerId, list);
      },
      onClose: (link, reason) => node.closes.push({ peer: link.peerId, reason }),
    };
  });
  const a = net.address();
  if (a) node.endpoint = `127.0.0.1:${a.port}`;
  stopAll.push(() => net.stop());
  return node;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends msgs in order, waiting for the send buffer to drain whenever send() says so. */
async function sendAll(link: Link, msgs: PeerMessage[]): Promise<void> {
  for (const m of msgs) {
    if (!link.send(m)) await waitFor('send buffer to drain', () => link.bufferedBytes() === 0);
  }
}

/** Connects a raw socket, writes bytes, resolves when the server closes it. */
function rawExchange(port: number, bytes: Buffer | null): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      if (bytes) s.write(bytes);
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.resume();
  });
}

test('two nodes dialing each other end with one link each way, right peer ids, ordered delivery', async () => {
  const a = await startNode('a');
  const b = await startNode('b');
  a.net.addPeer(b.endpoint);
  b.net.addPeer(a.endpoint);
  // Both dial: the duplicate dialed by the larger id ('b') is closed on both sides.
  await waitFor('links', () => {
    const ab = a.linkFor('b');
    const ba = b.linkFor('a');
    return ab?.endpoint === b.endpoint && ba !== undefined && ba.endpoint !== a.endpoint;
  });
  await waitFor(
    'peers() report',
    () => b.net.peers()[0]?.connected === true && a.net.peers()[0]?.connected === true,
  );
  assert.equal(a.net.peers()[0]!.peerId, 'b');
  assert.equal(b.net.peers()[0]!.peerId, 'a');
  assert.equal(a.net.links().length, 1);
  assert.equal(b.net.links().length, 1);

  const count = 10_000;
  const big = 'row data '.repeat(1000);
  const msgs = Array.from({ length: count }, (_, i) => ({
    t: 'seq',
    i,
    lsn: BigInt(i) * 1_000_000_007n,
    ...(i % 500 === 0 ? { payload: big } : {}),
  }));
  const ab = a.linkFor('b')!;
  const ba = b.linkFor('a')!;
  await Promise.all([sendAll(ab, msgs), sendAll(ba, msgs)]);
  await waitFor(
    'all messages',
    () => (b.msgs.get('a')?.length ?? 0) >= count && (a.msgs.get('b')?.length ?? 0) >= count,
  );
  for (const got of [b.msgs.get('a')!, a.msgs.get('b')!]) {
    assert.equal(got.length, count);
    got.forEach((m, i) => {
      assert.equal(m.i, i);
      assert.equal(m.lsn, BigInt(i) * 1_000_000_007n);
    });
    assert.equal(got[500]!.payload, big);
  }
  const st = ab.stats();
  assert.ok(
    st.framesSent >= count && st.bytesSent > 0 && st.bytesSent < count * 200,
    `compressed: ${st.bytesSent}`,
  );
  assert.equal(st.health, 'healthy');
  assert.throws(() => ab.send({ t: '_hb', sent: 0 }), /reserved/);
  assert.deepEqual(a.net.counters().handshakeFailures, 0);
  assert.deepEqual(a.net.counters().malformedFrames, 0);
});

test('three nodes form a full mesh; a greeting sent at each link-up reaches every peer', async () => {
  // While simultaneous dials are resolved a link can be replaced ('duplicate'), and what was sent
  // on the replaced link is lost: engines send their opening message at each link-up, as here.
  const greet = (self: string) => (link: Link) => link.send({ t: 'hi', from: self });
  const nodes = [
    await startNode('n1', {}, greet('n1')),
    await startNode('n2', {}, greet('n2')),
    await startNode('n3', {}, greet('n3')),
  ];
  for (const n of nodes) for (const m of nodes) if (n !== m) n.net.addPeer(m.endpoint);
  const ids = nodes.map((n) => n.id);
  await waitFor('mesh', () =>
    nodes.every(
      (n) => ids.every((id) => id === n.id || n.linkFor(id) !== undefined) && n.net.links().length === 2,
    ),
  );
  await waitFor('greetings', () =>
    nodes.every((n) => ids.every((id) => id === n.id || n.msgs.get(id)?.some((m) => m.from === id))),
  );
  await waitFor('stable', () => nodes.every((n) => n.net.peers().every((p) => p.connected)));
  // The only links closed were the losers of simultaneous dials.
  for (const n of nodes) for (const c of n.closes) assert.equal(c.reason, 'duplicate', `${n.id}: ${c.peer}`);
});

test('wrong secret: no link, failures counted on the acceptor, nothing delivered', async () => {
  const victim = await startNode('v');
  const bad = await startNode('x', { clusterSecret: 'wrong', bind: null, peers: [victim.endpoint] });
  await waitFor(
    'failures',
    () => victim.net.counters().handshakeFailures >= 2 && bad.net.counters().handshakeFailures >= 2,
  );
  assert.equal(victim.net.links().length, 0);
  assert.equal(bad.net.links().length, 0);
  assert.equal(victim.msgs.size, 0);
  assert.match(bad.net.peers()[0]!.lastError ?? '', /proof/);
  assert.equal(bad.net.peers()[0]!.connected, false);
  await bad.net.stop();
});

test('wrong cluster name and a peer claiming our own id are refused', async () => {
  const victim = await startNode('v2');
  const other = await startNode('o', { clusterName: 'elsewhere', bind: null, peers: [victim.endpoint] });
  await waitFor('cluster refusal', () => victim.net.counters().handshakeFailures >= 1);
  assert.match(other.net.peers()[0]!.lastError ?? '', /closed|cluster/);
  await other.net.stop();
  const before = victim.net.counters().handshakeFailures;
  const twin = await startNode('v2', { bind: null, peers: [victim.endpoint] });
  await waitFor('own-id refusal', () => victim.net.counters().handshakeFailures > before);
  assert.equal(victim.net.links().length, 0);
  await twin.net.stop();
  assert.equal(victim.msgs.size, 0);
});

test('raw sockets: garbage, oversized length, non-hello first frame, silence are dropped and counted', async () => {
  const v = await startNode('raw', { handshakeTimeoutMs: 300 });
  const port = v.net.address()!.port;
  const fails = () => v.net.counters().handshakeFailures;
  let n = fails();
  await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  await waitFor('garbage counted', () => fails() === n + 1);
  n = fails();
  const oversized = Buffer.alloc(5);
  oversized.writeUInt32BE(100 * 1024 * 1024, 0);
  await rawExchange(port, oversized);
  await waitFor('oversized counted', () => fails() === n + 1);
  n = fails();
  const opts = { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax: 4096 };
  await rawExchange(port, encodeFrame({ t: 'batch', rows: [1, 2, 3] }, opts));
  await waitFor('non-hello counted', () => fails() === n + 1);
  n = fails();
  const started = Date.now();
  await rawExchange(port, null);
  assert.ok(Date.now() - started >= 250, 'closed by the handshake timeout');
  await waitFor('silence counted', () => fails() === n + 1);
  assert.ok(v.net.counters().malformedFrames >= 2);
  assert.equal(v.net.links().length, 0);
});

test('heartbeats measure rtt and a +5000 ms clock skew', async () => {
  const a = await startNode('ha');
  const b = await startNode('hb', { nowMs: () => Date.now() + 5_000, peers: [a.endpoint] });
  await waitFor(
    'rtt',
    () => a.linkFor('hb')?.stats().rttMs != null && b.linkFor('ha')?.stats().rttMs != null,
  );
  const sa = a.linkFor('hb')!.stats();
  const sb = b.linkFor('ha')!.stats();
  assert.ok(Math.abs(sa.clockSkewMs! - 5_000) <= 100, `a sees ${sa.clockSkewMs}`);
  assert.ok(Math.abs(sb.clockSkewMs! + 5_000) <= 100, `b sees ${sb.clockSkewMs}`);
  assert.ok(sa.rttMs! >= 0 && sa.rttMs! < 1_000);
  assert.ok(sa.lastHeartbeatMs !== null);
  assert.equal(a.msgs.size, 0, 'heartbeats are not delivered to onMessage');
});

test('a silent peer becomes suspected, then the link fails with timeout', async () => {
  const b = await startNode('sb', { heartbeatTimeoutMs: 300, replicationTimeoutMs: 900 });
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: b.net.address()!.port });
  stopAll.push(() => proxy.close());
  const a = await startNode('sa', {
    bind: null,
    peers: [`127.0.0.1:${proxy.port}`],
    heartbeatTimeoutMs: 300,
    replicationTimeoutMs: 900,
  });
  await waitFor('link', () => a.linkFor('sb') !== undefined);
  const link = a.linkFor('sb')!;
  proxy.setLatency(60_000); // a black hole: nothing arrives, nothing is closed
  await waitFor('suspected', () => link.stats().health === 'suspected');
  await waitFor('failed', () => link.closed);
  assert.equal(link.stats().health, 'failed');
  assert.deepEqual(a.closes.at(-1), { peer: 'sb', reason: 'timeout' });
  proxy.setLatency(0);
  await waitFor('relink', () => a.linkFor('sb') !== undefined && a.linkFor('sb') !== link);
});

test('reconnects with backoff after the peer restarts on the same port', async () => {
  const b = await startNode('rb');
  const port = b.net.address()!.port;
  const a = await startNode('ra', { bind: null, peers: [b.endpoint], random: seededRandom(3) });
  await waitFor('first link', () => a.linkFor('rb') !== undefined);
  await b.net.stop();
  await waitFor('link down', () => a.linkFor('rb') === undefined);
  await waitFor('several attempts', () => a.net.peers()[0]!.attempts >= 3);
  assert.equal(a.net.peers()[0]!.connected, false);
  assert.match(a.net.peers()[0]!.lastError ?? '', /ECONNREFUSED|connect/);
  const b2 = await startNode('rb', { bind: `127.0.0.1:${port}` });
  await waitFor('relink', () => a.linkFor('rb') !== undefined && b2.linkFor('ra') !== undefined);
  assert.ok(a.net.counters().reconnects >= 3);
  assert.equal(a.net.peers()[0]!.attempts, 0);
  a.linkFor('rb')!.send({ t: 'after-restart' });
  await waitFor('delivery', () => b2.msgs.get('ra')?.[0]?.t === 'after-restart');
});

test('send() reports backpressure when the peer stops reading', async () => {
  // A hand-rolled acceptor: completes the handshake, then never reads again.
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    const dec = new FrameDecoder(4096);
    const nonce = newNonce();
    const onData = (chunk: Buffer) => {
      dec.push(chunk);
      const m = dec.next();
      if (!m) return;
      const h = parseHello(m, false);
      if (typeof h === 'string') return s.destroy();
      const proof = acceptProof(secret, {
        dialerNonce: h.nonce,
        acceptorNonce: nonce,
        dialerId: h.nodeId,
        acceptorId: 'sink',
      });
      const hello = { t: 'hello', proto: protocolVersion, cluster: 'test', nodeId: 'sink', nonce, proof };
      s.write(
        encodeFrame(hello, { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax: 4096 }),
      );
      s.off('data', onData);
      s.pause();
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stopAll.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  const a = await startNode('bp', {
    bind: null,
    peers: [`127.0.0.1:${port}`],
    sendBufferBytesMax: 256 * 1024,
  });
  await waitFor('link', () => a.linkFor('sink') !== undefined);
  const link = a.linkFor('sink')!;
  const rnd = seededRandom(5);
  const noise = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(rnd() * 256)));
  let accepted = 0;
  while (link.send({ t: 'blob', noise }) && accepted < 10_000) accepted++;
  assert.ok(accepted < 10_000, 'send() eventually returns false');
  assert.ok(link.bufferedBytes() > 256 * 1024);
});

test('TLS: links come up over TLS with a self-signed cert as CA', async () => {
  const pems = await generate([{ name: 'commonName', value: 'chorus-peer' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const tls = { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), ca: Buffer.from(pems.cert) };
  const b = await startNode('tb', { tls });
  const a = await startNode('ta', { tls, bind: null, peers: [b.endpoint] });
  await waitFor('tls link', () => a.linkFor('tb') !== undefined && b.linkFor('ta') !== undefined);
  a.linkFor('tb')!.send({ t: 'secure', v: 1n });
  await waitFor('delivery', () => b.msgs.get('ta')?.[0]?.v === 1n);
  // A plaintext dialer cannot talk to a TLS listener.
  const before = b.net.counters().handshakeFailures;
  const plain = await startNode('tp', { bind: null, peers: [b.endpoint] });
  await waitFor('plaintext refused', () => b.net.counters().handshakeFailures > before);
  assert.equal(plain.net.links().length, 0);
  await plain.net.stop();
});
