// Array columns under multi-primary replication, with real server processes on loopback: rows with
// text[], int8[] (values past 2^53), numeric[] (scales kept), uuid[] and NULL elements reach the peer
// exactly; an update with array_append and an element assignment replicate; concurrent writes of one
// array column settle by LWW to the same value on both nodes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';

let pair: Cluster;

before(async () => {
  pair = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'arr', proxied: [[0, 1]] });
});

after(async () => {
  await pair?.stop();
});

async function texts(i: number): Promise<string[][]> {
  const rows = await pair.sql(
    i,
    'SELECT id, tags::text AS tags, big::text AS big, prices::text AS prices, ids::text AS ids FROM ra ORDER BY id',
  );
  return rows.map((r) => [String(r.id), r.tags, r.big, r.prices, r.ids] as string[]);
}

test('array columns replicate exactly, also through updates and an LWW conflict', async () => {
  await pair.sql(
    0,
    'CREATE TABLE ra (id int PRIMARY KEY, tags text[], big int8[], prices numeric[], ids uuid[])',
  );
  await pair.sql(
    0,
    `INSERT INTO ra VALUES
       (1, '{red,"b c",NULL,"x\\"y"}', '{9007199254740993,-9223372036854775808}', '{1.50,2,NaN}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'),
       (2, '{}', NULL, ARRAY[0.10]::numeric[], '{}')`,
  );
  await pair.waitConverged(['ra'], 10_000);
  const written = [
    [
      '1',
      '{red,"b c",NULL,"x\\"y"}',
      '{9007199254740993,-9223372036854775808}',
      '{1.50,2,NaN}',
      '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
    ],
    ['2', '{}', null, '{0.10}', '{}'],
  ];
  for (let i = 0; i < 2; i++) assert.deepEqual(await texts(i), written, `node ${pair.nodes[i]!.nodeId}`);

  // Updates made on the peer come back.
  await pair.sql(1, "UPDATE ra SET tags = array_append(tags, 'new'), big[3] = 7 WHERE id = 1");
  await pair.waitConverged(['ra'], 10_000);
  const [row] = await pair.sql(0, 'SELECT tags::text AS tags, big::text AS big FROM ra WHERE id = 1');
  assert.deepEqual(row, {
    tags: '{red,"b c",NULL,"x\\"y",new}',
    big: '{9007199254740993,-9223372036854775808,7}',
  });
  // The array is a value like any other in the peers' queries.
  const [hit] = await pair.sql(
    1,
    "SELECT count(*)::int AS n FROM ra WHERE 'new' = ANY(tags) AND big @> '{7}'",
  );
  assert.equal(hit!.n, 1);

  // Concurrent writes of one array column: node 1 writes later (higher HLC) and wins on both nodes.
  const proxy = pair.proxy(0, 1);
  proxy.partition();
  await pair.sql(0, "UPDATE ra SET tags = '{from-0}' WHERE id = 2");
  await pair.sql(1, "UPDATE ra SET tags = ARRAY['from-1', NULL] WHERE id = 2");
  proxy.heal();
  await pair.waitConverged(['ra'], 15_000);
  for (let i = 0; i < 2; i++) {
    const [r] = await pair.sql(i, 'SELECT tags::text AS tags FROM ra WHERE id = 2');
    assert.equal(r!.tags, '{from-1,NULL}', `node ${pair.nodes[i]!.nodeId}`);
  }
});
