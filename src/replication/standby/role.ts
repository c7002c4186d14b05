// The role of a node in primary/standby mode, in one place: what it may do (take client writes,
// ship its log, take a peer's log) follows from the role alone, and every change of role goes
// through transition(), which is where promotion and demotion (failover, fencing) plug in.

import { InternalError } from '../../errors.js';

/** A primary takes writes and ships its log; a standby applies its primary's log and takes no writes. */
export type HaRole = 'primary' | 'standby';

/** Role changes that exist (failover and switchover will call them; nothing does yet). */
const allowed: Record<HaRole, readonly HaRole[]> = {
  primary: ['standby'],
  standby: ['primary'],
};

export interface RoleChange {
  from: HaRole;
  to: HaRole;
  reason: string;
  atMs: number;
}

export class RoleState {
  private current: HaRole;
  /** When the node took its current role. */
  sinceMs: number;
  private readonly listeners: ((c: RoleChange) => void)[] = [];

  constructor(
    initial: HaRole,
    private readonly nowMs: () => number,
  ) {
    this.current = initial;
    this.sinceMs = nowMs();
  }

  get role(): HaRole {
    return this.current;
  }

  /** Client writes are taken (a standby refuses them with 25006, as a hot standby does). */
  get writable(): boolean {
    return this.current === 'primary';
  }

  /** The log is shipped to linked peers (a standby ships to nobody: cascading is not built yet). */
  shipsTo(_peerId: string): boolean {
    return this.current === 'primary';
  }

  /** Replicated transactions are taken from this peer (a primary takes them from nobody). */
  acceptsFrom(_peerId: string): boolean {
    return this.current === 'standby';
  }

  onChange(fn: (c: RoleChange) => void): void {
    this.listeners.push(fn);
  }

  /** Change role; throws on a change that does not exist. */
  transition(to: HaRole, reason: string): RoleChange {
    if (!allowed[this.current].includes(to))
      throw new InternalError(`no role change from ${this.current} to ${to}`);
    const change: RoleChange = { from: this.current, to, reason, atMs: this.nowMs() };
    this.current = to;
    this.sinceMs = change.atMs;
    for (const fn of this.listeners) fn(change);
    return change;
  }
}
