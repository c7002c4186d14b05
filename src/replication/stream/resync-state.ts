// The snapshot bookkeeping a replicator keeps per peer: the peers that refused to stream the log to
// this node (it fell behind their retained log), which decide when this node needs a snapshot, and
// the peers this node pinned the log for while they install a snapshot it served, which retention
// must keep the log for without anything else counting them as holding that data.

import { coversVector, mergeVector, type Vector } from '../../log/records.js';

/** A snapshot pin lapses after this long (a receiver that never installed the copy). */
export const snapshotPinMs = 30 * 60_000;

export class ResyncState {
  /** Peers that refused to stream to us, with the floor of their retained log. */
  private readonly refusals = new Map<string, { floor: Vector; atMs: number }>();
  /** Peers receiving a snapshot from us: the vector the copy starts from. */
  private readonly pins = new Map<string, { vector: Vector; atMs: number }>();

  refused(peerId: string, floor: Vector, atMs: number): void {
    this.refusals.set(peerId, { floor, atMs });
  }

  clearRefusal(peerId: string): void {
    this.refusals.delete(peerId);
  }

  /**
   * Every linked peer refused to stream the log to us (a peer that still streams can bring us up to
   * date, and then the others accept us again): the first refusal, or null.
   */
  needsSnapshot(linked: () => string[]): { from: string; atMs: number } | null {
    // Asked before every local write (through the snapshot receiver): nothing to do when no refusal.
    if (this.refusals.size === 0 || !linked().every((id) => this.refusals.has(id))) return null;
    const [from, r] = [...this.refusals.entries()][0]!;
    return { from, atMs: r.atMs };
  }

  /** Refusing peers whose floor `applied` now covers; they are forgotten (they will stream again). */
  takeCovered(applied: ReadonlyMap<string, number>): string[] {
    const out: string[] = [];
    for (const [peerId, r] of this.refusals) {
      if (Object.entries(r.floor).some(([o, s]) => (applied.get(o) ?? 0) < s)) continue;
      this.refusals.delete(peerId);
      out.push(peerId);
    }
    return out;
  }

  pin(peerId: string, vector: Vector, atMs: number): void {
    this.pins.set(peerId, { vector, atMs });
  }

  /** The peer resynced from `acked`: once that covers its pin, it installed the copy. */
  resynced(peerId: string, acked: Vector): void {
    const pin = this.pins.get(peerId);
    if (pin && coversVector(acked, pin.vector)) this.pins.delete(peerId);
  }

  forget(peerId: string): void {
    this.refusals.delete(peerId);
    this.pins.delete(peerId);
  }

  /** What retention keeps the log for: acknowledgements, raised to the snapshot a peer installs. */
  retentionVectors(acks: ReadonlyMap<string, Vector>, nowMs: number): Map<string, Vector> {
    const out = new Map(acks);
    for (const [peer, pin] of this.pins) {
      if (nowMs - pin.atMs > snapshotPinMs) this.pins.delete(peer);
      else out.set(peer, mergeVector(out.get(peer) ?? {}, pin.vector));
    }
    return out;
  }
}
