// COPY FROM STDIN throughput: psql pipes the same rows (pgbench_accounts' shape: int key, two ints,
// char(84)) into a ChorusDB node (its capture triggers write every row to the replication log too)
// and into a real PostgreSQL 15 started in the same run, alternating which goes first in each
// round. With --baseline-cli / --baseline-node, another ChorusDB build or Node.js runs beside this
// one (an A/B of a change).
// Prints rows/s and the server's CPU time per row for each system, and the ratios.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { NodeProcess } from '../test/support/launcher.js';
import { PostgresServer } from '../test/support/pg-server.js';
import { findPsql, runPsql } from '../test/support/psql.js';
import { clockTicksPerSecond, processTreeCpuTicks } from './support/process-usage.js';
import { fmt, intOption, loadavgText, printTable } from './support/report.js';

const USAGE = `usage: node dist/bench/copy-bench.js [options]
  --rows N              rows per COPY (default 200000)
  --rounds N            rounds; each COPYs into every system once, alternating order (default 3)
  --baseline-cli PATH   also run another build's dist/src/cli/main.js (A/B)
  --baseline-node PATH  the Node.js binary that runs the baseline (default: this one)
  -h, --help`;

/** How long one COPY may take before psql is killed and the bench fails. */
const copyTimeoutMs = 600_000;
const table = 'copy_bench';
const createSql = `CREATE TABLE ${table} (aid integer PRIMARY KEY, bid integer, abalance integer, filler char(84))`;

interface Target {
  label: string;
  port: number;
  user: string;
  db: string;
  /** The server's process (its tree's CPU time is charged to each COPY). */
  pid: number;
}

function rowsText(n: number): string {
  const filler = ' '.repeat(84);
  const lines: string[] = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = `${i + 1}\t${1 + Math.floor(i / 100_000)}\t0\t${filler}\n`;
  return lines.join('');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
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
  const n = intOption('rows', values.rows);
  const rounds = intOption('rounds', values.rounds);
  const psqlPath = findPsql();
  if (!psqlPath) throw new Error('psql is not installed (apt-get install postgresql-client)');
  const data = rowsText(n);
  const cpus = os.cpus();
  console.log('# COPY FROM STDIN: ChorusDB vs PostgreSQL');
  console.log(`machine : ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), loadavg ${loadavgText()}`);
  console.log(`run     : ${n} rows (${(data.length / 1e6).toFixed(1)} MB) per COPY, ${rounds} round(s)`);

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-copy-bench-'));
  const nodes: NodeProcess[] = [];
  let postgres: PostgresServer | undefined;
  try {
    const targets: Target[] = [];
    const chorus = await NodeProcess.start();
    nodes.push(chorus);
    targets.push({
      label: 'ChorusDB',
      port: chorus.pgPort,
      user: 'postgres',
      db: 'postgres',
      pid: chorus.pid,
    });
    if (values['baseline-cli'] || values['baseline-node']) {
      const baseline = await NodeProcess.start({
        ...(values['baseline-cli'] ? { cli: values['baseline-cli'] } : {}),
        ...(values['baseline-node'] ? { nodeBinary: values['baseline-node'] } : {}),
      });
      console.log(
        `baseline: ${values['baseline-cli'] ?? 'this build'} on ${values['baseline-node'] ?? process.execPath}`,
      );
      nodes.push(baseline);
      targets.push({
        label: 'baseline',
        port: baseline.pgPort,
        user: 'postgres',
        db: 'postgres',
        pid: baseline.pid,
      });
    }
    try {
      postgres = await PostgresServer.start();
      targets.push({
        label: 'PostgreSQL',
        port: postgres.port,
        user: 'postgres',
        db: 'postgres',
        pid: postgres.pid,
      });
      console.log(`postgres: ${postgres.install.version}`);
    } catch (e) {
      console.log(`postgres: not run (${(e as Error).message.split('\n')[0]})`);
    }
    const psql = async (t: Target, sql: string, input?: string): Promise<string> => {
      const r = await runPsql(psqlPath, {
        port: t.port,
        user: t.user,
        db: t.db,
        args: ['-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
        ...(input !== undefined ? { input } : {}),
        timeoutMs: copyTimeoutMs,
      });
      if (r.code !== 0) throw new Error(`${t.label}: ${sql}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const ticksPerSecond = await clockTicksPerSecond();
    const rates = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    const cpuUsPerRow = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        await psql(t, `DROP TABLE IF EXISTS ${table}`);
        await psql(t, createSql);
        const cpu0 = await processTreeCpuTicks(t.pid);
        const t0 = performance.now();
        const out = await psql(t, `COPY ${table} FROM STDIN`, data);
        const seconds = (performance.now() - t0) / 1000;
        const cpuUs = (((await processTreeCpuTicks(t.pid)) - cpu0) / ticksPerSecond) * 1e6;
        if (out !== `COPY ${n}`) throw new Error(`${t.label}: COPY answered ${out}`);
        rates.get(t.label)!.push(n / seconds);
        cpuUsPerRow.get(t.label)!.push(cpuUs / n);
        console.log(
          `round ${round + 1} ${t.label.padEnd(10)} ${fmt(n / seconds, 0).padStart(9)} rows/s  ${seconds.toFixed(2)} s  server CPU ${(cpuUs / n).toFixed(2)} µs/row  (loadavg ${loadavgText()})`,
        );
      }
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const chorusRate = mean(rates.get('ChorusDB')!);
    const chorusCpu = mean(cpuUsPerRow.get('ChorusDB')!);
    console.log('');
    printTable(
      ['system', 'mean rows/s', 'ChorusDB / system', 'server CPU µs/row', 'system CPU / ChorusDB CPU'],
      targets.map((t) => {
        const r = mean(rates.get(t.label)!);
        const cpu = mean(cpuUsPerRow.get(t.label)!);
        return [
          t.label,
          fmt(r, 0),
          `${(chorusRate / r).toFixed(2)}x`,
          cpu.toFixed(2),
          `${(cpu / chorusCpu).toFixed(2)}x`,
        ];
      }),
    );
    console.log(
      '\nrows/s is wall time (moved by anything else running); server CPU per row is the utime+stime of the server process tree during the COPY.',
    );
  } finally {
    for (const node of nodes) await node.cleanup();
    await postgres?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
