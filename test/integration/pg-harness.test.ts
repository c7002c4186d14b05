// Checks the real-PostgreSQL harness used by comparison tests and benchmarks: start, query, stop.
// Skips (with the reason printed) when PostgreSQL binaries or the postgres OS user are unavailable.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { findPostgres, PostgresServer } from '../support/pg-server.js';
import { freePort, freePorts } from '../support/ports.js';

test('freePorts returns distinct usable ports', async () => {
  const ports = await freePorts(3);
  assert.equal(new Set(ports).size, 3);
  for (const p of [...ports, await freePort()]) assert.ok(p > 0 && p < 65536);
});

test('real PostgreSQL harness: start, select 1, stop', { timeout: 120_000 }, async (t) => {
  const found = await findPostgres();
  if ('skip' in found) {
    console.log(`skipping PostgreSQL harness test: ${found.skip}`);
    t.skip(found.skip);
    return;
  }
  const server = await PostgresServer.start();
  try {
    assert.match(server.connectionString, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      const res = await client.query<{ one: number; version: string }>(
        'select 1 as one, version() as version',
      );
      assert.equal(res.rows[0]?.one, 1);
      assert.match(res.rows[0]?.version ?? '', /^PostgreSQL /);
      const fsync = await client.query<{ fsync: string }>('show fsync');
      assert.equal(fsync.rows[0]?.fsync, 'on');
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
  assert.equal(server.running, false);
  assert.equal(existsSync(server.dir), Boolean(process.env.KEEP_DATA));
});
