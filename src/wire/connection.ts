// One PostgreSQL client connection: startup (SSL negotiation, authentication), then the simple and
// extended query protocols over a Session. Messages are handled strictly in order; responses are
// batched and written once per Sync / Query / Flush. Prepared statements and portals live in extended.ts.

import type { Socket } from 'node:net';
import {
  AdminShutdownError,
  AuthenticationFailedError,
  ChorusError,
  FeatureNotSupportedError,
  ProgramLimitExceededError,
  ProtocolViolationError,
  TooManyConnectionsError,
} from '../errors.js';
import {
  wireAuthTimeoutMs,
  wireFlushThresholdBytes,
  wireMessageBytesMax,
  wireOutputBufferBytesHigh,
} from '../limits.js';
import type { ChorusNode } from '../node/node.js';
import type { StatementResult } from '../session/result.js';
import type { Session } from '../session/session.js';
import { reportedSettings, settingDisplayName } from '../session/settings/settings.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { BackendWriter } from './backend-writer.js';
import { errorFieldsFrom, type FrontendMessage, FrontendReader, parseSASLInitialResponse } from './codec.js';
import { CopyHandler, copyStatementOf } from './copy-handler.js';
import { ExtendedProtocol, type Portal } from './extended.js';
import { cellEncoders, columnOids, fieldDescriptions, writeRows } from './results.js';
import { ScramServerExchange, type ScramVerifier, scramMechanism } from './scram.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  node: ChorusNode;
  /** 'trust' or 'scram' for a client at this address. */
  authMethodFor(remoteAddress: string): 'trust' | 'scram';
  verifierFor(user: string): ScramVerifier | null;
  /** Keys the stand-in salt offered to unknown users, so they look like real ones. */
  mockSecret: Buffer;
  tlsUpgrade: ((socket: Socket) => Socket) | null;
  register(conn: PgConnection): { processId: number; secretKey: number } | null;
  unregister(conn: PgConnection): void;
  cancel(processId: number, secretKey: number): void;
  onProtocolError(): void;
  onAuthFailure(): void;
}

/** During COPY FROM STDIN, reading from the socket pauses while this many input bytes wait. */
const copyInputBufferedBytesHigh = 4 * 1024 * 1024;
/** Buffered messages looked at to decide whether a transaction's end already arrived. */
const batchPeekMessagesMax = 256;

export class PgConnection {
  private reader = new FrontendReader();
  private readonly out = new BackendWriter();
  private phase: 'startup' | 'sasl-initial' | 'sasl-final' | 'ready' | 'closed' = 'startup';
  private session: Session | null = null;
  private scram: ScramServerExchange | null = null;
  private user = '';
  private startupParams: Record<string, string> = {};
  private readonly extended: ExtendedProtocol;
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipToSync = false;
  private pumping = false;
  /** ReadyForQuery went out and no message came since: a notification may be sent at once. */
  private idle = false;
  /** Notifications wait for the socket to drain (the client is not reading). */
  private notifyDrainWait = false;
  private authTimer: NodeJS.Timeout | null;
  private terminateWhenIdle = false;
  /** SSL/GSS encryption may be negotiated once, before the startup message (as in PostgreSQL). */
  private encryptionNegotiated = false;
  private readonly copy: CopyHandler;
  processId = 0;
  secretKey = 0;

  constructor(
    private socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    const self = this;
    this.copy = new CopyHandler({
      get session() {
        return self.session!;
      },
      node: host.node,
      out: this.out,
      flush: () => this.flush(),
      drain: () => this.drain(),
      readyForQuery: () => this.readyForQuery(),
      close: () => this.close(),
      writableLength: () => this.socket.writableLength,
    });
    this.extended = new ExtendedProtocol({
      get node() {
        return host.node;
      },
      out: this.out,
      get session() {
        return self.session;
      },
      sendResult: (r, formats, describe, maxRows, portal) =>
        this.sendResult(r, formats, describe, maxRows, portal),
      settingsChanged: () => this.reportSettings(),
    });
    this.attach(socket);
    this.authTimer = setTimeout(
      () => this.fatal(new ChorusError('08006', 'authentication timed out', {}, 'FATAL')),
      wireAuthTimeoutMs,
    );
    this.authTimer.unref();
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      // Backpressure for COPY FROM STDIN: stop reading until the loop has consumed the backlog.
      if (this.copy.active && this.reader.bufferedBytes() > copyInputBufferedBytesHigh) socket.pause();
      this.pump();
    });
    socket.on('error', () => this.cleanup());
    socket.on('close', () => this.cleanup());
  }

  get inTransaction(): boolean {
    return this.session !== null && this.session.txStatus !== 'I';
  }

  get busy(): boolean {
    return this.pumping;
  }

  /** Server shutdown: end now if idle, else after the current transaction finishes. */
  shutdown(force: boolean): void {
    if (this.phase === 'closed') return;
    if (force || (!this.pumping && !this.inTransaction)) this.fatal(new AdminShutdownError());
    else this.terminateWhenIdle = true;
  }

  cancel(): void {
    this.session?.cancel();
  }

  private pump(): void {
    if (this.pumping || this.phase === 'closed') return;
    this.pumping = true;
    this.loop()
      .catch((e: unknown) => this.fatal(e))
      .finally(() => {
        this.pumping = false;
        if (this.phase !== 'closed' && this.reader.bufferedBytes() > 0 && this.hasMore) this.pump();
      });
  }

  private hasMore = false;

  private async loop(): Promise<void> {
    for (;;) {
      if (this.phase === 'closed') return;
      if (this.phase === 'startup') {
        const m = this.reader.nextStartup();
        if (!m) return;
        if (!this.handleStartup(m)) return;
        continue;
      }
      const msg = this.reader.next();
      if (!msg) {
        this.hasMore = false;
        if (this.socket.isPaused()) this.socket.resume();
        return;
      }
      if (this.phase === 'sasl-initial' || this.phase === 'sasl-final') {
        this.handleSasl(msg);
        continue;
      }
      await this.handle(msg);
      if (this.socket.writableLength > wireOutputBufferBytesHigh) await this.drain();
    }
  }

  private handleStartup(m: ReturnType<FrontendReader['nextStartup']> & object): boolean {
    if ((m.type === 'SSLRequest' || m.type === 'GSSENCRequest') && this.encryptionNegotiated) {
      throw new ProtocolViolationError('unsupported frontend protocol: encryption was already negotiated');
    }
    switch (m.type) {
      case 'SSLRequest': {
        this.encryptionNegotiated = true;
        const upgrade = this.host.tlsUpgrade;
        this.socket.write(upgrade ? 'S' : 'N');
        if (upgrade) {
          if (this.reader.bufferedBytes() > 0)
            throw new ProtocolViolationError('data received before the TLS handshake');
          const raw = this.socket;
          raw.removeAllListeners('data');
          raw.removeAllListeners('close');
          raw.removeAllListeners('error');
          this.attach(upgrade(raw));
          return false;
        }
        return true;
      }
      case 'GSSENCRequest':
        this.encryptionNegotiated = true;
        this.socket.write('N');
        return true;
      case 'CancelRequest':
        this.host.cancel(m.processId, m.secretKey);
        this.close();
        return false;
      case 'Startup':
        return this.startup(m.protocolVersion, m.params);
    }
  }

  private startup(protocolVersion: number, params: Record<string, string>): boolean {
    this.startupParams = params;
    this.user = params.user ?? '';
    if (!this.user)
      throw new ChorusError('28000', 'no PostgreSQL user name specified in startup packet', {}, 'FATAL');
    const minor = protocolVersion & 0xffff;
    const unknownOptions = Object.keys(params).filter((k) => k.startsWith('_pq_.'));
    if (minor > 0 || unknownOptions.length > 0) this.out.negotiateProtocolVersion(0, unknownOptions);
    if (this.host.node.shuttingDown) throw new AdminShutdownError();
    if (this.host.authMethodFor(this.socket.remoteAddress ?? '') === 'trust') {
      this.completeAuth();
      return true;
    }
    this.out.authenticationSASL([scramMechanism]);
    this.flush();
    this.scram = new ScramServerExchange(this.user, this.host.verifierFor(this.user), undefined, {
      mockSecret: this.host.mockSecret,
    });
    this.phase = 'sasl-initial';
    return true;
  }

  private handleSasl(msg: FrontendMessage): void {
    if (msg.type !== 'Password') throw new ProtocolViolationError(`expected SASL response, got ${msg.type}`);
    const scram = this.scram!;
    try {
      if (this.phase === 'sasl-initial') {
        const { mechanism, data } = parseSASLInitialResponse(msg.body);
        if (mechanism !== scramMechanism) {
          throw new ChorusError('28000', `unsupported SASL mechanism "${mechanism}"`, {}, 'FATAL');
        }
        this.out.authenticationSASLContinue(scram.clientFirst(data.toString('utf8')));
        this.flush();
        this.phase = 'sasl-final';
        return;
      }
      this.out.authenticationSASLFinal(scram.clientFinal(msg.body.toString('utf8')));
    } catch (e) {
      this.host.onAuthFailure();
      throw e instanceof ChorusError ? e : new AuthenticationFailedError(this.user);
    }
    this.completeAuth();
  }

  private completeAuth(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const ids = this.host.register(this);
    if (!ids) throw new TooManyConnectionsError('sorry, too many clients already');
    this.processId = ids.processId;
    this.secretKey = ids.secretKey;
    try {
      this.session = this.host.node.openSession(this.startupParams);
    } catch (e) {
      // A startup parameter PostgreSQL would refuse (unknown name, bad value) ends the connection.
      const err = toChorusError(e);
      throw new ChorusError(err.sqlstate, err.message, { hint: err.hint, detail: err.detail }, 'FATAL');
    }
    this.session.batchHint = () => this.extended.batchEndsTransaction(this.reader.peek(batchPeekMessagesMax));
    this.session.local.onDiscardAll(() => this.extended.discardAll());
    this.session.local.notifications.attach(this.processId, () => this.notificationArrived());
    this.out.authenticationOk();
    for (const name of reportedSettings) {
      this.out.parameterStatus(settingDisplayName(name), this.session.settings.get(name) ?? '');
    }
    this.reported = this.session.settings.reportedValues();
    this.out.backendKeyData(this.processId, this.secretKey);
    this.out.readyForQuery('I');
    this.flush();
    this.phase = 'ready';
    this.idle = true;
  }

  private async handle(msg: FrontendMessage): Promise<void> {
    this.idle = false;
    if (this.copy.active) {
      try {
        return await this.copy.message(this.copy.active, msg);
      } catch (e) {
        const err = toChorusError(e);
        if (err.severity === 'FATAL') throw err;
        this.copy.active = null;
        this.out.errorResponse(errorFieldsFrom(err));
        return this.readyForQuery();
      }
    }
    if (this.skipToSync && msg.type !== 'Sync' && msg.type !== 'Terminate') return;
    try {
      switch (msg.type) {
        case 'Query':
          return await this.simpleQuery(msg.sql);
        case 'Parse':
          return this.extended.parse(msg.name, msg.query, msg.paramTypes);
        case 'Bind':
          return this.extended.bind(msg);
        case 'Describe':
          return await this.extended.describe(msg.kind, msg.name);
        case 'Execute':
          return await this.extended.execute(msg.portal, msg.maxRows);
        case 'Close':
          return this.extended.close(msg.kind, msg.name);
        case 'Sync':
          this.skipToSync = false;
          this.extended.sync();
          return this.readyForQuery();
        case 'Flush':
          return this.session?.inGroupBlock ? undefined : this.flush();
        case 'Terminate':
          return this.close();
        case 'CopyData':
        case 'CopyDone':
        case 'CopyFail':
          return;
        case 'FunctionCall':
          throw new FeatureNotSupportedError('the function call protocol');
        case 'Oversized': {
          const err = new ProgramLimitExceededError(
            `message of ${msg.bytes} bytes exceeds the limit of ${wireMessageBytesMax} bytes`,
          );
          if (msg.messageType !== 'Query') throw err;
          this.session?.failTransaction();
          this.out.errorResponse(errorFieldsFrom(err));
          return this.readyForQuery();
        }
        case 'Password':
          throw new ProtocolViolationError('unexpected password message');
      }
    } catch (e) {
      const err = toChorusError(e);
      if (err.severity === 'FATAL') throw err;
      // An error in any message (Parse, Bind, ...) fails an open transaction block.
      this.session?.failTransaction();
      this.out.errorResponse(errorFieldsFrom(err));
      this.skipToSync = true;
      // PostgreSQL sends an error at once (clients that Flush and wait, like postgres.js, rely on it),
      // except that a block in a commit group keeps all its output until the group is durable.
      if (!this.session?.inGroupBlock) this.flush();
    }
  }

  private readyForQuery(): void {
    // As PostgreSQL: notifications go out before ReadyForQuery, outside a transaction block only.
    if (this.session!.txStatus === 'I') this.writeNotifications();
    this.out.readyForQuery(this.session!.txStatus);
    this.flush();
    this.idle = true;
    if (this.terminateWhenIdle && this.session!.txStatus === 'I') this.fatal(new AdminShutdownError());
  }

  private async simpleQuery(sql: string): Promise<void> {
    const session = this.session!;
    try {
      const copy = copyStatementOf(sql);
      if (copy?.direction === 'from') {
        // Ready for query comes after CopyDone / CopyFail.
        await this.copy.startCopyIn(copy);
        return;
      }
      if (copy) await this.copy.copyOut(copy);
      else {
        const planned = session.schema.planner.planSimple(sql);
        if (planned.length === 0) this.out.emptyQueryResponse();
        else {
          await session.executeSimple(
            planned,
            (r, p) => {
              if (p.cls.kind === 'empty') this.out.emptyQueryResponse();
              else {
                this.sendResult(r, [], true, 0);
                if (p.cls.kind === 'set' || p.cls.kind === 'reset') this.reportSettings();
              }
            },
            sql,
          );
        }
      }
    } catch (e) {
      const err = toChorusError(e);
      if (err.severity === 'FATAL') throw err;
      // Errors found before a statement ran (syntax, analysis) fail an open block too.
      session.failTransaction();
      this.out.errorResponse(errorFieldsFrom(err));
    }
    this.readyForQuery();
  }

  /** SET / RESET of a reported setting: PostgreSQL tells the client the new value (ParameterStatus). */
  private reportSettings(): void {
    const settings = this.session!.settings;
    for (const [name, value] of settings.changedReported(this.reported))
      this.out.parameterStatus(name, value);
    this.reported = settings.reportedValues();
  }

  /** The reported settings' values the client was last told. */
  private reported: ReadonlyMap<string, string> = new Map();

  private sendResult(
    r: StatementResult,
    formats: number[],
    describe: boolean,
    maxRows: number,
    portal?: Portal,
  ): void {
    const least = r.notices.length > 0 ? this.session!.settings.get('client_min_messages') : undefined;
    for (const n of r.notices) {
      // client_min_messages: warning drops NOTICEs, error drops WARNINGs too.
      if (least === 'error' || (least === 'warning' && n.severity === 'NOTICE')) continue;
      this.out.noticeResponse(n);
    }
    if (!r.columns) {
      this.out.commandComplete(r.tag);
      return;
    }
    const oids = portal?.oids ?? columnOids(r.columns, r.rows, this.host.node.registry);
    if (describe) this.out.rowDescription(fieldDescriptions(r.columns, oids, formats));
    const from = portal?.offset ?? 0;
    const to = maxRows > 0 ? Math.min(r.rows.length, from + maxRows) : r.rows.length;
    const encoders = cellEncoders(r.columns, oids, formats, this.session!.valueEnv());
    for (let start = from; start < to; start += 1000) {
      writeRows(this.out, r.rows, encoders, start, Math.min(to, start + 1000));
      // A block in a commit group keeps its output until the group is durable (flushed at Sync).
      if (this.out.length > wireFlushThresholdBytes && !this.session?.inGroupBlock) this.flush();
    }
    if (portal) {
      portal.offset = to;
      if (to < r.rows.length) {
        this.out.portalSuspended();
        return;
      }
    }
    this.out.commandComplete(r.columns && r.tag.startsWith('SELECT') ? `SELECT ${to - from}` : r.tag);
  }

  /** A notification was queued for this session: sent now if the connection is idle between queries. */
  private notificationArrived(): void {
    if (!this.idle || this.phase !== 'ready' || this.copy.active || this.session?.txStatus !== 'I') return;
    if (this.socket.writableLength > wireOutputBufferBytesHigh) {
      // The client does not read: the notifications stay queued (bounded; NOTIFY fails when full).
      if (!this.notifyDrainWait) {
        this.notifyDrainWait = true;
        this.socket.once('drain', () => {
          this.notifyDrainWait = false;
          this.notificationArrived();
        });
      }
      return;
    }
    this.writeNotifications();
    this.flush();
  }

  private writeNotifications(): void {
    for (const n of this.session!.local.notifications.take())
      this.out.notificationResponse(n.pid, n.channel, n.payload);
  }

  private flush(): void {
    if (this.out.length === 0 || this.phase === 'closed') return;
    this.socket.write(this.out.take());
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.writableLength <= wireOutputBufferBytesHigh || this.phase === 'closed') resolve();
      else this.socket.once('drain', () => resolve());
    });
  }

  /** Send a FATAL error (or the protocol error) and close the connection. */
  private fatal(e: unknown): void {
    if (this.phase === 'closed') return;
    const err = toChorusError(e);
    if (err instanceof ProtocolViolationError) this.host.onProtocolError();
    this.out.errorResponse({ ...errorFieldsFrom(err), severity: 'FATAL' });
    this.flush();
    this.close();
  }

  private close(): void {
    if (this.phase === 'closed') return;
    this.flush();
    this.socket.end();
    this.cleanup();
  }

  private cleanup(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.session) this.host.node.closeSession(this.session);
    this.session = null;
    this.host.unregister(this);
    if (!this.socket.destroyed) setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
