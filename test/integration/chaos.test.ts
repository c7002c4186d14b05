// The chaos suite on every CI run (issue 7): a few seconds of every workload under each nemesis on a
// 3-node cluster of real processes, each run checked; and the planted bugs (failpoints) each caught
// by the checker meant to catch it. The long runs are `npm run chaos:long` (see README).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { NemesisName } from '../../chaos/nemesis.js';
import { type ChaosOptions, type ChaosSummary, type RunUntil, runChaos } from '../../chaos/runner.js';
import { suiteWorkloads, type WorkloadName } from '../../chaos/workloads.js';
import { applyTwiceOneInTxs, dropOneInInserts } from '../../src/config/failpoints.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'chorus-chaos-'));
after(() => {
  if (!process.env.KEEP_DATA) rmSync(outRoot, { recursive: true, force: true });
});

function options(name: string, over: Partial<ChaosOptions>): ChaosOptions {
  return {
    workloads: [...suiteWorkloads],
    nemesis: 'none',
    timeLimitS: 4,
    nodes: 3,
    seed: 42,
    clientsPerNode: 1,
    outDir: path.join(outRoot, name),
    faultMs: [1_000, 1_500],
    quietMs: [200, 400],
    opTimeoutMs: 3_000,
    convergenceTimeoutS: 30,
    log: () => undefined,
    ...over,
  };
}

function describeRun(s: ChaosSummary): string {
  const failed = s.checks
    .filter((c) => !c.valid)
    .map((c) => `${c.checker}: ${c.problems.slice(0, 5).join('; ')}`);
  const until = s.until
    ? ` (until ${s.until.reached ? `reached after ${s.until.afterS}s` : 'NOT reached'}: ${s.until.progress})`
    : '';
  return `seed ${s.seed}, workload ${s.workloadS}s${until}, ops ${JSON.stringify(s.ops)}, faults [${s.faults.join('; ')}]${s.diverged ? ', diverged' : ''}${failed.length ? `\n${failed.join('\n')}` : ''}`;
}

describe('chaos smoke: every workload under each nemesis', { timeout: 600_000 }, () => {
  const nemeses: NemesisName[] = ['partition', 'kill', 'pause', 'clock', 'link'];
  for (const [i, nemesis] of nemeses.entries()) {
    test(`${nemesis}: no checker finds a violation`, async () => {
      const s = await runChaos(options(`smoke-${nemesis}`, { nemesis, seed: 100 + i }));
      console.log(`chaos smoke ${nemesis}: ${describeRun(s)}`);
      assert.ok(s.faults.length >= 1, 'the nemesis injected no fault');
      assert.ok((s.ops.ok ?? 0) > 100, `too few operations completed: ${JSON.stringify(s.ops)}`);
      assert.equal(s.valid, true, describeRun(s));
    });
  }
});

describe('chaos smoke: concurrent DDL under mixed faults', { timeout: 300_000 }, () => {
  test('ddl: columns added, renamed and dropped and a UNIQUE constraint added while every node writes, no checker finds a violation', async () => {
    // Until schema changes and writes happened (a DDL waiting for the cluster lock holds its node's
    // writer, and a kill early in a short run can stall a loaded machine), after at least 6 s.
    const minimumMs = 6_000;
    let firstCheck: number | null = null;
    const enough: RunUntil = {
      description: '3 DDL transactions and 200 operations acknowledged, after at least 6 s',
      timeoutS: 90,
      async check(probe) {
        firstCheck ??= performance.now();
        const ops = probe.ops();
        const ddl = await probe
          .sql(0, "SELECT count(DISTINCT txid) AS n FROM replicate.log WHERE operation = 'DDL'")
          .then(
            (rows) => Number(rows[0]!.n),
            () => 0,
          );
        return {
          reached: ddl >= 3 + 1 && (ops.ok ?? 0) > 200 && performance.now() - firstCheck >= minimumMs,
          progress: `DDL transactions in node 0's log ${ddl} (1 is the setup), operations ${JSON.stringify(ops)}`,
        };
      },
    };
    const s = await runChaos(
      options('smoke-ddl-mixed', {
        workloads: ['ddl'],
        nemesis: 'mixed',
        until: enough,
        clientsPerNode: 2,
        seed: 301,
      }),
    );
    console.log(`chaos smoke ddl mixed: ${describeRun(s)}`);
    assert.ok(s.until?.reached, `not reached: ${s.until?.description} (${s.until?.progress})`);
    assert.ok(s.faults.length >= 1, 'the nemesis injected no fault');
    const ddl = s.checks.find((c) => c.checker === 'ddl')!;
    assert.ok(
      (ddl.stats.adds ?? 0) + (ddl.stats.renames ?? 0) + (ddl.stats.drops ?? 0) > 0,
      `no column change succeeded: ${JSON.stringify(ddl.stats)}`,
    );
    assert.equal(s.valid, true, describeRun(s));
  });
});

describe('chaos smoke: quorum writes under partitions', { timeout: 300_000 }, () => {
  test('minority writes are refused (never applied), the majority writes on, no checker finds a violation', async () => {
    // Until a minority write has been refused (and enough have succeeded), not for a fixed time: on
    // a loaded machine a short run may end before a node notices it is in a minority.
    const minimumMs = 5_000; // several partitions, as the fixed-time run had
    let firstCheck: number | null = null;
    const refused: RunUntil = {
      description: 'a write was refused in a minority and 100 succeeded, after at least 5 s',
      timeoutS: 120,
      async check(probe) {
        firstCheck ??= performance.now();
        const ops = probe.ops();
        return {
          reached: (ops.fail ?? 0) > 0 && (ops.ok ?? 0) > 100 && performance.now() - firstCheck >= minimumMs,
          progress: `operations so far ${JSON.stringify(ops)}`,
        };
      },
    };
    const s = await runChaos(
      options('smoke-quorum', { nemesis: 'partition', quorumSize: 2, seed: 201, until: refused }),
    );
    console.log(`chaos smoke quorum: ${describeRun(s)}`);
    assert.ok(s.faults.length >= 1, 'the nemesis injected no fault');
    assert.ok(
      (s.ops.fail ?? 0) > 0,
      'no write was refused: no partition left a node in a minority (seed 201 does)',
    );
    assert.ok((s.ops.ok ?? 0) > 100, `too few operations completed: ${JSON.stringify(s.ops)}`);
    assert.equal(s.valid, true, describeRun(s));
  });
});

/**
 * Runs until some node has applied `count` replicated row changes (or transactions, with
 * `distinct txid`): a failpoint that acts on every count-th one has then acted on that node. Counted
 * from the node's log, which records every applied remote transaction with all its entries in the
 * same SQLite transaction as the data. The failpoints count per process and the log per data
 * directory, so this holds only while no node restarts: the planted runs use the partition
 * nemesis, which never restarts one.
 */
function untilApplied(what: 'row inserts' | 'transactions', count: number, failpoint: string): RunUntil {
  const counted =
    what === 'row inserts'
      ? "SELECT count(*) AS n FROM replicate.log WHERE origin <> $1 AND operation = 'INSERT'"
      : 'SELECT count(DISTINCT txid) AS n FROM replicate.log WHERE origin <> $1';
  return {
    description: `a node applied ${count} replicated ${what}, so ${failpoint} acted on it`,
    timeoutS: 180,
    async check(probe) {
      const applied = await Promise.all(
        probe.nodeIds.map((id, i) =>
          probe.sql(i, counted, [id]).then(
            (rows) => Number(rows[0]!.n),
            () => 0, // a node busy past the probe's timeout: ask again at the next poll
          ),
        ),
      );
      return {
        reached: applied.some((n) => n >= count),
        progress: `${what} applied per node: ${applied.join(', ')}`,
      };
    },
  };
}

describe('chaos: planted bugs are caught', { timeout: 600_000 }, () => {
  const cases: {
    failpoint: string;
    workloads: WorkloadName[];
    caughtBy: string[];
    /** Until the failpoint has acted (a condition, not a duration), or for this many seconds. */
    run: RunUntil | number;
  }[] = [
    // One replicated row insert in 5,000 dropped: a node misses an element of the set or the log
    // (bank runs alongside for load; its CRDT updates would heal a drop, so only inserts are dropped).
    // The workload runs until a node has applied 5,000 inserts (however long that takes on a loaded machine).
    {
      failpoint: 'drop-replicated-change',
      workloads: ['set', 'append', 'bank'],
      caughtBy: ['set', 'append', 'convergence'],
      run: untilApplied('row inserts', dropOneInInserts, 'drop-replicated-change'),
    },
    // One replicated transaction in 1,000 applied twice: a keyless table gets a duplicate row
    // (keyed rows, CRDT joins and LWW are idempotent, so only insert-only tables can show it).
    {
      failpoint: 'apply-remote-twice',
      workloads: ['append'],
      caughtBy: ['append', 'convergence'],
      run: untilApplied('transactions', applyTwiceOneInTxs, 'apply-remote-twice'),
    },
    // LWW decided by arrival order: nodes keep different values, or not the highest HLC.
    {
      failpoint: 'lww-arrival-order',
      workloads: ['register'],
      caughtBy: ['register', 'convergence'],
      run: 6,
    },
    // A replicated TRUNCATE of a keyless table removes every row (the bug issue 18 found in pgbench):
    // rows inserted on another node while the TRUNCATE was on its way are lost there only.
    {
      failpoint: 'truncate-removes-all',
      workloads: ['truncate'],
      caughtBy: ['truncate', 'convergence'],
      run: 8,
    },
    // Foreign keys checked per replicated statement (the behaviour before issue 18's fix): a child
    // added while its parent is deleted elsewhere stays on one node and not on the other.
    {
      failpoint: 'foreign-keys-per-statement',
      workloads: ['foreign-key'],
      caughtBy: ['foreign-key', 'convergence'],
      run: 8,
    },
    // Delta columns treated as last-write-wins: concurrent transfers on two nodes lose an increment.
    {
      failpoint: 'delta-as-last-write-wins',
      workloads: ['delta-bank'],
      caughtBy: ['delta-bank'],
      run: 8,
    },
    // A change written before a RENAME COLUMN it had not seen keeps the old name where the rename
    // came first, so its value is dropped there (issue 18's lost rename-vs-write): the value is
    // missing on the renaming node and present on the writer's.
    // old-shape-ignores-renames (the ddl workload's planted bug) is not here: it acts only where a
    // write in the old shape meets a node the rename reached first, and on a loaded machine three
    // 8 s runs (seeds 42-44) once made none. Its checker rule is proven in
    // test/unit/chaos-ddl-checker.test.ts; the end-to-end run: `npm run chaos -- --workload ddl
    // --nemesis partition --failpoints old-shape-ignores-renames --seed 42`.
  ];
  for (const c of cases) {
    test(`${c.failpoint} is caught by ${c.caughtBy.join(' / ')}`, async () => {
      const s = await runChaos(
        options(`planted-${c.failpoint}`, {
          workloads: c.workloads,
          nemesis: 'partition',
          ...(typeof c.run === 'number' ? { timeLimitS: c.run } : { until: c.run }),
          clientsPerNode: 3,
          convergenceTimeoutS: 10,
          nodeEnv: { CHORUS_TEST_FAILPOINTS: c.failpoint },
        }),
      );
      console.log(`chaos planted ${c.failpoint}: ${describeRun(s)}`);
      if (s.until)
        assert.ok(
          s.until.reached,
          `the planted bug never acted: not reached within ${(c.run as RunUntil).timeoutS} s: ` +
            `${s.until.description} (${s.until.progress}); ops ${JSON.stringify(s.ops)}`,
        );
      assert.equal(s.valid, false, `the planted bug went unnoticed: ${describeRun(s)}`);
      const failed = s.checks.filter((k) => !k.valid).map((k) => k.checker);
      assert.ok(
        failed.some((name) => c.caughtBy.includes(name)),
        `caught only by ${failed.join(', ')}, expected one of ${c.caughtBy.join(', ')}`,
      );
    });
  }
});
