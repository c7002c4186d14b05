// Temporary tables on a 2-node multi-primary cluster: a session's temp tables, their rows and their
// DDL never reach the replication log nor a peer, while the permanent writes of the same
// transactions (one shadowed by a temp table of the same name) replicate as usual.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';

let c: Cluster;

before(async () => {
  c = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'tmpmp' });
  await c.waitLinked(20_000);
});

after(async () => {
  await c?.stop();
});

test('temp tables and their rows stay in their session; permanent writes beside them replicate', async () => {
  await c.sql(0, 'CREATE TABLE tmp_perm (id int PRIMARY KEY, v text)');
  await c.sql(0, 'CREATE TEMP TABLE tmp_secret (id int PRIMARY KEY, v text)');
  await c.sql(0, "INSERT INTO tmp_secret VALUES (1, 'secret-row')");
  await c.sql(0, 'CREATE TEMP TABLE tmp_perm (id int PRIMARY KEY, v text)');
  await c.sql(0, "INSERT INTO tmp_perm VALUES (100, 'shadow-row')");
  await c.sql(0, "INSERT INTO public.tmp_perm VALUES (1, 'replicated')");
  await c.sql(0, 'BEGIN');
  await c.sql(0, "INSERT INTO tmp_secret VALUES (2, 'secret-in-block')");
  await c.sql(0, "INSERT INTO public.tmp_perm VALUES (2, 'replicated-in-block')");
  await c.sql(0, 'CREATE TEMP TABLE tmp_copy AS SELECT * FROM public.tmp_perm');
  await c.sql(0, 'CREATE INDEX ON tmp_copy (v)');
  await c.sql(0, 'COMMIT');
  await c.sql(0, 'DROP TABLE tmp_secret');
  await c.waitConverged(['public.tmp_perm'], 15_000);
  const peer = await c.sql(1, 'SELECT id, v FROM tmp_perm ORDER BY id');
  assert.deepEqual(
    peer.map((r) => [r.id, r.v]),
    [
      [1, 'replicated'],
      [2, 'replicated-in-block'],
    ],
  );
  for (const name of ['tmp_secret', 'tmp_copy']) {
    await assert.rejects(
      c.sql(1, `SELECT * FROM ${name}`),
      (e: Error & { code?: string }) => e.code === '42P01',
    );
  }
  for (const node of [0, 1]) {
    const log = await c.sql(node, 'SELECT table_name, columns::text AS columns FROM replicate.log');
    const text = JSON.stringify(log);
    assert.doesNotMatch(text, /secret|shadow-row|tmp_copy|pg_temp|TEMP/i);
    assert.ok(log.some((r) => r.table_name === 'tmp_perm'));
  }
  // The origin still has its own temp objects; the peer's session may make its own of those names.
  assert.deepEqual(
    (await c.sql(0, 'SELECT count(*)::int AS n FROM tmp_copy')).map((r) => r.n),
    [2],
  );
  await c.sql(1, 'CREATE TEMP TABLE tmp_copy (x int)');
  assert.deepEqual(await c.sql(1, 'SELECT * FROM tmp_copy'), []);
});
