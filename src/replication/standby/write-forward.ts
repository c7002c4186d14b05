// Write routing's peer protocol, both ends: a standby forwards a client session's writes (whole
// transactions, from their first write to their end) to the primary over the authenticated peer
// link; the primary runs them in a session of its own per forwarded client session and streams
// the results back, with the commit's position (the primary's commit count) for read-your-writes.
// Every request carries the standby's epoch: the primary runs only requests of its own epoch.

import type { Timers } from '../../clock/timers.js';
import { ChorusError } from '../../errors.js';
import type { PeerMessage } from '../link/link.js';
import type { PeerExtension, PeerHandle } from '../link/peer-extension.js';
import { type EpochState, epochOf } from './epoch.js';

/** What routing needs of the node's epoch (epoch.ts): read it, compare, count refusals. */
export type ForwardEpoch = Pick<EpochState, 'current' | 'compare' | 'refusedStale'>;

/** Forwarded client sessions one standby may hold open on the primary at once. */
export const forwardedSessionsPerStandbyMax = 256;
/** Bytes of statement text (and parameters, and a COPY chunk's rows) one forwarded request may carry. */
export const forwardStatementBytesMax = 1024 * 1024;
/** Rows per reply message: larger results stream in chunks of this many rows. */
export const forwardRowsPerChunkMax = 1000;
/**
 * Bytes (as rowBytes counts them) of the rows one routed statement may return (more: 54000, and the
 * statement is undone); `[ha] routed_result_bytes_max` on a node lowers or raises it.
 */
export const forwardResultBytesMax = 64 * 1024 * 1024;
/** How long a standby waits for the primary's reply before the outcome is reported unknown. */
export const forwardReplyTimeoutMs = 300_000;
/** Read-your-writes waits at once per standby. */
export const positionWaitersMax = 10_000;

/** One statement to run upstream: simple-protocol text, or text with parameters (extended protocol). */
export interface ForwardedStatement {
  text: string;
  simple: boolean;
  params: unknown[];
  oids: number[];
  /** A COPY FROM chunk: the statement runs once per row of values here (params unused); one result. */
  batch?: unknown[][];
}

/** The size of a row as the result limit counts it: text and byte lengths, 8 per other value. */
export function rowBytes(row: readonly unknown[]): number {
  let n = 0;
  for (const v of row) {
    if (typeof v === 'string') n += v.length;
    else if (v instanceof Uint8Array) n += v.byteLength;
    else if (v !== null && typeof v === 'object') n += JSON.stringify(v)?.length ?? 8;
    else n += 8;
  }
  return n;
}

/** Bytes of a request's statements as forwardStatementBytesMax counts them. */
function requestBytes(stmts: readonly ForwardedStatement[]): number {
  let n = 0;
  for (const s of stmts) {
    n += String(s.text).length;
    if (Array.isArray(s.params)) n += rowBytes(s.params);
    if (Array.isArray(s.batch)) for (const r of s.batch) n += Array.isArray(r) ? rowBytes(r) : 8;
  }
  return n;
}

/** A statement's result as it travels: opaque to this file (session/ encodes and decodes it). */
export type ForwardedResult = Record<string, unknown>;

/** The error of a forwarded statement, with PostgreSQL's fields. */
export interface ForwardedError {
  sqlstate: string;
  message: string;
  [field: string]: unknown;
}

export type UpstreamStatus = 'I' | 'T' | 'E';

export interface ForwardReply {
  results: ForwardedResult[];
  error: ForwardedError | null;
  status: UpstreamStatus;
  /** Position of the last commit this request made upstream, or null. */
  lsn: number | null;
}

/** The primary's session for one forwarded client session (session/write-routing/forward-runner.ts makes them). */
export interface ForwardedSession {
  /**
   * Settings the client SET (and RESET) since the last request; `local`: its open block's SET LOCAL
   * values, which hold for the statements of the request that run in a block.
   */
  applySettings(settings: [string, string][], reset: string[], local?: [string, string][]): void;
  /**
   * Run one statement; results go to onResult; throws the statement's error. A result past
   * resultBytesMax (rowBytes) is an error (54000) and the statement is undone.
   */
  run(
    stmt: ForwardedStatement,
    resultBytesMax: number,
    onResult: (r: ForwardedResult, rows: unknown[][]) => void,
  ): Promise<void>;
  readonly txStatus: UpstreamStatus;
  readonly lastCommitLsn: number | null;
  /** CancelRequest of the client: cancel the statement running now. */
  cancel(): void;
  close(): void;
}

export interface ForwardRunner {
  open(user: string, startup: Record<string, string>): ForwardedSession;
}

function errorOf(e: unknown): ForwardedError {
  if (e instanceof ChorusError) {
    const { sqlstate, message, detail, hint, position, schema, table, column, dataType, constraint } = e;
    const out: ForwardedError = { sqlstate, message };
    for (const [k, v] of Object.entries({
      detail,
      hint,
      position,
      schema,
      table,
      column,
      dataType,
      constraint,
    }))
      if (v !== undefined) out[k] = v;
    return out;
  }
  return { sqlstate: 'XX000', message: e instanceof Error ? e.message : String(e) };
}

/** The error a standby's client gets for a forwarded statement's error. */
export function forwardedError(e: ForwardedError): ChorusError {
  const s = (k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  return new ChorusError(e.sqlstate, e.message, {
    detail: s('detail'),
    hint: s('hint'),
    position: typeof e.position === 'number' ? e.position : undefined,
    schema: s('schema'),
    table: s('table'),
    column: s('column'),
    dataType: s('dataType'),
    constraint: s('constraint'),
  });
}

interface Upstream {
  session: ForwardedSession;
  /** Requests of one client session run one after another. */
  chain: Promise<void>;
}

/**
 * The SQLSTATE of a routed write refused for coming from another epoch (a failover happened):
 * serialization_failure, which clients retry; nothing ran.
 */
export const staleEpochSqlstate = '40001';

/** Set on the refusal of a request whose routed session the primary no longer holds (nothing ran). */
export const sessionLostField = 'routedSessionLost';

/** The primary's end: runs forwarded statements in a session of its own per client session. */
export class ForwardServer implements PeerExtension {
  readonly types = new Set(['fwd_req', 'fwd_close', 'fwd_cancel']);
  private readonly sessions = new Map<string, Map<number, Upstream>>();
  runner: ForwardRunner | null = null;
  /** Requests run, and refused (not the primary, limits, another epoch). */
  served = 0;
  refused = 0;

  constructor(
    private readonly isPrimary: () => boolean,
    private readonly epoch: ForwardEpoch,
    /** A standby routed a write from a newer epoch than this node's: it was deposed (fence it). */
    private readonly onNewerEpoch: (epoch: number, peerId: string) => void,
    /** This node's limit on a routed statement's result (a request may ask for less). */
    private readonly resultBytesMax: number = forwardResultBytesMax,
  ) {}

  onMessage(peer: PeerHandle, msg: PeerMessage): void {
    const sid = Number(msg.sid);
    if (!Number.isSafeInteger(sid)) return;
    const own = this.sessions.get(peer.peerId);
    if (msg.t === 'fwd_cancel') {
      own?.get(sid)?.session.cancel();
      return;
    }
    if (msg.t === 'fwd_close') {
      const u = own?.get(sid);
      if (!u) return;
      own!.delete(sid);
      void u.chain.then(() => u.session.close());
      return;
    }
    const rid = Number(msg.rid);
    const fail = (e: ForwardedError): void => {
      this.refused++;
      peer.send({ t: 'fwd_end', sid, rid, error: e, status: 'I', lsn: null });
    };
    if (!this.isPrimary() || !this.runner) {
      fail({ sqlstate: '25006', message: 'cannot route a write: this node is no longer the primary' });
      return;
    }
    const epoch = epochOf(msg.epoch);
    const verdict = this.epoch.compare(epoch);
    if (verdict !== 'same') {
      // A failover happened that one side has not learned of yet: nothing runs, and the routed
      // session here (an open block) is rolled back, as after a dropped link.
      this.epoch.refusedStale++;
      const u = own?.get(sid);
      if (u) {
        own!.delete(sid);
        void u.chain.then(() => u.session.close());
      }
      const current = this.epoch.current;
      fail({
        sqlstate: staleEpochSqlstate,
        message:
          verdict === 'older'
            ? `cannot route a write: a failover happened (this standby is in epoch ${epoch}, the primary in epoch ${current}); it was not run`
            : `cannot route a write: a failover happened (this standby is in epoch ${epoch}, its primary was deposed in epoch ${current}); it was not run`,
        hint: 'Run the transaction again once the standby follows the new primary.',
      });
      if (verdict === 'newer') this.onNewerEpoch(epoch, peer.peerId);
      return;
    }
    const stmts = Array.isArray(msg.stmts) ? (msg.stmts as ForwardedStatement[]) : [];
    const bytes = requestBytes(stmts);
    if (bytes > forwardStatementBytesMax) {
      fail({
        sqlstate: '54000',
        message: `routed request is too long (${bytes} bytes, limit ${forwardStatementBytesMax})`,
      });
      return;
    }
    const sessions = own ?? new Map<number, Upstream>();
    if (!own) this.sessions.set(peer.peerId, sessions);
    let u = sessions.get(sid);
    if (!u && msg.cont === true) {
      // The standby's session ran here before and this node dropped it (a link of that standby
      // closed: its sessions, an open block with them, were rolled back): running this in a new
      // session would commit the rest of a block whose start is gone, or lose its settings.
      fail({
        sqlstate: '08006',
        message:
          'cannot route a write: the primary no longer holds this routed session (an open transaction of it was rolled back); it was not run',
        hint: 'ROLLBACK, then run the transaction again.',
        [sessionLostField]: true,
      });
      return;
    }
    if (!u) {
      if (sessions.size >= forwardedSessionsPerStandbyMax) {
        fail({
          sqlstate: '53300',
          message: `too many routed sessions from standby "${peer.peerId}" (limit ${forwardedSessionsPerStandbyMax})`,
        });
        return;
      }
      const startup = (msg.startup ?? {}) as Record<string, string>;
      try {
        u = { session: this.runner.open(String(msg.user ?? ''), startup), chain: Promise.resolve() };
      } catch (e) {
        fail(errorOf(e));
        return;
      }
      sessions.set(sid, u);
    }
    const up = u;
    up.chain = up.chain.then(() => this.serve(peer, sid, rid, up, msg, stmts));
  }

  private async serve(
    peer: PeerHandle,
    sid: number,
    rid: number,
    u: Upstream,
    msg: PeerMessage,
    stmts: ForwardedStatement[],
  ): Promise<void> {
    this.served++;
    const before = u.session.lastCommitLsn;
    let error: ForwardedError | null = null;
    const asked = Number(msg.resultBytesMax);
    const limit =
      Number.isSafeInteger(asked) && asked > 0 ? Math.min(asked, this.resultBytesMax) : this.resultBytesMax;
    try {
      u.session.applySettings(
        (msg.settings ?? []) as [string, string][],
        (msg.reset ?? []) as string[],
        Array.isArray(msg.local) ? (msg.local as [string, string][]) : [],
      );
      for (const stmt of stmts) {
        await u.session.run(stmt, limit, (result, rows) => {
          for (let i = 0; i + forwardRowsPerChunkMax < rows.length; i += forwardRowsPerChunkMax)
            peer.send({ t: 'fwd_rows', sid, rid, rows: rows.slice(i, i + forwardRowsPerChunkMax) });
          const tail = rows.length - (rows.length % forwardRowsPerChunkMax || forwardRowsPerChunkMax);
          peer.send({ t: 'fwd_stmt', sid, rid, result, rows: rows.slice(Math.max(0, tail)) });
        });
      }
    } catch (e) {
      error = errorOf(e);
    }
    const lsn = u.session.lastCommitLsn;
    peer.send({
      t: 'fwd_end',
      sid,
      rid,
      error,
      status: u.session.txStatus,
      lsn: lsn !== before ? lsn : null,
    });
  }

  /** The standby's link dropped: its forwarded sessions end (an open transaction rolls back). */
  onClose(peerId: string): void {
    const own = this.sessions.get(peerId);
    if (!own) return;
    this.sessions.delete(peerId);
    for (const u of own.values()) void u.chain.then(() => u.session.close());
  }

  /** Forwarded sessions open now. */
  get open(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.size;
    return n;
  }
}

interface Pending {
  sid: number;
  results: ForwardedResult[];
  rows: unknown[][];
  /** Bytes (rowBytes) of the rows gathered for the statement now arriving. */
  bytes: number;
  resolve(r: ForwardReply): void;
  reject(e: Error): void;
  timer: { cancel(): void };
}

export interface ForwardClientParts {
  /** The open link to the primary, if any. */
  primaryLink(): PeerHandle | null;
  /** This standby's applied position in the primary's history. */
  position(): number;
  timers: Timers;
  /** The epoch this standby knows (stamped on every request). */
  epoch: ForwardEpoch;
  /** Bytes of rows one routed statement may return (forwardResultBytesMax by default). */
  resultBytesMax?: number;
}

/** The standby's end: sends requests, gathers replies, and waits for positions (read-your-writes). */
export class ForwardClient implements PeerExtension {
  readonly types = new Set(['fwd_rows', 'fwd_stmt', 'fwd_end']);
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;
  private nextSid = 1;
  /** Bumped when the link to the primary drops: upstream sessions opened before are gone. */
  generation = 0;
  private readonly waiters = new Set<{ lsn: number; done: (ok: boolean) => void }>();

  constructor(private readonly p: ForwardClientParts) {}

  newSessionId(): number {
    return this.nextSid++;
  }

  get resultBytesMax(): number {
    return this.p.resultBytesMax ?? forwardResultBytesMax;
  }

  position(): number {
    return this.p.position();
  }

  /** Run statements upstream for client session `sid`; rejects with 08006/08007 if the link fails. */
  request(
    sid: number,
    head: {
      user: string;
      startup: Record<string, string>;
      settings: [string, string][];
      reset: string[];
      local?: [string, string][];
      /** This session ran requests upstream before: the primary must still hold it (else 08006, nothing runs). */
      cont?: boolean;
    },
    stmts: ForwardedStatement[],
  ): Promise<ForwardReply> {
    const link = this.p.primaryLink();
    if (!link || link.closed)
      return Promise.reject(
        new ChorusError('08006', 'cannot route a write to the primary: this standby is not connected to it', {
          hint: 'Retry once the standby is connected again, or connect to the primary.',
        }),
      );
    const rid = this.nextRid++;
    return new Promise<ForwardReply>((resolve, reject) => {
      const timer = this.p.timers.after(forwardReplyTimeoutMs, () => {
        this.pending.delete(rid);
        reject(
          new ChorusError(
            '08007',
            `the primary did not answer a routed statement within ${forwardReplyTimeoutMs} ms: its outcome is unknown`,
          ),
        );
      });
      this.pending.set(rid, { sid, results: [], rows: [], bytes: 0, resolve, reject, timer });
      link.send({
        t: 'fwd_req',
        sid,
        rid,
        epoch: this.p.epoch.current,
        resultBytesMax: this.resultBytesMax,
        ...head,
        stmts,
      });
    });
  }

  close(sid: number): void {
    this.p.primaryLink()?.send({ t: 'fwd_close', sid });
  }

  /** The client canceled: the primary cancels its session's running statement. */
  cancel(sid: number): void {
    this.p.primaryLink()?.send({ t: 'fwd_cancel', sid });
  }

  onMessage(_peer: PeerHandle, msg: PeerMessage): void {
    const w = this.pending.get(Number(msg.rid));
    if (!w) return;
    if (msg.t === 'fwd_rows' || msg.t === 'fwd_stmt') {
      const rows = Array.isArray(msg.rows) ? (msg.rows as unknown[][]) : [];
      for (const r of rows) w.bytes += rowBytes(r);
      if (w.bytes > 2 * this.resultBytesMax) {
        // The primary enforces the limit the request named (and undoes the statement); a reply far
        // past it (a primary that does not) is not gathered. Its outcome is unknown here.
        this.pending.delete(Number(msg.rid));
        w.timer.cancel();
        w.reject(
          new ChorusError(
            '08007',
            `the primary sent a routed result past ${this.resultBytesMax} bytes: its outcome is unknown`,
          ),
        );
        return;
      }
      for (const r of rows) w.rows.push(r);
      if (msg.t === 'fwd_stmt') {
        w.results.push({ ...(msg.result as ForwardedResult), rows: w.rows });
        w.rows = [];
        w.bytes = 0;
      }
      return;
    }
    this.pending.delete(Number(msg.rid));
    w.timer.cancel();
    const status = msg.status === 'T' || msg.status === 'E' ? msg.status : 'I';
    w.resolve({
      results: w.results,
      error: (msg.error as ForwardedError | null) ?? null,
      status,
      lsn: typeof msg.lsn === 'number' || typeof msg.lsn === 'bigint' ? Number(msg.lsn) : null,
    });
  }

  /** The link to the primary dropped: requests in flight have an unknown outcome. */
  onClose(_peerId: string): void {
    if (this.p.primaryLink()) return;
    this.generation++;
    for (const [rid, w] of this.pending) {
      this.pending.delete(rid);
      w.timer.cancel();
      w.reject(
        new ChorusError(
          '08007',
          'the link to the primary dropped while a routed statement ran: its outcome is unknown (an open routed transaction was rolled back)',
          { hint: 'Check whether the change is there before retrying it.' },
        ),
      );
    }
  }

  onOpen(_peer: PeerHandle): void {
    // A new link means a new upstream: sessions opened on the old one are gone.
    this.generation++;
  }

  /** Resolves true once this standby applied position `lsn`, false after timeoutMs. */
  waitFor(lsn: number, timeoutMs: number): Promise<boolean> {
    if (this.p.position() >= lsn) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    if (this.waiters.size >= positionWaitersMax)
      return Promise.reject(
        new ChorusError('53300', `too many sessions (${positionWaitersMax}) wait for a position`),
      );
    return new Promise<boolean>((resolve) => {
      const w = {
        lsn,
        done: (ok: boolean): void => {
          timer.cancel();
          this.waiters.delete(w);
          resolve(ok);
        },
      };
      const timer = this.p.timers.after(timeoutMs, () => w.done(this.p.position() >= lsn));
      this.waiters.add(w);
    });
  }

  /** The standby applied more of the primary's log. */
  onApplied(): void {
    if (this.waiters.size === 0) return;
    const at = this.p.position();
    for (const w of this.waiters) if (at >= w.lsn) w.done(true);
  }
}
