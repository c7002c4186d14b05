// A primary, its standbys and an observer as real processes for `chaos --mode primary-standby`,
// with automatic failover on ([ha] nodes / observers / vote_bind): every vote link and the standbys'
// first replication links go through a FaultProxy; every node reads its clock offset from a
// test-only file. And the nemesis of that mode: kill -9 / SIGSTOP / isolation of whichever node is
// primary (or a standby), clock skew, one seeded fault at a time.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultProxy } from '../src/testing/fault-proxy.js';
import type { Random } from '../src/testing/random.js';
import { NodeProcess, startObserver } from '../test/support/launcher.js';
import { freePorts } from '../test/support/ports.js';
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
/** A fault on the primary lasts until another node was promoted, or this long at most. */
export const psFailoverWaitMs = 20_000;
/** With `settle`, the nemesis waits at most this long for every node to be linked again. */
export const psSettleWaitMs = 30_000;

/** A vote link: node `from` dials voter `to` (a node index, or nodes.length for the observer). */
export interface VoteLink {
  from: number;
  to: number;
  proxy: FaultProxy;
}

export interface PsCluster {
  /** nodes[0] starts as the primary, the others as its standbys; failovers move the role. */
  nodes: NodeProcess[];
  /** replProxies[i - 1] carries standby i's first replication link (to node 0). */
  replProxies: FaultProxy[];
  /** Every vote link, each through its own proxy (each node dials every other voter). */
  voteLinks: VoteLink[];
  /** Whether automatic failover is configured (an observer and vote links). */
  failover: boolean;
  stop(): Promise<void>;
}

export interface PsClusterOptions {
  standbys: number;
  syncMode: SyncMode;
  offsetFiles: string[];
  /** Automatic failover (default true); false: no [ha] nodes, the primary never moves. */
  failover?: boolean;
  /** CHORUS_TEST_FAILPOINTS of every node (planted bugs). */
  failpoints?: string;
}

export async function startPsCluster(opts: PsClusterOptions): Promise<PsCluster> {
  const failover = opts.failover !== false;
  const n = opts.standbys + 1;
  const nodes: NodeProcess[] = [];
  const replProxies: FaultProxy[] = [];
  const voteLinks: VoteLink[] = [];
  let observer: ChildProcess | null = null;
  const observerDir = mkdtempSync(path.join(tmpdir(), 'chorus-chaos-observer-'));
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...replProxies, ...voteLinks.map((l) => l.proxy)].map((p) => p.close().catch(() => undefined)),
    );
    await Promise.all(nodes.map((x) => x.cleanup().catch(() => undefined)));
    observer?.kill('SIGKILL');
    rmSync(observerDir, { recursive: true, force: true });
  };
  try {
    // Vote endpoints: one per node, the last the observer's. Node i lists the others through its
    // own proxies, so that a partition can cut each node's links (a node identifies its peers by
    // their node id in the handshake, not by address).
    const votePorts = await freePorts(n + 1);
    const at = (port: number): string => `127.0.0.1:${port}`;
    const voteToml = (self: number): string[] => {
      if (!failover) return [];
      const list = (to: number): string =>
        to === self
          ? at(votePorts[to]!)
          : at(voteLinks.find((l) => l.from === self && l.to === to)!.proxy.port);
      const dataNodes = Array.from({ length: n }, (_, j) => `"${list(j)}"`);
      return [
        `nodes = [${dataNodes.join(', ')}]`,
        `observers = ["${list(n)}"]`,
        `vote_bind = "${at(votePorts[self]!)}"`,
      ];
    };
    if (failover) {
      observer = await startObserver({
        nodeId: 'chaos-observer',
        bind: at(votePorts[n]!),
        dataDir: observerDir,
        secret,
      });
      for (let from = 0; from < n; from++)
        for (let to = 0; to <= n; to++)
          if (to !== from)
            voteLinks.push({
              from,
              to,
              proxy: await FaultProxy.start({ host: '127.0.0.1', port: votePorts[to]! }),
            });
    }
    // Keep the whole log for the run: the checkers order the writes by the final primary's log.
    const configToml = (self: number): string =>
      [
        '[replication]',
        'log_retention_min_ms = 86400000',
        '[ha]',
        `sync_mode = "${opts.syncMode}"`,
        `sync_timeout_ms = ${psSyncTimeoutMs}`,
        ...voteToml(self),
        '',
      ].join('\n');
    const env = (i: number): Record<string, string> => ({
      CHORUS_CLUSTER_SECRET: secret,
      CHORUS_TEST_CLOCK_OFFSET_FILE: opts.offsetFiles[i]!,
      ...(opts.failpoints ? { CHORUS_TEST_FAILPOINTS: opts.failpoints } : {}),
    });
    const primary = await NodeProcess.start({
      nodeId: 'chaos-n0',
      extraArgs: ['--ha-mode', 'primary'],
      env: env(0),
      configToml: configToml(0),
    });
    nodes.push(primary);
    for (let i = 1; i <= opts.standbys; i++) {
      const proxy = await FaultProxy.start({ host: '127.0.0.1', port: primary.haPort });
      replProxies.push(proxy);
      nodes.push(
        await NodeProcess.start({
          nodeId: `chaos-n${i}`,
          // Its own --ha-bind (default): where the others dial it once it is promoted.
          extraArgs: ['--ha-mode', 'standby', '--ha-primary', `127.0.0.1:${proxy.port}`],
          env: env(i),
          configToml: configToml(i),
        }),
      );
    }
    const deadline = performance.now() + 30_000;
    for (;;) {
      const linked = await withClient(primary.connectionString, 5_000, async (c) =>
        Number((await c.query('SELECT standby_count FROM pg_replication_status')).rows[0]?.standby_count),
      ).catch(() => 0);
      if (linked === opts.standbys) break;
      if (performance.now() > deadline)
        throw new Error(`only ${linked} standbys linked to the primary within 30 s`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, replProxies, voteLinks, failover, stop };
}

/** Whether the node answers as a primary (pg_is_in_recovery() false); null: no answer. */
export async function answersPrimary(node: NodeProcess, timeoutMs = 2_000): Promise<boolean | null> {
  if (!node.running || node.isPaused) return null;
  return withClient(node.connectionString, timeoutMs, async (c) => {
    const r = await c.query('SELECT pg_is_in_recovery() AS r');
    return r.rows[0]?.r === false;
  }).catch(() => null);
}

/** Index of a node that answers as primary now (the first found), or null. */
export async function findPrimary(cluster: PsCluster, except = -1): Promise<number | null> {
  const answers = await Promise.all(
    cluster.nodes.map((node, i) => (i === except ? Promise.resolve(null) : answersPrimary(node))),
  );
  const i = answers.indexOf(true);
  return i < 0 ? null : i;
}

export interface PsFault {
  description: string;
  /** Whether the fault hit the node that was primary when it began. */
  onPrimary: boolean;
  heal(): Promise<void>;
}

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

/**
 * One fault at a time on whichever node is primary (two times in three) or a standby; every
 * choice from the seeded rng. With failover on, a fault on the primary lasts until another node
 * was promoted (at most psFailoverWaitMs), then it heals: a killed node restarts with its old
 * command line and rejoins as a standby by itself.
 */
export class PsNemesis {
  private readonly kinds: PsFaultKind[];

  constructor(
    private readonly cluster: PsCluster,
    private readonly offsetFiles: string[],
    private readonly rng: Random,
    name: PsNemesisName,
    /** Before each fault, wait until one primary answers and every other node follows it. */
    private readonly settle = false,
  ) {
    this.kinds = name === 'mixed' ? ['kill', 'pause', 'partition', 'clock'] : name === 'none' ? [] : [name];
  }

  get idle(): boolean {
    return this.kinds.length === 0;
  }

  /** Cuts every proxied link of node i: its vote links both ways and its replication proxies. */
  private isolate(i: number): FaultProxy[] {
    const cut = this.cluster.voteLinks.filter((l) => l.from === i || l.to === i).map((l) => l.proxy);
    if (i === 0) cut.push(...this.cluster.replProxies);
    else cut.push(this.cluster.replProxies[i - 1]!);
    for (const p of cut) p.partition();
    return cut;
  }

  /** Waits until a node other than i answers as primary (bounded); false at the bound. */
  private async successorOf(i: number): Promise<boolean> {
    if (!this.cluster.failover) return false;
    const deadline = performance.now() + psFailoverWaitMs;
    while (performance.now() < deadline) {
      if ((await findPrimary(this.cluster, i)) !== null) return true;
      await sleep(100);
    }
    return false;
  }

  /** Whether exactly one node answers as primary and every other follows it (linked, its epoch known). */
  private async settled(): Promise<boolean> {
    const primary = await findPrimary(this.cluster);
    if (primary === null) return false;
    const primaryId = this.cluster.nodes[primary]!.nodeId;
    const linked = await Promise.all(
      this.cluster.nodes.map((node, i) =>
        i === primary
          ? Promise.resolve(true)
          : withClient(node.connectionString, 2_000, async (c) => {
              const r = await c.query('SELECT node_id, fencing_token FROM pg_replication_primary');
              return r.rows[0]?.node_id === primaryId && r.rows[0]?.fencing_token !== null;
            }).catch(() => false),
      ),
    );
    return linked.every((x) => x);
  }

  async inject(): Promise<PsFault | null> {
    if (this.kinds.length === 0) return null;
    if (this.settle) {
      const deadline = performance.now() + psSettleWaitMs;
      while (performance.now() < deadline && !(await this.settled())) await sleep(200);
    }
    const kind = pick(this.rng, this.kinds);
    const primary = await findPrimary(this.cluster);
    const onPrimary = this.rng() < 2 / 3 && primary !== null;
    const others = this.cluster.nodes.map((_, i) => i).filter((i) => i !== primary);
    const i = onPrimary ? primary! : pick(this.rng, others);
    const node = this.cluster.nodes[i]!;
    const label = `node ${i}${onPrimary ? ' (the primary)' : i === primary ? '' : ' (a standby)'}`;
    // A fault on the primary is healed once another node was promoted (or at the bound).
    const promoted = async (): Promise<void> => {
      if (onPrimary) await this.successorOf(i);
    };
    switch (kind) {
      case 'kill':
        await node.kill();
        return {
          description: `kill -9 ${label}`,
          onPrimary,
          heal: async () => {
            await promoted();
            await node.restart();
          },
        };
      case 'pause':
        node.pause();
        return {
          description: `SIGSTOP ${label}`,
          onPrimary,
          heal: async () => {
            await promoted();
            node.resume();
          },
        };
      case 'partition': {
        const cut = this.isolate(i);
        return {
          description: `partition isolating ${label}`,
          onPrimary,
          heal: async () => {
            await promoted();
            for (const p of cut) p.heal();
          },
        };
      }
      case 'clock': {
        const offsets = this.offsetFiles.map(() => Math.round((this.rng() * 2 - 1) * clockSkewMaxMs));
        for (const [k, ms] of offsets.entries()) writeFileSync(this.offsetFiles[k]!, String(ms));
        return {
          description: `clock skew ${offsets.map((o) => `${o} ms`).join(', ')}`,
          onPrimary: false,
          heal: async () => {
            for (const f of this.offsetFiles) writeFileSync(f, '0');
          },
        };
      }
    }
  }

  /** Undoes whatever might still be in effect (after the last fault, or on an error). */
  async healAll(): Promise<void> {
    for (const p of this.cluster.replProxies) p.heal();
    for (const l of this.cluster.voteLinks) l.proxy.heal();
    for (const f of this.offsetFiles) writeFileSync(f, '0');
    for (const node of this.cluster.nodes) {
      if (!node.running) await node.restart();
      else if (node.isPaused) node.resume();
    }
  }
}
