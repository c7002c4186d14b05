// pgbench tpcb-like on a primary with 0 standbys, 1 async standby and 1 sync standby — ChorusDB's
// primary/standby mode next to PostgreSQL 15 streaming replication (pg_basebackup -R, hot standby,
// synchronous_standby_names = the standby's name) set up the same way in the same run. Each setup
// starts fresh on both systems; the systems alternate which goes first. Prints TPS per system and
// setup, and what each standby costs its primary (TPS with it / TPS without).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NodeProcess } from '../test/support/launcher.js';
import { PostgresServer } from '../test/support/pg-server.js';
import { findPgbench, type PgbenchTarget, runPgbench } from '../test/support/pgbench.js';
import { queryOnce } from '../test/support/query.js';
import { eventually } from '../test/support/wait.js';
import { machineText } from './support/machine.js';
import { fmt, intOption, printTable } from './support/report.js';

type Setup = 'none' | 'async' | 'sync';
const SETUPS: { key: Setup; label: string }[] = [
  { key: 'none', label: 'no standby' },
  { key: 'async', label: '1 async standby' },
  { key: 'sync', label: '1 sync standby' },
];
type SystemKey = 'chorus' | 'postgres';
const LABEL: Record<SystemKey, string> = { chorus: 'ChorusDB', postgres: 'PostgreSQL' };
const SECRET = 'standby-bench-secret-0123456789';
/** How long a new standby may take to be streaming before the setup is abandoned. */
const standbyReadyMs = 60_000;

const USAGE = `usage: npm run bench:standby -- [options]
  --seconds N   duration of each pgbench run, -T (default 20)
  --scale N     pgbench -i -s (default 5)
  --clients N   pgbench -c (default 4)
  --mode M      pgbench -M: simple | prepared (default prepared)
  --rounds N    runs per system and setup (default 1)
  -h, --help`;

/** One system in one setup: where pgbench connects, and how to take it down. */
interface Running {
  target: PgbenchTarget;
  stop(): Promise<void>;
}

async function startChorus(setup: Setup): Promise<Running> {
  const env: Record<string, string> = {
    CHORUS_CLUSTER_SECRET: SECRET,
    HA_SYNC_MODE: setup === 'sync' ? 'synchronous' : 'asynchronous',
  };
  const primary = await NodeProcess.start({ nodeId: 'sb-primary', extraArgs: ['--ha-mode', 'primary'], env });
  const nodes = [primary];
  try {
    if (setup !== 'none') {
      nodes.push(
        await NodeProcess.start({
          nodeId: 'sb-standby',
          haBind: false,
          extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${primary.haPort}`],
          env: { CHORUS_CLUSTER_SECRET: SECRET },
        }),
      );
      await eventually('the ChorusDB standby to be linked', standbyReadyMs, async () => {
        const r = await queryOnce(
          primary.connectionString,
          'SELECT standby_count FROM pg_replication_status',
        );
        return Number(r[0]?.standby_count) === 1 ? true : undefined;
      });
    }
  } catch (err) {
    for (const n of nodes) await n.cleanup();
    throw err;
  }
  return {
    target: { host: '127.0.0.1', port: primary.pgPort, user: 'postgres', db: 'postgres' },
    stop: async () => {
      for (const n of nodes.reverse()) await n.cleanup();
    },
  };
}

async function startPostgres(setup: Setup): Promise<Running> {
  const primary = await PostgresServer.start({
    settings: setup === 'sync' ? { synchronous_standby_names: 'standby1' } : {},
  });
  const servers = [primary];
  try {
    if (setup !== 'none') {
      servers.push(await PostgresServer.startStandby(primary, 'standby1'));
      const want = setup === 'sync' ? 'sync' : 'async';
      await eventually('the PostgreSQL standby to be streaming', standbyReadyMs, async () => {
        const r = await queryOnce(
          primary.connectionString,
          "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1' AND state = 'streaming'",
        );
        return r[0]?.sync_state === want ? true : undefined;
      });
    }
  } catch (err) {
    for (const s of servers) await s.stop();
    throw err;
  }
  return {
    target: { host: '127.0.0.1', port: primary.port, user: 'postgres', db: 'postgres' },
    stop: async () => {
      for (const s of servers.reverse()) await s.stop();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      scale: { type: 'string', default: '5' },
      clients: { type: 'string', default: '4' },
      mode: { type: 'string', default: 'prepared' },
      rounds: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seconds = intOption('seconds', values.seconds);
  const scale = intOption('scale', values.scale);
  const clients = intOption('clients', values.clients);
  const rounds = intOption('rounds', values.rounds);
  if (values.mode !== 'simple' && values.mode !== 'prepared') throw new Error('--mode: simple or prepared');
  const found = findPgbench();
  if ('skip' in found) throw new Error(found.skip);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-standby-bench-'));
  console.log('# pgbench tpcb-like on a primary with standbys: ChorusDB vs PostgreSQL streaming replication');
  console.log(`machine : ${machineText()}`);
  console.log(
    `run     : scale ${scale}, ${clients} clients, -M ${values.mode}, ${seconds}s per run, ${rounds} round(s)`,
  );
  const tps = new Map<string, number[]>();
  try {
    for (const [i, setup] of SETUPS.entries()) {
      const order: SystemKey[] = i % 2 === 0 ? ['chorus', 'postgres'] : ['postgres', 'chorus'];
      for (const key of order) {
        const sys = key === 'chorus' ? await startChorus(setup.key) : await startPostgres(setup.key);
        try {
          const init = await runPgbench(
            found.path,
            sys.target,
            ['-i', '-s', String(scale), '-q'],
            600_000,
            workDir,
          );
          if (init.code !== 0)
            throw new Error(`${LABEL[key]}: pgbench -i exited ${init.code}:\n${init.output}`);
          for (let round = 0; round < rounds; round++) {
            const args = ['-n', '-c', String(clients), '-j', String(Math.min(2, clients))];
            args.push('-T', String(seconds), '-M', values.mode);
            const r = await runPgbench(found.path, sys.target, args, (seconds + 120) * 1000, workDir);
            if (r.code !== 0) throw new Error(`${LABEL[key]}: pgbench exited ${r.code}:\n${r.output}`);
            const k = `${key}/${setup.key}`;
            tps.set(k, [...(tps.get(k) ?? []), r.tps ?? 0]);
            console.log(
              `${setup.label.padEnd(16)} ${LABEL[key].padEnd(10)} ${fmt(r.tps ?? undefined, 0).padStart(7)} tps  failed ${r.failed ?? '?'}`,
            );
          }
        } finally {
          await sys.stop();
        }
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const mean = (k: string): number | undefined => {
    const xs = tps.get(k);
    return xs && xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
  };
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a === undefined || !b ? '-' : `${(a / b).toFixed(2)}x`;
  console.log('');
  printTable(
    ['setup', 'ChorusDB tps', 'vs no standby', 'PostgreSQL tps', 'vs no standby', 'ChorusDB / PostgreSQL'],
    SETUPS.map((s) => {
      const c = mean(`chorus/${s.key}`);
      const p = mean(`postgres/${s.key}`);
      return [
        s.label,
        fmt(c, 0),
        ratio(c, mean('chorus/none')),
        fmt(p, 0),
        ratio(p, mean('postgres/none')),
        ratio(c, p),
      ];
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
