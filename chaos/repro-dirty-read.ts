// Reproduction of a linearizability violation chaos --mode primary-standby found in sync mode
// (issue 16, seed 1617): a read on the primary sees a commit its standbys do not hold yet (the
// commit happens locally first; only the writer's acknowledgement waits for them); the primary
// dies, a standby without that commit is promoted, and the value that was read is gone.
// Steps: cut the standbys' replication links (their vote links stay up), write on the primary
// (its acknowledgement waits), read the new value on another session, kill -9 the primary, read
// on the promoted standby. Exit 1 when the read value is lost.
// Usage: node dist/chaos/repro-dirty-read.js [sync|semi-sync]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findPrimary, type SyncMode, startPsCluster } from './ps-cluster.js';
import { sleep, withClient } from './runner.js';

async function main(): Promise<void> {
  const syncMode = (process.argv[2] ?? 'sync') as SyncMode;
  const dir = mkdtempSync(path.join(tmpdir(), 'repro-dirty-read-'));
  const offsetFiles = [0, 1, 2].map((i) => path.join(dir, `clock-${i}`));
  for (const f of offsetFiles) writeFileSync(f, '0');
  const cluster = await startPsCluster({ standbys: 2, syncMode, offsetFiles });
  const [primary] = cluster.nodes;
  try {
    for (;;) {
      const ok = await withClient(primary!.connectionString, 5_000, async (c) => {
        await c.query('CREATE TABLE IF NOT EXISTS r (k int PRIMARY KEY, v int)');
        await c.query('INSERT INTO r VALUES (1, 0) ON CONFLICT (k) DO NOTHING');
        return true;
      }).catch(() => false);
      if (ok) break;
      await sleep(200);
    }
    // Until both standbys hold the row.
    for (;;) {
      const held = await Promise.all(
        cluster.nodes.map((n) =>
          withClient(
            n.connectionString,
            2_000,
            async (c) => (await c.query('SELECT v FROM r')).rows.length,
          ).catch(() => 0),
        ),
      );
      if (held.every((h) => h === 1)) break;
      await sleep(100);
    }
    for (const p of cluster.replProxies) p.partition();
    const writer = new pg.Client({ connectionString: primary!.connectionString });
    writer.on('error', () => undefined);
    await writer.connect();
    const write = writer.query('UPDATE r SET v = 1 WHERE k = 1').then(
      () => 'acknowledged',
      (e: Error & { code?: string }) => `not acknowledged (${e.code ?? e.message})`,
    );
    // Read on another session until the commit shows (it is local; its acknowledgement waits).
    let seen = 0;
    for (let i = 0; i < 20 && seen !== 1; i++) {
      seen = await withClient(primary!.connectionString, 2_000, async (c) =>
        Number((await c.query('SELECT v FROM r WHERE k = 1')).rows[0]?.v),
      );
      if (seen !== 1) await sleep(50);
    }
    console.log(`another session on the primary reads v = ${seen} while the write waits for its standbys`);
    await primary!.kill();
    console.log(`the write: ${await write}`);
    let successor: number | null = null;
    while (successor === null) {
      successor = await findPrimary(cluster, 0);
      await sleep(100);
    }
    const after = await withClient(cluster.nodes[successor]!.connectionString, 5_000, async (c) =>
      Number((await c.query('SELECT v FROM r WHERE k = 1')).rows[0]?.v),
    );
    console.log(`after kill -9 of the primary, node ${successor} is promoted and reads v = ${after}`);
    if (seen === 1 && after === 0) {
      console.log('REPRODUCED: a value read on the primary was lost by the failover (not linearizable)');
      process.exitCode = 1;
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
