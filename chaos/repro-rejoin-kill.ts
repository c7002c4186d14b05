// Reproduction of a bug chaos --mode primary-standby found (issue 16): a deposed primary killed
// shortly after it restarted (while it steps down to rejoin) comes back as a primary of the NEW
// epoch, without its lease, for good. Each round: writes, kill -9 of the primary, a standby is
// promoted, the old primary restarts, is killed again killDelayMs later, restarts; reproduced when
// it still answers as primary 20 s later. Exit 1 when reproduced.
// Usage: node dist/chaos/repro-rejoin-kill.js [sync|semi-sync|async] [killDelayMs ...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { NodeProcess, startObserver } from '../test/support/launcher.js';
import { freePorts } from '../test/support/ports.js';
import { sleep } from './runner.js';

const secret = 'repro-rejoin-kill-secret';
/** How long a restarted deposed primary may take to step down before the bug counts as reproduced. */
const stepDownWaitMs = 20_000;

async function q(n: NodeProcess, sql: string): Promise<Record<string, unknown>[] | null> {
  if (!n.running) return null;
  const c = new pg.Client({
    connectionString: n.connectionString,
    connectionTimeoutMillis: 2_000,
    query_timeout: 3_000,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.query(sql)).rows;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const isPrimary = async (n: NodeProcess): Promise<boolean> =>
  (await q(n, 'SELECT pg_is_in_recovery() AS r'))?.[0]?.r === false;

async function epoch(n: NodeProcess): Promise<string> {
  const text = await fetch(`${n.httpUrl}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  return /^chorus_ha_epoch\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? '?';
}

async function primaryAmong(nodes: NodeProcess[]): Promise<NodeProcess> {
  for (;;) {
    for (const n of nodes) if (await isPrimary(n)) return n;
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const syncMode = process.argv[2] ?? 'sync';
  const delays = process.argv.slice(3).map(Number);
  const [v0, v1, v2, vo] = await freePorts(4);
  const at = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    `[ha]\nsync_mode = "${syncMode}"\nnodes = ["${at(v0)}", "${at(v1)}", "${at(v2)}"]\n` +
    `observers = ["${at(vo)}"]\nvote_bind = "${at(self)}"\n`;
  const observerDir = mkdtempSync(path.join(tmpdir(), 'r-obs-'));
  const observer = await startObserver({ nodeId: 'r-obs', bind: at(vo), dataDir: observerDir, secret });
  const env = { CHORUS_CLUSTER_SECRET: secret };
  const a = await NodeProcess.start({
    nodeId: 'r-a',
    extraArgs: ['--ha-mode', 'primary'],
    env,
    configToml: toml(v0),
  });
  const standby = (id: string, v: number | undefined): Promise<NodeProcess> =>
    NodeProcess.start({
      nodeId: id,
      extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${a.haPort}`],
      env,
      configToml: toml(v),
    });
  const nodes = [a, await standby('r-b', v1), await standby('r-c', v2)];
  try {
    while (!(await q(a, 'CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v int)'))) await sleep(200);
    let id = 1;
    for (const d of delays.length ? delays : [0, 200, 500, 1000, 2000]) {
      const primary = await primaryAmong(nodes);
      // Writes in flight at the kill.
      let stop = false;
      const writers = [0, 1, 2].map(async () => {
        while (!stop) await q(primary, `INSERT INTO t VALUES (${id++}, 1)`);
      });
      await sleep(500);
      await primary.kill();
      stop = true;
      await Promise.all(writers);
      const successor = await primaryAmong(nodes.filter((n) => n !== primary));
      await primary.restart();
      await sleep(d);
      await primary.kill();
      await primary.restart();
      const deadline = performance.now() + stepDownWaitMs;
      let claims = true;
      while (claims && performance.now() < deadline) {
        claims = await isPrimary(primary);
        if (claims) await sleep(200);
      }
      console.log(
        `kill ${d} ms after the restart: ${primary.nodeId} ${claims ? `still answers as PRIMARY after ${stepDownWaitMs} ms` : 'stepped down'} ` +
          `(epoch ${await epoch(primary)}); ${successor.nodeId} is primary (epoch ${await epoch(successor)})`,
      );
      if (claims) {
        console.log(
          `REPRODUCED: two nodes answer as primary; ${primary.nodeId}'s data dir: ${primary.dataDir}`,
        );
        process.exitCode = 1;
        break;
      }
    }
  } finally {
    for (const n of nodes) await n.cleanup();
    observer.kill('SIGKILL');
    rmSync(observerDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
