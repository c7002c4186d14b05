// The node's LISTEN / NOTIFY exchange: which sessions listen on which channel, and the delivery of
// committed notifications to them (node-local, as in PostgreSQL: notifications are not replicated).

/** One notification as the client receives it (NotificationResponse). */
export interface Notification {
  /** The sending backend's process id (BackendKeyData); 0 for the node's own (chorus_failover). */
  pid: number;
  channel: string;
  payload: string;
}

/** A listening session's side: takes notifications into its queue. */
export interface NotifyListener {
  /** Room in the session's queue for `n` more notifications. */
  hasRoom(n: number): boolean;
  deliver(n: Notification): void;
}

export class NotifyHub {
  private readonly channels = new Map<string, Set<NotifyListener>>();

  listen(l: NotifyListener, channel: string): void {
    const set = this.channels.get(channel) ?? new Set<NotifyListener>();
    this.channels.set(channel, set);
    set.add(l);
  }

  unlisten(l: NotifyListener, channel: string): void {
    const set = this.channels.get(channel);
    if (!set) return;
    set.delete(l);
    if (set.size === 0) this.channels.delete(channel);
  }

  /** Whether every listener of the channels named has room for what is sent on them (NOTIFY checks before queuing). */
  hasRoom(counts: ReadonlyMap<string, number>): boolean {
    const need = new Map<NotifyListener, number>();
    for (const [channel, n] of counts)
      for (const l of this.channels.get(channel) ?? []) need.set(l, (need.get(l) ?? 0) + n);
    for (const [l, n] of need) if (!l.hasRoom(n)) return false;
    return true;
  }

  /**
   * The node's own notification (chorus_failover) to every listener of its channel that has room
   * for it; returns how many listeners had none (their client does not read).
   */
  publishFromNode(channel: string, payload: string): number {
    const n: Notification = { pid: 0, channel, payload };
    const size = Buffer.byteLength(channel) + Buffer.byteLength(payload);
    let full = 0;
    for (const l of this.channels.get(channel) ?? []) {
      if (l.hasRoom(size)) l.deliver(n);
      else full++;
    }
    return full;
  }

  /** A committed transaction's notifications, in order, to every session listening on their channels. */
  publish(notes: readonly Notification[]): void {
    for (const n of notes) for (const l of this.channels.get(n.channel) ?? []) l.deliver(n);
  }
}
