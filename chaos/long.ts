// `npm run chaos:long -- [--minutes M] [--run-seconds S] [--seed X]`: the long chaos run — every
// workload under mixed nemeses, alternating 3-node and 5-node clusters (every third run with quorum
// writes), as a series of runs of S
// seconds (a bounded history each) until M minutes have passed. Prints one line per run and the
// totals; exits 1 if any run found a violation.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { runChaos } from './runner.js';
import { suiteWorkloads } from './workloads.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      'run-seconds': { type: 'string', default: '90' },
      seed: { type: 'string', default: '1000' },
      out: {
        type: 'string',
        default: path.join('chaos-results', `long-${new Date().toISOString().replace(/[:.]/g, '-')}`),
      },
    },
    strict: true,
  });
  const minutes = Number(values.minutes);
  const runSeconds = Number(values['run-seconds']);
  let seed = Number(values.seed);
  if (!(minutes > 0) || !(runSeconds > 0) || !Number.isInteger(seed))
    throw new Error('--minutes and --run-seconds must be positive, --seed an integer');
  const deadline = Date.now() + minutes * 60_000;
  const totals = { runs: 0, invalid: 0, ok: 0, info: 0, fail: 0, faults: 0, workloadSeconds: 0 };
  const byFault = new Map<string, number>();
  while (Date.now() < deadline) {
    const nodes = totals.runs % 2 === 0 ? 3 : 5;
    // Every third run with quorum writes (a majority of the nodes).
    const quorum = totals.runs % 3 === 2 ? Math.floor(nodes / 2) + 1 : null;
    const s = await runChaos({
      workloads: [...suiteWorkloads],
      nemesis: 'mixed',
      timeLimitS: runSeconds,
      nodes,
      seed,
      clientsPerNode: 2,
      outDir: path.join(values.out, `run-${totals.runs + 1}-n${nodes}-seed${seed}`),
      faultMs: [1_000, 5_000],
      quietMs: [500, 3_000],
      opTimeoutMs: 5_000,
      convergenceTimeoutS: 120,
      ...(quorum ? { quorumSize: quorum } : {}),
      log: () => undefined,
    });
    totals.runs++;
    totals.workloadSeconds += runSeconds;
    totals.ok += s.ops.ok ?? 0;
    totals.info += s.ops.info ?? 0;
    totals.fail += s.ops.fail ?? 0;
    totals.faults += s.faults.length;
    for (const f of s.faults) {
      const kind = f.split(/[ :(]/)[0] ?? f;
      byFault.set(kind, (byFault.get(kind) ?? 0) + 1);
    }
    if (!s.valid) totals.invalid++;
    console.log(
      `run ${totals.runs}: ${nodes} nodes${quorum ? `, quorum ${quorum}` : ''}, seed ${seed}, ${s.valid ? 'valid' : 'INVALID'}, ops ${JSON.stringify(s.ops)}, ` +
        `${s.faults.length} faults, converged in ${s.convergenceMs ?? '-'} ms`,
    );
    for (const c of s.checks.filter((k) => !k.valid))
      console.log(`  FAIL ${c.checker}: ${c.problems.slice(0, 5).join('; ')}`);
    seed++;
  }
  console.log(
    `\n${totals.runs} runs, ${Math.round(totals.workloadSeconds / 60)} min of workload, ${totals.ok} ops ok, ` +
      `${totals.info} indeterminate, ${totals.fail} failed, ${totals.faults} faults (${[...byFault]
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}), ${totals.invalid} runs with violations; results in ${values.out}`,
  );
  return totals.invalid === 0 ? 0 : 1;
}

// Ctrl-C / SIGTERM: exit at once; the launcher's exit hook SIGKILLs every node this run started.
// (Exiting explicitly also covers a shell that started this in the background with SIGINT ignored.)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`chaos:long: ${signal}: stopping every node and exiting`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos:long: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
