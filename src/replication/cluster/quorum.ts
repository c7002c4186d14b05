// Quorum writes ([replication] require_quorum_for_writes, quorum_size): a node refuses to start a
// write when it cannot reach quorum_size - 1 peers (a minority partition never accepts writes), and
// a commit is acknowledged to the client only once quorum_size nodes, itself included, have durably
// applied it (peers ack after their apply transaction commits). Past quorum_timeout_ms the client
// gets 08007: the outcome is unknown — durable here, not yet confirmed elsewhere.

import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { Config } from '../../config/load.js';
import { ChorusError, ConfigError, NoWriteQuorumError, QuorumTimeoutError } from '../../errors.js';
import type { PeerNetwork } from '../link/link.js';
import { WitnessClient } from './witness.js';

/** Commits waiting for quorum at once; more are refused rather than queued without bound. */
export const quorumWaitersMax = 10_000;

export interface QuorumSource {
  /** Peers with a live, authenticated link now. */
  connectedPeers(): number;
  /** How many peers have acknowledged (durably applied) this node's transaction `seq`. */
  peersHaving(seq: number): number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class QuorumGate {
  private readonly waiters = new Set<Waiter>();
  /** The witness this node may get a vote from (use_witness_node), or null. */
  witness: WitnessClient | null = null;
  confirmed = 0;
  timedOut = 0;
  refused = 0;

  constructor(
    /** Nodes, this one included, that must have a write before it is acknowledged. */
    readonly size: number,
    readonly timeoutMs: number,
    private readonly timers: Timers,
    private readonly source: QuorumSource,
  ) {}

  /** Throws 25006 when this node cannot reach a quorum (checked before a write starts). */
  checkWritable(): void {
    const reachable = this.source.connectedPeers() + 1;
    if (reachable < this.size) {
      this.refused++;
      throw new NoWriteQuorumError(reachable, this.size);
    }
  }

  /** Resolves once `size` nodes hold this node's transaction `seq`; rejects with 08007 on timeout. */
  wait(seq: number): Promise<void> {
    if (this.source.peersHaving(seq) + 1 >= this.size) {
      this.confirmed++;
      return Promise.resolve();
    }
    if (this.waiters.size >= quorumWaitersMax)
      return Promise.reject(
        new ChorusError('53300', `too many commits (${quorumWaitersMax}) waiting for a quorum`),
      );
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        seq,
        resolve,
        reject,
        timer: this.timers.after(this.timeoutMs, () => {
          this.waiters.delete(w);
          this.timedOut++;
          reject(new QuorumTimeoutError(this.source.peersHaving(seq) + 1, this.size, this.timeoutMs));
        }),
      };
      this.waiters.add(w);
    });
  }

  /** Peers acknowledged something: release the commits that now have their quorum. */
  onAcks(): void {
    for (const w of this.waiters) {
      if (this.source.peersHaving(w.seq) + 1 < this.size) continue;
      w.timer.cancel();
      this.waiters.delete(w);
      this.confirmed++;
      w.resolve();
    }
  }

  get waiting(): number {
    return this.waiters.size;
  }
}

/**
 * The quorum of a node's config: quorum_size, or a majority of this node and its configured peers.
 * With a witness network (use_witness_node), the witness's vote counts as one more node while this
 * node holds its lease — asked for only while the masters it sees fall short of the quorum.
 */
export function quorumFromConfig(
  config: Config,
  configuredPeers: number,
  timers: Timers,
  replicator: {
    peerStates(): { peerId: string }[];
    readonly peerAcks: ReadonlyMap<string, Record<string, number>>;
  },
  nodeId: string,
  witnessNetwork: PeerNetwork | null = null,
  logger: Logger | null = null,
): QuorumGate {
  const r = config.replication;
  // The default is a majority of the voters: the masters, and the witness when there is one.
  const voters = configuredPeers + 1 + (witnessNetwork ? 1 : 0);
  const size = r.quorum_size ?? Math.floor(voters / 2) + 1;
  if (witnessNetwork && size * 2 <= voters) {
    // Two sides of a partition could each gather that many votes (the witness on one of them).
    throw new ConfigError(
      `replication.quorum_size = ${size} is not a majority of ${voters} voters (the masters and the witness)`,
      { hint: `Use quorum_size >= ${Math.floor(voters / 2) + 1} with use_witness_node.` },
    );
  }
  const masters = (): number => new Set(replicator.peerStates().map((p) => p.peerId)).size;
  let witness: WitnessClient | null = null;
  const vote = (): number => (witness?.holdsLease() ? 1 : 0);
  const gate = new QuorumGate(size, r.quorum_timeout_ms ?? r.replication_timeout_ms, timers, {
    connectedPeers: () => masters() + vote(),
    peersHaving: (seq) => {
      let n = vote();
      for (const acked of replicator.peerAcks.values()) if ((acked[nodeId] ?? 0) >= seq) n++;
      return n;
    },
  });
  if (witnessNetwork && logger) {
    witness = new WitnessClient(
      witnessNetwork,
      timers,
      logger,
      () => masters() + 1 < size,
      Math.max(1, r.witness_endpoints.length),
    );
    gate.witness = witness;
  }
  return gate;
}
