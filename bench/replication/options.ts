// Command-line options of the replication benchmark (bench/README.md documents them).
import { parseArgs } from 'node:util';
import { intOption } from '../support/report.js';
import { NODE_COUNT } from './settings.js';

export const PHASES = [1, 2, 3, 4, 5] as const;
/** Phases run when --only is not given (5, the huge transaction, takes minutes: asked for by name). */
export const DEFAULT_PHASES: readonly Phase[] = [1, 2, 3, 4];
export type Phase = (typeof PHASES)[number];

export interface Options {
  seconds: number;
  rate: number;
  rows: number;
  divergent: number;
  bigRows: number;
  skipStandalone: boolean;
  only: Phase[];
  driver: 'auto' | 'pgbench' | 'js';
  json: string | undefined;
}

export const USAGE = `usage: node dist/bench/replication-bench.js [options]
  --seconds N          duration of the throughput and lag runs (default 10)
  --rate N             total writes/s across the 3 nodes during the lag run (default 5000)
  --rows N             rows inserted on node 1 for the apply measurement (default 200000)
  --divergent N        rows written while partitioned, split across the 3 nodes (default 100000)
  --big-rows N         rows of the one transaction of phase 5 (default 1000000)
  --skip-standalone    do not measure the standalone node (phase 1 ratio)
  --only 1,2,3,4,5     phases to run: 1 throughput, 2 apply, 3 lag, 4 partition convergence,
                       5 reads on a node applying one huge transaction (2 nodes) (default 1,2,3,4)
  --driver D           auto | pgbench | js (default auto: pgbench when installed)
  --json FILE          also write the results as JSON
  -h, --help`;

/** The options, or undefined after printing the usage for --help; throws on bad options. */
export function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '5000' },
      rows: { type: 'string', default: '200000' },
      divergent: { type: 'string', default: '100000' },
      'big-rows': { type: 'string', default: '1000000' },
      'skip-standalone': { type: 'boolean', default: false },
      only: { type: 'string', default: DEFAULT_PHASES.join(',') },
      driver: { type: 'string', default: 'auto' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const only: Phase[] = [];
  for (const part of values.only.split(',')) {
    const p = Number(part.trim());
    if (!(PHASES as readonly number[]).includes(p)) throw new Error(`--only takes phases 1-5, got ${part}`);
    if (!only.includes(p as Phase)) only.push(p as Phase);
  }
  only.sort();
  const driver = values.driver;
  if (driver !== 'auto' && driver !== 'pgbench' && driver !== 'js') {
    throw new Error(`--driver must be auto, pgbench or js, got ${driver}`);
  }
  const rate = intOption('rate', values.rate);
  if (rate < NODE_COUNT) throw new Error(`--rate must be at least ${NODE_COUNT} (one write/s per node)`);
  const divergent = intOption('divergent', values.divergent);
  if (divergent < NODE_COUNT) throw new Error(`--divergent must be at least ${NODE_COUNT}`);
  return {
    seconds: intOption('seconds', values.seconds),
    rate,
    rows: intOption('rows', values.rows),
    divergent,
    bigRows: intOption('big-rows', values['big-rows']),
    skipStandalone: values['skip-standalone'],
    only,
    driver,
    json: values.json,
  };
}
