// Integration tests of the HTTP API: an in-process node with the server on an ephemeral port,
// exercised with fetch (SQL, typed values, errors and status codes, health/status/metrics, garbage).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHttpServer } from '../../src/http/server.js';
import { httpBodyBytesMax } from '../../src/limits.js';
import type { ChorusNode, Listener } from '../../src/node/node.js';
import { openNode } from '../../src/node/node.js';

interface ApiError {
  error: { message: string; sqlstate: string; detail?: string; hint?: string };
}
interface ApiResult {
  tag: string;
  rows_affected?: number;
  columns?: { name: string; type: string | null }[];
  rows: unknown[];
}
interface ApiResponse {
  results: ApiResult[];
  time_ms: number;
}

let dir: string;
let node: ChorusNode;
let server: Listener;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chorus-http-'));
  node = openNode({ load: { flags: { dataDir: dir, nodeId: 'h1', logLevel: 'silent' } } });
  server = await startHttpServer(node, '127.0.0.1', 0);
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  await server?.close();
  await node?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

async function ok(sql: string, params?: unknown[], path = '/db/execute'): Promise<ApiResponse> {
  const { status, json } = await post(path, params === undefined ? { sql } : { sql, params });
  assert.equal(status, 200, JSON.stringify(json));
  return json as ApiResponse;
}

async function fails(body: unknown, status: number, sqlstate?: string): Promise<ApiError> {
  const res = await post('/db/execute', body);
  assert.equal(res.status, status, JSON.stringify(res.json));
  const err = res.json as ApiError;
  assert.equal(typeof err.error.message, 'string');
  if (sqlstate) assert.equal(err.error.sqlstate, sqlstate);
  return err;
}

/** Send raw bytes on a fresh TCP connection and return everything the server writes before closing. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(server.address().port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.setTimeout(10_000, () => {
      sock.destroy();
      reject(new Error('raw request timed out'));
    });
    sock.write(bytes);
  });
}

const blob = Buffer.from([0, 1, 2, 253, 254, 255]);
const beyond53 = '9007199254740993';

describe('SQL endpoints', () => {
  test('create table, insert with params, query typed values', async () => {
    const created = await ok(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, big BIGINT, r REAL, s TEXT, b BYTEA, flag BOOLEAN, doc TEXT)',
    );
    assert.equal(created.results[0]?.tag, 'CREATE TABLE');
    assert.equal(typeof created.time_ms, 'number');

    const ins = await ok('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      1,
      beyond53,
      1.5,
      'héllo',
      { $bytes: blob.toString('base64') },
      true,
      { a: [1, 2] },
    ]);
    assert.deepEqual(ins.results, [{ tag: 'INSERT 0 1', rows_affected: 1, rows: [] }]);
    await ok('INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      2,
      null,
      null,
      null,
      null,
      false,
      null,
    ]);

    const q = await ok('SELECT id, big, r, s, b, flag, doc FROM items ORDER BY id', [], '/db/query');
    const r = q.results[0]!;
    assert.equal(r.tag, 'SELECT 2');
    assert.deepEqual(r.columns, [
      { name: 'id', type: 'integer' },
      { name: 'big', type: 'bigint' },
      { name: 'r', type: 'real' },
      { name: 's', type: 'text' },
      { name: 'b', type: 'bytea' },
      { name: 'flag', type: 'boolean' },
      { name: 'doc', type: 'text' },
    ]);
    assert.deepEqual(r.rows, [
      [1, beyond53, 1.5, 'héllo', { $bytes: blob.toString('base64') }, true, '{"a":[1,2]}'],
      [2, null, null, null, null, false, null],
    ]);
  });

  test('bigint round trip through a parameter and an exact comparison', async () => {
    // big + 0 is bigint arithmetic: exact beyond 2^53, and typed bigint as PostgreSQL types it.
    const q = await ok('SELECT id, big + 0 AS same FROM items WHERE big = $1', [beyond53]);
    assert.deepEqual(q.results[0]?.rows, [[1, beyond53]]);
    assert.deepEqual(q.results[0]?.columns, [
      { name: 'id', type: 'integer' },
      { name: 'same', type: 'bigint' },
    ]);
  });

  test('query with ?format=objects and non-finite reals', async () => {
    const { status, json } = await post('/db/query?format=objects', {
      sql: "SELECT id, s, 'Infinity'::float8 AS inf, '-Infinity'::float8 AS ninf FROM items WHERE id = $1",
      params: [1],
    });
    assert.equal(status, 200);
    assert.deepEqual((json as ApiResponse).results[0]?.rows, [
      { id: 1, s: 'héllo', inf: 'Infinity', ninf: '-Infinity' },
    ]);
    const bad = await post('/db/query?format=xml', { sql: 'SELECT 1' });
    assert.equal(bad.status, 400);
  });

  test('multi-statement execute returns one result per statement', async () => {
    const res = await ok(
      "INSERT INTO items (id, s) VALUES (3, 'c'); UPDATE items SET s = 'x' WHERE id >= 2; SELECT count(*) AS n FROM items",
    );
    assert.deepEqual(
      res.results.map((r) => r.tag),
      ['INSERT 0 1', 'UPDATE 2', 'SELECT 1'],
    );
    assert.equal(res.results[1]?.rows_affected, 2);
    assert.deepEqual(res.results[2]?.rows, [[3]]);
  });

  test('a failing script rolls back its earlier statements', async () => {
    await fails(
      { sql: 'INSERT INTO items (id) VALUES (10); INSERT INTO items (id) VALUES (1)' },
      409,
      '23505',
    );
    const q = await ok('SELECT count(*) FROM items WHERE id = 10');
    assert.deepEqual(q.results[0]?.rows, [[0]]);
  });
});

describe('errors', () => {
  test('request shape errors are 400', async () => {
    await fails('{not json', 400);
    await fails('[1,2]', 400);
    await fails({}, 400);
    await fails({ sql: 42 }, 400);
    await fails({ sql: 'SELECT $1', params: 'x' }, 400);
    await fails({ sql: 'SELECT $1', params: [{ $bytes: 'not base64!' }] }, 400);
    await fails({ sql: 'SELECT 1', extra: true }, 400);
    await fails({ sql: 'SELECT $1, $2', params: [1] }, 400);
    await fails({ sql: 'SELECT $1; SELECT 2', params: [1] }, 400, '42601');
  });

  test('SQL errors map to status by SQLSTATE', async () => {
    await fails({ sql: 'SELEC 1' }, 400, '42601');
    await fails({ sql: 'SELECT * FROM no_such_table' }, 400, '42P01');
    await fails({ sql: 'INSERT INTO items (id) VALUES ($1)', params: [1] }, 409, '23505');
    // Parameters are $n as in PostgreSQL; SQLite's ? is a syntax error there.
    await fails({ sql: 'INSERT INTO items (id) VALUES (?)', params: [99] }, 400, '42601');
  });

  test('wrong method, unknown path, wrong content type', async () => {
    const get = await fetch(`${base}/db/execute`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.ok(((await get.json()) as ApiError).error.message);
    const postHealth = await fetch(`${base}/health`, { method: 'POST' });
    assert.equal(postHealth.status, 405);
    assert.equal(postHealth.headers.get('allow'), 'GET, HEAD');
    await postHealth.body?.cancel();
    const missing = await fetch(`${base}/nope?x=1`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(((await missing.json()) as ApiError).error.message);
    const text = await fetch(`${base}/db/execute`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"sql":"SELECT 1"}',
    });
    assert.equal(text.status, 415);
    await text.body?.cancel();
    const noType = await fetch(`${base}/db/execute`, { method: 'POST', body: '{"sql":"SELECT 1"}' });
    // fetch labels a string body text/plain; a raw request without Content-Type is accepted.
    assert.equal(noType.status, 415);
    await noType.body?.cancel();
    const body = '{"sql":"SELECT 1"}';
    const rawOk = await raw(
      `POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.match(rawOk, /^HTTP\/1\.1 200 /);
  });

  test('oversize body is refused with 413', async () => {
    const declared = await raw(
      `POST /db/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${httpBodyBytesMax + 1}\r\n\r\n{"sql":"`,
    );
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.match(declared, /"sqlstate":"54000"/);

    const big = JSON.stringify({ sql: `SELECT '${'x'.repeat(httpBodyBytesMax)}'` });
    const res = await fetch(`${base}/db/execute`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: big,
    }).catch((e: unknown) => e);
    // The server stops reading and closes; the client sees either the 413 or the closed socket.
    if (res instanceof Response) {
      assert.equal(res.status, 413);
      assert.equal(((await res.json()) as ApiError).error.sqlstate, '54000');
    } else {
      assert.ok(res instanceof Error);
    }
  });

  test('malformed HTTP gets a 400 and the server keeps going', async () => {
    const out = await raw('GARBAGE / HTTP/9.9\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 /);
  });

  test('a burst of garbage bodies leaves the server answering', async () => {
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const junk = (len: number) => Buffer.from(Array.from({ length: len }, () => rand(256)));
    const shapes: (() => string | Buffer)[] = [
      () => junk(rand(200)),
      () => JSON.stringify({ sql: junk(rand(60)).toString('latin1') }),
      () => JSON.stringify({ sql: 'SELECT $1', params: [junk(rand(20)).toString('latin1')] }),
      () =>
        JSON.stringify({
          sql: junk(rand(30)).toString('utf8'),
          params: [rand(1000), null, { $bytes: 'AA==' }],
        }),
      () => `{"sql": ${'['.repeat(rand(5000))}`,
      () => JSON.stringify([rand(5), { sql: null }]),
      () => JSON.stringify({ sql: 'SELECT 1', params: [{ $bytes: rand(9) }] }),
      () => '',
      () => 'null',
    ];
    const allowed = new Set([200, 400, 409, 413, 415, 423]);
    const requests = Array.from({ length: 200 }, async (_, i) => {
      const body = shapes[rand(shapes.length)]!();
      const path = i % 2 === 0 ? '/db/execute' : '/db/query?format=objects';
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': i % 17 === 0 ? 'application/x-garbage' : 'application/json' },
        body,
      });
      const json = (await res.json()) as Partial<ApiResponse & ApiError>;
      assert.ok(allowed.has(res.status), `status ${res.status}: ${JSON.stringify(json)}`);
      assert.ok(res.status === 200 ? Array.isArray(json.results) : typeof json.error?.sqlstate === 'string');
    });
    await Promise.all(requests);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });
});

describe('health, status, metrics', () => {
  test('GET /health', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', node_id: 'h1' });
  });

  test('GET /status', async () => {
    const res = await fetch(`${base}/status`);
    assert.equal(res.status, 200);
    const s = (await res.json()) as Record<string, unknown>;
    assert.equal(s.node_id, 'h1');
    assert.equal(s.mode, 'standalone');
    assert.equal(s.role, 'standalone');
    assert.equal(typeof s.lsn, 'number');
    assert.ok((s.lsn as number) > 0, 'writes above advanced the LSN');
    assert.equal(typeof s.uptime_seconds, 'number');
    assert.match(String(s.version), /^\d+\.\d+\.\d+/);
  });

  test('GET /metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /chorus_statements_total/);
    assert.match(text, /chorus_log_lsn/);
    assert.match(text, /chorus_connections_total\{[^}]*protocol="http"[^}]*\} [1-9]/);
    // Earlier tests in this file wrote through the HTTP API in autocommit: at least one group commit.
    assert.match(text, /chorus_group_commits\{[^}]*\} [1-9]/);
    assert.match(text, /chorus_group_commit_blocks\{[^}]*\} \d/);
  });

  test('connectionCount and close with idle keep-alive connections', async () => {
    const other = await startHttpServer(node, '127.0.0.1', 0);
    const res = await fetch(`http://127.0.0.1:${other.address().port}/health`);
    await res.json();
    assert.equal(other.connectionCount(), 1);
    const started = Date.now();
    await other.close();
    assert.ok(
      Date.now() - started < 4_000,
      'idle connections are closed without waiting for the grace period',
    );
    assert.equal(other.connectionCount(), 0);
  });
});

test('a node that is shutting down answers 503', async () => {
  const dir2 = await mkdtemp(join(tmpdir(), 'chorus-http-'));
  const node2 = openNode({ load: { flags: { dataDir: dir2, nodeId: 'h2', logLevel: 'silent' } } });
  const srv = await startHttpServer(node2, '127.0.0.1', 0);
  try {
    await node2.close();
    const url = `http://127.0.0.1:${srv.address().port}`;
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { status: string }).status, 'shutting_down');
    const exec = await fetch(`${url}/db/execute`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"sql":"SELECT 1"}',
    });
    assert.equal(exec.status, 503);
    assert.equal(((await exec.json()) as ApiError).error.sqlstate, '57P01');
  } finally {
    await srv.close();
    await rm(dir2, { recursive: true, force: true });
  }
});
