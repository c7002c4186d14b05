// pgbench against a ChorusDB node and a real PostgreSQL started in the same run, alternating which
// goes first in each round: tpcb-like and select-only in -M simple and -M prepared, and tpcb-like
// sent as one pipeline (\startpipeline, -M prepared). Prints TPS per system and the ratio
// ChorusDB / PostgreSQL against the issue's aims. Both systems use their default durability
// (ChorusDB synchronous = FULL, PostgreSQL fsync = on, synchronous_commit = on), and the server CPU
// time per transaction. --baseline-cli / --baseline-node add another ChorusDB build or Node.js (A/B).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { NodeProcess } from '../test/support/launcher.js';
import { PostgresServer } from '../test/support/pg-server.js';
import { findPgbench, type PgbenchTarget, runPgbench, tpcbPipelineScript } from '../test/support/pgbench.js';
import { clockTicksPerSecond, processTreeCpuTicks, processTreeMemoryKb } from './support/process-usage.js';
import { fmt, intOption, loadavgText, printTable } from './support/report.js';

type SystemKey = 'chorus' | 'baseline' | 'postgres';
const LABEL: Record<SystemKey, string> = { chorus: 'ChorusDB', baseline: 'baseline', postgres: 'PostgreSQL' };

interface Workload {
  name: string;
  args: (script: string) => string[];
  /** Aim for ChorusDB TPS / PostgreSQL TPS (issue 5). */
  aim: number;
}

const WORKLOADS: Workload[] = [
  { name: 'select-only simple', args: () => ['-S', '-M', 'simple'], aim: 1.0 },
  { name: 'select-only prepared', args: () => ['-S', '-M', 'prepared'], aim: 1.0 },
  { name: 'tpcb-like simple', args: () => ['-M', 'simple'], aim: 0.7 },
  { name: 'tpcb-like prepared', args: () => ['-M', 'prepared'], aim: 0.7 },
  { name: 'tpcb-like pipelined', args: (script) => ['-M', 'prepared', '-f', script], aim: 1.2 },
];

const USAGE = `usage: node dist/bench/pgbench-bench.js [options]
  --seconds N     duration of each run, pgbench -T (default 30)
  --scale N       pgbench -i -s (default 10)
  --clients N     pgbench -c (default 4)
  --threads N     pgbench -j (default 2)
  --rounds N      rounds; each round runs every workload on both systems, alternating order (default 1)
  --workloads a,b subset, by number 1-${WORKLOADS.length}: ${WORKLOADS.map((w, i) => `${i + 1}=${w.name}`).join(', ')}
  --baseline-cli PATH   also run another ChorusDB build's dist/src/cli/main.js (A/B, same rounds)
  --baseline-node PATH  the Node.js binary that runs the baseline (default: this one)
  -h, --help`;

/** The server's memory half way through a run of `seconds` (its clients connected). */
async function sampleMemory(pid: number, seconds: number): Promise<{ rssKb: number; pssKb: number }> {
  await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 2));
  return processTreeMemoryKb(pid);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      scale: { type: 'string', default: '10' },
      clients: { type: 'string', default: '4' },
      threads: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      workloads: { type: 'string' },
      'baseline-cli': { type: 'string' },
      'baseline-node': { type: 'string' },
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
  const threads = Math.min(clients, intOption('threads', values.threads));
  const rounds = intOption('rounds', values.rounds);
  const selected = values.workloads
    ? values.workloads.split(',').map((n) => {
        const w = WORKLOADS[intOption('workloads', n.trim()) - 1];
        if (!w) throw new Error(`--workloads: no workload ${n}`);
        return w;
      })
    : WORKLOADS;

  const found = findPgbench();
  if ('skip' in found) throw new Error(found.skip);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-pgbench-'));
  const script = path.join(workDir, 'tpcb-pipeline.sql');
  await writeFile(script, tpcbPipelineScript);
  const cpus = os.cpus();
  console.log('# pgbench: ChorusDB vs PostgreSQL');
  console.log(`machine : ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), loadavg ${loadavgText()}`);
  console.log(`pgbench : ${found.path}`);
  console.log(
    `run     : scale ${scale}, ${clients} clients, ${threads} threads, ${seconds}s per run, ${rounds} round(s)`,
  );

  let chorus: NodeProcess | undefined;
  let baseline: NodeProcess | undefined;
  let postgres: PostgresServer | undefined;
  try {
    chorus = await NodeProcess.start();
    const withBaseline = Boolean(values['baseline-cli'] || values['baseline-node']);
    if (withBaseline) {
      baseline = await NodeProcess.start({
        ...(values['baseline-cli'] ? { cli: values['baseline-cli'] } : {}),
        ...(values['baseline-node'] ? { nodeBinary: values['baseline-node'] } : {}),
      });
      console.log(
        `baseline: ${values['baseline-cli'] ?? 'this build'} on ${values['baseline-node'] ?? process.execPath}`,
      );
    }
    postgres = await PostgresServer.start();
    const target = (port: number): PgbenchTarget => ({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      db: 'postgres',
    });
    const targets: Record<SystemKey, PgbenchTarget> = {
      chorus: target(chorus.pgPort),
      baseline: target(baseline?.pgPort ?? 0),
      postgres: target(postgres.port),
    };
    const pids: Record<SystemKey, number> = {
      chorus: chorus.pid,
      baseline: baseline?.pid ?? 0,
      postgres: postgres.pid,
    };
    const systems: SystemKey[] = withBaseline ? ['chorus', 'baseline', 'postgres'] : ['chorus', 'postgres'];
    const ticksPerSecond = await clockTicksPerSecond();
    console.log(`postgres: ${postgres.install.version}`);
    const run = async (key: SystemKey, args: string[]) => {
      const r = await runPgbench(found.path, targets[key], args, (seconds + 120) * 1000, workDir);
      if (r.code !== 0)
        throw new Error(`${LABEL[key]}: pgbench ${args.join(' ')} exited ${r.code}:\n${r.output}`);
      return r;
    };
    for (const key of systems) {
      const t0 = performance.now();
      await run(key, ['-i', '-s', String(scale), '-q']);
      console.log(
        `${LABEL[key].padEnd(10)} pgbench -i -s ${scale}: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    console.log('');
    const tps: Record<SystemKey, Map<string, number[]>> = {
      chorus: new Map(),
      baseline: new Map(),
      postgres: new Map(),
    };
    const cpuUs: Record<SystemKey, Map<string, number[]>> = {
      chorus: new Map(),
      baseline: new Map(),
      postgres: new Map(),
    };
    const failed: Record<SystemKey, number> = { chorus: 0, baseline: 0, postgres: 0 };
    const peakMemory = new Map<SystemKey, { rssKb: number; pssKb: number }>(
      systems.map((k) => [k, { rssKb: 0, pssKb: 0 }]),
    );
    for (let round = 0; round < rounds; round++) {
      for (const [i, w] of selected.entries()) {
        const order: SystemKey[] = (round + i) % 2 === 0 ? systems : [...systems].reverse();
        for (const key of order) {
          const args = [
            '-n',
            '-c',
            String(clients),
            '-j',
            String(threads),
            '-T',
            String(seconds),
            ...w.args(script),
          ];
          const cpu0 = await processTreeCpuTicks(pids[key]);
          // Memory is read while the clients are still connected (PostgreSQL's backends live then).
          const sampling = sampleMemory(pids[key], seconds);
          const r = await run(key, args);
          const memory = await sampling;
          const peak = peakMemory.get(key)!;
          peak.rssKb = Math.max(peak.rssKb, memory.rssKb);
          peak.pssKb = Math.max(peak.pssKb, memory.pssKb);
          const cpu = (((await processTreeCpuTicks(pids[key])) - cpu0) / ticksPerSecond) * 1e6;
          failed[key] += r.failed ?? 0;
          const list = tps[key].get(w.name) ?? [];
          list.push(r.tps ?? 0);
          tps[key].set(w.name, list);
          const perTx = r.tps ? cpu / (r.tps * seconds) : undefined;
          if (perTx !== undefined) cpuUs[key].set(w.name, [...(cpuUs[key].get(w.name) ?? []), perTx]);
          console.log(
            `round ${round + 1} ${w.name.padEnd(21)} ${LABEL[key].padEnd(10)} ${fmt(r.tps ?? undefined, 0).padStart(8)} tps  server CPU ${fmt(perTx, 0)} µs/tx  failed ${r.failed ?? '?'}  (loadavg ${loadavgText()})`,
          );
        }
      }
    }
    const mean = (xs: number[] | undefined): number | undefined =>
      xs && xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
    console.log('');
    printTable(
      ['workload', 'ChorusDB tps', 'PostgreSQL tps', 'ratio', 'aim', 'aim met', 'ChorusDB CPU µs/tx'],
      selected.map((w) => {
        const c = mean(tps.chorus.get(w.name));
        const p = mean(tps.postgres.get(w.name));
        const ratio = c !== undefined && p ? c / p : undefined;
        return [
          w.name,
          fmt(c, 0),
          fmt(p, 0),
          ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
          `≥ ${w.aim.toFixed(1)}x`,
          ratio === undefined ? '-' : ratio >= w.aim ? 'yes' : 'no',
          fmt(mean(cpuUs.chorus.get(w.name)), 0),
        ];
      }),
    );
    if (withBaseline) {
      console.log('');
      printTable(
        [
          'workload',
          'ChorusDB tps',
          'baseline tps',
          'ChorusDB / baseline',
          'CPU µs/tx',
          'baseline CPU µs/tx',
          'CPU baseline / ChorusDB',
        ],
        selected.map((w) => {
          const c = mean(tps.chorus.get(w.name));
          const b = mean(tps.baseline.get(w.name));
          const cc = mean(cpuUs.chorus.get(w.name));
          const bc = mean(cpuUs.baseline.get(w.name));
          return [
            w.name,
            fmt(c, 0),
            fmt(b, 0),
            c !== undefined && b ? `${(c / b).toFixed(2)}x` : '-',
            fmt(cc, 0),
            fmt(bc, 0),
            cc && bc ? `${(bc / cc).toFixed(2)}x` : '-',
          ];
        }),
      );
    }
    console.log(
      '\nserver CPU per transaction: utime+stime of the server process tree during the run / transactions.',
    );
    console.log(
      `server memory, the most seen half way through a run (the process and its children: PostgreSQL's postmaster and backends): ${systems
        .map((k) => {
          const m = peakMemory.get(k)!;
          return `${LABEL[k]} RSS ${fmt(m.rssKb / 1024, 0)} MiB, PSS ${fmt(m.pssKb / 1024, 0)} MiB`;
        })
        .join('; ')}`,
    );
    console.log(
      `failed transactions: ChorusDB ${failed.chorus}, PostgreSQL ${failed.postgres}${withBaseline ? `, baseline ${failed.baseline}` : ''}`,
    );
  } finally {
    await chorus?.cleanup();
    await baseline?.cleanup();
    await postgres?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
