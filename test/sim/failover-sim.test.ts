// Seeded simulations of primary/standby failover (src/testing/failover-sim.ts): leases, self-fencing
// and elections under crashes, partitions and a paused primary. FAILOVER_SIM_SEEDS (default 30) and
// FAILOVER_SIM_SEED_BASE (default 1) choose the seeds; a failure names its seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFailoverSimulation } from '../../src/testing/failover-sim.js';

const seeds = Number(process.env.FAILOVER_SIM_SEEDS ?? 30);
const base = Number(process.env.FAILOVER_SIM_SEED_BASE ?? 1);

test(`failover: one primary at a time, fenced before a newer epoch wins; no acknowledged sync commit lost (${seeds} seeds from ${base})`, async () => {
  const failures: string[] = [];
  let elections = 0;
  let commits = 0;
  let fenced = 0;
  let asyncLost = 0;
  for (let seed = base; seed < base + seeds; seed++) {
    const r = await runFailoverSimulation(seed);
    elections += r.elections;
    commits += r.commits;
    fenced += r.fencedWrites;
    asyncLost += r.ackedLost;
    if (!r.ok) {
      failures.push(
        `seed ${seed} (FAILOVER_SIM_SEED_BASE=${seed} FAILOVER_SIM_SEEDS=1):\n${r.problems.join('\n')}`,
      );
      if (failures.length >= 3) break;
    }
  }
  console.log(
    `simulated ${seeds} seeds: ${elections} elections, ${commits} commits, ${fenced} writes refused by a lapsed lease, ${asyncLost} acknowledged async commits rewound`,
  );
  assert.equal(failures.length, 0, failures.join('\n\n'));
  // The faults must exercise the protocol: failovers happen and lapsed leases refuse writes.
  assert.ok(elections > seeds, `too few elections (${elections})`);
  assert.ok(fenced > 0, 'no write was ever refused for a lapsed lease: fencing is not exercised');
});
