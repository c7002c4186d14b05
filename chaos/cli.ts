// `npm run chaos -- --workload W --nemesis N --time-limit S --nodes K --seed X`: one chaos run from
// the command line; prints the checkers' verdicts and exits 1 when any finds a violation.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { failpointNames, parseFailpoints } from '../src/config/failpoints.js';
import { type NemesisName, nemesisNames } from './nemesis.js';
import { runPrimaryStandby } from './primary-standby.js';
import { type PsNemesisName, psNemesisNames, type SyncMode, syncModes } from './ps-cluster.js';
import { runChaos } from './runner.js';
import { suiteWorkloads, type WorkloadName, workloadNames } from './workloads.js';

const usage = `usage: npm run chaos -- [options]
  --mode M               multi-primary (default) | primary-standby: a primary, 2 standbys and an
                         observer with automatic failover, a register workload that follows the
                         primary (reads on the standbys too), checked for linearizability across
                         failovers, lost writes, standby reads and one primary per epoch
  --sync-mode S          primary-standby only: ${syncModes.join(' | ')} (default sync)
  --until-failovers N    primary-standby only: stop once N failovers happened (or at the time limit)
  --settle               primary-standby only: each fault waits until every node follows one primary
  --workload W[,W]       ${workloadNames.join(' | ')} | all (default set;
                         all = every one but ddl-unique, which finds an open divergence)
  --nemesis N            ${nemesisNames.join(' | ')} (default mixed)
                         primary-standby: ${psNemesisNames.join(' | ')}
  --time-limit S         seconds of workload and faults (default 30)
  --nodes K              node processes (default 3)
  --seed X               seed of the fault schedule and the clients (default: random, printed)
  --clients C            clients per node and workload (default 2; primary-standby: on the primary)
  --fault-ms A-B         how long a fault lasts (default 1000-4000)
  --quiet-ms A-B         pause between faults (default 500-2000)
  --op-timeout-ms T      a client gives up on an operation after T ms: outcome unknown (default 5000)
  --convergence-timeout S  how long nodes may take to converge after heal (default 60)
  --out DIR              where history.jsonl and summary.json go (default chaos-results/<run>)
  --quorum N             quorum writes on every node (require_quorum_for_writes, quorum_size = N)
  --failpoints F[,F]     plant bugs in every node to see the checkers catch them:
                         ${failpointNames.join(', ')}`;

function range(name: string, text: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--${name} must look like 1000-4000, got ${text}`);
  return [Number(m[1]), Number(m[2])];
}

function int(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer in ${min}..${max}, got ${text}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'multi-primary' },
      'sync-mode': { type: 'string', default: 'sync' },
      workload: { type: 'string', default: 'set' },
      nemesis: { type: 'string', default: 'mixed' },
      'time-limit': { type: 'string', default: '30' },
      nodes: { type: 'string', default: '3' },
      seed: { type: 'string' },
      clients: { type: 'string', default: '2' },
      'fault-ms': { type: 'string', default: '1000-4000' },
      'quiet-ms': { type: 'string', default: '500-2000' },
      'op-timeout-ms': { type: 'string', default: '5000' },
      'convergence-timeout': { type: 'string', default: '60' },
      out: { type: 'string' },
      failpoints: { type: 'string' },
      'until-failovers': { type: 'string' },
      settle: { type: 'boolean', default: false },
      quorum: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.mode === 'primary-standby') return primaryStandby(values);
  if (values.mode !== 'multi-primary') throw new Error(`unknown mode ${values.mode}\n${usage}`);
  const names =
    values.workload === 'all' ? [...suiteWorkloads] : values.workload.split(',').map((w) => w.trim());
  for (const w of names)
    if (!(workloadNames as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}\n${usage}`);
  if (!(nemesisNames as readonly string[]).includes(values.nemesis))
    throw new Error(`unknown nemesis ${values.nemesis}\n${usage}`);
  if (values.failpoints) parseFailpoints(values.failpoints); // refuse unknown names before starting
  const seed =
    values.seed !== undefined
      ? int('seed', values.seed, 0, 2 ** 32 - 1)
      : Math.floor(Math.random() * 2 ** 31);
  const runName = `${new Date().toISOString().replace(/[:.]/g, '-')}-${names.join('+')}-${values.nemesis}-${seed}`;
  const summary = await runChaos({
    workloads: names as WorkloadName[],
    nemesis: values.nemesis as NemesisName,
    timeLimitS: int('time-limit', values['time-limit'], 1, 86_400),
    nodes: int('nodes', values.nodes, 1, 9),
    seed,
    clientsPerNode: int('clients', values.clients, 1, 32),
    outDir: values.out ?? path.join('chaos-results', runName),
    faultMs: range('fault-ms', values['fault-ms']),
    quietMs: range('quiet-ms', values['quiet-ms']),
    opTimeoutMs: int('op-timeout-ms', values['op-timeout-ms'], 100, 600_000),
    convergenceTimeoutS: int('convergence-timeout', values['convergence-timeout'], 1, 3_600),
    ...(values.failpoints ? { nodeEnv: { CHORUS_TEST_FAILPOINTS: values.failpoints } } : {}),
    ...(values.quorum !== undefined ? { quorumSize: int('quorum', values.quorum, 1, 9) } : {}),
    log: (line) => console.log(line),
  });
  console.log(`ops: ${JSON.stringify(summary.ops)}; faults: ${summary.faults.length}`);
  for (const c of summary.checks) {
    console.log(`${c.valid ? 'ok  ' : 'FAIL'} ${c.checker} ${JSON.stringify(c.stats)}`);
    for (const p of c.problems) console.log(`       ${p}`);
  }
  console.log(
    `${summary.valid ? 'valid' : 'INVALID'}: history and summary in ${summary.outDir} (seed ${summary.seed})`,
  );
  return summary.valid ? 0 : 1;
}

function seedOf(text: string | undefined): number {
  return text !== undefined ? int('seed', text, 0, 2 ** 32 - 1) : Math.floor(Math.random() * 2 ** 31);
}

function parseFailpointList(text: string): string {
  parseFailpoints(text); // refuse unknown names before starting
  return text;
}

async function primaryStandby(values: Record<string, string | boolean | undefined>): Promise<number> {
  const str = (name: string): string => String(values[name]);
  const syncMode = str('sync-mode');
  if (!(syncModes as readonly string[]).includes(syncMode))
    throw new Error(`unknown sync mode ${syncMode}\n${usage}`);
  const nemesis = str('nemesis');
  if (!(psNemesisNames as readonly string[]).includes(nemesis))
    throw new Error(`unknown nemesis ${nemesis} for primary-standby\n${usage}`);
  const seed = seedOf(values.seed as string | undefined);
  const runName = `${new Date().toISOString().replace(/[:.]/g, '-')}-primary-standby-${syncMode}-${nemesis}-${seed}`;
  const s = await runPrimaryStandby({
    syncMode: syncMode as SyncMode,
    nemesis: nemesis as PsNemesisName,
    timeLimitS: int('time-limit', str('time-limit'), 1, 86_400),
    seed,
    writers: int('clients', str('clients'), 1, 32),
    readersPerStandby: 1,
    outDir: (values.out as string | undefined) ?? path.join('chaos-results', runName),
    faultMs: range('fault-ms', str('fault-ms')),
    quietMs: range('quiet-ms', str('quiet-ms')),
    opTimeoutMs: int('op-timeout-ms', str('op-timeout-ms'), 100, 600_000),
    convergenceTimeoutS: int('convergence-timeout', str('convergence-timeout'), 1, 3_600),
    ...(values.failpoints ? { failpoints: parseFailpointList(str('failpoints')) } : {}),
    settle: values.settle === true,
    ...(values['until-failovers'] !== undefined
      ? { untilFailovers: int('until-failovers', str('until-failovers'), 1, 100_000) }
      : {}),
    log: (line) => console.log(line),
  });
  console.log(
    `ops: ${JSON.stringify(s.ops)}; by node: ${JSON.stringify(s.opsByNode)}; faults: ${s.faults.length}; ` +
      `failovers: ${s.failovers} (automatic rows in replicate.failover_history, all nodes: ${s.failoverHistory}); ran ${s.ranS} s`,
  );
  for (const c of s.checks) {
    console.log(`${c.valid ? 'ok  ' : 'FAIL'} ${c.checker} ${JSON.stringify(c.stats)}`);
    for (const p of c.problems) console.log(`       ${p}`);
  }
  console.log(`${s.valid ? 'valid' : 'INVALID'}: history and summary in ${s.outDir} (seed ${s.seed})`);
  return s.valid ? 0 : 1;
}

// Ctrl-C / SIGTERM: exit at once; the launcher's exit hook SIGKILLs every node this run started.
// (Exiting explicitly also covers a shell that started this in the background with SIGINT ignored.)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`chaos: ${signal}: stopping every node and exiting`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
