// Runs a node the way `chorus server` does, for the CLI and for programs that embed ChorusDB: TCP
// peer, vote and witness links, a snapshot received from a peer installed before each open, and an
// in-process restart whenever the node asks for one (a failover changed its role, a snapshot waits),
// until stop(). With it a program runs a primary, a standby following one over the network, or a
// multi-primary master, and hears of failovers (seed 001's `watcher.on_failover`).

import type { PhysicalClock } from '../clock/clock.js';
import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { type ChorusNode, type ListenAddresses, type ListenerFactory, openNode } from '../node/node.js';
import {
  tcpNetworkFromConfig,
  voteNetworkFromConfig,
  witnessNetworkFromConfig,
} from '../node/tcp-network.js';
import type { VoterCarry } from '../replication/standby/lease.js';
import { prepareDataDir } from '../storage/engine/data-dir.js';
import { installPendingSnapshot } from '../storage/engine/snapshot-install.js';
import { standardListeners } from './listeners.js';

/** A failover this node took part in: the JSON a `LISTEN chorus_failover` session gets, parsed. */
export type FailoverNotice = Record<string, unknown>;

export interface RunNodeOptions {
  config: Config;
  clock?: PhysicalClock;
  /** Client listeners (default: the PostgreSQL wire server and the HTTP API, as configured). */
  listeners?: ListenerFactory;
  /** After each start and restart, once the node listens and replicates. */
  onReady?: (node: ChorusNode, addresses: ListenAddresses) => void;
  /**
   * This node was promoted (`event: 'failover'`) or started following a new primary
   * (`event: 'following'`); it restarts in-process right after.
   */
  onFailover?: (notice: FailoverNotice) => void;
  /** A restart failed: the runner has stopped (the CLI exits). Without it the error is only logged. */
  onFatal?: (err: unknown) => void;
}

/** Open a node, listen and start replicating; the node asks for restarts, which run one at a time. */
export async function runNode(opts: RunNodeOptions): Promise<NodeRunner> {
  const runner = new NodeRunner(opts);
  await runner.start();
  return runner;
}

export class NodeRunner {
  private current: ChorusNode | null = null;
  private stopping = false;
  /** Starts, restarts and the stop run one after another. */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly readyWaiters: (() => void)[] = [];
  private restarts = 0;

  constructor(private readonly opts: RunNodeOptions) {}

  /** The node running now (a restart replaces it); null between a close and the next open. */
  get node(): ChorusNode | null {
    return this.current;
  }

  /** In-process restarts so far (role changes, snapshot installs). */
  get restartCount(): number {
    return this.restarts;
  }

  /** First start; throws what opening or listening threw (a port in use, a bad data directory). */
  start(): Promise<void> {
    this.lifecycle = this.open();
    return this.lifecycle;
  }

  /** Resolves at the next (re)start that completes: a program waits out a role change with it. */
  nextReady(): Promise<void> {
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Close the node (clean shutdown) and take no more restarts. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.lifecycle.catch(() => undefined);
    const node = this.current;
    this.current = null;
    await node?.close();
  }

  private async open(carriedVoter: VoterCarry | null = null): Promise<void> {
    const { config } = this.opts;
    prepareDataDir(config.server.data_dir);
    const installed = installPendingSnapshot(config.server.data_dir);
    const node = openNode({
      config,
      network: tcpNetworkFromConfig,
      witnessNetwork: witnessNetworkFromConfig,
      voteNetwork: voteNetworkFromConfig,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      onRestart: (reason) => this.restart(reason),
      carriedVoter,
      ...(this.opts.onFailover ? { onFailover: this.opts.onFailover } : {}),
    });
    this.current = node;
    if (installed.installed)
      node.logger.info(
        { vector: node.engine.appliedVector(), previous: installed.previous },
        'snapshot installed',
      );
    else if (installed.refused) node.logger.error({ reason: installed.refused }, 'snapshot not installed');
    try {
      const addresses = await node.listen(this.opts.listeners ?? standardListeners);
      await node.startReplication();
      this.opts.onReady?.(node, addresses);
    } catch (e) {
      // A port in use is a configuration problem the caller reports in one line; the rest is logged.
      if (!(e instanceof ConfigError)) node.logger.error({ err: e }, 'failed to start listeners');
      this.current = null;
      await node.close();
      throw e;
    }
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private restart(reason: string): void {
    this.lifecycle = this.lifecycle.then(async () => {
      const node = this.current;
      if (this.stopping || !node) return;
      node.logger.warn({ reason }, 'restarting the node in-process');
      // Read after the close: a vote granted while the node closed is carried too.
      await node.close();
      const carry = node.voterCarry();
      this.current = null;
      this.restarts++;
      if (!this.stopping) await this.open(carry);
    });
    const logger = this.current?.logger;
    this.lifecycle.catch((err: unknown) => {
      this.stopping = true;
      logger?.error({ err }, 'restart failed: the node is stopped');
      this.opts.onFatal?.(err);
    });
  }
}
