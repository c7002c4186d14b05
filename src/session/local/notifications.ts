// One session's LISTEN / UNLISTEN / NOTIFY with PostgreSQL 15's rules: inside a transaction they take
// effect at COMMIT (dropped by ROLLBACK and ROLLBACK TO), duplicate notifications of a transaction
// are folded, and received notifications wait in a bounded queue until the connection sends them.

import { ChorusError } from '../../errors.js';
import { T } from '../../sql/types/pg-types.js';
import type { BindValue } from '../read-protocol.js';
import type { ColumnInfo, StatementResult } from '../result.js';
import type { Notification, NotifyHub, NotifyListener } from './notify-hub.js';
import type { NotifyArg, NotifyStatement } from './notify-statement.js';

/** PostgreSQL's limit on a payload (NOTIFY_PAYLOAD_MAX_LENGTH: 8000 bytes, terminator included). */
export const notifyPayloadBytesMax = 7999;
/** A channel name is an identifier (NAMEDATALEN - 1 bytes). */
export const notifyChannelBytesMax = 63;
/**
 * Received notifications a session holds before its client reads them (channel and payload bytes).
 * PostgreSQL's one queue holds 8 GB; when a listener's queue is full, NOTIFY fails with 53400.
 */
export const notificationQueueBytesMax = 16 * 1024 * 1024;
/** Notifications one transaction may send before COMMIT (bytes): NOTIFY past it fails with 53400. */
export const transactionNotificationBytesMax = 16 * 1024 * 1024;

/** Channels whose LISTEN a standby accepts (PostgreSQL refuses every LISTEN during recovery). */
export const standbyChannelPrefix = 'chorus_';

/** What notifications need from their session. */
export interface NotificationsHost {
  readonly hub: NotifyHub;
  /** A transaction block (explicit or implicit) is open: effects wait for its COMMIT. */
  inBlock(): boolean;
  /** A standby (pg_is_in_recovery()). */
  inRecovery(): boolean;
}

type Action = { listen: boolean; channel: string } | { unlistenAll: true };

interface Mark {
  name: string;
  actions: number;
  pending: number;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const sizeOf = (n: Notification): number => bytes(n.channel) + bytes(n.payload);
const foldKey = (channel: string, payload: string): string => `${channel}\u0000${payload}`;
const tooMany = (): ChorusError => new ChorusError('53400', 'too many notifications in the NOTIFY queue');

export class SessionNotifications implements NotifyListener {
  /** Channels this session listens on (committed), in the order LISTEN added them. */
  private readonly listening = new Set<string>();
  private actions: Action[] = [];
  private pending: Notification[] = [];
  private pendingKeys = new Set<string>();
  private pendingBytes = 0;
  private marks: Mark[] = [];
  /** What the transaction that just ended with COMMIT does once its commit is durable. */
  private staged: { actions: Action[]; pending: Notification[] } | null = null;
  private readonly queue: Notification[] = [];
  private queuedBytes = 0;
  private pid = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly host: NotificationsHost) {}

  /** The connection: its backend pid (sent in BackendKeyData) and what to call when one arrives. */
  attach(pid: number, wake: () => void): void {
    this.pid = pid;
    this.wake = wake;
  }

  hasRoom(n: number): boolean {
    return this.queuedBytes + n <= notificationQueueBytesMax;
  }

  deliver(n: Notification): void {
    this.queue.push(n);
    this.queuedBytes += sizeOf(n);
    this.wake?.();
  }

  /** Received notifications not yet sent to the client, taken out of the queue. */
  take(): Notification[] {
    if (this.queue.length === 0) return [];
    const out = this.queue.splice(0);
    this.queuedBytes = 0;
    return out;
  }

  /** The columns of pg_notify() (void) and pg_listening_channels() (text); null for the others. */
  describe(st: NotifyStatement): ColumnInfo[] | null {
    if (st.kind !== 'notify-call' && st.kind !== 'listening-channels') return null;
    const type = st.kind === 'notify-call' ? T.void : T.text;
    return [{ name: st.column, declType: null, table: null, pgType: { type, typmod: -1 } }];
  }

  run(st: NotifyStatement, params: readonly BindValue[]): StatementResult {
    switch (st.kind) {
      case 'listen':
        if (this.host.inRecovery() && !st.channel.startsWith(standbyChannelPrefix))
          throw new ChorusError('25006', 'cannot execute LISTEN during recovery', {
            hint: `A standby accepts LISTEN only on channels starting with "${standbyChannelPrefix}" (chorus_failover).`,
          });
        this.act({ listen: true, channel: st.channel });
        return done('LISTEN');
      case 'unlisten':
        this.act(st.channel === null ? { unlistenAll: true } : { listen: false, channel: st.channel });
        return done('UNLISTEN');
      case 'notify':
        this.notify(st.channel, st.payload);
        return done('NOTIFY');
      case 'notify-call': {
        const channel = argText(st.channel, params);
        this.notify(channel ?? '', argText(st.payload, params) ?? '');
        return { tag: 'SELECT 1', columns: this.describe(st), rows: [['']], notices: [] };
      }
      case 'listening-channels': {
        const rows = [...this.listening].map((c) => [c]);
        return { tag: `SELECT ${rows.length}`, columns: this.describe(st), rows, notices: [] };
      }
    }
  }

  /** PostgreSQL's Async_Notify: checks, folding of duplicates in a transaction, the queue limits. */
  private notify(channel: string, payload: string): void {
    if (this.host.inRecovery()) throw new ChorusError('25006', 'cannot execute NOTIFY during recovery');
    if (channel === '') throw new ChorusError('22023', 'channel name cannot be empty');
    if (bytes(channel) > notifyChannelBytesMax) throw new ChorusError('22023', 'channel name too long');
    if (bytes(payload) > notifyPayloadBytesMax) throw new ChorusError('22023', 'payload string too long');
    if (channel.includes('\u0000') || payload.includes('\u0000'))
      throw new ChorusError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
    const n: Notification = { pid: this.pid, channel, payload };
    const key = foldKey(channel, payload);
    if (this.host.inBlock() && this.pendingKeys.has(key)) return;
    const size = sizeOf(n);
    if (this.pendingBytes + size > transactionNotificationBytesMax) throw tooMany();
    const onChannel = this.pending.filter((p) => p.channel === channel).reduce((a, p) => a + sizeOf(p), 0);
    if (!this.host.hub.hasRoom(new Map([[channel, onChannel + size]]))) throw tooMany();
    if (!this.host.inBlock()) {
      this.host.hub.publish([n]);
      return;
    }
    this.pending.push(n);
    this.pendingKeys.add(key);
    this.pendingBytes += size;
  }

  private act(a: Action): void {
    if (this.host.inBlock()) this.actions.push(a);
    else this.apply(a);
  }

  private apply(a: Action): void {
    const hub = this.host.hub;
    if ('unlistenAll' in a) {
      for (const c of this.listening) hub.unlisten(this, c);
      this.listening.clear();
    } else if (a.listen) {
      this.listening.add(a.channel);
      hub.listen(this, a.channel);
    } else {
      this.listening.delete(a.channel);
      hub.unlisten(this, a.channel);
    }
  }

  /** SAVEPOINT / RELEASE / ROLLBACK TO: what ROLLBACK TO undoes is what came after the savepoint. */
  savepoint(kind: string, name: string): void {
    if (kind === 'savepoint') {
      this.marks.push({ name, actions: this.actions.length, pending: this.pending.length });
      return;
    }
    let at = -1;
    for (let i = this.marks.length - 1; i >= 0 && at < 0; i--) if (this.marks[i]!.name === name) at = i;
    if (at < 0) return;
    if (kind === 'release') {
      this.marks.length = at;
      return;
    }
    const m = this.marks[at]!;
    this.marks.length = at + 1;
    this.actions.length = m.actions;
    this.pending.length = m.pending;
    this.pendingKeys = new Set(this.pending.map((p) => foldKey(p.channel, p.payload)));
    this.pendingBytes = this.pending.reduce((a, p) => a + sizeOf(p), 0);
  }

  /** The block ended: on COMMIT its effects wait for committed(); on ROLLBACK they are dropped. */
  transactionEnded(committed: boolean): void {
    this.staged = committed ? { actions: this.actions, pending: this.pending } : null;
    this.actions = [];
    this.pending = [];
    this.pendingKeys = new Set();
    this.pendingBytes = 0;
    this.marks = [];
  }

  /** The COMMIT is durable: its LISTEN / UNLISTEN take effect and its notifications go out, in order. */
  committed(): void {
    const s = this.staged;
    this.staged = null;
    if (!s) return;
    for (const a of s.actions) this.apply(a);
    if (s.pending.length > 0) this.host.hub.publish(s.pending);
  }

  /** UNLISTEN * now (DISCARD ALL, the session's end). */
  unlistenAll(): void {
    this.apply({ unlistenAll: true });
  }

  /** The session ended. */
  close(): void {
    this.unlistenAll();
    this.staged = null;
    this.wake = null;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

function done(tag: string): StatementResult {
  return { tag, columns: null, rows: [], notices: [] };
}

function argText(a: NotifyArg, params: readonly BindValue[]): string | null {
  const v = 'param' in a ? params[a.param - 1] : a.text;
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString() : String(v);
}
