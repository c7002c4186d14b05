// pgbench, unchanged, against a real node process: `pgbench -i -s 10` (DROP, keyless CREATE with
// fillfactor, TRUNCATE, COPY FROM STDIN, VACUUM, ALTER TABLE ADD PRIMARY KEY), then tpcb-like and
// select-only in -M simple, extended and prepared, and tpcb-like sent as one pipeline. Counted runs
// (-t), so afterwards the history holds exactly one row per acknowledged transaction and every
// balance sum equals the sum of the history's deltas. Skips with the reason when pgbench is absent.
// CHORUS_PGBENCH_SCALE (default 10) and CHORUS_PGBENCH_TX (tpcb transactions per client, default
// 150) change the size.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { findPgbench, type PgbenchTarget, runPgbench, tpcbPipelineScript } from '../support/pgbench.js';

const found = findPgbench();
const scale = Number(process.env.CHORUS_PGBENCH_SCALE ?? 10);
const txPerClient = Number(process.env.CHORUS_PGBENCH_TX ?? 150);
const clients = 4;
const modes = ['simple', 'extended', 'prepared'] as const;
const runTimeoutMs = 180_000;

describe('pgbench', { timeout: 600_000 }, () => {
  let server: NodeProcess;
  let target: PgbenchTarget;
  let tpcbDone = 0;

  before(async () => {
    if ('skip' in found) {
      console.log(`pgbench tests skipped: ${found.skip}`);
      return;
    }
    server = await NodeProcess.start();
    target = { host: '127.0.0.1', port: server.pgPort, user: 'postgres', db: 'postgres' };
  });
  after(async () => {
    await server?.cleanup();
  });

  const bench = async (args: string[]) => {
    if ('skip' in found) throw new Error(found.skip);
    const r = await runPgbench(found.path, target, args, runTimeoutMs, server.workDir);
    assert.equal(r.code, 0, `pgbench ${args.join(' ')} exited ${r.code}:\n${r.output}`);
    return r;
  };

  test(`pgbench -i -s ${scale} runs unchanged`, async (t) => {
    if ('skip' in found) return t.skip(found.skip);
    const r = await bench(['-i', '-s', String(scale), '-q']);
    assert.match(r.output, /creating primary keys\.\.\.\ndone in /);
    assert.doesNotMatch(r.output, /ERROR/);
  });

  for (const mode of modes) {
    test(`tpcb-like, -M ${mode}: every transaction succeeds`, async (t) => {
      if ('skip' in found) return t.skip(found.skip);
      const r = await bench(['-n', '-c', String(clients), '-j', '2', '-t', String(txPerClient), '-M', mode]);
      assert.equal(r.failed, 0, r.output);
      assert.equal(r.processed, clients * txPerClient, r.output);
      tpcbDone += r.processed!;
    });
    test(`select-only (-S), -M ${mode}: every transaction succeeds`, async (t) => {
      if ('skip' in found) return t.skip(found.skip);
      const r = await bench(['-n', '-S', '-c', String(clients), '-j', '2', '-t', '1000', '-M', mode]);
      assert.equal(r.failed, 0, r.output);
      assert.equal(r.processed, clients * 1000, r.output);
    });
  }

  test('tpcb-like as one pipeline (\\startpipeline), -M extended and prepared', async (t) => {
    if ('skip' in found) return t.skip(found.skip);
    const script = path.join(server.workDir, 'tpcb-pipeline.sql');
    writeFileSync(script, tpcbPipelineScript);
    for (const mode of ['extended', 'prepared']) {
      const r = await bench([
        '-n',
        '-c',
        String(clients),
        '-j',
        '2',
        '-t',
        String(txPerClient),
        '-M',
        mode,
        '-f',
        script,
      ]);
      assert.equal(r.failed, 0, r.output);
      assert.equal(r.processed, clients * txPerClient, r.output);
      tpcbDone += r.processed!;
    }
    // Each pipelined transaction arrived whole: it ran as a block in a commit group.
    const metrics = (await server.httpGet('/metrics')).body;
    const blocks = Number(/^chorus_group_commit_blocks\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    assert.ok(blocks >= 2 * clients * txPerClient, `only ${blocks} blocks ran in commit groups`);
  });

  test('afterwards: row counts, one history row per transaction, balances equal the history', async (t) => {
    if ('skip' in found) return t.skip(found.skip);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: server.pgPort,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    try {
      const one = async (sql: string) => (await client.query(sql)).rows[0] as Record<string, string>;
      const counts = await one(`SELECT (SELECT count(*) FROM pgbench_accounts) AS a,
        (SELECT count(*) FROM pgbench_tellers) AS t, (SELECT count(*) FROM pgbench_branches) AS b,
        (SELECT count(*) FROM pgbench_history) AS h`);
      assert.deepEqual([counts.a, counts.t, counts.b, counts.h].map(Number), [
        100_000 * scale,
        10 * scale,
        scale,
        tpcbDone,
      ]);
      const sums = await one(`SELECT (SELECT sum(abalance) FROM pgbench_accounts) AS a,
        (SELECT sum(tbalance) FROM pgbench_tellers) AS t, (SELECT sum(bbalance) FROM pgbench_branches) AS b,
        (SELECT sum(delta) FROM pgbench_history) AS h`);
      assert.ok(tpcbDone > 0);
      assert.equal(sums.a, sums.h, JSON.stringify(sums));
      assert.equal(sums.t, sums.h, JSON.stringify(sums));
      assert.equal(sums.b, sums.h, JSON.stringify(sums));
      const integrity = await one('PRAGMA integrity_check');
      assert.deepEqual(Object.values(integrity), ['ok']);
    } finally {
      await client.end();
    }
  });
});
