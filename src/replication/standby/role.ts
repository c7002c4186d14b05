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

/** A standby's links, as cascading sees them: which peer is its upstream, and whether it serves others. */
export interface StandbyLinks {
  /** This peer is the node this standby follows (its --ha-primary: the primary or another standby). */
  isUpstream(peerId: string): boolean;
  /** This standby listens for standbys of its own (cascading) and ships them what it applied. */
  readonly serves: boolean;
}

export class RoleState {
  private current: HaRole;
  /** Set by the standby's machinery (cascade.ts); until then a standby takes from any peer, ships to none. */
  links: StandbyLinks | null = null;
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

  /**
   * The log is shipped to this peer: a primary ships to every linked peer, a cascading standby to
   * every peer but its upstream (what it applied, with the original stamps), any other standby to none.
   */
  shipsTo(peerId: string): boolean {
    if (this.current === 'primary') return true;
    return this.links?.serves === true && !this.links.isUpstream(peerId);
  }

  /** Replicated transactions are taken from this peer: a standby's upstream (a primary takes them from nobody). */
  acceptsFrom(peerId: string): boolean {
    return this.current === 'standby' && (this.links?.isUpstream(peerId) ?? true);
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
