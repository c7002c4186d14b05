// The divergence check: compare digests of rows (those involved in conflicts) with every peer and
// report rows whose content differs — what a non-deterministic resolver leaves behind.

import type { TimerHandle, Timers } from '../clock/timers.js';
import type { PeerMessage } from './link.js';

/** How long a check waits for peers' reports. */
export const divergenceTimeoutMs = 2_000;
/** Rows compared in one check. */
export const divergenceRowsMax = 10_000;

export interface DivergenceReport {
  peer: string;
  table: string;
  rowId: string;
  localDigest: string;
  peerDigest: string;
}

type Mismatch = [string, string, string, string];

export interface DivergencePeer {
  peerId: string;
  send(msg: PeerMessage): void;
}

export class DivergenceChecker {
  private readonly waiters = new Map<string, (peer: string, m: Mismatch[]) => void>();
  private seq = 0;

  constructor(
    private readonly nodeId: string,
    private readonly digest: (table: string, rowId: string) => string,
    private readonly timers: Timers,
  ) {}

  /** A peer asks: which of its digests differ from ours? */
  answer(msg: PeerMessage): PeerMessage {
    const items = ((msg.items as [string, string, string][]) ?? []).slice(0, divergenceRowsMax);
    const mismatches = items.flatMap(([t, pk, theirs]) => {
      const ours = this.digest(t, pk);
      return ours === theirs ? [] : [[t, pk, theirs, ours]];
    });
    return { t: 'digest_report', id: msg.id, mismatches };
  }

  report(peer: string, msg: PeerMessage): void {
    this.waiters.get(String(msg.id))?.(peer, (msg.mismatches as Mismatch[]) ?? []);
  }

  /**
   * Compare digests of the given rows with every connected peer. Meaningful once the cluster is
   * quiet (all changes applied everywhere): a mismatch then means the nodes resolved differently.
   */
  async check(
    rows: { table: string; rowId: string }[],
    peers: DivergencePeer[],
  ): Promise<{ reports: DivergenceReport[]; peersAsked: number; peersAnswered: number }> {
    const items = rows
      .slice(0, divergenceRowsMax)
      .map((r) => [r.table, r.rowId, this.digest(r.table, r.rowId)]);
    const id = `${this.nodeId}:${++this.seq}`;
    const reports: DivergenceReport[] = [];
    const answered = new Set<string>();
    await new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        timer?.cancel();
        resolve();
      };
      timer = this.timers.after(divergenceTimeoutMs, () => resolve());
      this.waiters.set(id, (peer, mismatches) => {
        answered.add(peer);
        for (const [table, rowId, localDigest, peerDigest] of mismatches)
          reports.push({ peer, table, rowId, localDigest, peerDigest });
        if (answered.size >= peers.length) done();
      });
      if (peers.length === 0) done();
      for (const p of peers) p.send({ t: 'digest_check', id, items });
    });
    this.waiters.delete(id);
    return { reports, peersAsked: peers.length, peersAnswered: answered.size };
  }
}
