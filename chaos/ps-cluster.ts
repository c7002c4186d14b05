// A primary and its standbys as real processes for `chaos --mode primary-standby`: each standby
// dials the primary through a FaultProxy, every node reads its clock offset from a test-only file;
// and the nemesis of that mode (kill -9 / SIGSTOP of the primary or a standby, partitions isolating
// the primary or one standby, clock skew), one seeded fault at a time.

import { writeFileSync } from 'node:fs';
import { FaultProxy } from '../src/testing/fault-proxy.js';
import type { Random } from '../src/testing/random.js';
import { NodeProcess } from '../test/support/launcher.js';
import { clockSkewMaxMs } from './nemesis.js';
import { sleep, withClient } from './runner.js';

export const syncModes = ['async', 'semi-sync', 'sync'] as const;
export type SyncMode = (typeof syncModes)[number];

export const psNemesisNames = ['none', 'kill', 'pause', 'partition', 'clock', 'mixed'] as const;
export type PsNemesisName = (typeof psNemesisNames)[number];
type PsFaultKind = Exclude<PsNemesisName, 'none' | 'mixed'>;

const secret = 'chaos-primary-standby-secret';
/** How long the primary waits for its sync standbys before answering 08007 (indeterminate). */
export const psSyncTimeoutMs = 2_000;

export interface PsCluster {
  /** nodes[0] is the primary, the others its standbys. */
  nodes: NodeProcess[];
  /** proxies[i - 1] carries standby i's link to the primary. */
  proxies: FaultProxy[];
  stop(): Promise<void>;
}

export async function startPsCluster(opts: {
  standbys: number;
  syncMode: SyncMode;
  offsetFiles: string[];
}): Promise<PsCluster> {
  // Keep the whole log for the run: the checkers order the writes by the primary's log.
  const configToml = `[replication]\nlog_retention_min_ms = 86400000\n[ha]\nsync_timeout_ms = ${psSyncTimeoutMs}\n`;
  const nodes: NodeProcess[] = [];
  const proxies: FaultProxy[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await Promise.all(nodes.map((n) => n.cleanup().catch(() => undefined)));
  };
  try {
    const primary = await NodeProcess.start({
      nodeId: 'chaos-primary',
      extraArgs: ['--ha-mode', 'primary', '--ha-sync-mode', opts.syncMode],
      env: { CHORUS_CLUSTER_SECRET: secret, CHORUS_TEST_CLOCK_OFFSET_FILE: opts.offsetFiles[0]! },
      configToml,
    });
    nodes.push(primary);
    for (let i = 1; i <= opts.standbys; i++) {
      const proxy = await FaultProxy.start({ host: '127.0.0.1', port: primary.haPort });
      proxies.push(proxy);
      nodes.push(
        await NodeProcess.start({
          nodeId: `chaos-standby-${i}`,
          haBind: false,
          extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${proxy.port}`],
          env: { CHORUS_CLUSTER_SECRET: secret, CHORUS_TEST_CLOCK_OFFSET_FILE: opts.offsetFiles[i]! },
          configToml,
        }),
      );
    }
    const deadline = performance.now() + 30_000;
    for (;;) {
      const n = await withClient(primary.connectionString, 5_000, async (c) =>
        Number((await c.query('SELECT standby_count FROM pg_replication_status')).rows[0]?.standby_count),
      ).catch(() => 0);
      if (n === opts.standbys) break;
      if (performance.now() > deadline)
        throw new Error(`only ${n} standbys linked to the primary within 30 s`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, proxies, stop };
}

export interface PsFault {
  description: string;
  heal(): Promise<void>;
}

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

/** One fault at a time on the primary (mostly) or a standby; every choice from the seeded rng. */
export class PsNemesis {
  private readonly kinds: PsFaultKind[];

  constructor(
    private readonly cluster: PsCluster,
    private readonly offsetFiles: string[],
    private readonly rng: Random,
    name: PsNemesisName,
  ) {
    this.kinds = name === 'mixed' ? ['kill', 'pause', 'partition', 'clock'] : name === 'none' ? [] : [name];
  }

  get idle(): boolean {
    return this.kinds.length === 0;
  }

  /** The primary two times in three, else a standby. */
  private target(): number {
    const standbys = this.cluster.nodes.length - 1;
    return this.rng() < 2 / 3 || standbys === 0 ? 0 : 1 + Math.floor(this.rng() * standbys);
  }

  private static label(i: number): string {
    return i === 0 ? 'the primary' : `standby ${i}`;
  }

  async inject(): Promise<PsFault | null> {
    if (this.kinds.length === 0) return null;
    const kind = pick(this.rng, this.kinds);
    const i = this.target();
    const node = this.cluster.nodes[i]!;
    const label = PsNemesis.label(i);
    switch (kind) {
      case 'kill':
        await node.kill();
        return { description: `kill -9 ${label}`, heal: () => node.restart() };
      case 'pause':
        node.pause();
        return { description: `SIGSTOP ${label}`, heal: async () => node.resume() };
      case 'partition': {
        // Isolating the primary cuts every standby's link; isolating a standby cuts its own.
        const cut = i === 0 ? this.cluster.proxies : [this.cluster.proxies[i - 1]!];
        for (const p of cut) p.partition();
        return {
          description: `partition isolating ${label}`,
          heal: async () => {
            for (const p of cut) p.heal();
          },
        };
      }
      case 'clock': {
        const offsets = this.offsetFiles.map(() => Math.round((this.rng() * 2 - 1) * clockSkewMaxMs));
        for (const [k, ms] of offsets.entries()) writeFileSync(this.offsetFiles[k]!, String(ms));
        return {
          description: `clock skew ${offsets.map((o) => `${o} ms`).join(', ')}`,
          heal: async () => {
            for (const f of this.offsetFiles) writeFileSync(f, '0');
          },
        };
      }
    }
  }

  /** Undoes whatever might still be in effect (after the last fault, or on an error). */
  async healAll(): Promise<void> {
    for (const p of this.cluster.proxies) p.heal();
    for (const f of this.offsetFiles) writeFileSync(f, '0');
    for (const node of this.cluster.nodes) {
      if (!node.running) await node.restart();
      else if (node.isPaused) node.resume();
    }
  }
}
