// The start of a replication benchmark run: finds the load generator (pgbench or the pg-driver loop) and
// prints what the numbers will depend on (machine, load on it, versions, options).
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { cliPath } from '../../test/support/launcher.js';
import { foreignChorusServers, machineText } from '../support/machine.js';
import { findOnPath } from '../support/report.js';
import type { Options } from './options.js';
import { CLIENTS_PER_NODE, NODE_COUNT } from './settings.js';

const execFileAsync = promisify(execFile);
/** A 1-min loadavg above this × cores before the run is reported as a busy machine. */
const BUSY_LOADAVG_PER_CORE = 1;

export interface LoadGenerator {
  /** pgbench's path; undefined: the pg-driver loop. */
  pgbench: string | undefined;
  /** What to report about it. */
  version: string;
}

/** pgbench per --driver; throws when --driver pgbench and it is missing. */
export async function findLoadGenerator(driver: Options['driver']): Promise<LoadGenerator> {
  if (driver === 'js') return { pgbench: undefined, version: 'not used (--driver js)' };
  const pgbench = await findOnPath('pgbench');
  if (pgbench) return { pgbench, version: (await execFileAsync(pgbench, ['--version'])).stdout.trim() };
  if (driver === 'pgbench') throw new Error('--driver pgbench: pgbench not found on PATH');
  return { pgbench: undefined, version: 'not installed (using the pg-driver client loop)' };
}

/** Prints the header; returns the one-line description of the setup used in the results heading. */
export async function printHeader(opts: Options, load: LoadGenerator, driver: string): Promise<string> {
  const cpus = os.cpus();
  const machine = `${NODE_COUNT} nodes + load generators + this script on one ${cpus.length}-core machine over loopback`;
  console.log('# ChorusDB replication benchmark');
  console.log(`machine   : ${machineText()}`);
  console.log(`setup     : ${machine}: the nodes compete with each other and with the load for CPU`);
  const foreign = await foreignChorusServers();
  const busyLoad = os.loadavg()[0]! > cpus.length * BUSY_LOADAVG_PER_CORE;
  if (foreign > 0 || busyLoad) {
    console.log(
      `WARNING   : machine busy before the start (${foreign} ChorusDB server processes not started by this run, ` +
        `1-min loadavg ${os.loadavg()[0]!.toFixed(2)} on ${cpus.length} cores): expect lower, noisier numbers`,
    );
  }
  console.log(`node      : ${process.version}`);
  console.log(`pgbench   : ${load.pgbench ? `${load.version} (${load.pgbench})` : load.version}`);
  console.log(`chorus cli: ${cliPath()}`);
  console.log(
    `run       : phases ${opts.only.join(',')}; ${opts.seconds}s load runs, ${CLIENTS_PER_NODE} clients per node, ` +
      `--rate ${opts.rate} total, --rows ${opts.rows}, --divergent ${opts.divergent}, driver ${driver}`,
  );
  console.log('');
  return machine;
}
