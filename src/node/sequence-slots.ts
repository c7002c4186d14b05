// Which values of every sequence this node hands out: all of them with one writer; with several
// (multi-primary) the node's slot, configured or derived from the configured masters list.

import type { Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { type SequenceSlots, singleWriterSlots } from '../storage/sequences/sequence-math.js';

export function sequenceSlotsOf(config: Config, nodeId: string): SequenceSlots | 'unconfigured' {
  if (config.haMode !== 'multi-primary') return singleWriterSlots;
  const r = config.replication;
  if (r.sequence_slot !== undefined || r.sequence_slots !== undefined) {
    const slots = r.sequence_slots ?? 0;
    const slot = r.sequence_slot ?? -1;
    if (slot < 0 || slot >= slots) {
      throw new ConfigError(
        `replication.sequence_slot (${r.sequence_slot}) must be set, and below replication.sequence_slots (${r.sequence_slots})`,
      );
    }
    return { count: BigInt(slots), slot: BigInt(slot) };
  }
  const self = r.local_master_id ?? nodeId;
  const ids = [...new Set([...r.masters.map((m) => m.master_id), self])].sort();
  if (r.masters.length === 0 || !r.masters.some((m) => m.master_id === self)) return 'unconfigured';
  return { count: BigInt(ids.length), slot: BigInt(ids.indexOf(self)) };
}
