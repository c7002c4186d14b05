// COPY over the wire protocol against a real server process: psql pipes data into COPY FROM STDIN
// (text, CSV with header, bad rows, a 100,000-row load) and reads COPY TO STDOUT; a raw socket
// client checks CopyFail; the pg driver checks that COPY is refused in the extended protocol.
// The psql tests are skipped (with the reason printed) when psql is not installed.
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { findPsql, type PsqlResult, runPsql } from '../support/psql.js';
import { cstr, errorFields, RawWireClient } from '../support/raw-wire.js';

const psqlPath = findPsql();
let server: NodeProcess;

before(async () => {
  if (!psqlPath) console.log('COPY psql tests skipped: psql not installed (which psql found nothing)');
  server = await NodeProcess.start();
});

after(async () => {
  await server?.cleanup();
});

function psql(sql: string, input = ''): Promise<PsqlResult> {
  return runPsql(psqlPath!, {
    port: server.pgPort,
    args: ['-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-c', sql],
    input,
    timeoutMs: 60_000,
  });
}

function skipWithoutPsql(t: TestContext): boolean {
  if (psqlPath) return false;
  t.skip('psql not installed');
  return true;
}

async function ok(sql: string, input = ''): Promise<string> {
  const r = await psql(sql, input);
  assert.equal(r.code, 0, `psql failed: ${sql}\n${r.stderr}`);
  return r.stdout;
}

describe('COPY with psql', () => {
  test('text format in and out, NULLs and escapes', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c1 (id INTEGER PRIMARY KEY, name TEXT, score REAL, active BOOLEAN)');
    const out = await ok(
      'COPY c1 FROM STDIN',
      '1\talice\t1.5\tt\n2\t\\N\t\\N\tf\n3\ttab\\there\\\\back\\nline\t-2\ttrue\n\\.\n',
    );
    assert.equal(out.trim(), 'COPY 3');
    assert.equal(await ok('SELECT name FROM c1 WHERE id = 3'), 'tab\there\\back\nline\n');
    assert.equal(await ok('SELECT count(*) FROM c1 WHERE name IS NULL AND score IS NULL'), '1\n');
    assert.equal(
      await ok('COPY c1 TO STDOUT'),
      '1\talice\t1.5\tt\n2\t\\N\t\\N\tf\n3\ttab\\there\\\\back\\nline\t-2\tt\n',
    );
    assert.equal(
      await ok('COPY c1 (id, name) TO STDOUT WITH (FORMAT csv)'),
      '1,alice\n2,\n3,"tab\there\\back\nline"\n',
    );
    assert.equal(await ok('COPY (SELECT id FROM c1 WHERE id > 1 ORDER BY id) TO STDOUT'), '2\n3\n');
  });

  test('CSV with header, quoted fields and a column list', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c2 (id INTEGER PRIMARY KEY, note TEXT, extra TEXT)');
    const out = await ok(
      'COPY c2 (id, note) FROM STDIN WITH CSV HEADER',
      'id,note\n1,"a,b"\n2,"say ""hi"""\n3,\n4,""\n5,"two\nlines"\n',
    );
    assert.equal(out.trim(), 'COPY 5');
    assert.equal(await ok('SELECT count(*) FROM c2 WHERE note IS NULL'), '1\n');
    assert.equal(await ok("SELECT count(*) FROM c2 WHERE note = ''"), '1\n');
    assert.equal(
      await ok('COPY c2 (id, note) TO STDOUT WITH (FORMAT csv, HEADER)'),
      'id,note\n1,"a,b"\n2,"say ""hi"""\n3,\n4,""\n5,"two\nlines"\n',
    );
    const semi = await ok(
      "COPY c2 FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL 'NA', HEADER false)",
      '6;x;NA\n',
    );
    assert.equal(semi.trim(), 'COPY 1');
    assert.equal(await ok('SELECT count(*) FROM c2 WHERE id = 6 AND extra IS NULL'), '1\n');
  });

  test('a bad row fails with its SQLSTATE and inserts nothing', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c3 (id INTEGER PRIMARY KEY, n INTEGER)');
    const bad = await psql('COPY c3 FROM STDIN', '1\t10\n2\t20\n3\tnot-a-number\n4\t40\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /22P02/);
    assert.equal(await ok('SELECT count(*) FROM c3'), '0\n');
    const short = await psql('COPY c3 FROM STDIN', '1\t10\n2\n');
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /22P04.*missing data for column "n"/);
    const dup = await psql('COPY c3 FROM STDIN', '1\t10\n1\t11\n');
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /23505/);
    assert.equal(await ok('SELECT count(*) FROM c3'), '0\n');
    // The connection's session is usable after the failure.
    assert.equal((await ok('COPY c3 FROM STDIN', '7\t70\n')).trim(), 'COPY 1');
  });

  test('inside a transaction block: rows commit with the block, an error aborts it', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c4 (id INTEGER PRIMARY KEY)');
    const script =
      'BEGIN;\nCOPY c4 FROM STDIN;\n1\n2\n\\.\nCOMMIT;\nBEGIN;\nCOPY c4 FROM STDIN;\n3\n3\n\\.\nCOMMIT;\n';
    const r = await runPsql(psqlPath!, {
      port: server.pgPort,
      user: 'a',
      db: 'b',
      args: ['-A', '-t'],
      input: script,
    });
    assert.match(r.stderr, /duplicate key/);
    assert.match(r.stdout, /ROLLBACK/); // COMMIT of an aborted block
    assert.equal(await ok('SELECT count(*) FROM c4'), '2\n');
  });

  test('unsupported forms are 0A000', async (t) => {
    if (skipWithoutPsql(t)) return;
    for (const sql of [
      "COPY c1 FROM '/etc/passwd'",
      "COPY c1 TO PROGRAM 'cat'",
      'COPY c1 TO STDOUT (FORMAT binary)',
    ]) {
      const r = await psql(sql);
      assert.notEqual(r.code, 0, sql);
      assert.match(r.stderr, /0A000/, sql);
    }
  });

  test('100,000 rows load', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c5 (id INTEGER PRIMARY KEY, name TEXT, v REAL)');
    const n = 100_000;
    const lines: string[] = [];
    for (let i = 1; i <= n; i++) lines.push(`${i}\tname-${i}\t${i / 4}\n`);
    const started = performance.now();
    const out = await ok('COPY c5 FROM STDIN', lines.join(''));
    const seconds = (performance.now() - started) / 1000;
    assert.equal(out.trim(), `COPY ${n}`);
    assert.equal(await ok('SELECT count(*), sum(id) FROM c5'), `${n}|${(n * (n + 1)) / 2}\n`);
    console.log(`COPY FROM STDIN: ${n} rows in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} rows/s`);
  });

  // Rows after a COPY's first are bound and run in the same turn of the event loop, chunk by chunk
  // (session.ts runBatchInline): defaults, checks and errors must be those of one INSERT per row.
  test('rows in later chunks: serial and default values per row, a violation reported as PostgreSQL does', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok(
      "CREATE TABLE c6 (id SERIAL PRIMARY KEY, k INTEGER UNIQUE, note TEXT DEFAULT 'none', v INTEGER CHECK (v >= 0))",
    );
    const n = 30_000;
    const filler = 'x'.repeat(60);
    const rows = (dupAt: number | null, negativeAt: number | null): string => {
      const lines: string[] = [];
      for (let i = 1; i <= n; i++)
        lines.push(`${i === dupAt ? 1 : i}\t${i === negativeAt ? -1 : i}\t${filler}\n`);
      return lines.join('');
    };
    const dup = await psql('COPY c6 (k, v, note) FROM STDIN', rows(25_000, null));
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /23505: duplicate key value violates unique constraint "c6_k_key"/);
    assert.match(dup.stderr, /DETAIL: {2}Key \(k\)=\(1\) already exists\./);
    const check = await psql('COPY c6 (k, v, note) FROM STDIN', rows(null, 29_000));
    assert.notEqual(check.code, 0);
    assert.match(check.stderr, /23514: new row for relation "c6" violates check constraint "c6_v_check"/);
    assert.equal(await ok('SELECT count(*) FROM c6'), '0\n');
    assert.equal(
      (await ok('COPY c6 (k, v) FROM STDIN', rows(null, null).replaceAll(`\t${filler}`, ''))).trim(),
      `COPY ${n}`,
    );
    // Every row drew its own serial value and took the column default.
    assert.equal(
      await ok("SELECT count(DISTINCT id), count(*) FILTER (WHERE note = 'none'), min(k), max(k) FROM c6"),
      `${n}|${n}|1|${n}\n`,
    );
  });

  test('COPY is one statement: statement_timeout over all its rows, one statement_timestamp()', async (t) => {
    if (skipWithoutPsql(t)) return;
    await ok('CREATE TABLE c7 (id INTEGER PRIMARY KEY, ts TIMESTAMPTZ DEFAULT statement_timestamp())');
    const lines = (n: number): string => {
      const out: string[] = [];
      for (let i = 1; i <= n; i++) out.push(`${i}\n`);
      return out.join('');
    };
    assert.equal((await ok('COPY c7 (id) FROM STDIN', lines(40_000))).trim(), 'COPY 40000');
    assert.equal(await ok('SELECT count(DISTINCT ts) FROM c7'), '1\n');
    await ok('TRUNCATE c7');
    // 400,000 rows take seconds here; PostgreSQL stops such a COPY at its statement_timeout.
    const r = await runPsql(psqlPath!, {
      port: server.pgPort,
      args: [
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        "SET statement_timeout = '300ms'",
        '-c',
        'COPY c7 (id) FROM STDIN',
      ],
      input: lines(400_000),
      timeoutMs: 120_000,
    });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /canceling statement due to statement timeout/);
    assert.equal(await ok('SELECT count(*) FROM c7'), '0\n');
  });
});

/**
 * `COPY <table> FROM STDIN` on a raw connection; at CopyInResponse `copyIn` sends what the case
 * needs. Returns the message types after the first ReadyForQuery and the error's fields.
 */
function copyExchange(
  port: number,
  table: string,
  copyIn: (client: RawWireClient) => Promise<void>,
): Promise<{ types: string; error: string }> {
  return new Promise((resolve, reject) => {
    let readies = 0;
    let types = '';
    let error = '';
    const client = new RawWireClient(
      port,
      (type, body) => {
        if (readies > 0) types += type;
        if (type === 'E') error = errorFields(body);
        if (type === 'Z' && ++readies === 1) client.send('Q', cstr(`COPY ${table} FROM STDIN`));
        if (type === 'Z' && readies === 2) {
          client.end();
          resolve({ types, error });
        }
        if (type === 'G') copyIn(client).catch(reject);
      },
      reject,
    );
  });
}

/** One CopyData, then CopyFail. */
const copyFailExchange = (port: number) =>
  copyExchange(port, 'cf', async (client) => {
    client.send('d', Buffer.from('1\n2'));
    client.send('f', cstr('client gave up'));
  });

/**
 * A COPY canceled while it runs: 3 MB of rows, then a CancelRequest (answered by the server closing
 * its socket), then more rows and CopyDone.
 */
const copyCancelExchange = (port: number) =>
  copyExchange(port, 'cc', async (client) => {
    const rows = (from: number, n: number): Buffer => {
      const lines: string[] = [];
      for (let i = from; i < from + n; i++) lines.push(`${i}\t${'y'.repeat(90)}\n`);
      return Buffer.from(lines.join(''));
    };
    for (let k = 0; k < 30; k++) client.send('d', rows(1 + k * 1000, 1000));
    await client.cancel();
    client.send('d', rows(30_001, 1000));
    client.send('c');
  });

/**
 * PostgreSQL ignores a CancelRequest that arrives while nothing runs: BEGIN and an INSERT, a cancel
 * while the block is idle, then a COPY of 3 rows and COMMIT. Returns the command tags and errors.
 */
function idleCancelThenCopy(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const script = ['BEGIN', 'INSERT INTO cic VALUES (0)', 'CANCEL', 'COPY cic FROM STDIN', 'COMMIT'];
    let step = -1;
    const out: string[] = [];
    const next = (): void => {
      const s = script[++step];
      if (s === undefined) {
        client.end();
        resolve(out);
      } else if (s === 'CANCEL') client.cancel().then(next, reject);
      else client.send('Q', cstr(s));
    };
    const client = new RawWireClient(
      port,
      (type, body) => {
        if (type === 'E')
          out.push(
            `ERROR ${errorFields(body)
              .split('|')
              .find((f) => f.startsWith('C'))}`,
          );
        if (type === 'C') out.push(body.toString('utf8').replace(/\0$/, ''));
        if (type === 'G') {
          client.send('d', Buffer.from('1\n2\n3\n'));
          client.send('c');
        }
        if (type === 'Z') next();
      },
      reject,
    );
  });
}

describe('COPY protocol details', () => {
  test('CopyFail aborts with 57014 and inserts nothing', async () => {
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      await client.query('CREATE TABLE cf (id INTEGER PRIMARY KEY)');
      const r = await copyFailExchange(server.pgPort);
      assert.equal(r.types, 'GEZ');
      assert.match(r.error, /C57014/);
      assert.match(r.error, /COPY from stdin failed: client gave up/);
      const count = await client.query('SELECT count(*) AS n FROM cf');
      assert.equal(Number(count.rows[0].n), 0);
    } finally {
      await client.end();
    }
  });

  test('a CancelRequest during COPY FROM STDIN stops it with 57014 and inserts nothing', async () => {
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      await client.query('CREATE TABLE cc (id INTEGER PRIMARY KEY, pad TEXT)');
      const r = await copyCancelExchange(server.pgPort);
      assert.equal(r.types, 'GEZ');
      assert.match(r.error, /C57014/);
      assert.match(r.error, /canceling statement due to user request/);
      const count = await client.query('SELECT count(*) AS n FROM cc');
      assert.equal(Number(count.rows[0].n), 0);
    } finally {
      await client.end();
    }
  });

  test('a CancelRequest while the block is idle does not cancel a later COPY (PostgreSQL ignores it)', async () => {
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      await client.query('CREATE TABLE cic (id INTEGER PRIMARY KEY)');
      assert.deepEqual(await idleCancelThenCopy(server.pgPort), ['BEGIN', 'INSERT 0 1', 'COPY 3', 'COMMIT']);
      const count = await client.query('SELECT count(*) AS n FROM cic');
      assert.equal(Number(count.rows[0].n), 4);
    } finally {
      await client.end();
    }
  });

  test('COPY in the extended protocol is 0A000', async () => {
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      await assert.rejects(
        client.query({ name: 'copy-extended', text: 'COPY cf TO STDOUT' }),
        (e: { code?: string; message: string }) => {
          assert.equal(e.code, '0A000');
          assert.equal(e.message, 'COPY is only supported in the simple query protocol');
          return true;
        },
      );
      const r = await client.query('SELECT 1 AS one');
      assert.equal(r.rows[0].one, 1);
    } finally {
      await client.end();
    }
  });
});
