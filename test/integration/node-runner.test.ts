// The library's way to run a replicated node (runNode, what `chorus server` runs): a standby embedded
// in this test process follows a primary that runs as a real process, over real sockets, with an
// observer voting; SIGKILL of the primary promotes the embedded standby, whose onFailover callback
// gets the event and whose runner restarts it in-process as the primary, taking writes.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { type FailoverNotice, type NodeRunner, runNode } from '../../src/cli/node-runner.js';
import { loadConfig } from '../../src/config/load.js';
import { NodeProcess, startObserver } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { tryQuery } from '../support/query.js';
import { eventually } from '../support/wait.js';

const secret = 'node-runner-test-secret';
const dir = mkdtempSync(path.join(tmpdir(), 'chorus-node-runner-'));
let primary: NodeProcess | null = null;
let observer: ChildProcess | null = null;
let runner: NodeRunner | null = null;

after(async () => {
  await runner?.stop();
  await primary?.cleanup();
  observer?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const query = (port: number, sql: string) => tryQuery(`postgres://postgres@127.0.0.1:${port}/chorus`, sql);

test('an embedded standby follows a primary process, is promoted when it dies, and says so', async () => {
  const [v1, v2, vo, pgPort, httpPort, haPort] = (await freePorts(6)) as number[];
  const vote = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    [
      '[ha]',
      'sync_mode = "async"',
      `nodes = ["${vote(v1)}", "${vote(v2)}"]`,
      `observers = ["${vote(vo)}"]`,
      `vote_bind = "${vote(self)}"`,
      'failover_timeout_ms = 1000',
      '',
    ].join('\n');
  observer = await startObserver({ nodeId: 'nr-observer', bind: vote(vo), dataDir: dir, secret });
  primary = await NodeProcess.start({
    nodeId: 'nr-a',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v1),
  });
  const configFile = path.join(dir, 'standby.toml');
  writeFileSync(configFile, toml(v2));
  const config = loadConfig({
    flags: {
      config: configFile,
      nodeId: 'nr-b',
      dataDir: path.join(dir, 'nr-b'),
      listen: `127.0.0.1:${pgPort}`,
      http: `127.0.0.1:${httpPort}`,
      haBind: `127.0.0.1:${haPort}`,
      haMode: 'standby',
      haPrimary: `127.0.0.1:${primary.haPort}`,
      logLevel: 'silent',
    },
    env: { CHORUS_CLUSTER_SECRET: secret },
  });
  const notices: FailoverNotice[] = [];
  runner = await runNode({ config, onFailover: (n) => notices.push(n) });
  assert.equal((await query(pgPort!, 'SELECT pg_is_in_recovery() AS r'))?.[0]?.r, true);

  // A write on the primary reaches the embedded standby.
  const { pgPort: primaryPort } = primary;
  await eventually('the primary takes writes', 20_000, async () =>
    (await query(primaryPort, 'CREATE TABLE IF NOT EXISTS nr_items (id int PRIMARY KEY)')) ? true : undefined,
  );
  assert.ok(await query(primaryPort, 'INSERT INTO nr_items VALUES (1), (2)'));
  await eventually('the standby applied the rows', 20_000, async () =>
    Number((await query(pgPort!, 'SELECT count(*) AS n FROM nr_items'))?.[0]?.n) === 2 ? true : undefined,
  );

  // The primary dies: the embedded standby wins, is told, and restarts as the primary.
  const ready = runner.nextReady();
  await primary.kill();
  await eventually('a failover notice', 30_000, async () =>
    notices.some((n) => n.event === 'failover') ? true : undefined,
  );
  const notice = notices.find((n) => n.event === 'failover')!;
  assert.equal(notice.new_primary, 'nr-b');
  assert.equal(notice.old_primary, 'nr-a');
  assert.equal(typeof notice.rto_ms, 'number');
  await ready;
  assert.ok(runner.restartCount >= 1, 'restarted in-process');
  assert.equal(runner.node?.config.haMode, 'primary');
  await eventually('the new primary takes writes', 20_000, async () =>
    (await query(pgPort!, 'INSERT INTO nr_items VALUES (3)')) ? true : undefined,
  );
  const rows = await query(pgPort!, 'SELECT id FROM nr_items ORDER BY id');
  assert.deepEqual(
    rows?.map((r) => r.id),
    [1, 2, 3],
  );
  assert.equal((await query(pgPort!, 'SELECT pg_is_in_recovery() AS r'))?.[0]?.r, false);
});
