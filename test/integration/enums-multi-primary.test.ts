// Enum types under multi-primary replication, with real server processes on loopback: a type made
// on one node is usable on the other (columns, parameters, order); ADD VALUE replicates; concurrent
// ADD VALUE of different labels (and of one label at different places) on partitioned nodes settle
// to one order on both; RENAME VALUE rewrites the rows a partitioned peer wrote with the old label
// when they arrive; DROP TYPE replicates.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';

let pair: Cluster;

before(async () => {
  // These tests make enum DDL on both sides of a partition, to check the enum changes' own
  // convergence rules: that needs the cluster DDL lock off (with it, DDL without a majority is
  // refused — tested in alter-review.test.ts).
  pair = await startCluster({
    n: 2,
    topology: 'mesh',
    idPrefix: 'enm',
    proxied: [[0, 1]],
    env: { CHORUS_REPLICATION__DDL_LOCKING: 'false' },
  });
});

after(async () => {
  await pair?.stop();
});

async function labels(i: number): Promise<string> {
  const [r] = await pair.sql<{ r: string }>(i, 'SELECT enum_range(NULL::mood)::text AS r');
  return r!.r;
}

async function rows(i: number): Promise<string[]> {
  const rs = await pair.sql<{ id: number; m: string | null; ms: string | null }>(
    i,
    'SELECT id, m, ms::text AS ms FROM mt ORDER BY m, id',
  );
  return rs.map((r) => `${r.id}:${r.m}:${r.ms}`);
}

test('an enum type made on one node is usable on the other, and ADD VALUE replicates', async () => {
  await pair.sql(0, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  await pair.sql(0, 'CREATE TABLE mt (id int PRIMARY KEY, m mood, ms mood[])');
  await pair.waitConverged(['mt'], 10_000);
  await pair.sql(1, 'INSERT INTO mt VALUES ($1, $2, $3)', [1, 'happy', ['sad', 'ok']]);
  await pair.sql(1, "INSERT INTO mt VALUES (2, 'sad', NULL)");
  await assert.rejects(pair.sql(1, 'INSERT INTO mt VALUES ($1, $2)', [3, 'angry']), { code: '22P02' });
  await pair.waitConverged(['mt'], 10_000);
  for (let i = 0; i < 2; i++) assert.deepEqual(await rows(i), ['2:sad:null', '1:happy:{sad,ok}']);

  await pair.sql(1, "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'");
  await pair.waitConverged(['mt'], 10_000);
  await pair.sql(0, "INSERT INTO mt VALUES (3, 'meh', '{meh}')");
  await pair.waitConverged(['mt'], 10_000);
  for (let i = 0; i < 2; i++) {
    assert.equal(await labels(i), '{sad,meh,ok,happy}');
    assert.deepEqual(await rows(i), ['2:sad:null', '3:meh:{meh}', '1:happy:{sad,ok}']);
    const [r] = await pair.sql<{ n: number }>(i, 'SELECT count(*)::int AS n FROM mt WHERE m > $1', ['meh']);
    assert.equal(r!.n, 1);
  }
});

test('concurrent ADD VALUE on partitioned nodes converges to one order', async () => {
  const proxy = pair.proxy(0, 1);
  proxy.partition();
  // Different labels at one place; one label at two places (the lower sort order wins everywhere).
  await pair.sql(0, "ALTER TYPE mood ADD VALUE 'x' AFTER 'ok'");
  await pair.sql(1, "ALTER TYPE mood ADD VALUE 'y' AFTER 'ok'");
  await pair.sql(0, "ALTER TYPE mood ADD VALUE 'both' BEFORE 'sad'");
  await pair.sql(1, "ALTER TYPE mood ADD VALUE 'both' AFTER 'happy'");
  await pair.sql(0, "INSERT INTO mt VALUES (4, 'x', '{x}')");
  await pair.sql(1, "INSERT INTO mt VALUES (5, 'y', '{both}')");
  proxy.heal();
  await pair.waitConverged(['mt'], 15_000);
  // x and y took the same sort order (halfway between ok and happy): the label breaks the tie.
  for (let i = 0; i < 2; i++) {
    assert.equal(await labels(i), '{both,sad,meh,ok,x,y,happy}', `node ${pair.nodes[i]!.nodeId}`);
    assert.deepEqual(await rows(i), [
      '2:sad:null',
      '3:meh:{meh}',
      '4:x:{x}',
      '5:y:{both}',
      '1:happy:{sad,ok}',
    ]);
  }
});

test('RENAME VALUE also renames the old label in rows a partitioned peer wrote meanwhile', async () => {
  const proxy = pair.proxy(0, 1);
  proxy.partition();
  await pair.sql(0, "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'");
  await pair.sql(1, "INSERT INTO mt VALUES (6, 'sad', '{sad,ok}')");
  await pair.sql(1, "UPDATE mt SET ms = '{happy,sad}' WHERE id = 1");
  proxy.heal();
  await pair.waitConverged(['mt'], 15_000);
  for (let i = 0; i < 2; i++) {
    assert.equal(await labels(i), '{both,blue,meh,ok,x,y,happy}', `node ${pair.nodes[i]!.nodeId}`);
    assert.deepEqual(await rows(i), [
      '2:blue:null',
      '6:blue:{blue,ok}',
      '3:meh:{meh}',
      '4:x:{x}',
      '5:y:{both}',
      '1:happy:{happy,blue}',
    ]);
  }
});

test('DROP TYPE is refused while a column uses it, and replicates once it is not', async () => {
  await assert.rejects(pair.sql(1, 'DROP TYPE mood'), { code: '2BP01' });
  await pair.sql(1, 'DROP TABLE mt');
  await pair.sql(1, 'DROP TYPE mood');
  await pair.sql(1, 'CREATE TABLE done (id int PRIMARY KEY)');
  await pair.waitConverged(['done'], 10_000);
  await assert.rejects(pair.sql(0, 'SELECT NULL::mood'), { code: '42704' });
});
