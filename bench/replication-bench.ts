// Benchmarks multi-primary replication on a 3-node loopback cluster (real server processes started with
// test/support/launcher.ts): write throughput with replication on (vs one standalone node), apply throughput,
// replication lag under a fixed write rate, and convergence after a partition (FaultProxy). Prints numbers,
// never pass/fail: the aims from the issue are shown as met / not met for information only. This file runs
// the phases in order; each phase lives in bench/replication/, the shared pieces in bench/support/.
import { phaseApply } from './replication/apply.js';
import { CREATE_BENCH_BIG, phaseBigApply } from './replication/big-apply.js';
import { findLoadGenerator, printHeader } from './replication/header.js';
import { phaseLag } from './replication/lag.js';
import { type Options, type Phase, parseOptions, USAGE } from './replication/options.js';
import { phaseConverge } from './replication/partition.js';
import { printReport, type Results, writeJson } from './replication/report.js';
import {
  CREATE_BENCH_APPLY,
  CREATE_BENCH_REP,
  CREATE_LAG_PROBE,
  insertLoad,
  NODE_COUNT,
} from './replication/settings.js';
import { measureStandalone, phaseThroughput } from './replication/throughput.js';
import { type BenchCluster, nodeLogTails, startCluster, waitTableEverywhere } from './support/cluster.js';
import type { LoadResult, LoadRunner } from './support/load.js';
import { logPhase } from './support/report.js';
import {
  checkInterrupted,
  Interrupted,
  killLiveChildren,
  stopOnSignals,
  tempWorkDir,
} from './support/run-control.js';

/** Runs one phase; a failure is recorded (with the nodes' last log lines) and the run goes on. */
async function runPhase(
  results: Results,
  key: string,
  cluster: BenchCluster,
  run: () => Promise<void>,
): Promise<void> {
  checkInterrupted();
  try {
    await run();
  } catch (err) {
    if (err instanceof Interrupted) throw err;
    results.errors[key] = (err as Error).message;
    logPhase(key.split(' ')[0]!, `FAILED: ${(err as Error).message}`);
    console.log(nodeLogTails(cluster.nodes));
  }
}

/** Phases 1-3 on one full-mesh cluster. */
async function meshPhases(
  results: Results,
  opts: Options,
  runner: LoadRunner,
  standalone: LoadResult | undefined,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  const wants = (p: Phase): boolean => opts.only.includes(p);
  checkInterrupted();
  const cluster = await startCluster(NODE_COUNT, 'mesh');
  cleanups.push(cluster.stop);
  logPhase(
    'setup',
    `3-node mesh cluster up: ${cluster.nodes.map((n) => `${n.id} pg:${n.proc.pgPort}`).join(', ')}`,
  );
  try {
    const [first] = cluster.nodes;
    for (const ddl of [CREATE_BENCH_REP, CREATE_BENCH_APPLY, CREATE_LAG_PROBE])
      await first!.client.query(ddl);
    for (const table of ['bench_rep', 'bench_apply', 'lag_probe'])
      await waitTableEverywhere(cluster.nodes, table);
    if (wants(1))
      await runPhase(results, '1 throughput', cluster, async () => {
        results.throughput = await phaseThroughput(cluster, runner, opts, standalone);
      });
    if (wants(2))
      await runPhase(results, '2 apply', cluster, async () => {
        results.apply = await phaseApply(cluster, opts);
      });
    if (wants(3))
      await runPhase(results, '3 lag', cluster, async () => {
        results.lag = await phaseLag(cluster, runner, opts);
      });
  } finally {
    await cluster.stop();
  }
}

/** Phase 5 on its own 2-node mesh: reads on a node applying one huge transaction. */
async function bigApplyPhase(
  results: Results,
  opts: Options,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  checkInterrupted();
  const cluster = await startCluster(2, 'mesh');
  cleanups.push(cluster.stop);
  logPhase(
    'setup',
    `2-node mesh cluster up: ${cluster.nodes.map((n) => `${n.id} pg:${n.proc.pgPort}`).join(', ')}`,
  );
  try {
    await cluster.nodes[0]!.client.query(CREATE_BENCH_BIG);
    await waitTableEverywhere(cluster.nodes, 'bench_big');
    await runPhase(results, '5 huge transaction', cluster, async () => {
      results.bigApply = await phaseBigApply(cluster, opts);
    });
  } finally {
    await cluster.stop();
  }
}

/** Phase 4 on its own cluster, node 3 behind fault proxies. */
async function partitionPhase(
  results: Results,
  opts: Options,
  cleanups: (() => Promise<void>)[],
): Promise<void> {
  checkInterrupted();
  const cluster = await startCluster(NODE_COUNT, 'proxied');
  cleanups.push(cluster.stop);
  logPhase('setup', `3-node cluster with ${cluster.nodes[2]!.id} behind fault proxies up`);
  try {
    await runPhase(results, '4 partition', cluster, async () => {
      results.converge = await phaseConverge(cluster, opts);
    });
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<number> {
  let opts: Options | undefined;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!opts) return 0; // --help
  const cleanups: (() => Promise<void>)[] = [];
  const workDir = await tempWorkDir('chorus-replication-bench-');
  cleanups.push(workDir.remove);
  stopOnSignals();

  const results: Results = { errors: {} };
  try {
    const load = await findLoadGenerator(opts.driver);
    const runner = await insertLoad(load.pgbench, workDir.dir);
    const machine = await printHeader(opts, load, runner.driver);

    const wants = (p: Phase): boolean => opts.only.includes(p);
    let standalone: LoadResult | undefined;
    if (wants(1) && !opts.skipStandalone) {
      try {
        standalone = await measureStandalone(runner, opts);
      } catch (err) {
        if (err instanceof Interrupted) throw err;
        results.errors['1 standalone'] = (err as Error).message;
        logPhase('1', `standalone FAILED: ${(err as Error).message}`);
      }
    }
    if (wants(1) || wants(2) || wants(3)) await meshPhases(results, opts, runner, standalone, cleanups);
    if (wants(4)) await partitionPhase(results, opts, cleanups);
    if (wants(5)) await bigApplyPhase(results, opts, cleanups);

    printReport(results, opts, machine);
    if (opts.json) await writeJson(opts.json, results, opts, load.version, machine);
    return Object.keys(results.errors).length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof Interrupted) {
      console.log('interrupted');
      return 130;
    }
    throw err;
  } finally {
    killLiveChildren();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
