// Seeded simulations of the cluster DDL lock (src/testing/ddl-lock-sim.ts): 2 to 5 masters running
// DDL and writes through partitions and crashes; no two DDL may ever be concurrent. DDL_SIM_SEEDS
// (default 50) and DDL_SIM_SEED_BASE (default 1) choose the seeds; a failure names its seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDdlLockSimulation } from '../../src/testing/ddl-lock-sim.js';

const seeds = Number(process.env.DDL_SIM_SEEDS ?? 50);
const base = Number(process.env.DDL_SIM_SEED_BASE ?? 1);

test(`DDL lock: committed DDL is totally ordered across masters (${seeds} seeds from ${base})`, async () => {
  const failures: string[] = [];
  let committed = 0;
  let refused = 0;
  let lost = 0;
  for (let seed = base; seed < base + seeds; seed++) {
    const r = await runDdlLockSimulation(seed);
    committed += r.committed;
    refused += r.refused;
    lost += r.lost;
    if (!r.ok) {
      failures.push(
        `seed ${seed} (DDL_SIM_SEED_BASE=${seed} DDL_SIM_SEEDS=1):\n${r.problems.slice(0, 8).join('\n')}`,
      );
      if (failures.length >= 3) break;
    }
  }
  console.log(
    `simulated ${seeds} seeds: ${committed} DDL committed, ${refused} refused, ${lost} lost their lock`,
  );
  assert.equal(failures.length, 0, failures.join('\n\n'));
  // The workload must exercise both sides: DDL that gets through and DDL that is refused.
  assert.ok(committed > seeds, `too few DDL committed (${committed})`);
  assert.ok(refused > 0, 'no DDL was ever refused: partitions and contention are not exercised');
  assert.ok(lost > 0, 'no lock ever lapsed: the lease is not exercised');
});
