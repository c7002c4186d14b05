// Runs cluster simulations from the command line: `npm run sim -- --seed 42` reruns one seed with
// its full report; `--seeds 1000 [--from N]` runs many; `--nodes`, `--ops` change the workload.

import { parseArgs } from 'node:util';
import { defaultSimOptions, runSimulation } from '../../src/testing/replication-sim.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    from: { type: 'string', default: '1' },
    nodes: { type: 'string' },
    ops: { type: 'string' },
  },
});
const opts = {
  ...defaultSimOptions,
  ...(values.nodes ? { nodes: Number(values.nodes) } : {}),
  ...(values.ops ? { ops: Number(values.ops) } : {}),
};
const first = Number(values.seed ?? values.from);
const count = values.seed ? 1 : Number(values.seeds);
let failed = 0;
for (let seed = first; seed < first + count; seed++) {
  const t0 = Date.now();
  const r = await runSimulation(seed, opts);
  console.log(
    `seed ${seed}: ${r.ok ? 'ok' : 'FAILED'} (${r.acknowledged} acknowledged, ${r.conflicts} conflicts, log ${r.logTxsRetained}/${r.logTxsTotal} txs retained, ${r.eventsRun} events, ${Date.now() - t0} ms)`,
  );
  if (!r.ok) {
    failed++;
    console.log(r.problems.join('\n'));
  }
}
process.exit(failed > 0 ? 1 : 0);
