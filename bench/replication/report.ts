// The end of a replication benchmark run: the results table of every phase, the aims from the issue
// marked met / not met (information only), and the optional JSON file.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fmt, loadavgText, printTable } from '../support/report.js';
import type { ApplyResult } from './apply.js';
import type { BigApplyResult } from './big-apply.js';
import { LAG_TAIL_TIMEOUT_MS, type LagResult } from './lag.js';
import type { Options } from './options.js';
import type { ConvergeResult } from './partition.js';
import { AIMS, NODE_COUNT, ORIGIN_BOUND_FRACTION } from './settings.js';
import type { ThroughputResult } from './throughput.js';

export interface Results {
  throughput?: ThroughputResult;
  apply?: ApplyResult;
  lag?: LagResult;
  converge?: ConvergeResult;
  bigApply?: BigApplyResult;
  errors: Record<string, string>;
}

type AimStatus = 'met' | 'not met' | 'met, weaker test' | 'n/a';

function aimLine(label: string, aim: string, measured: string, status: AimStatus, note = ''): string[] {
  return [label, aim, measured, status, note];
}

/** One row per measurement of every phase that ran, and one per failed phase. */
function resultRows(results: Results): string[][] {
  const rows: string[][] = [];
  const t = results.throughput;
  if (t) {
    for (const r of t.perNode) {
      rows.push(['1 write throughput', r.label, `${fmt(r.writesPerSec)} inserts/s`, r.error ? 'ERROR' : '']);
    }
    rows.push(['1 write throughput', 'cluster total', `${fmt(t.totalWritesPerSec)} inserts/s`, '']);
    const perNodeAvg = t.totalWritesPerSec / NODE_COUNT;
    if (t.standalone) {
      const s = t.standalone.writesPerSec;
      rows.push([
        '1 write throughput',
        'standalone node',
        `${fmt(s)} inserts/s`,
        'same load, no replication',
      ]);
      rows.push([
        '1 write throughput',
        'per-node avg / standalone',
        s > 0 ? `${(perNodeAvg / s).toFixed(2)}x` : '-',
        '',
      ]);
      rows.push([
        '1 write throughput',
        'cluster total / standalone',
        s > 0 ? `${(t.totalWritesPerSec / s).toFixed(2)}x` : '-',
        '',
      ]);
    }
    rows.push([
      '1 write throughput',
      'catch-up after load stop',
      `${fmt(t.catchUpMs)} ms`,
      'replication backlog',
    ]);
  }
  const a = results.apply;
  if (a) {
    rows.push([
      '2 apply',
      'origin insert rate',
      `${fmt(a.originRowsPerSec)} rows/s`,
      `${fmt(a.rows)} rows, ${fmt(a.transactions)} tx`,
    ]);
    for (const n of a.perNode) {
      rows.push([
        '2 apply',
        n.node,
        `${fmt(n.rowsPerSec)} row changes/s`,
        `${fmt(n.applyMs)} ms from first commit, +${fmt(n.tailMs)} ms after last`,
      ]);
    }
  }
  const l = results.lag;
  if (l) {
    const achieved = l.load.reduce((s, x) => s + x.writesPerSec, 0);
    rows.push([
      '3 lag',
      'write rate achieved',
      `${fmt(achieved)} writes/s`,
      `target ${fmt(l.ratePerNode * NODE_COUNT)} (${fmt(l.ratePerNode)}/node) + probes`,
    ]);
    for (const d of [...l.directions, l.all]) {
      rows.push([
        '3 lag',
        d.direction,
        `p50 ${fmt(d.p50Ms, 1)} / p99 ${fmt(d.p99Ms, 1)} / max ${fmt(d.maxMs, 1)} ms`,
        `${fmt(d.samples)} probes`,
      ]);
    }
    if (l.probesUnseen > 0)
      rows.push(['3 lag', 'probes never seen', fmt(l.probesUnseen), `after ${LAG_TAIL_TIMEOUT_MS} ms`]);
  }
  const c = results.converge;
  if (c) {
    rows.push([
      '4 partition',
      'divergent writes',
      `${fmt(c.divergentRows)} rows`,
      `+ ${fmt(c.sharedKeyUpdates)} shared-key updates; written in ${fmt(c.writeMs)} ms`,
    ]);
    rows.push(['4 partition', 'heal → reconnect', `${fmt(c.reconnectMs)} ms`, 'node 3 redial backoff']);
    rows.push([
      '4 partition',
      'heal → converged',
      `${fmt(c.convergeMs)} ms`,
      `identical vectors and counts (${fmt(c.rowsPerNode)} rows` +
        `${c.rowsPerNode === c.expectedRows ? '' : `, EXPECTED ${fmt(c.expectedRows)}`}); ` +
        `content ${c.contentIdentical ? 'identical' : 'DIFFERS'}`,
    ]);
    if (c.reconnectMs !== undefined && c.convergeMs > c.reconnectMs) {
      rows.push([
        '4 partition',
        'node 3 catch-up apply rate',
        `${fmt((c.node3RowChanges * 1000) / (c.convergeMs - c.reconnectMs))} row changes/s`,
        `${fmt(c.node3RowChanges)} changes, reconnect → converged; no new writes, nodes 1-2 apply node 3's meanwhile`,
      ]);
    }
  }
  const b = results.bigApply;
  if (b) {
    rows.push([
      '5 huge transaction',
      'origin insert',
      `${fmt(b.originMs)} ms`,
      `${fmt(b.rows)} rows, one transaction`,
    ]);
    rows.push([
      '5 huge transaction',
      'node 2 apply',
      `${fmt(b.rowsPerSec)} row changes/s`,
      `${fmt(b.applyMs)} ms from node 1's commit; ${fmt(b.rowsPresent)} rows present`,
    ]);
    rows.push([
      '5 huge transaction',
      'node 2 SELECT 1 meanwhile',
      `p50 ${fmt(b.readP50Ms, 1)} / p99 ${fmt(b.readP99Ms, 1)} / max ${fmt(b.readMaxMs, 1)} ms`,
      `${fmt(b.reads)} reads; ${b.linkTimeouts} peer link timeouts`,
    ]);
  }
  for (const [phase, msg] of Object.entries(results.errors))
    rows.push([`${phase}`, 'FAILED', '-', msg.split('\n')[0]!.slice(0, 120)]);
  return rows;
}

/** One row per aim from the issue, with the measured value and whether it was met. */
function aimRows(results: Results, opts: Options): string[][] {
  const { apply: a, lag: l, converge: c } = results;
  const aims: string[][] = [];
  if (a) {
    const worst = Math.min(...a.perNode.map((n) => n.rowsPerSec));
    aims.push(
      aimLine(
        'apply throughput per node',
        `≥ ${fmt(AIMS.applyRowsPerSecPerNode)} row changes/s`,
        `${fmt(worst)} (slowest replica)`,
        worst >= AIMS.applyRowsPerSecPerNode ? 'met' : 'not met',
        worst >= a.originRowsPerSec * ORIGIN_BOUND_FRACTION
          ? `bounded by node 1's insert rate (${fmt(a.originRowsPerSec)} rows/s); see phase 4 catch-up`
          : '',
      ),
    );
  } else
    aims.push(
      aimLine(
        'apply throughput per node',
        `≥ ${fmt(AIMS.applyRowsPerSecPerNode)} row changes/s`,
        'not run',
        'n/a',
      ),
    );
  if (l) {
    const achievedPerNode = l.load.reduce((sum, x) => sum + x.writesPerSec, 0) / NODE_COUNT;
    const lagOk = l.all.p99Ms !== undefined && l.all.p99Ms < AIMS.lagP99Ms && l.probesUnseen === 0;
    const atAim = achievedPerNode >= AIMS.lagAtWritesPerSecPerNode * ORIGIN_BOUND_FRACTION;
    aims.push(
      aimLine(
        'replication lag p99',
        `< ${AIMS.lagP99Ms} ms at ${fmt(AIMS.lagAtWritesPerSecPerNode)} writes/s per node`,
        `${fmt(l.all.p99Ms, 1)} ms at ${fmt(achievedPerNode)} writes/s per node`,
        !lagOk ? 'not met' : atAim ? 'met' : 'met, weaker test',
        atAim
          ? ''
          : `achieved rate below the aim's (asked ${fmt(l.ratePerNode)}/node: --rate ${opts.rate} is the total)`,
      ),
    );
  } else aims.push(aimLine('replication lag p99', `< ${AIMS.lagP99Ms} ms`, 'not run', 'n/a'));
  if (c) {
    const atAim = c.divergentRows >= AIMS.convergeDivergentWrites;
    aims.push(
      aimLine(
        'convergence after partition',
        `${fmt(AIMS.convergeDivergentWrites)} divergent writes < ${fmt(AIMS.convergeMs / 1000)} s`,
        `${fmt(c.convergeMs / 1000, 2)} s for ${fmt(c.divergentRows)}`,
        !(c.convergeMs < AIMS.convergeMs && c.contentIdentical && c.rowsPerNode === c.expectedRows)
          ? 'not met'
          : atAim
            ? 'met'
            : 'met, weaker test',
        atAim ? '' : 'fewer divergent writes than the aim',
      ),
    );
  } else
    aims.push(aimLine('convergence after partition', `< ${fmt(AIMS.convergeMs / 1000)} s`, 'not run', 'n/a'));
  const b = results.bigApply;
  aims.push(
    b
      ? aimLine(
          'reads during a huge apply',
          `no read > ${AIMS.bigApplyReadMaxMs} ms`,
          `max ${fmt(b.readMaxMs, 1)} ms over ${fmt(b.reads)} reads (${fmt(b.rows)}-row transaction)`,
          b.readMaxMs !== undefined && b.readMaxMs <= AIMS.bigApplyReadMaxMs && b.linkTimeouts === 0
            ? 'met'
            : 'not met',
          b.linkTimeouts > 0 ? `${b.linkTimeouts} peer link timeouts` : '',
        )
      : aimLine('reads during a huge apply', `no read > ${AIMS.bigApplyReadMaxMs} ms`, 'not run', 'n/a'),
  );
  return aims;
}

export function printReport(results: Results, opts: Options, machine: string): void {
  console.log('');
  console.log(`## Results (${machine}; loadavg at the end ${loadavgText()})`);
  console.log('');
  printTable(['phase', 'measurement', 'value', 'notes'], resultRows(results), true);

  console.log('');
  console.log('## Aims from the issue (information only, not an exit code)');
  console.log('');
  printTable(['aim', 'target', 'measured', 'status', 'note'], aimRows(results, opts), true);
}

/** Writes the options, machine, aims and results to `file`. */
export async function writeJson(
  file: string,
  results: Results,
  opts: Options,
  pgbenchVersion: string,
  machine: string,
): Promise<void> {
  const out = {
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memGiB: os.totalmem() / 2 ** 30,
      node: process.version,
      pgbench: pgbenchVersion,
      note: machine,
    },
    options: opts,
    aims: AIMS,
    results,
  };
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nresults written to ${file}`);
}
