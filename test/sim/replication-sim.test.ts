// Seeded simulations of a 3-node multi-primary cluster (see src/testing/replication-sim.ts).
// SIM_SEEDS (default 300: `npm test` must stay well under 15 minutes; run 500 or more before a
// release) and SIM_SEED_BASE (default 1) choose the seeds; a failure names its seed,
// and `npm run sim -- --seed N` reruns exactly that one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulation } from '../../src/testing/replication-sim.js';

const seeds = Number(process.env.SIM_SEEDS ?? 300);
const base = Number(process.env.SIM_SEED_BASE ?? 1);

test(`multi-primary cluster converges with no acknowledged write lost (${seeds} seeds from ${base})`, async () => {
  const failures: string[] = [];
  let acknowledged = 0;
  let conflicts = 0;
  let retained = 0;
  let total = 0;
  for (let seed = base; seed < base + seeds; seed++) {
    const r = await runSimulation(seed);
    acknowledged += r.acknowledged;
    conflicts += r.conflicts;
    retained += r.logTxsRetained;
    total += r.logTxsTotal;
    if (!r.ok) {
      failures.push(
        `seed ${seed} (rerun: npm run sim -- --seed ${seed}):\n${r.problems.slice(0, 8).join('\n')}`,
      );
      if (failures.length >= 3) break;
    }
  }
  console.log(
    `simulated ${seeds} seeds: ${acknowledged} acknowledged unique inserts, ${conflicts} conflicts recorded`,
  );
  assert.equal(failures.length, 0, failures.join('\n\n'));
  assert.ok(conflicts > 0, 'the workload is meant to produce conflicts; none were recorded');
  assert.ok(
    retained < total / 4,
    `log retention should truncate acknowledged entries (${retained} of ${total} kept)`,
  );
});
