// Prometheus gauges of primary/standby mode: the epoch (fencing token), the role, whether the
// primary holds its lease, what was refused for coming from an older epoch, and reads held for the
// standbys (linearizable reads).

import { Gauge, type Registry } from 'prom-client';
import type { EpochState } from './epoch.js';
import type { HaAgent } from './ha-agent.js';
import type { RoleState } from './role.js';
import type { SyncCommitGate } from './sync-gate.js';

export function registerHaMetrics(
  registry: Registry,
  role: RoleState,
  epoch: EpochState,
  agent: () => HaAgent | null,
  gate: () => SyncCommitGate | null = () => null,
): void {
  const registers = [registry];
  new Gauge({
    name: 'chorus_ha_epoch',
    help: 'Epoch of primary/standby mode (the fencing token); raised by every promotion',
    registers,
    collect() {
      this.set(epoch.current);
    },
  });
  new Gauge({
    name: 'chorus_ha_role',
    help: 'Role of this node in primary/standby mode: 1 for the role it has, 0 for the other',
    labelNames: ['role'],
    registers,
    collect() {
      this.set({ role: 'primary' }, role.role === 'primary' ? 1 : 0);
      this.set({ role: 'standby' }, role.role === 'standby' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'chorus_ha_lease_held',
    help: 'Whether this primary holds its lease from a quorum of voters (automatic failover); 0 elsewhere',
    registers,
    collect() {
      this.set(agent()?.holdsLease() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'chorus_ha_stale_epoch_refused',
    help: 'Batches and messages refused since start for coming from an older epoch (a deposed primary), and routed writes of another epoch',
    registers,
    collect() {
      this.set(epoch.refusedStale);
    },
  });
  new Gauge({
    name: 'chorus_ha_primary_silent_ms',
    help: 'Milliseconds since this standby last heard from its primary (a lease request) or a candidate it voted for; past ha.failover_timeout_ms it runs for primary',
    registers,
    collect() {
      const a = agent();
      this.set(a && role.role === 'standby' ? a.silentMs() : 0);
    },
  });
  new Gauge({
    name: 'chorus_ha_election_rounds_lost',
    help: 'Election rounds this standby ran and lost since start, by reason (own-vote-refused, late-reply, epoch-moved, voter-ahead, newer-epoch, timed-out)',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of agent()?.lostRounds ?? []) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'chorus_ha_votes_refused',
    help: 'Votes this node refused since start, by reason (epoch-not-newer, quiet-after-restart, leads, promised-elsewhere, epoch-not-durable, candidate-behind)',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of agent()?.voter.refusals ?? []) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'chorus_ha_reads_held',
    help: 'Reads on this primary held since start until its standbys held what they returned (ha.linearizable_reads)',
    registers,
    collect() {
      this.set(gate()?.heldReads ?? 0);
    },
  });
}
