// SCRAM-SHA-256 server side (RFC 5802 / RFC 7677) as PostgreSQL does it: no channel binding,
// verifiers in PostgreSQL's stored format, and a mock exchange for unknown users.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationFailedError, InvalidParameterValueError, ProtocolViolationError } from '../errors.js';

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export const scramMechanism = 'SCRAM-SHA-256';
const defaultIterations = 4096;
const saltBytes = 16;
const serverNonceBytes = 18;
const keyBytes = 32;

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Password normalization. Real SASLprep (RFC 4013) is not in node; like the `pg` client we map
 * non-ASCII spaces to U+0020, drop the "mapped to nothing" characters and apply NFKC, which is a
 * practical stand-in and byte-identical for every ASCII password.
 */
function saslPrep(password: string): string {
  return password
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
    .replace(/\u00AD|\u034F|\u1806|\u180B|\u180C|\u180D|\u200C|\u200D|\u2060|[\uFE00-\uFE0F]|\uFEFF/g, '')
    .normalize('NFKC');
}

/** Derives the stored verifier for a password (what CREATE ROLE ... PASSWORD keeps). */
export function makeScramVerifier(
  password: string,
  opts: { iterations?: number; salt?: Buffer } = {},
): ScramVerifier {
  const iterations = opts.iterations ?? defaultIterations;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new InvalidParameterValueError(`invalid SCRAM iteration count: ${iterations}`);
  }
  const salt = opts.salt ?? randomBytes(saltBytes);
  const salted = pbkdf2Sync(saslPrep(password), salt, iterations, keyBytes, 'sha256');
  return {
    iterations,
    salt,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function strictBase64(s: string): Buffer | null {
  return base64Pattern.test(s) ? Buffer.from(s, 'base64') : null;
}

/** Parses PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
export function parseScramVerifier(text: string): ScramVerifier {
  const m = /^SCRAM-SHA-256\$(\d{1,9}):([^$:]+)\$([^$:]+):([^$:]+)$/.exec(text.trim());
  const iterations = m ? Number(m[1]) : 0;
  const salt = m ? strictBase64(m[2]!) : null;
  const storedKey = m ? strictBase64(m[3]!) : null;
  const serverKey = m ? strictBase64(m[4]!) : null;
  if (
    iterations < 1 ||
    !salt ||
    salt.length === 0 ||
    storedKey?.length !== keyBytes ||
    serverKey?.length !== keyBytes
  ) {
    throw new InvalidParameterValueError('invalid SCRAM-SHA-256 verifier', {
      hint: 'Expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> with base64 fields.',
    });
  }
  return { iterations, salt, storedKey, serverKey };
}

export function formatScramVerifier(v: ScramVerifier): string {
  return `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Splits `k=v,k=v` attributes, keeping their order; a part without `x=` is malformed. */
function attributes(msg: string, what: string): [string, string][] {
  return msg.split(',').map((part): [string, string] => {
    if (!/^[A-Za-z]=/.test(part)) throw new ProtocolViolationError(`malformed SCRAM ${what}: "${part}"`);
    return [part[0]!, part.slice(2)];
  });
}

const printableNonce = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * One SCRAM-SHA-256 exchange: clientFirst() answers the SASLInitialResponse data with the
 * server-first-message, clientFinal() checks the proof and returns the server-final-message.
 * With a null verifier (unknown user) the exchange runs against a mock verifier and fails at the end,
 * so a client cannot tell unknown users from wrong passwords.
 */
export class ScramServerExchange {
  private readonly verifier: ScramVerifier;
  private readonly mock: boolean;
  private readonly serverNonce: string;
  private state: 'initial' | 'first' | 'done' = 'initial';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  /**
   * @param nonce server nonce part: a Buffer is base64-encoded, a string is used verbatim (tests).
   * @param opts.mockSecret per-cluster secret that keys the mock salt of unknown users, so it is
   *   stable per user (as PostgreSQL's mock_auth_nonce does) but not computable by clients.
   */
  constructor(
    private readonly user: string,
    verifier: ScramVerifier | null,
    nonce?: Buffer | string,
    opts: { mockSecret?: Buffer } = {},
  ) {
    this.serverNonce =
      typeof nonce === 'string' ? nonce : (nonce ?? randomBytes(serverNonceBytes)).toString('base64');
    if (!printableNonce.test(this.serverNonce))
      throw new InvalidParameterValueError('invalid SCRAM server nonce');
    this.mock = verifier === null;
    if (verifier) {
      this.verifier = verifier;
    } else {
      const secret = opts.mockSecret ?? Buffer.from('chorusdb mock SCRAM salt');
      this.verifier = {
        iterations: defaultIterations,
        salt: hmac(secret, `salt:${user}`).subarray(0, saltBytes),
        storedKey: randomBytes(keyBytes),
        serverKey: randomBytes(keyBytes),
      };
    }
  }

  private fail(): never {
    this.state = 'done';
    throw new AuthenticationFailedError(this.user);
  }

  /** Handles client-first-message (`n,,n=user,r=nonce`); returns server-first-message. */
  clientFirst(data: string): string {
    if (this.state !== 'initial') throw new ProtocolViolationError('unexpected SCRAM client-first-message');
    this.state = 'done';
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(data);
    if (!m) throw new ProtocolViolationError('malformed SCRAM client-first-message: bad GS2 header');
    if (m[1]!.startsWith('p=')) {
      throw new ProtocolViolationError('SCRAM channel binding is not supported: use SCRAM-SHA-256');
    }
    if (m[2] !== undefined) {
      throw new ProtocolViolationError('SCRAM authorization identity (a=) is not supported');
    }
    this.gs2Header = `${m[1]},,`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare, 'client-first-message');
    // PostgreSQL ignores the SCRAM user name (n=); the startup packet's user is authoritative.
    if (attrs.length < 2 || attrs[0]![0] !== 'n' || attrs[1]![0] !== 'r') {
      throw new ProtocolViolationError('malformed SCRAM client-first-message: expected n= and r=');
    }
    if (attrs.some(([k]) => k === 'm')) {
      throw new ProtocolViolationError('SCRAM mandatory extensions (m=) are not supported');
    }
    const clientNonce = attrs[1]![1];
    if (!printableNonce.test(clientNonce)) {
      throw new ProtocolViolationError('malformed SCRAM client-first-message: bad nonce');
    }
    this.nonce = clientNonce + this.serverNonce;
    const v = this.verifier;
    this.serverFirst = `r=${this.nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
    this.state = 'first';
    return this.serverFirst;
  }

  /** Handles client-final-message (`c=biws,r=...,p=proof`); returns server-final-message (`v=...`). */
  clientFinal(data: string): string {
    if (this.state !== 'first') throw new ProtocolViolationError('unexpected SCRAM client-final-message');
    this.state = 'done';
    const proofAt = data.lastIndexOf(',p=');
    if (proofAt < 0) throw new ProtocolViolationError('malformed SCRAM client-final-message: no proof');
    const withoutProof = data.slice(0, proofAt);
    const attrs = attributes(withoutProof, 'client-final-message');
    if (attrs.length < 2 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r') {
      throw new ProtocolViolationError('malformed SCRAM client-final-message: expected c= and r=');
    }
    const binding = strictBase64(attrs[0]![1]);
    if (!binding || binding.toString('latin1') !== this.gs2Header) {
      throw new ProtocolViolationError('SCRAM channel binding data does not match the GS2 header');
    }
    if (attrs[1]![1] !== this.nonce) this.fail();
    const proof = strictBase64(data.slice(proofAt + 3));
    if (!proof || proof.length !== keyBytes) {
      throw new ProtocolViolationError('malformed SCRAM client-final-message: bad proof');
    }
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const v = this.verifier;
    const signature = hmac(v.storedKey, authMessage);
    for (let i = 0; i < keyBytes; i++) signature[i] ^= proof[i]!;
    // signature now holds the ClientKey the proof implies; its hash must be the StoredKey.
    const ok = timingSafeEqual(sha256(signature), v.storedKey);
    if (!ok || this.mock) this.fail();
    return `v=${hmac(v.serverKey, authMessage).toString('base64')}`;
  }
}
