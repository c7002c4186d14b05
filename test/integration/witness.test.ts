// A witness breaking a two-master tie, on real processes: two masters with quorum_size 2 and a
// `chorus witness`; partitioned from each other (FaultProxy), exactly one of them keeps accepting
// writes (the one holding the witness's vote) while the other refuses them; after the heal both
// write and converge; without the witness, a partition stops both.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type Cluster, defaultSecret, startCluster } from '../support/cluster.js';
import { cliPath } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../support/wait.js';

let c: Cluster;
let witness: ChildProcess | null = null;
let witnessPort = 0;
let witnessLog = '';

function startWitness(): Promise<void> {
  witnessLog = '';
  const child = spawn(
    process.execPath,
    [
      cliPath(),
      'witness',
      '--node-id',
      'wit-1',
      '--ha-bind',
      `127.0.0.1:${witnessPort}`,
      '--log-level',
      'info',
    ],
    { env: { ...process.env, CHORUS_CLUSTER_SECRET: defaultSecret }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  witness = child;
  child.stdout!.on('data', (d: Buffer) => {
    witnessLog += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    witnessLog += d.toString();
  });
  return eventually('the witness to be ready', 20_000, async () =>
    witnessLog.includes('witness "wit-1" ready') ? true : undefined,
  ).then(() => undefined);
}

async function stopWitness(): Promise<void> {
  const w = witness;
  if (!w || w.exitCode !== null) return;
  const gone = new Promise((r) => w.once('exit', r));
  w.kill('SIGKILL');
  await gone;
  witness = null;
}

/** Try one write on node i: 'ok', or the SQLSTATE it was refused with. */
async function tryWrite(i: number, id: string): Promise<string> {
  const client = new pg.Client({ connectionString: c.nodes[i]!.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`INSERT INTO w_items VALUES ('${id}', ${i})`);
    return 'ok';
  } catch (e) {
    return (e as pg.DatabaseError).code ?? 'error';
  } finally {
    await client.end().catch(() => undefined);
  }
}

before(async () => {
  [witnessPort] = await freePorts(1);
  await startWitness();
  c = await startCluster({
    n: 2,
    topology: 'mesh',
    idPrefix: 'w',
    proxied: [[0, 1]],
    configToml: `[replication]\nrequire_quorum_for_writes = true\nquorum_size = 2\nquorum_timeout_ms = 1500\nheartbeat_interval_ms = 200\nheartbeat_timeout_ms = 1000\nreplication_timeout_ms = 2000\nuse_witness_node = true\nwitness_endpoints = ["127.0.0.1:${witnessPort}"]\n`,
  });
  await c.waitLinked(20_000);
  await c.sql(0, 'CREATE TABLE w_items (id TEXT PRIMARY KEY, node INTEGER NOT NULL)');
  await c.waitConverged(['w_items'], 10_000);
});

after(async () => {
  await stopWitness();
  await c?.stop();
});

test('partitioned, exactly one master holds the witness vote and writes; after heal both write', async () => {
  assert.equal(await tryWrite(0, 'before-0'), 'ok');
  assert.equal(await tryWrite(1, 'before-1'), 'ok');
  c.proxy(0, 1).partition();
  // Once each side has noticed the partition: one writes (witness vote), the other refuses.
  const outcome = await eventually('one side writing, the other refusing', 30_000, async () => {
    const [a, b] = [await tryWrite(0, `p0-${Date.now()}`), await tryWrite(1, `p1-${Date.now()}`)];
    return (a === 'ok') !== (b === 'ok') && [a, b].every((x) => x === 'ok' || x === '25006')
      ? [a, b]
      : undefined;
  });
  const winner = outcome[0] === 'ok' ? 0 : 1;
  const loser = 1 - winner;
  // It stays that way while the partition lasts: the lease is renewed, never handed over.
  for (let k = 0; k < 5; k++) {
    assert.equal(await tryWrite(winner, `w${winner}-${k}`), 'ok', 'the vote holder keeps writing');
    assert.equal(await tryWrite(loser, `l${loser}-${k}`), '25006', 'the other master keeps refusing');
  }
  const [holder] = await c.sql(winner, 'SELECT witness_vote FROM replicate.cluster_info');
  assert.equal(holder!.witness_vote, true);

  c.proxy(0, 1).heal();
  await eventually('both masters writing again', 30_000, async () =>
    (await tryWrite(0, `h0-${Date.now()}`)) === 'ok' && (await tryWrite(1, `h1-${Date.now()}`)) === 'ok'
      ? true
      : undefined,
  );
  await c.waitConverged(['w_items'], 20_000);
  // Nothing the loser refused is anywhere.
  const refused = await c.sql(0, `SELECT id FROM w_items WHERE id LIKE 'l${loser}-%'`);
  assert.deepEqual(refused, []);
});

test('without the witness, a partition stops both masters', async () => {
  await stopWitness();
  c.proxy(0, 1).partition();
  await eventually('both masters refusing', 30_000, async () =>
    (await tryWrite(0, `n0-${Date.now()}`)) === '25006' && (await tryWrite(1, `n1-${Date.now()}`)) === '25006'
      ? true
      : undefined,
  );
  c.proxy(0, 1).heal();
  await startWitness();
  await eventually('writes after the heal', 30_000, async () =>
    (await tryWrite(0, `r0-${Date.now()}`)) === 'ok' ? true : undefined,
  );
});
