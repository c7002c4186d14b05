// Peer-link wire format: length-prefixed msgpack frames (optionally deflated) and the HMAC
// challenge-response handshake proofs. Pure functions and a streaming decoder; no sockets here.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import type { PeerMessage } from './link.js';

/** Version of the peer-link protocol; both sides must speak the same one. */
export const protocolVersion = 1;
/** Bytes of the length prefix (big-endian uint32: bytes that follow it, flags byte included). */
export const frameLengthBytes = 4;
/** Bytes of the flags field after the length prefix. */
export const frameFlagsBytes = 1;
/** Flag bit: the body is deflate-raw compressed. */
export const frameFlagDeflate = 0x01;
/** Every other flag bit is reserved and refused. */
export const frameFlagsKnownMask = frameFlagDeflate;
/** Length of a handshake nonce. */
export const handshakeNonceBytes = 32;
/** Length of an HMAC-SHA256 proof. */
export const handshakeProofBytes = 32;
/** Longest node id and cluster name accepted in a hello (bytes of UTF-8). */
export const handshakeIdBytesMax = 256;

/**
 * Message types never deflated: snapshot chunks (1 MiB of database pages each; deflating them on the
 * event loop would cost both nodes more CPU than a LAN link saves).
 */
export const uncompressedTypes: ReadonlySet<string> = new Set(['snap_chunk']);

const hmacLabelAccept = 'chorus-accept';
const hmacLabelDial = 'chorus-dial';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

/** A frame that cannot be accepted: too long, undecodable, or not a `{ t: string }` object. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface EncodeOptions {
  compression: { enabled: boolean; thresholdBytes: number };
  frameBytesMax: number;
}

/**
 * Encodes one message as a frame. Bodies longer than the threshold are deflated when enabled and only
 * when that makes them smaller. Throws FrameError if the frame would exceed frameBytesMax (the caller
 * batches within the limit; a larger frame would be refused by the peer anyway).
 */
export function encodeFrame(msg: PeerMessage, opts: EncodeOptions): Buffer {
  let body: Buffer = packr.pack(msg);
  let flags = 0;
  if (
    opts.compression.enabled &&
    body.length > opts.compression.thresholdBytes &&
    !uncompressedTypes.has(msg.t)
  ) {
    const deflated = deflateRawSync(body);
    if (deflated.length < body.length) {
      body = deflated;
      flags |= frameFlagDeflate;
    }
  }
  const length = frameFlagsBytes + body.length;
  if (length > opts.frameBytesMax) {
    throw new FrameError(`frame of ${length} bytes exceeds the limit of ${opts.frameBytesMax} bytes`);
  }
  const header = Buffer.allocUnsafe(frameLengthBytes + frameFlagsBytes);
  header.writeUInt32BE(length, 0);
  header.writeUInt8(flags, frameLengthBytes);
  return Buffer.concat([header, body], header.length + body.length);
}

/** A message as the peer receives it: encoded as a frame and decoded again (tests and benches). */
export function roundTripFrame(msg: PeerMessage, opts: EncodeOptions): PeerMessage {
  const frame = encodeFrame(msg, opts);
  return decodeFrameBody(
    frame[frameLengthBytes]!,
    frame.subarray(frameLengthBytes + frameFlagsBytes),
    opts.frameBytesMax,
  );
}

/** Decodes a frame body (flags byte and what follows). Throws FrameError on anything unacceptable. */
export function decodeFrameBody(flags: number, body: Buffer, frameBytesMax: number): PeerMessage {
  if ((flags & ~frameFlagsKnownMask) !== 0)
    throw new FrameError(`unknown frame flags 0x${flags.toString(16)}`);
  let raw = body;
  if ((flags & frameFlagDeflate) !== 0) {
    try {
      raw = inflateRawSync(body, { maxOutputLength: frameBytesMax });
    } catch (err) {
      throw new FrameError(`frame does not inflate: ${(err as Error).message}`);
    }
  }
  let value: unknown;
  try {
    value = packr.unpack(raw);
  } catch (err) {
    throw new FrameError(`frame does not decode: ${(err as Error).message}`);
  }
  if (!isPeerMessage(value)) throw new FrameError('frame is not an object with a string "t"');
  return value;
}

function isPeerMessage(value: unknown): value is PeerMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    typeof (value as { t?: unknown }).t === 'string'
  );
}

/**
 * Streaming decoder: push socket chunks, then pull frames one at a time with next(). The length limit
 * is checked as soon as a header is complete (before the body arrives) and may change between frames
 * (the handshake uses a much smaller limit than an established link).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(public frameBytesMax: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Bytes received and not yet consumed as frames. */
  bufferedBytes(): number {
    return this.buffered;
  }

  /** The next complete frame, or null if more bytes are needed. Throws FrameError. */
  next(): PeerMessage | null {
    if (this.buffered < frameLengthBytes) return null;
    const length = this.peek(frameLengthBytes).readUInt32BE(0);
    if (length < frameFlagsBytes) throw new FrameError('frame shorter than its flags byte');
    if (length > this.frameBytesMax) {
      throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.frameBytesMax} bytes`);
    }
    if (this.buffered < frameLengthBytes + length) return null;
    const frame = this.take(frameLengthBytes + length);
    return decodeFrameBody(
      frame[frameLengthBytes]!,
      frame.subarray(frameLengthBytes + frameFlagsBytes),
      this.frameBytesMax,
    );
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

/** A fresh random handshake nonce. */
export function newNonce(): Buffer {
  return randomBytes(handshakeNonceBytes);
}

/** The parties and nonces of one handshake, as both sides see them. */
export interface HandshakeTranscript {
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
  dialerId: string;
  acceptorId: string;
}

function lengthPrefixed(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}

function proof(secret: string, label: string, tr: HandshakeTranscript): Buffer {
  // Ids are length-prefixed so that ("ab", "c") and ("a", "bc") give different proofs.
  return createHmac('sha256', secret)
    .update(label)
    .update(tr.dialerNonce)
    .update(tr.acceptorNonce)
    .update(lengthPrefixed(tr.dialerId))
    .update(lengthPrefixed(tr.acceptorId))
    .digest();
}

/** The acceptor's proof that it knows the secret: HMAC(secret, 'chorus-accept' || nonces || ids). */
export function acceptProof(secret: string, tr: HandshakeTranscript): Buffer {
  return proof(secret, hmacLabelAccept, tr);
}

/** The dialer's proof: HMAC(secret, 'chorus-dial' || nonces || ids). */
export function dialProof(secret: string, tr: HandshakeTranscript): Buffer {
  return proof(secret, hmacLabelDial, tr);
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(expected: Buffer, received: unknown): boolean {
  if (!(received instanceof Uint8Array) || received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}

/** A validated hello frame. */
export interface Hello {
  proto: number;
  cluster: string;
  nodeId: string;
  nonce: Uint8Array;
  proof: Uint8Array | null;
  /** What the peer says of itself (display only, not authenticated): its --ha-bind and region. */
  bind: string | null;
  region: string | null;
}

function boundedString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && Buffer.byteLength(v, 'utf8') <= handshakeIdBytesMax;
}

/** Checks the shape of a hello; returns it typed, or a reason it is refused. */
export function parseHello(msg: PeerMessage, expectProof: boolean): Hello | string {
  if (msg.t !== 'hello') return `expected hello, got "${msg.t.slice(0, 32)}"`;
  const { proto, cluster, nodeId, nonce } = msg;
  if (typeof proto !== 'number') return 'hello without a protocol version';
  if (!boundedString(cluster)) return 'hello without a valid cluster name';
  if (!boundedString(nodeId)) return 'hello without a valid node id';
  if (!(nonce instanceof Uint8Array) || nonce.length !== handshakeNonceBytes)
    return 'hello without a valid nonce';
  let p: Uint8Array | null = null;
  if (expectProof) {
    if (!(msg.proof instanceof Uint8Array) || msg.proof.length !== handshakeProofBytes) {
      return 'hello without a valid proof';
    }
    p = msg.proof;
  }
  const bind = boundedString(msg.bind) ? msg.bind : null;
  const region = boundedString(msg.region) ? msg.region : null;
  return { proto, cluster, nodeId, nonce, proof: p, bind, region };
}

/** What a handshake needs to know about this node. */
export interface HandshakeConfig {
  nodeId: string;
  clusterName: string;
  secret: string;
  /** This node's peer-link address and region, told to peers for their monitoring views. */
  bind?: string | null;
  region?: string | null;
}

/** One side's progress through the handshake. `stage` 'open' means it completed. */
export interface HandshakeState {
  dialer: boolean;
  stage: 'await-hello' | 'await-auth' | 'open';
  ourNonce: Uint8Array;
  peerId: string | null;
  peerNonce: Uint8Array | null;
  /** The peer's own --ha-bind and region, as its hello said. */
  peerBind?: string | null;
  peerRegion?: string | null;
}

export function newHandshake(dialer: boolean): HandshakeState {
  return { dialer, stage: 'await-hello', ourNonce: newNonce(), peerId: null, peerNonce: null };
}

/** The dialer's opening hello. */
export function dialerHello(cfg: HandshakeConfig, st: HandshakeState): PeerMessage {
  return {
    t: 'hello',
    proto: protocolVersion,
    cluster: cfg.clusterName,
    nodeId: cfg.nodeId,
    nonce: st.ourNonce,
    ...(cfg.bind ? { bind: cfg.bind } : {}),
    ...(cfg.region ? { region: cfg.region } : {}),
  };
}

function transcriptOf(cfg: HandshakeConfig, st: HandshakeState): HandshakeTranscript {
  const mine = { nonce: st.ourNonce, id: cfg.nodeId };
  const theirs = { nonce: st.peerNonce!, id: st.peerId! };
  const [d, a] = st.dialer ? [mine, theirs] : [theirs, mine];
  return { dialerNonce: d.nonce, acceptorNonce: a.nonce, dialerId: d.id, acceptorId: a.id };
}

/**
 * Advances the handshake by one received frame. Returns the frame to send back (or null), or a
 * `refused` reason; on success st.stage moves on ('open' when done).
 *   dialer:   send hello → receive hello+acceptProof → send auth(dialProof) → open
 *   acceptor: receive hello → send hello+acceptProof → receive auth(dialProof) → open
 */
export function handshakeStep(
  cfg: HandshakeConfig,
  st: HandshakeState,
  msg: PeerMessage,
): { refused: string; selfNonce?: Uint8Array } | { reply: PeerMessage | null } {
  if (st.stage === 'await-auth') {
    if (msg.t !== 'auth') return { refused: `expected auth, got "${msg.t.slice(0, 32)}"` };
    if (!proofMatches(dialProof(cfg.secret, transcriptOf(cfg, st)), msg.proof)) {
      return { refused: 'bad proof (cluster secret differs)' };
    }
    st.stage = 'open';
    return { reply: null };
  }
  if (st.stage !== 'await-hello') return { refused: 'handshake already complete' };
  const hello = parseHello(msg, st.dialer);
  if (typeof hello === 'string') return { refused: hello };
  if (hello.proto !== protocolVersion)
    return { refused: `protocol version ${hello.proto} is not ${protocolVersion}` };
  if (hello.cluster !== cfg.clusterName)
    return { refused: `peer is in cluster "${hello.cluster.slice(0, 64)}"` };
  // Our own id: another node misconfigured with it, or this node dialing itself (the nonce tells).
  if (hello.nodeId === cfg.nodeId) return { refused: 'peer claims our own node id', selfNonce: hello.nonce };
  st.peerId = hello.nodeId;
  st.peerNonce = hello.nonce;
  st.peerBind = hello.bind;
  st.peerRegion = hello.region;
  const tr = transcriptOf(cfg, st);
  if (!st.dialer) {
    st.stage = 'await-auth';
    return { reply: { ...dialerHello(cfg, st), proof: acceptProof(cfg.secret, tr) } };
  }
  if (!proofMatches(acceptProof(cfg.secret, tr), hello.proof))
    return { refused: 'bad proof (cluster secret differs)' };
  st.stage = 'open';
  return { reply: { t: 'auth', proof: dialProof(cfg.secret, tr) } };
}
