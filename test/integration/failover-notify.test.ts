// Failover notifications with real processes: a primary, a standby and an observer. A client on the
// standby LISTENs on chorus_failover (other channels are refused there, as PostgreSQL refuses LISTEN
// during recovery); SIGKILL of the primary promotes the standby, whose listening session gets the
// failover event as the payload, and the on_failover webhook (an http URL) gets it as a POST.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { NodeProcess, startObserver } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';
import { eventually } from '../support/wait.js';

const secret = 'failover-notify-test-secret';
let nodes: NodeProcess[] = [];
let observer: ChildProcess | null = null;
const observerDir = mkdtempSync(path.join(tmpdir(), 'chorus-notify-observer-'));
let hook: Server | null = null;
const posted: { contentType: string | undefined; body: string }[] = [];

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.method === 'POST') posted.push({ contentType: req.headers['content-type'], body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/failover`;
  const [v1, v2, vo] = await freePorts(3);
  const vote = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    [
      '[ha]',
      'sync_mode = "sync"',
      'sync_timeout_ms = 5000',
      `nodes = ["${vote(v1)}", "${vote(v2)}"]`,
      `observers = ["${vote(vo)}"]`,
      `vote_bind = "${vote(self)}"`,
      'failover_timeout_ms = 1000',
      `on_failover = "${hookUrl}"`,
      '[replication]',
      'heartbeat_interval_ms = 200',
      'heartbeat_timeout_ms = 2000',
      '',
    ].join('\n');
  observer = await startObserver({ nodeId: 'fn-observer', bind: vote(vo), dataDir: observerDir, secret });
  const primary = await NodeProcess.start({
    nodeId: 'fn-a',
    extraArgs: ['--ha-mode', 'primary'],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v1),
  });
  const standby = await NodeProcess.start({
    nodeId: 'fn-b',
    extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${primary.haPort}`],
    env: { CHORUS_CLUSTER_SECRET: secret },
    configToml: toml(v2),
  });
  nodes = [primary, standby];
});

after(async () => {
  for (const n of nodes) await n.cleanup();
  observer?.kill('SIGKILL');
  hook?.close();
  rmSync(observerDir, { recursive: true, force: true });
});

test('SIGKILL of the primary: LISTEN chorus_failover on the standby gets the event, the webhook gets the POST', async () => {
  const [a, b] = nodes as [NodeProcess, NodeProcess];
  // The primary holds its lease (voters grant none for one lease length after they start).
  await eventually('the primary takes writes', 20_000, async () => {
    const c = new pg.Client({ connectionString: a.connectionString });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('CREATE TABLE IF NOT EXISTS fn_items (id int PRIMARY KEY)');
      return true;
    } catch {
      return undefined;
    } finally {
      await c.end().catch(() => undefined);
    }
  });
  const client = new pg.Client({ connectionString: b.connectionString });
  client.on('error', () => undefined); // the promoted node restarts in-process: the connection ends
  await client.connect();
  const received: { channel: string; payload: string; pid: number }[] = [];
  client.on('notification', (n) =>
    received.push({ channel: n.channel, payload: n.payload ?? '', pid: n.processId }),
  );
  assert.equal((await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r, true);
  await client.query('LISTEN chorus_failover');
  // Other channels: PostgreSQL's refusal during recovery; NOTIFY is a write.
  await assert.rejects(client.query('LISTEN notify_other'), {
    code: '25006',
    message: 'cannot execute LISTEN during recovery',
  });
  await assert.rejects(client.query("NOTIFY chorus_failover, 'x'"), {
    code: '25006',
    message: 'cannot execute NOTIFY during recovery',
  });
  assert.deepEqual((await client.query('SELECT pg_listening_channels() AS c')).rows, [
    { c: 'chorus_failover' },
  ]);
  await a.kill();
  const n = await eventually('the failover notification', 30_000, async () => received[0]);
  assert.equal(n.channel, 'chorus_failover');
  assert.equal(n.pid, 0);
  const event = JSON.parse(n.payload) as Record<string, unknown>;
  assert.equal(event.event, 'failover');
  assert.equal(event.type, 'automatic');
  assert.equal(event.old_primary, 'fn-a');
  assert.equal(event.new_primary, 'fn-b');
  assert.ok(Number(event.epoch) >= 1, `epoch ${event.epoch}`);
  assert.ok(
    Number(event.rto_ms) >= 0 &&
      typeof event.detected_at === 'string' &&
      typeof event.promoted_at === 'string',
  );
  assert.ok('rpo_transactions' in event);
  const post = await eventually('the webhook POST', 15_000, async () => posted[0]);
  assert.equal(post.contentType, 'application/json');
  assert.deepEqual(JSON.parse(post.body), event);
  await client.end().catch(() => undefined);
});
