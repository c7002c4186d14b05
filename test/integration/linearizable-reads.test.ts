// Linearizable reads on a sync primary (ha.linearizable_reads, on by default): a commit is visible on
// the primary as soon as it is local, but a read that returns it is held until the standbys hold it,
// so a failover cannot take back what a client read (chaos --mode primary-standby found the read
// returning at once and the value lost by the next failover). Real processes: a primary and two
// standbys whose replication links go through proxies that the test cuts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { type PsCluster, startPsCluster } from '../../chaos/ps-cluster.js';
import { tryQuery } from '../support/query.js';
import { eventually } from '../support/wait.js';

const dir = mkdtempSync(path.join(tmpdir(), 'chorus-linreads-'));
let cluster: PsCluster | null = null;

after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const query = tryQuery;

async function heldReads(httpUrl: string): Promise<number> {
  const text = await fetch(`${httpUrl}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  return Number(/^chorus_ha_reads_held(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? 0);
}

test('a read of a commit its standbys do not hold yet waits for them', async () => {
  const offsetFiles = [0, 1, 2].map((i) => path.join(dir, `clock-${i}`));
  for (const f of offsetFiles) writeFileSync(f, '0');
  cluster = await startPsCluster({ standbys: 2, syncMode: 'sync', offsetFiles, failover: false });
  const [primary, ...standbys] = cluster.nodes as [(typeof cluster.nodes)[0], ...typeof cluster.nodes];
  await eventually('the primary takes writes', 20_000, async () =>
    (await query(primary.connectionString, 'CREATE TABLE IF NOT EXISTS lr (k int PRIMARY KEY, v int)'))
      ? true
      : undefined,
  );
  assert.ok(await query(primary.connectionString, 'INSERT INTO lr VALUES (1, 0) ON CONFLICT (k) DO NOTHING'));
  for (const s of standbys)
    await eventually(`${s.nodeId} holds the row`, 20_000, async () =>
      (await query(s.connectionString, 'SELECT v FROM lr'))?.length === 1 ? true : undefined,
    );
  // Nothing pending: a read is not held.
  const before = await heldReads(primary.httpUrl);
  assert.equal((await query(primary.connectionString, 'SELECT v FROM lr WHERE k = 1'))?.[0]?.v, 0);
  assert.equal(await heldReads(primary.httpUrl), before, 'a read with nothing unconfirmed is not held');

  // The standbys stop receiving: the write commits locally and waits for them.
  for (const p of cluster.replProxies) p.partition();
  const writer = new pg.Client({ connectionString: primary.connectionString });
  writer.on('error', () => undefined);
  await writer.connect();
  const write = writer.query('UPDATE lr SET v = 1 WHERE k = 1').then(
    () => 'acknowledged',
    (e: Error & { code?: string }) => e.code ?? e.message,
  );
  // Another session reads until it gets an answer; it must be held while the standbys lack v = 1.
  let answered: number | null = null;
  const read = (async () => {
    for (;;) {
      const r = await query(primary.connectionString, 'SELECT v FROM lr WHERE k = 1');
      const v = r ? Number(r[0]?.v) : null;
      if (v === 1) {
        answered = v;
        return v;
      }
    }
  })();
  await eventually('a read of v = 1 held, or answered', 20_000, async () =>
    answered !== null || (await heldReads(primary.httpUrl)) > before ? true : undefined,
  );
  assert.equal(answered, null, 'v = 1 was read before any standby held it');
  for (const p of cluster.replProxies) p.heal();
  assert.equal(await read, 1);
  for (const s of standbys)
    await eventually(`${s.nodeId} holds v = 1`, 20_000, async () =>
      Number((await query(s.connectionString, 'SELECT v FROM lr'))?.[0]?.v) === 1 ? true : undefined,
    );
  await write;
  await writer.end();
});
