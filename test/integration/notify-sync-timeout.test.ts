// NOTIFY with synchronous commit: a transaction whose COMMIT got 08007 (its standby did not confirm
// within sync_timeout_ms) is committed on the primary — its rows are visible there — so its
// notifications are delivered, as PostgreSQL delivers them once the commit is local; a transaction
// that rolled back delivers nothing. Real processes.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';
import { eventually } from '../support/wait.js';

const secret = 'notify-sync-timeout-secret';
const configToml =
  '[ha]\nsync_timeout_ms = 1500\n[replication]\nheartbeat_timeout_ms = 20000\nreplication_timeout_ms = 30000\n';

const started: NodeProcess[] = [];
after(async () => {
  for (const n of started) await n.cleanup();
});

async function connect(node: NodeProcess): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: node.connectionString });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

test('a COMMIT that got 08007 delivers its notifications; a rolled-back one does not', async () => {
  const p = await NodeProcess.start({
    nodeId: 'nst-p',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret, HA_SYNC_MODE: 'sync' },
    configToml,
  });
  started.push(p);
  const s = await NodeProcess.start({
    nodeId: 'nst-s',
    haBind: false,
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${p.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml,
  });
  started.push(s);
  const listener = await connect(p);
  const writer = await connect(p);
  const got: string[] = [];
  listener.on('notification', (n) => got.push(String(n.payload)));
  try {
    await eventually('the standby linked', 20_000, async () =>
      (await writer.query('SELECT standby_count FROM pg_replication_status')).rows[0]?.standby_count === 1
        ? true
        : undefined,
    );
    await writer.query('CREATE TABLE nst (id int PRIMARY KEY)');
    await listener.query('LISTEN nst_chan');
    s.pause();
    try {
      await writer.query('BEGIN');
      await writer.query('INSERT INTO nst VALUES (1)');
      await writer.query("NOTIFY nst_chan, 'rolled-back'");
      await writer.query('ROLLBACK');
      await writer.query('BEGIN');
      await writer.query('INSERT INTO nst VALUES (2)');
      await writer.query("NOTIFY nst_chan, 'committed'");
      await assert.rejects(writer.query('COMMIT'), (e: pg.DatabaseError) => e.code === '08007');
      // Committed on the primary: other sessions see it, and its notification.
      assert.equal((await listener.query('SELECT count(*)::int AS n FROM nst WHERE id = 2')).rows[0]?.n, 1);
      await eventually('the notification', 10_000, async () => (got.length > 0 ? true : undefined));
      assert.deepEqual(got, ['committed']);
    } finally {
      s.resume();
    }
  } finally {
    await listener.end();
    await writer.end();
  }
  await s.cleanup();
  await p.cleanup();
});
