// Authentication and TLS against real server processes: SCRAM-SHA-256 with configured passwords and
// stored verifiers (pg, postgres.js, psql), failures as 28P01 for wrong passwords and unknown users;
// TLS via SSLRequest with a generated self-signed certificate (pg and psql sslmode=require/verify-full),
// and the answer 'N' when TLS is not configured.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import pg from 'pg';
import postgres from 'postgres';
import { generate } from 'selfsigned';
import { formatScramVerifier, makeScramVerifier } from '../../src/wire/scram.js';
import { NodeProcess } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      // Hermetic for libpq: no PG* variables of this process leak into the child.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG'))),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function findPsql(): Promise<string | null> {
  try {
    const r = await run('psql', ['--version']);
    return r.code === 0 ? 'psql' : null;
  } catch {
    return null;
  }
}

/** psql environment: no user files, no prompts, bounded connect time. */
function psqlEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PGCONNECT_TIMEOUT: '5', PSQLRC: '/dev/null', ...extra };
}

async function connectPg(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(config);
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    throw e;
  }
  return c;
}

async function expectConnectError(config: pg.ClientConfig): Promise<Error & { code?: string }> {
  const c = new pg.Client(config);
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    return e as Error & { code?: string };
  }
  await c.end();
  assert.fail(`connection with ${JSON.stringify({ ...config, ssl: undefined })} unexpectedly succeeded`);
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  assert.ok(line, `metric ${name} not found`);
  return Number(line.trim().split(/\s+/).pop());
}

const sslRequest = (): Buffer => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(80877103, 4);
  return b;
};

/**
 * Collects what the server sends on `sock` until it closes it or `timeoutMs` passes (then destroys
 * it and reports closed = false). The deadline only bounds how long a refusal may take to arrive.
 */
function collectUntilClosed(
  sock: import('node:net').Socket,
  timeoutMs: number,
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    sock.on('data', (b: Buffer) => chunks.push(b));
    sock.on('error', () => undefined);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed: false });
    }, timeoutMs);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
  });
}

let psql: string | null = null;

before(async () => {
  psql = await findPsql();
  if (!psql) console.log('psql not installed: the psql cases of this file are skipped');
});

describe('SCRAM-SHA-256 authentication', () => {
  let node: NodeProcess;
  const bobVerifier = formatScramVerifier(makeScramVerifier('hunter2'));
  const base = (): pg.ClientConfig => ({ host: '127.0.0.1', port: node.pgPort, database: 'chorus' });

  before(async () => {
    node = await NodeProcess.start({
      configToml: [
        '[auth]',
        'method = "scram-sha-256"',
        '[[auth.users]]',
        'name = "alice"',
        'password = "s3cret"',
        '[[auth.users]]',
        'name = "bob"',
        `scram_verifier = "${bobVerifier}"`,
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    await node?.cleanup();
  });

  test('the verifier has PostgreSQL stored form and does not contain the password', () => {
    assert.match(bobVerifier, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    assert.ok(!bobVerifier.includes('hunter2'));
  });

  test('right password (configured as password) connects and queries', async () => {
    const c = await connectPg({ ...base(), user: 'alice', password: 's3cret' });
    try {
      const r = await c.query('SELECT 1 AS x');
      assert.equal(r.rows[0].x, 1);
    } finally {
      await c.end();
    }
  });

  test('right password (configured as scram_verifier) connects', async () => {
    const c = await connectPg({ ...base(), user: 'bob', password: 'hunter2' });
    try {
      assert.equal((await c.query('SELECT 2 AS x')).rows[0].x, 2);
    } finally {
      await c.end();
    }
  });

  test('wrong password → 28P01', async () => {
    const e = await expectConnectError({ ...base(), user: 'alice', password: 'wrong' });
    assert.equal(e.code, '28P01', e.message);
    const e2 = await expectConnectError({ ...base(), user: 'bob', password: 's3cret' });
    assert.equal(e2.code, '28P01', e2.message);
  });

  test('unknown user → 28P01 (indistinguishable from a wrong password)', async () => {
    const e = await expectConnectError({ ...base(), user: 'mallory', password: 's3cret' });
    assert.equal(e.code, '28P01', e.message);
  });

  test('loopback clients are not trusted when method = scram-sha-256 (server asks for SASL)', async () => {
    const params = Buffer.from('user\0alice\0database\0chorus\0\0', 'latin1');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(node.pgPort, '127.0.0.1');
      let buf = Buffer.alloc(0);
      s.once('error', reject);
      s.setTimeout(10_000, () => s.destroy(new Error('no authentication request')));
      s.on('data', (b: Buffer) => {
        buf = Buffer.concat([buf, b]);
        if (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
          s.destroy();
          resolve(buf);
        }
      });
      s.once('connect', () => s.write(startup));
    });
    assert.equal(String.fromCharCode(reply[0]!), 'R');
    assert.equal(reply.readInt32BE(5), 10, 'expected AuthenticationSASL (10), not AuthenticationOk (0)');
    assert.match(reply.subarray(9).toString('latin1'), /^SCRAM-SHA-256\0/);
    // And pg without a password cannot get in.
    await expectConnectError({ ...base(), user: 'alice' });
  });

  test('postgres.js (another SCRAM implementation) connects; wrong password → 28P01', async () => {
    const opts = {
      host: '127.0.0.1',
      port: node.pgPort,
      database: 'chorus',
      user: 'alice',
      max: 1,
      onnotice: () => {},
    };
    const ok = postgres({ ...opts, password: 's3cret' });
    try {
      const rows = await ok`SELECT 41 + 1 AS x`;
      assert.equal(Number(rows[0]?.x), 42);
    } finally {
      await ok.end();
    }
    const bad = postgres({ ...opts, password: 'nope' });
    try {
      await assert.rejects(bad`SELECT 1`, (e: { code?: string }) => e.code === '28P01');
    } finally {
      await bad.end();
    }
  });

  test('psql with PGPASSWORD connects; wrong password fails', async (t) => {
    if (!psql) return t.skip('psql not installed');
    const args = ['-X', '-h', '127.0.0.1', '-p', String(node.pgPort), '-d', 'chorus', '-Atc', 'SELECT 7'];
    const good = await run(psql, ['-U', 'alice', ...args], psqlEnv({ PGPASSWORD: 's3cret' }));
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout.trim(), '7');
    const bad = await run(psql, ['-U', 'alice', '-w', ...args], psqlEnv({ PGPASSWORD: 'bad' }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /password authentication failed/);
  });

  test('failed authentications are counted in /metrics', async () => {
    const res = await node.httpGet('/metrics');
    assert.equal(res.status, 200);
    assert.ok(metricValue(res.body, 'chorus_auth_failures_total') >= 4, res.body);
  });
});

describe('TLS', () => {
  let node: NodeProcess;
  let dir: string;
  let certPem: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chorus-tls-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    certPem = pems.cert;
    await writeFile(path.join(dir, 'server.crt'), pems.cert);
    await writeFile(path.join(dir, 'server.key'), pems.private, { mode: 0o600 });
    node = await NodeProcess.start({
      configToml: `[server.tls]\ncert_file = "${path.join(dir, 'server.crt')}"\nkey_file = "${path.join(dir, 'server.key')}"\n`,
    });
  });
  after(async () => {
    await node?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const base = (): pg.ClientConfig => ({
    host: '127.0.0.1',
    port: node.pgPort,
    user: 'test',
    database: 'chorus',
  });

  test('pg with ssl connects over an encrypted stream presenting the configured certificate', async () => {
    const c = await connectPg({ ...base(), ssl: { rejectUnauthorized: false } });
    try {
      const stream = (c as unknown as { connection: { stream: unknown } }).connection.stream;
      assert.ok(stream instanceof TLSSocket, 'connection stream is not a TLSSocket');
      assert.equal(stream.encrypted, true);
      assert.equal(stream.getPeerCertificate().fingerprint256, new X509Certificate(certPem).fingerprint256);
      assert.equal((await c.query('SELECT 1 + 1 AS x')).rows[0].x, 2);
    } finally {
      await c.end();
    }
  });

  test('pg with full certificate verification (ca = the generated cert) connects', async () => {
    const c = await connectPg({ ...base(), ssl: { ca: certPem, rejectUnauthorized: true } });
    try {
      assert.equal((await c.query('SELECT 3 AS x')).rows[0].x, 3);
    } finally {
      await c.end();
    }
  });

  test('plain (non-TLS) connections still work when TLS is configured', async () => {
    const c = await connectPg(base());
    try {
      assert.equal((await c.query('SELECT 4 AS x')).rows[0].x, 4);
    } finally {
      await c.end();
    }
  });

  test('bytes sent after SSLRequest before the handshake are refused (08P01), server unaffected', async () => {
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    const startup = Buffer.from('\0\0\0\x09\0\0\0\0\0', 'latin1');
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(node.pgPort, '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (b: Buffer) => chunks.push(b));
      s.once('error', reject);
      s.once('close', () => resolve(Buffer.concat(chunks)));
      s.once('connect', () => s.write(Buffer.concat([ssl, startup])));
      s.setTimeout(10_000, () => s.destroy(new Error('server did not close the connection')));
    });
    assert.equal(String.fromCharCode(reply[0]!), 'S');
    assert.equal(String.fromCharCode(reply[1]!), 'E', `expected a plaintext ErrorResponse after 'S'`);
    assert.match(reply.toString('latin1'), /C08P01\0/);
    const c = await connectPg({ ...base(), ssl: { rejectUnauthorized: false } });
    await c.end();
  });

  test('a second SSLRequest inside the established TLS session is refused with a FATAL error', async () => {
    const raw = connect(node.pgPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      raw.once('error', reject);
      raw.once('connect', () => resolve());
    });
    raw.write(sslRequest());
    const answer = await new Promise<Buffer>((resolve) => raw.once('data', (b: Buffer) => resolve(b)));
    assert.equal(answer.toString('latin1'), 'S');
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    const reply = collectUntilClosed(secure, 2000);
    secure.write(sslRequest());
    const { data, closed } = await reply;
    assert.equal(
      String.fromCharCode(data[0] ?? 0),
      'E',
      `expected an ErrorResponse, got ${JSON.stringify(data.toString('latin1'))}`,
    );
    // PostgreSQL: FATAL "unsupported frontend protocol 1234.5679" (0A000); this server uses 08P01.
    assert.match(data.toString('latin1'), /SFATAL\0/);
    assert.match(data.toString('latin1'), /C(08P01|0A000)\0/);
    assert.ok(closed, 'the server kept the connection open after a duplicate SSLRequest');
  });

  test('psql sslmode=require and verify-full connect encrypted', async (t) => {
    if (!psql) return t.skip('psql not installed');
    const conn = `host=127.0.0.1 port=${node.pgPort} user=test dbname=chorus`;
    const req = await run(
      psql,
      ['-X', `${conn} sslmode=require`, '-c', '\\conninfo', '-Atc', 'SELECT 5'],
      psqlEnv(),
    );
    assert.equal(req.code, 0, req.stderr);
    assert.match(req.stdout, /SSL connection \(protocol: TLSv1\.[23]/);
    assert.match(req.stdout, /^5$/m);
    const full = await run(
      psql,
      ['-X', `${conn} sslmode=verify-full sslrootcert=${path.join(dir, 'server.crt')}`, '-Atc', 'SELECT 6'],
      psqlEnv(),
    );
    assert.equal(full.code, 0, full.stderr);
    assert.equal(full.stdout.trim(), '6');
  });
});

describe('TLS not configured', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
  });
  after(async () => {
    await node?.cleanup();
  });
  const base = (): pg.ClientConfig => ({
    host: '127.0.0.1',
    port: node.pgPort,
    user: 'test',
    database: 'chorus',
  });

  test('pg with ssl gets an error (server answered N); plain connection works', async () => {
    const e = await expectConnectError({ ...base(), ssl: { rejectUnauthorized: false } });
    assert.match(e.message, /does not support SSL/i);
    const c = await connectPg(base());
    try {
      const stream = (c as unknown as { connection: { stream: unknown } }).connection.stream;
      assert.ok(!(stream instanceof TLSSocket));
      assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
    } finally {
      await c.end();
    }
  });

  test('raw SSLRequest is answered N and the connection continues in plaintext', async () => {
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(80877103, 4);
    const params = Buffer.from('user\0test\0database\0chorus\0\0', 'latin1');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196608, 4);
    params.copy(startup, 8);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(node.pgPort, '127.0.0.1');
      let buf = Buffer.alloc(0);
      let sentStartup = false;
      s.once('error', reject);
      s.setTimeout(10_000, () => s.destroy(new Error('no ReadyForQuery')));
      s.on('data', (b: Buffer) => {
        buf = Buffer.concat([buf, b]);
        if (!sentStartup && buf.length >= 1) {
          sentStartup = true;
          s.write(startup);
        }
        // ReadyForQuery: 'Z' int32(5) 'I'
        if (
          buf.length >= 7 &&
          buf.subarray(buf.length - 6, buf.length - 1).equals(Buffer.from('Z\0\0\0\x05', 'latin1'))
        ) {
          s.end(Buffer.from('X\0\0\0\x04', 'latin1'));
          resolve(buf);
        }
      });
      s.once('connect', () => s.write(ssl));
    });
    assert.equal(String.fromCharCode(reply[0]!), 'N');
    assert.equal(
      String.fromCharCode(reply[1]!),
      'R',
      'expected AuthenticationOk after N and the startup packet',
    );
  });

  test('a second SSLRequest after the answer N is refused with a FATAL error', async () => {
    const raw = connect(node.pgPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      raw.once('error', reject);
      raw.once('connect', () => resolve());
    });
    const reply = collectUntilClosed(raw, 2000);
    raw.write(Buffer.concat([sslRequest(), sslRequest()]));
    const { data, closed } = await reply;
    assert.equal(String.fromCharCode(data[0] ?? 0), 'N');
    assert.equal(
      String.fromCharCode(data[1] ?? 0),
      'E',
      `expected N then an ErrorResponse, got ${JSON.stringify(data.toString('latin1'))}`,
    );
    assert.match(data.toString('latin1'), /SFATAL\0/);
    assert.match(data.toString('latin1'), /C(08P01|0A000)\0/);
    assert.ok(closed, 'the server kept the connection open after a duplicate SSLRequest');
  });

  test('psql default sslmode (prefer) connects without TLS; sslmode=require fails', async (t) => {
    if (!psql) return t.skip('psql not installed');
    const conn = `host=127.0.0.1 port=${node.pgPort} user=test dbname=chorus`;
    const prefer = await run(psql, ['-X', conn, '-c', '\\conninfo', '-Atc', 'SELECT 8'], psqlEnv());
    assert.equal(prefer.code, 0, prefer.stderr);
    assert.match(prefer.stdout, /^8$/m);
    assert.doesNotMatch(prefer.stdout, /SSL connection/);
    const req = await run(psql, ['-X', `${conn} sslmode=require`, '-Atc', 'SELECT 9'], psqlEnv());
    assert.notEqual(req.code, 0);
    assert.match(req.stderr, /does not support SSL/i);
  });
});

describe('auth.method = "auto" on a node listening beyond loopback', () => {
  let node: NodeProcess;
  const remoteIp = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  before(async () => {
    const [port] = await freePorts(1);
    node = await NodeProcess.start({
      pgPort: port,
      extraArgs: ['--listen', `0.0.0.0:${port}`],
      configToml: '[[auth.users]]\nname = "alice"\npassword = "s3cret"\n',
    });
  });
  after(async () => {
    await node?.cleanup();
  });

  test('loopback clients are trusted (operator guide: auto trusts loopback clients)', async () => {
    const c = await connectPg({ host: '127.0.0.1', port: node.pgPort, user: 'anyone', database: 'chorus' });
    try {
      assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
    } finally {
      await c.end();
    }
  });

  test('clients from a non-loopback address must authenticate with SCRAM', async (t) => {
    if (!remoteIp) return t.skip('no non-loopback IPv4 interface on this machine');
    const base = { host: remoteIp, port: node.pgPort, database: 'chorus' };
    const c = await connectPg({ ...base, user: 'alice', password: 's3cret' });
    try {
      assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
    } finally {
      await c.end();
    }
    assert.equal((await expectConnectError({ ...base, user: 'alice', password: 'nope' })).code, '28P01');
    assert.equal((await expectConnectError({ ...base, user: 'mallory', password: 's3cret' })).code, '28P01');
    // No password: the server asks for SASL, so a password-less client cannot get in.
    await expectConnectError({ ...base, user: 'alice' });
  });
});
