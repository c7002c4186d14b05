// Unit tests for the peer-link frame codec and handshake proofs: round trips (bigint, Buffer, nesting),
// compression thresholds, refusal of oversized and garbage frames, and HMAC proof checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import {
  acceptProof,
  decodeFrameBody,
  dialProof,
  encodeFrame,
  FrameDecoder,
  FrameError,
  frameFlagDeflate,
  type HandshakeTranscript,
  newNonce,
  parseHello,
  proofMatches,
} from '../../src/replication/link/frames.js';
import type { PeerMessage } from '../../src/replication/link/link.js';
import { seededRandom } from '../../src/testing/random.js';

const frameBytesMax = 1024 * 1024;
const plain = { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax };
const compressing = { compression: { enabled: true, thresholdBytes: 1024 }, frameBytesMax };
const packr = new Packr({ useRecords: false });

function rawFrame(flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(body.length + 1, 0);
  h[4] = flags;
  return Buffer.concat([h, body]);
}

function decodeAll(bytes: Buffer, max = frameBytesMax): PeerMessage[] {
  const d = new FrameDecoder(max);
  d.push(bytes);
  const out: PeerMessage[] = [];
  for (let m = d.next(); m !== null; m = d.next()) out.push(m);
  return out;
}

test('round trip keeps bigint, Buffer, Uint8Array, null and nesting', () => {
  const msg: PeerMessage = {
    t: 'batch',
    lsn: 12_345_678_901_234n,
    neg: -7n,
    max: 2n ** 63n - 1n,
    n: 42,
    f: 0.5,
    big: 2 ** 40,
    blob: Buffer.from([0, 1, 2, 255]),
    u8: new Uint8Array([9, 8, 7]),
    none: null,
    nested: { rows: [{ id: 1n, v: 'x' }, [1, [2, [3]]]], empty: {} },
  };
  const [back] = decodeAll(encodeFrame(msg, plain));
  assert.equal(typeof back?.lsn, 'bigint');
  assert.deepEqual(back, { ...msg, u8: Buffer.from([9, 8, 7]) });
});

test('frames split at every byte boundary decode the same', () => {
  const frames = [
    encodeFrame({ t: 'a', i: 1 }, plain),
    encodeFrame({ t: 'b', s: 'x'.repeat(3000) }, compressing),
    encodeFrame({ t: 'c', v: 3n }, plain),
  ];
  const all = Buffer.concat(frames);
  for (let cut = 0; cut <= all.length; cut += 7) {
    const d = new FrameDecoder(frameBytesMax);
    const out: PeerMessage[] = [];
    for (const part of [all.subarray(0, cut), all.subarray(cut)]) {
      d.push(part);
      for (let m = d.next(); m !== null; m = d.next()) out.push(m);
    }
    assert.deepEqual(
      out.map((m) => m.t),
      ['a', 'b', 'c'],
    );
  }
  // Byte at a time.
  const d = new FrameDecoder(frameBytesMax);
  const out: PeerMessage[] = [];
  for (const byte of all) {
    d.push(Buffer.from([byte]));
    for (let m = d.next(); m !== null; m = d.next()) out.push(m);
  }
  assert.equal(out.length, 3);
  assert.equal(d.bufferedBytes(), 0);
});

test('compression: off, below threshold, above threshold, incompressible', () => {
  const big = { t: 'x', s: 'abc'.repeat(2000) };
  assert.equal(encodeFrame(big, plain)[4], 0);
  const small = { t: 'x', s: 'abc'.repeat(100) };
  assert.equal(encodeFrame(small, compressing)[4], 0, 'under the threshold stays plain');
  const c = encodeFrame(big, compressing);
  assert.equal(c[4], frameFlagDeflate);
  assert.ok(c.length < encodeFrame(big, plain).length / 10);
  assert.deepEqual(decodeAll(c), [big]);
  const rnd = seededRandom(7);
  const noise = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)));
  const n = encodeFrame({ t: 'x', noise }, compressing);
  assert.equal(n[4], 0, 'compressed only when smaller');
});

test('oversized frames are refused on encode and on decode (before the body arrives)', () => {
  assert.throws(
    () => encodeFrame({ t: 'x', s: 'y'.repeat(200) }, { ...plain, frameBytesMax: 100 }),
    FrameError,
  );
  const d = new FrameDecoder(100);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(101, 0);
  d.push(header);
  assert.throws(() => d.next(), /exceeds the limit/);
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(0xffffffff, 0);
  assert.throws(() => decodeAll(huge), FrameError);
  // A deflate bomb: small on the wire, larger than the limit inflated.
  const bomb = rawFrame(frameFlagDeflate, deflateRawSync(packr.pack({ t: 'x', s: 'z'.repeat(200_000) })));
  assert.ok(bomb.length < 10_000);
  assert.throws(() => decodeAll(bomb, 100_000), /does not inflate/);
});

test('garbage is refused', () => {
  const cases: Buffer[] = [
    Buffer.from([0, 0, 0, 0]), // shorter than the flags byte
    rawFrame(0x02, packr.pack({ t: 'x' })), // unknown flag
    rawFrame(0, Buffer.from('garbage!')),
    rawFrame(0, Buffer.from([0xc1])),
    rawFrame(0, Buffer.from([0x92, 0x01])), // truncated array
    rawFrame(0, Buffer.concat([packr.pack({ t: 'x' }), packr.pack(1)])), // trailing bytes
    rawFrame(0, packr.pack([1, 2])),
    rawFrame(0, packr.pack('t')),
    rawFrame(0, packr.pack({ t: 5 })),
    rawFrame(0, packr.pack({ x: 'no t' })),
    rawFrame(0, packr.pack(null)),
    rawFrame(frameFlagDeflate, Buffer.from('not deflate data at all')),
  ];
  for (const c of cases) assert.throws(() => decodeAll(c), FrameError, c.toString('hex'));
  assert.throws(() => decodeFrameBody(0, Buffer.alloc(0), 10), FrameError);
});

test('random bytes never crash the decoder (only FrameError)', () => {
  const rnd = seededRandom(99);
  for (let i = 0; i < 2000; i++) {
    const len = 5 + Math.floor(rnd() * 60);
    const b = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
    b.writeUInt32BE(len - 4, 0);
    try {
      decodeAll(b);
    } catch (err) {
      assert.ok(err instanceof FrameError, String(err));
    }
  }
});

function transcript(): HandshakeTranscript {
  return { dialerNonce: newNonce(), acceptorNonce: newNonce(), dialerId: 'n1', acceptorId: 'n2' };
}

test('HMAC proofs: right secret matches; wrong secret, swapped nonces, wrong ids do not', () => {
  const tr = transcript();
  const accept = acceptProof('s3cret', tr);
  const dial = dialProof('s3cret', tr);
  assert.ok(proofMatches(acceptProof('s3cret', tr), accept));
  assert.ok(proofMatches(dialProof('s3cret', tr), dial));
  assert.ok(!proofMatches(accept, dial), 'dial and accept proofs differ (no reflection)');
  assert.ok(!proofMatches(acceptProof('other', tr), accept));
  assert.ok(
    !proofMatches(
      acceptProof('s3cret', { ...tr, dialerNonce: tr.acceptorNonce, acceptorNonce: tr.dialerNonce }),
      accept,
    ),
  );
  assert.ok(!proofMatches(acceptProof('s3cret', { ...tr, dialerId: 'n3' }), accept));
  assert.ok(!proofMatches(acceptProof('s3cret', { ...tr, dialerId: 'n2', acceptorId: 'n1' }), accept));
  // Length prefixes: ("ab", "c") and ("a", "bc") differ.
  const a = acceptProof('k', { ...tr, dialerId: 'ab', acceptorId: 'c' });
  assert.ok(!proofMatches(acceptProof('k', { ...tr, dialerId: 'a', acceptorId: 'bc' }), a));
  assert.ok(!proofMatches(accept, accept.subarray(0, 16)));
  assert.ok(!proofMatches(accept, 'not bytes'));
  assert.ok(!proofMatches(accept, null));
});

test('parseHello validates shape', () => {
  const ok = { t: 'hello', proto: 1, cluster: 'c', nodeId: 'n1', nonce: newNonce() };
  assert.equal(typeof parseHello(ok, false), 'object');
  assert.match(parseHello(ok, true) as string, /proof/);
  assert.equal(typeof parseHello({ ...ok, proof: Buffer.alloc(32) }, true), 'object');
  assert.match(parseHello({ ...ok, t: 'auth' }, false) as string, /expected hello/);
  assert.match(parseHello({ ...ok, nonce: Buffer.alloc(8) }, false) as string, /nonce/);
  assert.match(parseHello({ ...ok, nodeId: '' }, false) as string, /node id/);
  assert.match(parseHello({ ...ok, nodeId: 'x'.repeat(300) }, false) as string, /node id/);
  assert.match(parseHello({ ...ok, cluster: 7 }, false) as string, /cluster/);
  assert.match(parseHello({ ...ok, proto: '1' }, false) as string, /protocol/);
});
