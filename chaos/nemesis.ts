// The nemesis of a chaos run: injects one fault at a time into a cluster of real node processes and
// heals it — network partitions, latency, connection drops and slow links through the fault proxy on
// every peer link; SIGKILL and restart; SIGSTOP/SIGCONT; clock skew and strobe through each node's
// test-only offset file. Every choice comes from the run's seeded generator.

import { writeFileSync } from 'node:fs';
import type { Random } from '../src/testing/random.js';
import type { Cluster } from '../test/support/cluster.js';

export const nemesisNames = ['none', 'partition', 'kill', 'pause', 'clock', 'link', 'mixed'] as const;
export type NemesisName = (typeof nemesisNames)[number];
type FaultKind = Exclude<NemesisName, 'none' | 'mixed'>;
const faultKinds: FaultKind[] = ['partition', 'kill', 'pause', 'clock', 'link'];

/** Largest clock offset the clock nemesis applies (well inside the HLC's 60 s forward-skew bound). */
export const clockSkewMaxMs = 5_000;
/** Period of a clock strobe (the offset flips sign this often). */
export const clockStrobePeriodMs = 50;

export interface ActiveFault {
  kind: FaultKind;
  description: string;
  heal(): Promise<void>;
}

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

function shuffled<T>(rng: Random, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export class Nemesis {
  private readonly kinds: FaultKind[];

  constructor(
    private readonly cluster: Cluster,
    private readonly offsetFiles: string[],
    private readonly rng: Random,
    name: NemesisName,
  ) {
    this.kinds = name === 'mixed' ? faultKinds : name === 'none' ? [] : [name];
  }

  get idle(): boolean {
    return this.kinds.length === 0;
  }

  async inject(): Promise<ActiveFault | null> {
    if (this.kinds.length === 0) return null;
    const kind = pick(this.rng, this.kinds);
    switch (kind) {
      case 'partition':
        return this.partition();
      case 'kill':
        return this.kill();
      case 'pause':
        return this.pause();
      case 'clock':
        return this.clock();
      case 'link':
        return this.link();
    }
  }

  private partition(): ActiveFault {
    const n = this.cluster.nodes.length;
    const order = shuffled(
      this.rng,
      Array.from({ length: n }, (_, i) => i),
    );
    // side: 0 or 1; a bridge node (side 2) keeps its links to both halves.
    const side = new Array<number>(n).fill(0);
    const shapes = n >= 3 ? ['halves', 'one', 'bridge'] : ['one'];
    const shape = pick(this.rng, shapes);
    if (shape === 'one') side[order[0]!] = 1;
    else {
      const cut = Math.floor(n / 2);
      order.forEach((node, i) => {
        side[node] = i < cut ? 1 : 0;
      });
      if (shape === 'bridge') side[order[cut]!] = 2;
    }
    const cutEdges = this.cluster.edges.filter(
      ([a, b]) => side[a] !== side[b] && side[a] !== 2 && side[b] !== 2,
    );
    for (const [a, b] of cutEdges) this.cluster.proxy(a, b).partition();
    const groups = [0, 1, 2]
      .map((s) => side.flatMap((x, i) => (x === s ? [i] : [])))
      .filter((g) => g.length > 0);
    return {
      kind: 'partition',
      description: `partition (${shape}): ${groups.map((g) => `{${g.join(',')}}`).join(' | ')}`,
      heal: async () => {
        for (const [a, b] of cutEdges) this.cluster.proxy(a, b).heal();
      },
    };
  }

  private async kill(): Promise<ActiveFault> {
    const i = Math.floor(this.rng() * this.cluster.nodes.length);
    const node = this.cluster.nodes[i]!;
    await node.kill();
    return {
      kind: 'kill',
      description: `kill -9 node ${i}`,
      heal: async () => {
        await node.restart();
      },
    };
  }

  private pause(): ActiveFault {
    const i = Math.floor(this.rng() * this.cluster.nodes.length);
    const node = this.cluster.nodes[i]!;
    node.pause();
    return { kind: 'pause', description: `SIGSTOP node ${i}`, heal: async () => node.resume() };
  }

  private clock(): ActiveFault {
    const n = this.cluster.nodes.length;
    const write = (i: number, ms: number): void =>
      writeFileSync(this.offsetFiles[i]!, String(Math.trunc(ms)));
    const reset = async (): Promise<void> => {
      for (let i = 0; i < n; i++) write(i, 0);
    };
    if (this.rng() < 0.5) {
      const offsets = Array.from({ length: n }, () => Math.round((this.rng() * 2 - 1) * clockSkewMaxMs));
      for (const [i, ms] of offsets.entries()) write(i, ms);
      return {
        kind: 'clock',
        description: `clock skew ${offsets.map((o) => `${o} ms`).join(', ')}`,
        heal: reset,
      };
    }
    const i = Math.floor(this.rng() * n);
    const amplitude = Math.round(clockSkewMaxMs / 2);
    let sign = 1;
    const timer = setInterval(() => {
      sign = -sign;
      write(i, sign * amplitude);
    }, clockStrobePeriodMs);
    return {
      kind: 'clock',
      description: `clock strobe on node ${i}: ±${amplitude} ms every ${clockStrobePeriodMs} ms`,
      heal: async () => {
        clearInterval(timer);
        await reset();
      },
    };
  }

  private link(): ActiveFault {
    const proxies = this.cluster.edges.map(([a, b]) => this.cluster.proxy(a, b));
    const mode = pick(this.rng, ['latency', 'drops', 'slow'] as const);
    const latencyMs = 20 + Math.floor(this.rng() * 130);
    const drop = 0.01 + this.rng() * 0.04;
    const bytesPerSecond = 20_000 + Math.floor(this.rng() * 80_000);
    for (const [k, p] of proxies.entries()) {
      if (mode === 'latency') p.setLatency(latencyMs);
      else if (mode === 'drops') p.setDropProbability(drop, Math.floor(this.rng() * 2 ** 31) + k);
      else p.slow(bytesPerSecond);
    }
    const description =
      mode === 'latency'
        ? `latency ${latencyMs} ms on every peer link`
        : mode === 'drops'
          ? `peer connections cut with probability ${drop.toFixed(3)} per chunk`
          : `peer links slowed to ${bytesPerSecond} B/s`;
    return {
      kind: 'link',
      description,
      heal: async () => {
        for (const p of proxies) {
          p.setLatency(0);
          p.setDropProbability(0);
          p.slow(0);
        }
      },
    };
  }
}
