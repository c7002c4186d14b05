// The divergence check (replicate.check_divergence): compare digests of rows (those involved in
// conflicts) with every peer and report rows whose content differs — what a non-deterministic
// resolver leaves behind — and of every table without a primary key as a whole (row count and
// multiset digest, multiset-digest.ts), whose rows have no key to name them by. A protocol of its
// own on the peer links (digest_check / digest_report).

import type { TimerHandle, Timers } from '../../clock/timers.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';

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

/** row_id of a whole keyless table in a check and its reports; its digests read "<n> rows <hex>". */
export const keylessRowId = '(all rows)';

export interface DivergenceOptions {
  nodeId: string;
  /** The digest of one row's content (the Applier's rowDigest). */
  digest(table: string, rowId: string): string;
  /** The peers linked now. */
  peers(): PeerHandle[];
  /** A row that differs (recorded in replicate.failure_log). */
  onMismatch(report: DivergenceReport): void;
  timers: Timers;
  /** Tables without a primary key, compared whole, and the digest of one ("<n> rows <hex>"). */
  keyless?: { tables(): string[]; digest(table: string): Promise<string> };
}

export class DivergenceChecker implements PeerExtension {
  private readonly waiters = new Map<string, (peer: string, m: Mismatch[]) => void>();
  private seq = 0;

  readonly types: ReadonlySet<string> = new Set(['digest_check', 'digest_report']);

  constructor(private readonly o: DivergenceOptions) {}

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    if (msg.t === 'digest_check') void this.answer(msg).then((reply) => peer.send(reply));
    else this.report(peer.peerId, msg);
  }

  /** A peer asks: which of its digests differ from ours? */
  private async answer(msg: PeerMessage): Promise<PeerMessage> {
    const items = ((msg.items as [string, string, string][]) ?? []).slice(0, divergenceRowsMax);
    const mismatches: Mismatch[] = [];
    for (const [t, pk, theirs] of items) {
      const ours = await this.digestOf(t, pk);
      if (ours !== theirs) mismatches.push([t, pk, theirs, ours]);
    }
    return { t: 'digest_report', id: msg.id, mismatches };
  }

  private async digestOf(table: string, rowId: string): Promise<string> {
    if (rowId !== keylessRowId) return this.o.digest(table, rowId);
    try {
      return (await this.o.keyless?.digest(table)) ?? 'absent';
    } catch {
      return 'absent';
    }
  }

  private report(peer: string, msg: PeerMessage): void {
    this.waiters.get(String(msg.id))?.(peer, (msg.mismatches as Mismatch[]) ?? []);
  }

  /**
   * Compare digests of the given rows with every connected peer. Meaningful once the cluster is
   * quiet (all changes applied everywhere): a mismatch then means the nodes resolved differently.
   */
  async check(
    rows: { table: string; rowId: string }[],
  ): Promise<{ reports: DivergenceReport[]; peersAsked: number; peersAnswered: number }> {
    const peers = this.o.peers().filter((p) => !p.closed);
    const asked = [
      ...(this.o.keyless?.tables() ?? []).map((table) => ({ table, rowId: keylessRowId })),
      ...rows.filter((r) => r.rowId !== keylessRowId),
    ].slice(0, divergenceRowsMax);
    const items: [string, string, string][] = [];
    for (const r of asked) items.push([r.table, r.rowId, await this.digestOf(r.table, r.rowId)]);
    const id = `${this.o.nodeId}:${++this.seq}`;
    const reports: DivergenceReport[] = [];
    const answered = new Set<string>();
    await new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        timer?.cancel();
        resolve();
      };
      timer = this.o.timers.after(divergenceTimeoutMs, () => resolve());
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
    for (const r of reports) this.o.onMismatch(r);
    return { reports, peersAsked: peers.length, peersAnswered: answered.size };
  }
}
