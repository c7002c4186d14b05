// Unit tests for the SCRAM-SHA-256 server: the RFC 7677 example, failures, verifier storage format,
// and a full exchange against the `pg` client's own SCRAM implementation.

import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { AuthenticationFailedError, ChorusError, ProtocolViolationError } from '../../src/errors.js';
import {
  formatScramVerifier,
  makeScramVerifier,
  parseScramVerifier,
  ScramServerExchange,
  type ScramVerifier,
} from '../../src/wire/scram.js';

// RFC 7677 section 3.
const rfc = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
};

const rfcVerifier = (): ScramVerifier => makeScramVerifier('pencil', { iterations: 4096, salt: rfc.salt });

function authFailed(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(
      err instanceof AuthenticationFailedError,
      `expected AuthenticationFailedError, got ${String(err)}`,
    );
    assert.equal(err.sqlstate, '28P01');
    assert.match(err.message, /password authentication failed for user "user"/);
    return true;
  });
}

test('RFC 7677 example: server-first and server-final messages', () => {
  const ex = new ScramServerExchange('user', rfcVerifier(), rfc.serverNonce);
  assert.equal(ex.clientFirst(rfc.clientFirst), rfc.serverFirst);
  assert.equal(ex.clientFinal(rfc.clientFinal), rfc.serverFinal);
});

test('wrong password fails with AuthenticationFailedError', () => {
  const ex = new ScramServerExchange('user', makeScramVerifier('pen', { salt: rfc.salt }), rfc.serverNonce);
  assert.equal(ex.clientFirst(rfc.clientFirst), rfc.serverFirst);
  authFailed(() => ex.clientFinal(rfc.clientFinal));
});

test('unknown user runs the exchange with a stable mock salt and then fails', () => {
  const a = new ScramServerExchange('user', null, rfc.serverNonce);
  const first = a.clientFirst(rfc.clientFirst);
  assert.match(first, /^r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj\)hNlF\$k0,s=[A-Za-z0-9+/=]+,i=4096$/);
  authFailed(() => a.clientFinal(rfc.clientFinal));
  const b = new ScramServerExchange('user', null);
  assert.equal(b.clientFirst(rfc.clientFirst).split(',')[1], first.split(',')[1], 'same mock salt per user');
  const other = new ScramServerExchange('someone', null, undefined, { mockSecret: Buffer.from('k') });
  assert.notEqual(other.clientFirst(rfc.clientFirst).split(',')[1], first.split(',')[1]);
});

test('nonce mismatch, tampered proof and protocol misuse fail', () => {
  const fresh = (): ScramServerExchange => {
    const ex = new ScramServerExchange('user', rfcVerifier(), rfc.serverNonce);
    ex.clientFirst(rfc.clientFirst);
    return ex;
  };
  authFailed(() => fresh().clientFinal(rfc.clientFinal.replace('hNlF', 'hNlG')));
  authFailed(() => fresh().clientFinal(rfc.clientFinal.replace('p=dHzb', 'p=dHzc')));
  const pv = (fn: () => unknown): void => {
    assert.throws(fn, (err: unknown) => err instanceof ProtocolViolationError);
  };
  pv(() => fresh().clientFinal(rfc.clientFinal.replace(',p=', ',q=')));
  pv(() => fresh().clientFinal(rfc.clientFinal.replace('c=biws', 'c=eSws')));
  pv(() => fresh().clientFinal(rfc.clientFinal.replace(/p=.*$/, 'p=AAAA')));
  pv(() => fresh().clientFinal('garbage'));
  const ex = fresh();
  assert.equal(ex.clientFinal(rfc.clientFinal), rfc.serverFinal);
  pv(() => ex.clientFinal(rfc.clientFinal));
  const again = new ScramServerExchange('user', rfcVerifier());
  again.clientFirst(rfc.clientFirst);
  pv(() => again.clientFirst(rfc.clientFirst));
  const newEx = (): ScramServerExchange => new ScramServerExchange('user', rfcVerifier());
  pv(() => newEx().clientFinal(rfc.clientFinal));
  pv(() => newEx().clientFirst('p=tls-server-end-point,,n=user,r=abc'));
  pv(() => newEx().clientFirst('n,a=admin,n=user,r=abc'));
  pv(() => newEx().clientFirst('x,,n=user,r=abc'));
  pv(() => newEx().clientFirst('n,,r=abc'));
  pv(() => newEx().clientFirst('n,,n=user,r=a,b'));
  pv(() => newEx().clientFirst('n,,m=ext,n=user,r=abc'));
  pv(() => newEx().clientFirst('n,,n=user,r='));
});

test("gs2 header 'y,,' is accepted (client supports channel binding, server does not offer it)", () => {
  const ex = new ScramServerExchange('user', rfcVerifier(), rfc.serverNonce);
  const first = ex.clientFirst(rfc.clientFirst.replace(/^n,,/, 'y,,'));
  assert.equal(first, rfc.serverFirst);
  // Compute the client proof by hand for the 'y,,' binding (c=eSws).
  const clientKey = createHmac('sha256', saltedPencil()).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=eSws,r=rOprNGfwEbeRWgbNEkqO${rfc.serverNonce}`;
  const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,${first},${withoutProof}`;
  const sig = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  const final = ex.clientFinal(`${withoutProof},p=${proof.toString('base64')}`);
  assert.match(final, /^v=[A-Za-z0-9+/]+=*$/);
});

function saltedPencil(): Buffer {
  return pbkdf2Sync('pencil', rfc.salt, 4096, 32, 'sha256');
}

test('verifier storage format round-trips and is validated', () => {
  const v = makeScramVerifier('secret');
  assert.equal(v.iterations, 4096);
  assert.equal(v.salt.length, 16);
  const text = formatScramVerifier(v);
  assert.match(text, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  assert.deepEqual(parseScramVerifier(text), v);
  // The RFC 7677 keys for 'pencil', derived independently, in PostgreSQL's stored format.
  const clientKey = createHmac('sha256', saltedPencil()).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest().toString('base64');
  const serverKey = createHmac('sha256', saltedPencil()).update('Server Key').digest().toString('base64');
  assert.equal(
    formatScramVerifier(rfcVerifier()),
    `SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$${storedKey}:${serverKey}`,
  );
  for (const bad of [
    '',
    'md5abc',
    'SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBF:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    'SCRAM-SHA-256$4096:!!!$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
  ]) {
    assert.throws(
      () => parseScramVerifier(bad),
      (err: unknown) => err instanceof ChorusError,
      bad,
    );
  }
});

test('NFKC normalization: compatibility forms of a password verify alike', () => {
  const salt = Buffer.alloc(16, 1);
  const a = makeScramVerifier('\uFB01sh', { salt, iterations: 10 }); // 'ﬁ' ligature
  const b = makeScramVerifier('fish', { salt, iterations: 10 });
  assert.deepEqual(a, b);
});

interface PgSasl {
  startSession(mechanisms: string[], stream?: unknown): { response: string; clientNonce: string };
  continueSession(session: object, password: string, serverData: string, stream?: unknown): Promise<void>;
  finalizeSession(session: object, serverData: string): void;
}

test('full exchange with the pg client SCRAM implementation', async () => {
  const pgRequire = createRequire(createRequire(import.meta.url).resolve('pg'));
  const sasl = pgRequire('./crypto/sasl.js') as PgSasl;
  const verifier = parseScramVerifier(formatScramVerifier(makeScramVerifier('s3cr€t pass')));
  for (const [password, ok] of [
    ['s3cr€t pass', true],
    ['wrong', false],
  ] as const) {
    const session = sasl.startSession(['SCRAM-SHA-256']) as { response: string } & Record<string, unknown>;
    const ex = new ScramServerExchange('alice', verifier);
    const serverFirst = ex.clientFirst(session.response);
    await sasl.continueSession(session, password, serverFirst);
    if (ok) {
      const serverFinal = ex.clientFinal(session.response);
      // finalizeSession throws if the server signature is wrong.
      sasl.finalizeSession(session, serverFinal);
    } else {
      assert.throws(() => ex.clientFinal(session.response), AuthenticationFailedError);
    }
  }
});
