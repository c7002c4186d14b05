// `chaos --mode primary-standby` on every CI run: a primary and two standbys of real processes under
// mixed faults (kill -9, SIGSTOP, partitions isolating the primary, clock skew) in sync mode, and
// kill -9 in async mode; every checker (linearizability on the primary, no acknowledged write lost,
// standby reads, one writable primary per epoch) finds nothing. Long runs: `npm run chaos -- --mode
// primary-standby --time-limit 180`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { type PsOptions, type PsSummary, runPrimaryStandby } from '../../chaos/primary-standby.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chorus-chaos-ps-'));
after(() => {
  if (!process.env.KEEP_DATA) rmSync(outRoot, { recursive: true, force: true });
});

function options(name: string, over: Partial<PsOptions>): PsOptions {
  return {
    syncMode: 'sync',
    nemesis: 'mixed',
    timeLimitS: 20,
    seed: 16,
    writers: 3,
    readersPerStandby: 1,
    outDir: path.join(outRoot, name),
    faultMs: [1_000, 2_500],
    quietMs: [300, 800],
    opTimeoutMs: 3_000,
    convergenceTimeoutS: 30,
    log: () => undefined,
    ...over,
  };
}

function describeRun(s: PsSummary): string {
  const failed = s.checks
    .filter((c) => !c.valid)
    .map((c) => `${c.checker}: ${c.problems.slice(0, 5).join('; ')}`);
  return `seed ${s.seed}, ops ${JSON.stringify(s.opsByNode)}, faults [${s.faults.join('; ')}]${failed.length ? `\n${failed.join('\n')}` : ''}`;
}

function primaryOpsOk(s: PsSummary): number {
  const n = s.opsByNode['0'] ?? {};
  return (n['read:ok'] ?? 0) + (n['write:ok'] ?? 0) + (n['cas:ok'] ?? 0);
}

describe('chaos primary-standby', { timeout: 180_000 }, () => {
  test('sync mode under mixed faults: linearizable, nothing acknowledged lost, one primary', async () => {
    const s = await runPrimaryStandby(options('sync-mixed', {}));
    console.log(`chaos primary-standby sync: ${describeRun(s)}`);
    assert.ok(
      s.faults.some((f) => f.includes('the primary')),
      `no fault hit the primary: ${s.faults.join('; ')}`,
    );
    assert.ok(primaryOpsOk(s) > 50, `too few operations on the primary: ${JSON.stringify(s.opsByNode)}`);
    assert.ok(
      s.checks.some((c) => c.checker === 'linearizable' && c.stats.ops! > 50),
      'the linearizability checker judged too few operations',
    );
    assert.equal(s.valid, true, describeRun(s));
  });

  test('async mode, kill -9 of the primary or a standby: no acknowledged write lost', async () => {
    const s = await runPrimaryStandby(
      options('async-kill', { syncMode: 'async', nemesis: 'kill', timeLimitS: 10, seed: 17 }),
    );
    console.log(`chaos primary-standby async: ${describeRun(s)}`);
    assert.ok(s.faults.length >= 1, 'the nemesis injected no fault');
    assert.ok(primaryOpsOk(s) > 50, `too few operations on the primary: ${JSON.stringify(s.opsByNode)}`);
    assert.equal(s.valid, true, describeRun(s));
  });
});
