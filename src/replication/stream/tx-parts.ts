// Transactions larger than one batch travel in parts: the sender slices the entries within the
// batch limits; the receiver reassembles them (bounded), restarting cleanly when a reconnection
// resends a transaction from its first part.

import type { ReplTx } from '../../log/records.js';
import type { PeerMessage } from '../link/link.js';

/** Transactions being reassembled from parts at once (per node), and their total entries. */
export const assembliesMax = 64;
export const assemblyEntriesMax = 10_000_000;

/** Where the part starting at `offset` ends, within the entry and byte limits of a batch. */
export function nextPartEnd(tx: ReplTx, offset: number, batchEntries: number, batchBytesMax: number): number {
  let end = offset;
  let bytes = 0;
  while (end < tx.entries.length && end - offset < batchEntries) {
    const e = tx.entries[end]!;
    const size = (e.cols?.length ?? 0) + (e.pk?.length ?? 0) + e.tbl.length + 16;
    if (end > offset && bytes + size > batchBytesMax) break;
    bytes += size;
    end++;
  }
  return end;
}

/** The 'part' message carrying entries [offset, end) of tx. */
export function partMessage(tx: ReplTx, offset: number, end: number): PeerMessage {
  const { entries: _all, ...head } = tx;
  return { t: 'part', head, offset, entries: tx.entries.slice(offset, end), final: end >= tx.entries.length };
}

interface Assembly {
  head: Omit<ReplTx, 'entries'>;
  entries: ReplTx['entries'];
}

export type PartOutcome =
  | { kind: 'complete'; tx: ReplTx }
  | { kind: 'partial' }
  | { kind: 'error'; message: string };

export class TxAssembler {
  private readonly assemblies = new Map<string, Assembly>();

  add(msg: PeerMessage): PartOutcome {
    const head = msg.head as Omit<ReplTx, 'entries'>;
    const key = `${head.origin}:${head.seq}`;
    let a = this.assemblies.get(key);
    // A resend after reconnecting starts again at offset 0: drop what an earlier link delivered.
    if (a && Number(msg.offset) === 0) {
      this.assemblies.delete(key);
      a = undefined;
    }
    if (a && a.entries.length !== Number(msg.offset)) {
      this.assemblies.delete(key);
      return { kind: 'error', message: `part of ${key} arrived out of order` };
    }
    if (!a) {
      if (this.assemblies.size >= assembliesMax) {
        this.assemblies.clear();
        return { kind: 'error', message: `too many large transactions being received (${assembliesMax})` };
      }
      a = { head, entries: [] };
      this.assemblies.set(key, a);
    }
    for (const e of msg.entries as ReplTx['entries']) a.entries.push(e);
    if (a.entries.length > assemblyEntriesMax) {
      this.assemblies.delete(key);
      return { kind: 'error', message: `transaction ${key} exceeds ${assemblyEntriesMax} entries` };
    }
    if (!msg.final) return { kind: 'partial' };
    this.assemblies.delete(key);
    return { kind: 'complete', tx: { ...a.head, entries: a.entries } };
  }
}
