// A primary deposed while it was down (it learned of the successor's epoch and wrote it, then was
// killed before it wrote whom to follow — the window chaos --mode primary-standby found) must not
// come back as a primary of the successor's epoch: it starts fenced (pg_is_in_recovery() true, no
// write taken), follows the new primary when that one asks for its lease, and catches up. The crash
// window is made deterministic by writing the newer epoch into its stopped data directory.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { databaseFileName } from '../../src/storage/engine/engine.js';
import { NodeProcess, startObserver } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { tryQuery } from '../support/query.js';
import { eventually } from '../support/wait.js';

const secret = 'deposed-primary-test-secret';
const dir = mkdtempSync(path.join(tmpdir(), 'chorus-deposed-'));
const nodes: NodeProcess[] = [];
let observer: ChildProcess | null = null;

after(async () => {
  for (const n of nodes) await n.cleanup();
  observer?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const query = (n: NodeProcess, sql: string) => tryQuery(n.connectionString, sql);

const inRecovery = async (n: NodeProcess): Promise<boolean | undefined> =>
  (await query(n, 'SELECT pg_is_in_recovery() AS r'))?.[0]?.r as boolean | undefined;

test('a primary that learned of its successor before a crash comes back fenced and follows it', async () => {
  const [v1, v2, vo] = await freePorts(3);
  const at = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    [
      '[ha]',
      `nodes = ["${at(v1)}", "${at(v2)}"]`,
      `observers = ["${at(vo)}"]`,
      `vote_bind = "${at(self)}"`,
      '',
    ].join('\n');
  observer = await startObserver({ nodeId: 'dp-observer', bind: at(vo), dataDir: dir, secret });
  const a = await NodeProcess.start({
    nodeId: 'dp-a',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v1),
  });
  nodes.push(a);
  const b = await NodeProcess.start({
    nodeId: 'dp-b',
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${a.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v2),
  });
  nodes.push(b);
  await eventually('the primary takes writes', 20_000, async () =>
    (await query(a, 'CREATE TABLE IF NOT EXISTS dp_items (id int PRIMARY KEY)')) ? true : undefined,
  );
  assert.ok(await query(a, 'INSERT INTO dp_items VALUES (1)'));
  await eventually('the standby has the row', 20_000, async () =>
    Number((await query(b, 'SELECT count(*) AS n FROM dp_items'))?.[0]?.n) === 1 ? true : undefined,
  );

  // A dies; B wins epoch 2 and takes writes.
  await a.kill();
  await eventually('the standby is promoted', 30_000, async () =>
    (await inRecovery(b)) === false ? true : undefined,
  );
  await eventually('the new primary takes writes', 20_000, async () =>
    (await query(b, 'INSERT INTO dp_items VALUES (2) ON CONFLICT DO NOTHING')) ? true : undefined,
  );
  // The crash window: A had written epoch 2 (it heard of B) but not that it follows B.
  const db = new Database(path.join(a.dataDir, databaseFileName));
  const metaEpoch = (k: string): unknown =>
    db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(k);
  assert.equal(metaEpoch('ha_failover_role'), undefined, 'A never wrote whom to follow');
  db.prepare("INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES ('ha_epoch', '2')").run();
  db.close();

  await a.restart();
  assert.equal(await inRecovery(a), true, 'A starts fenced, not as a primary of epoch 2');
  // It follows B once B asks for its lease (an in-process restart), then holds B's rows.
  await eventually('A follows the new primary and catches up', 30_000, async () =>
    Number((await query(a, 'SELECT count(*) AS n FROM dp_items'))?.[0]?.n) === 2 ? true : undefined,
  );
  const primary = await query(a, 'SELECT node_id, state FROM pg_replication_primary');
  assert.equal(primary?.[0]?.node_id, 'dp-b');
  assert.equal(await inRecovery(a), true);
  assert.equal(await inRecovery(b), false);
});
