// Seeds of the DDL lock simulation (src/testing/ddl-lock-sim.ts) where two DDL committed concurrently
// (found by review-lock running seeds 351..1050): a master's own request did not carry the vote it
// had given a peer that lapsed unreleased (ddl-lock.ts: attempt() reads known() before settle()).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDdlLockSimulation } from '../../src/testing/ddl-lock-sim.js';

for (const seed of [544, 714, 822]) {
  test(`DDL lock simulation, seed ${seed}: no two DDL are concurrent`, async () => {
    const r = await runDdlLockSimulation(seed);
    assert.deepEqual(r.problems, []);
  });
}
