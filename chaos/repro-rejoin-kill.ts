// Reproduction (issue 16, found by chaos --mode primary-standby): a deposed primary killed while it
// rejoins (re-sync from the new primary) comes back as a primary of the NEW epoch, without lease,
// forever. Usage: node dist/chaos/repro-rejoin-kill.js [syncMode] [killDelayMs...]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { NodeProcess, startObserver } from '../test/support/launcher.js';
import { freePorts } from '../test/support/ports.js';
import { sleep } from './runner.js';

const secret = 'repro-rejoin-kill-secret';
async function q(n: NodeProcess, sql: string): Promise<Record<string, unknown>[] | null> {
  if (!n.running) return null;
  const c = new pg.Client({
    connectionString: n.connectionString,
    connectionTimeoutMillis: 2000,
    query_timeout: 3000,
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
  const t = await (await fetch(`${n.httpUrl}/metrics`).catch(() => null))?.text().catch(() => '');
  return /^chorus_ha_epoch\{[^}]*\} (\d+)$/m.exec(t ?? '')?.[1] ?? '?';
}

async function main(): Promise<void> {
  const syncMode = process.argv[2] ?? 'sync';
  const delays = process.argv.slice(3).map(Number);
  const [v0, v1, v2, vo] = await freePorts(4);
  const at = (p: number | undefined): string => `127.0.0.1:${p}`;
  const toml = (self: number | undefined): string =>
    `[ha]\nsync_mode = "${syncMode}"\nnodes = ["${at(v0)}", "${at(v1)}", "${at(v2)}"]\nobservers = ["${at(vo)}"]\nvote_bind = "${at(self)}"\n`;
  const observer = await startObserver({
    nodeId: 'r-obs',
    bind: at(vo),
    dataDir: mkdtempSync(path.join(tmpdir(), 'r-obs-')),
    secret,
  });
  const env = { CHORUS_CLUSTER_SECRET: secret };
  const a = await NodeProcess.start({
    nodeId: 'r-a',
    extraArgs: ['--ha-mode', 'primary'],
    env,
    configToml: toml(v0),
  });
  const sb = (id: string, v: number | undefined): Promise<NodeProcess> =>
    NodeProcess.start({
      nodeId: id,
      extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${a.haPort}`],
      env,
      configToml: toml(v),
    });
  const nodes = [a, await sb('r-b', v1), await sb('r-c', v2)];
  try {
    while (!(await q(a, 'CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v int)'))) await sleep(200);
    for (const d of delays.length ? delays : [0, 300, 700, 1200, 2000]) {
      let primary: NodeProcess | undefined;
      while (!primary) {
        for (const n of nodes) if (!primary && (await isPrimary(n))) primary = n;
        await sleep(100);
      }
      // Writes in flight at the kill: the deposed primary may hold commits the winner lacks.
      let stop = false;
      let id = Math.floor(Math.random() * 1e9);
      const p = primary;
      const writers = [0, 1, 2].map(async () => {
        while (!stop) await q(p, `INSERT INTO t VALUES (${id++}, 1)`);
      });
      await sleep(500);
      await primary.kill();
      stop = true;
      await Promise.all(writers);
      let successor: NodeProcess | undefined;
      while (!successor) {
        for (const n of nodes) if (n !== primary && (await isPrimary(n))) successor = n;
        await sleep(100);
      }
      await primary.restart();
      await sleep(d);
      await primary.kill();
      await primary.restart();
      const meta = () => q(primary as NodeProcess, 'SELECT pg_is_in_recovery() AS standby');
      await sleep(8000);
      console.log(JSON.stringify(await meta()));
      const [ep, es] = [await epoch(primary), await epoch(successor)];
      const claims = await isPrimary(primary);
      console.log(
        `kill ${d} ms after the rejoining restart: ${primary.nodeId} ${claims ? 'answers as PRIMARY' : 'is a standby'} (epoch ${ep}); ${successor.nodeId} primary (epoch ${es})`,
      );
      if (claims) {
        console.log(`REPRODUCED: two nodes answer as primary; ${primary.nodeId} data dir ${primary.dataDir}`);
        console.log(
          primary
            .logs()
            .split('\n')
            .filter((l) => /warn|error|snapshot|follow|epoch/i.test(l))
            .slice(-40)
            .join('\n'),
        );
        process.exitCode = 1;
        break;
      }
      await sleep(3000);
    }
  } finally {
    for (const n of nodes) await n.cleanup();
    observer.kill('SIGKILL');
  }
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
