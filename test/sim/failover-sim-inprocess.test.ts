// The failover simulation with in-process restarts (NodeRunner.restart after a role change: a won
// election, following a new primary) whose new voter keeps the old one's promise (VoterCarry).
// FAILOVER_SIM_SEEDS (default 30) and FAILOVER_SIM_SEED_BASE (default 1) choose the seeds.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InProcessRestarts, runFailoverSimulation } from '../../src/testing/failover-sim.js';

const seeds = Number(process.env.FAILOVER_SIM_SEEDS ?? 30);
const base = Number(process.env.FAILOVER_SIM_SEED_BASE ?? 1);
const mode = (process.env.FAILOVER_SIM_INPROCESS ?? 'carry') as InProcessRestarts;

test(`failover with in-process restarts (${mode}) keeps one primary per epoch (${seeds} seeds from ${base})`, async () => {
  const failures: string[] = [];
  let elections = 0;
  let restarts = 0;
  for (let seed = base; seed < base + seeds; seed++) {
    const r = await runFailoverSimulation(seed, mode);
    elections += r.elections;
    restarts += r.restarts;
    if (!r.ok) {
      failures.push(`seed ${seed}:\n${r.problems.join('\n')}`);
      if (failures.length >= 3) break;
    }
  }
  console.log(`simulated ${seeds} seeds: ${elections} elections, ${restarts} in-process restarts`);
  assert.equal(failures.length, 0, failures.join('\n\n'));
  assert.ok(restarts > seeds, `too few in-process restarts (${restarts})`);
});
