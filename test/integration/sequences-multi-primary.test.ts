// Sequences and schemas on a 2-node multi-primary cluster of real processes: a schema, a sequence
// and a serial table created on one node are usable on the other; both nodes call nextval and
// insert serial rows concurrently and no value is handed out twice (each node owns a slot, derived
// here from the configured masters list); setval on one node moves the other past it; tables in a
// schema replicate, foreign keys across schemas included.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

let c: Cluster;

const mastersToml = `
[[replication.masters]]
master_id = "seqmp-1"
endpoint = "127.0.0.1:1"

[[replication.masters]]
master_id = "seqmp-2"
endpoint = "127.0.0.1:2"
`;

before(async () => {
  c = await startCluster({ n: 2, topology: 'mesh', idPrefix: 'seqmp', configToml: mastersToml });
  await c.waitLinked(20_000);
});

after(async () => {
  await c?.stop();
});

test('a schema, a sequence and a serial table made on node 1 are used on node 2', async () => {
  await c.sql(0, 'CREATE SCHEMA app');
  await c.sql(0, 'CREATE SEQUENCE app.counter');
  await c.sql(0, 'CREATE TABLE app.items (id serial PRIMARY KEY, node text NOT NULL)');
  await c.sql(0, 'CREATE TABLE public.owners (id int PRIMARY KEY)');
  await c.sql(0, 'CREATE TABLE app.pets (id int PRIMARY KEY, owner int REFERENCES public.owners (id))');
  await c.sql(0, 'INSERT INTO public.owners VALUES (1)');
  await c.waitConverged(['app.items', 'public.owners', 'app.pets'], 15_000);
  const seq = await eventually('the sequence on node 2', 15_000, async () => {
    const rows = await c.sql(1, "SELECT pg_get_serial_sequence('app.items', 'id') AS s");
    return rows[0]?.s === 'app.items_id_seq' ? rows[0].s : undefined;
  });
  assert.equal(seq, 'app.items_id_seq');
  await c.sql(1, 'INSERT INTO app.pets VALUES (10, 1)');
  await assert.rejects(c.sql(1, 'INSERT INTO app.pets VALUES (11, 2)'), (e: Error & { code?: string }) => {
    assert.equal(e.code, '23503');
    assert.match(
      e.message,
      /insert or update on table "pets" violates foreign key constraint "pets_owner_fkey"/,
    );
    return true;
  });
  await c.waitConverged(['app.pets'], 15_000);
  const pets = await c.sql(0, 'SELECT id, owner FROM app.pets');
  assert.deepEqual(
    pets.map((r) => [r.id, r.owner]),
    [[10, 1]],
  );
});

test('nextval on both nodes at once never hands out the same value', async () => {
  const calls = 60;
  const draw = async (i: number): Promise<bigint[]> => {
    const out: bigint[] = [];
    for (let k = 0; k < calls; k++) {
      const rows = await c.sql(i, "SELECT nextval('app.counter') AS v");
      out.push(BigInt(rows[0]!.v as string));
    }
    return out;
  };
  const [a, b] = await Promise.all([draw(0), draw(1)]);
  const all = [...a!, ...b!];
  assert.equal(new Set(all.map(String)).size, all.length, `duplicates in ${all.join(',')}`);
  // Each node's own values increase (it owns one residue class of the sequence).
  for (const vs of [a!, b!]) for (let k = 1; k < vs.length; k++) assert.ok(vs[k]! > vs[k - 1]!);
});

test('serial inserts on both nodes at once keep every row', async () => {
  const rows = 40;
  const insert = async (i: number): Promise<void> => {
    for (let k = 0; k < rows; k++) await c.sql(i, 'INSERT INTO app.items (node) VALUES ($1)', [`n${i}`]);
  };
  await Promise.all([insert(0), insert(1)]);
  await c.waitConverged(['app.items'], 20_000);
  for (let i = 0; i < 2; i++) {
    const counts = await c.sql(
      i,
      'SELECT node, count(*)::int AS n FROM app.items GROUP BY node ORDER BY node',
    );
    assert.deepEqual(
      counts.map((r) => [r.node, r.n]),
      [
        ['n0', rows],
        ['n1', rows],
      ],
    );
  }
  const conflicts = await c.sql(
    0,
    "SELECT count(*)::int AS n FROM replicate.conflicts WHERE table_name = 'app.items'",
  );
  assert.equal(conflicts[0]!.n, 0);
});

test('setval on one node moves the other past the value', async () => {
  await c.sql(0, "SELECT setval('app.counter', 5000)");
  const next = await eventually('node 2 past 5000', 15_000, async () => {
    // Until the reset arrives node 2 continues below 5000 in its own slot.
    const rows = await c.sql(1, "SELECT nextval('app.counter') AS v");
    const v = BigInt(rows[0]!.v as string);
    return v > 5000n ? v : undefined;
  });
  assert.ok(next > 5000n && next < 5010n, `node 2 continued at ${next}`);
  const own = await c.sql(0, "SELECT nextval('app.counter') AS v");
  assert.ok(BigInt(own[0]!.v as string) > 5000n);
});

test('DROP SCHEMA ... CASCADE replicates', async () => {
  await c.sql(0, 'CREATE SCHEMA scratch');
  await c.sql(0, 'CREATE TABLE scratch.t (id int PRIMARY KEY)');
  await c.sql(0, 'DROP SCHEMA scratch CASCADE');
  await c.sql(0, 'CREATE TABLE marker (id int PRIMARY KEY)');
  await c.waitConverged(['marker'], 15_000);
  await assert.rejects(c.sql(1, 'SELECT * FROM scratch.t'), /relation "scratch.t" does not exist/);
  await assert.rejects(c.sql(1, 'CREATE TABLE scratch.u (id int)'), /schema "scratch" does not exist/);
});
