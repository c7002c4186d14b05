// One PostgreSQL client connection: startup (SSL negotiation, authentication), then the simple and
// extended query protocols over a Session. Messages are handled strictly in order; responses are
// batched and written once per Sync / Query / Flush.

import type { Socket } from 'node:net';
import {
  AdminShutdownError,
  AuthenticationFailedError,
  ChorusError,
  FeatureNotSupportedError,
  InFailedTransactionError,
  ProtocolViolationError,
  TooManyConnectionsError,
} from '../errors.js';
import {
  wireAuthTimeoutMs,
  wireOutputBufferBytesHigh,
  wirePortalsMax,
  wirePreparedStatementsMax,
} from '../limits.js';
import type { ChorusNode } from '../node/node.js';
import type { Prepared } from '../session/prepare.js';
import type { BindValue } from '../session/read-protocol.js';
import type { StatementResult } from '../session/result.js';
import type { Session } from '../session/session.js';
import { reportedSettings, settingDisplayName } from '../session/settings.js';
import { quoteIdent, significant, splitStatements } from '../sql/lexer.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import {
  BackendWriter,
  errorFieldsFrom,
  type FrontendMessage,
  FrontendReader,
  parseSASLInitialResponse,
} from './codec.js';
import {
  badCopyData,
  type CopyField,
  CopyInParser,
  type CopyStatement,
  formatCopyRow,
  isCopyStatement,
  parseCopyStatement,
} from './copy.js';
import { columnOids, fieldDescriptions, pgColumnName, writeRows } from './results.js';
import { ScramServerExchange, type ScramVerifier, scramMechanism } from './scram.js';
import { decodeParam, encodeText, Oid, oidForDeclaredType } from './types.js';

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

interface PreparedEntry {
  prepared: Prepared;
  paramTypes: number[];
}

interface Portal {
  entry: PreparedEntry;
  params: BindValue[];
  resultFormats: number[];
  result: StatementResult | null;
  oids: number[] | null;
  offset: number;
}

/** Above this many buffered response bytes a large result is flushed mid-way. */
const flushThresholdBytes = 256 * 1024;

/** During COPY FROM STDIN, reading from the socket pauses while this many input bytes wait. */
const copyInputBufferedBytesHigh = 4 * 1024 * 1024;

/** A COPY FROM STDIN in progress: CopyData rows are inserted as their lines complete. */
interface CopyIn {
  parser: CopyInParser;
  insert: Prepared;
  columns: string[];
  /** Declared type OID of each column (null: pass the text through). */
  oids: (number | null)[];
  /** COPY sent BEGIN itself, so it commits or rolls back. */
  ownTx: boolean;
  rows: number;
  /** The first error; later CopyData is consumed and dropped until CopyDone / CopyFail. */
  error: ChorusError | null;
}

/** Declared types whose COPY text is converted (and checked) as a typed Bind parameter would be. */
const convertedOids = new Set<number>([
  Oid.int2,
  Oid.int4,
  Oid.int8,
  Oid.oid,
  Oid.float4,
  Oid.float8,
  Oid.bool,
  Oid.bytea,
]);

/** The COPY statement of a simple Query, or null when the query is not a COPY. */
function copyStatementOf(sql: string): CopyStatement | null {
  if (!/copy/i.test(sql)) return null;
  const stmts = splitStatements(sql);
  const copies = stmts.filter((st) => isCopyStatement(significant(st.tokens)));
  if (copies.length === 0) return null;
  if (stmts.length > 1)
    throw new FeatureNotSupportedError('COPY together with other statements in one query');
  return parseCopyStatement(significant(copies[0]!.tokens), copies[0]!.sql);
}

function isCopySql(sql: string): boolean {
  if (!/copy/i.test(sql)) return false;
  return splitStatements(sql).some((st) => isCopyStatement(significant(st.tokens)));
}

function tableSql(table: readonly string[]): string {
  // SQLite has no schema "public": public.t is the main database's t.
  const parts = table.length === 2 && table[0] === 'public' ? table.slice(1) : table;
  return parts.map(quoteIdent).join('.');
}

export class PgConnection {
  private reader = new FrontendReader();
  private readonly out = new BackendWriter();
  private phase: 'startup' | 'sasl-initial' | 'sasl-final' | 'ready' | 'closed' = 'startup';
  private session: Session | null = null;
  private scram: ScramServerExchange | null = null;
  private user = '';
  private startupParams: Record<string, string> = {};
  private readonly statements = new Map<string, PreparedEntry>();
  private readonly portals = new Map<string, Portal>();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipToSync = false;
  private pumping = false;
  private authTimer: NodeJS.Timeout | null;
  private terminateWhenIdle = false;
  /** SSL/GSS encryption may be negotiated once, before the startup message (as in PostgreSQL). */
  private encryptionNegotiated = false;
  private copyIn: CopyIn | null = null;
  processId = 0;
  secretKey = 0;

  constructor(
    private socket: Socket,
    private readonly host: ConnectionHost,
  ) {
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
      if (this.copyIn && this.reader.bufferedBytes() > copyInputBufferedBytesHigh) socket.pause();
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
    this.session = this.host.node.openSession(this.startupParams);
    this.out.authenticationOk();
    for (const name of reportedSettings) {
      this.out.parameterStatus(settingDisplayName(name), this.session.settings.get(name) ?? '');
    }
    this.out.backendKeyData(this.processId, this.secretKey);
    this.out.readyForQuery('I');
    this.flush();
    this.phase = 'ready';
  }

  private async handle(msg: FrontendMessage): Promise<void> {
    if (this.copyIn) {
      try {
        return await this.copyInMessage(this.copyIn, msg);
      } catch (e) {
        const err = toChorusError(e);
        if (err.severity === 'FATAL') throw err;
        this.copyIn = null;
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
          return this.parse(msg.name, msg.query, msg.paramTypes);
        case 'Bind':
          return this.bind(msg);
        case 'Describe':
          return await this.describe(msg.kind, msg.name);
        case 'Execute':
          return await this.executePortal(msg.portal, msg.maxRows);
        case 'Close':
          if (msg.kind === 'S') this.statements.delete(msg.name);
          else this.portals.delete(msg.name);
          this.out.closeComplete();
          return;
        case 'Sync':
          this.skipToSync = false;
          if (this.session?.txStatus === 'I') this.portals.clear();
          return this.readyForQuery();
        case 'Flush':
          return this.flush();
        case 'Terminate':
          return this.close();
        case 'CopyData':
        case 'CopyDone':
        case 'CopyFail':
          return;
        case 'FunctionCall':
          throw new FeatureNotSupportedError('the function call protocol');
        case 'Password':
          throw new ProtocolViolationError('unexpected password message');
      }
    } catch (e) {
      const err = toChorusError(e);
      if (err.severity === 'FATAL') throw err;
      this.out.errorResponse(errorFieldsFrom(err));
      this.skipToSync = true;
    }
  }

  private readyForQuery(): void {
    this.out.readyForQuery(this.session!.txStatus);
    this.flush();
    if (this.terminateWhenIdle && this.session!.txStatus === 'I') this.fatal(new AdminShutdownError());
  }

  private async simpleQuery(sql: string): Promise<void> {
    const session = this.session!;
    try {
      const copy = copyStatementOf(sql);
      if (copy?.direction === 'from') {
        // Ready for query comes after CopyDone / CopyFail.
        await this.startCopyIn(copy);
        return;
      }
      if (copy) await this.copyOut(copy);
      else {
        const planned = this.host.node.plans.planSimple(sql);
        if (planned.length === 0) this.out.emptyQueryResponse();
        else {
          await session.executeSimple(planned, (r, p) => {
            if (p.cls.kind === 'empty') this.out.emptyQueryResponse();
            else this.sendResult(r, [], true, 0);
          });
        }
      }
    } catch (e) {
      const err = toChorusError(e);
      if (err.severity === 'FATAL') throw err;
      this.out.errorResponse(errorFieldsFrom(err));
    }
    this.readyForQuery();
  }

  private async startCopyIn(copy: Extract<CopyStatement, { direction: 'from' }>): Promise<void> {
    const session = this.session!;
    const node = this.host.node;
    if (session.txStatus === 'E') throw new InFailedTransactionError();
    const table = tableSql(copy.table);
    const list = copy.columns ? copy.columns.map(quoteIdent).join(', ') : '*';
    const cols = node.describe(node.plans.prepareOne(`SELECT ${list} FROM ${table}`)) ?? [];
    if (cols.length === 0) throw new ChorusError('42601', `COPY: table ${table} has no columns`);
    const names = cols.map((c) => c.name);
    const insert = node.plans.prepareOne(
      `INSERT INTO ${table} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    );
    const parser = new CopyInParser(copy.options);
    const ownTx = session.txStatus === 'I';
    if (ownTx) await session.execute(node.plans.prepareOne('BEGIN'));
    this.copyIn = {
      parser,
      insert,
      columns: names,
      oids: cols.map((c) => {
        const oid = oidForDeclaredType(c.declType);
        return oid !== null && convertedOids.has(oid) ? oid : null;
      }),
      ownTx,
      rows: 0,
      error: null,
    };
    this.out.copyInResponse(
      0,
      names.map(() => 0),
    );
    this.flush();
  }

  private async copyInMessage(c: CopyIn, msg: FrontendMessage): Promise<void> {
    switch (msg.type) {
      case 'CopyData':
        if (c.error) return;
        try {
          await this.copyRows(c, c.parser.push(msg.data));
        } catch (e) {
          await this.copyInFailed(c, e);
        }
        return;
      case 'CopyDone':
        if (!c.error) {
          try {
            await this.copyRows(c, c.parser.finish());
          } catch (e) {
            await this.copyInFailed(c, e);
          }
        }
        return this.endCopyIn(c);
      case 'CopyFail':
        if (!c.error)
          await this.copyInFailed(c, new ChorusError('57014', `COPY from stdin failed: ${msg.message}`));
        return this.endCopyIn(c);
      case 'Flush':
      case 'Sync':
        return; // ignored during COPY, as in PostgreSQL
      case 'Terminate':
        this.copyIn = null;
        return this.close(); // closing the session rolls back
      default:
        if (!c.error)
          await this.copyInFailed(
            c,
            new ProtocolViolationError(`unexpected message type ${msg.type} during COPY from stdin`),
          );
        return this.endCopyIn(c);
    }
  }

  private async copyRows(c: CopyIn, rows: CopyField[][]): Promise<void> {
    const session = this.session!;
    const n = c.columns.length;
    for (const row of rows) {
      if (row.length < n) throw badCopyData(`missing data for column "${c.columns[row.length]}"`);
      if (row.length > n) throw badCopyData('extra data after last expected column');
      const params = row.map((v, i) => {
        const oid = c.oids[i];
        return v === null || oid === null || oid === undefined
          ? v
          : decodeParam(oid, 0, Buffer.from(v, 'utf8'));
      });
      await session.execute(c.insert, params);
      c.rows++;
    }
  }

  /** Remember the first error and undo what COPY did (its own transaction, or fail the open one). */
  private async copyInFailed(c: CopyIn, e: unknown): Promise<void> {
    const err = toChorusError(e);
    if (err.severity === 'FATAL') throw err;
    c.error = err;
    const session = this.session!;
    const plans = this.host.node.plans;
    if (c.ownTx) {
      if (session.txStatus !== 'I') await session.execute(plans.prepareOne('ROLLBACK'));
    } else if (session.txStatus === 'T') {
      // An error found here (bad data), not by the session: abort the client's transaction block
      // as PostgreSQL does.
      session.failTransaction();
    }
  }

  private async endCopyIn(c: CopyIn): Promise<void> {
    this.copyIn = null;
    if (!c.error && c.ownTx) {
      try {
        await this.session!.execute(this.host.node.plans.prepareOne('COMMIT'));
      } catch (e) {
        const err = toChorusError(e);
        if (err.severity === 'FATAL') throw err;
        c.error = err;
        if (this.session!.txStatus !== 'I')
          await this.session!.execute(this.host.node.plans.prepareOne('ROLLBACK'));
      }
    }
    if (c.error) this.out.errorResponse(errorFieldsFrom(c.error));
    else this.out.commandComplete(`COPY ${c.rows}`);
    this.readyForQuery();
  }

  private async copyOut(copy: Extract<CopyStatement, { direction: 'to' }>): Promise<void> {
    const session = this.session!;
    const node = this.host.node;
    const list = copy.columns ? copy.columns.map(quoteIdent).join(', ') : '*';
    const sql = copy.query ?? `SELECT ${list} FROM ${tableSql(copy.table!)}`;
    const r = await session.execute(node.plans.prepareOne(sql), []);
    if (!r.columns) throw new FeatureNotSupportedError('COPY (query) TO with a query that returns no rows');
    const oids = columnOids(r.columns, r.rows, node.registry);
    const opts = copy.options;
    this.out.copyOutResponse(
      0,
      r.columns.map(() => 0),
    );
    if (opts.header) this.out.copyData(formatCopyRow(r.columns.map(pgColumnName), opts));
    const values: (string | null)[] = new Array(r.columns.length);
    for (const row of r.rows) {
      for (let i = 0; i < values.length; i++) {
        const t = encodeText(oids[i]!, row[i]);
        values[i] = t === null || typeof t === 'string' ? t : t.toString('utf8');
      }
      this.out.copyData(formatCopyRow(values, opts));
      if (this.out.length > flushThresholdBytes) {
        this.flush();
        if (this.socket.writableLength > wireOutputBufferBytesHigh) await this.drain();
      }
    }
    this.out.copyDone();
    this.out.commandComplete(`COPY ${r.rows.length}`);
  }

  private sendResult(
    r: StatementResult,
    formats: number[],
    describe: boolean,
    maxRows: number,
    portal?: Portal,
  ): void {
    for (const n of r.notices) this.out.noticeResponse({ severity: 'NOTICE', code: '00000', message: n });
    if (!r.columns) {
      this.out.commandComplete(r.tag);
      return;
    }
    const oids = portal?.oids ?? columnOids(r.columns, r.rows, this.host.node.registry);
    if (describe) this.out.rowDescription(fieldDescriptions(r.columns, oids, formats));
    const from = portal?.offset ?? 0;
    const to = maxRows > 0 ? Math.min(r.rows.length, from + maxRows) : r.rows.length;
    for (let start = from; start < to; start += 1000) {
      writeRows(this.out, r.rows, oids, formats, start, Math.min(to, start + 1000));
      if (this.out.length > flushThresholdBytes) this.flush();
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

  private parse(name: string, query: string, paramTypes: number[]): void {
    if (name !== '' && this.statements.has(name)) {
      throw new ChorusError('42P05', `prepared statement "${name}" already exists`);
    }
    if (this.statements.size >= wirePreparedStatementsMax) {
      throw new ChorusError('54000', `too many prepared statements (limit ${wirePreparedStatementsMax})`);
    }
    if (isCopySql(query))
      throw new ChorusError('0A000', 'COPY is only supported in the simple query protocol');
    const prepared = this.host.node.plans.prepareOne(query);
    this.statements.set(name, { prepared, paramTypes });
    this.out.parseComplete();
  }

  private bind(msg: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const entry = this.statements.get(msg.statement);
    if (!entry) throw new ChorusError('26000', `prepared statement "${msg.statement}" does not exist`);
    if (msg.portal !== '' && this.portals.has(msg.portal))
      throw new ChorusError('42P03', `portal "${msg.portal}" already exists`);
    if (this.portals.size >= wirePortalsMax)
      throw new ChorusError('54000', `too many portals (limit ${wirePortalsMax})`);
    const f = msg.paramFormats;
    if (f.length > 1 && f.length !== msg.params.length) {
      throw new ProtocolViolationError(
        `bind message has ${f.length} parameter formats but ${msg.params.length} parameters`,
      );
    }
    const params = msg.params.map((raw, i) => {
      const format = (f.length === 0 ? 0 : f.length === 1 ? f[0] : f[i]) === 1 ? 1 : 0;
      return decodeParam(entry.paramTypes[i] ?? 0, format, raw);
    });
    this.portals.set(msg.portal, {
      entry,
      params,
      resultFormats: msg.resultFormats,
      result: null,
      oids: null,
      offset: 0,
    });
    this.out.bindComplete();
  }

  private async runPortal(portal: Portal): Promise<StatementResult> {
    if (!portal.result) {
      portal.result = await this.session!.execute(portal.entry.prepared, portal.params);
      if (portal.result.columns)
        portal.oids = columnOids(portal.result.columns, portal.result.rows, this.host.node.registry);
    }
    return portal.result;
  }

  private async describe(kind: 'S' | 'P', name: string): Promise<void> {
    if (kind === 'S') {
      const entry = this.statements.get(name);
      if (!entry) throw new ChorusError('26000', `prepared statement "${name}" does not exist`);
      const n = entry.prepared.paramCount;
      this.out.parameterDescription(Array.from({ length: n }, (_, i) => entry.paramTypes[i] || Oid.text));
      const cols = this.host.node.describe(entry.prepared);
      if (cols)
        this.out.rowDescription(fieldDescriptions(cols, columnOids(cols, [], this.host.node.registry), []));
      else this.out.noData();
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) throw new ChorusError('34000', `portal "${name}" does not exist`);
    const r = await this.runPortal(portal);
    if (r.columns) this.out.rowDescription(fieldDescriptions(r.columns, portal.oids!, portal.resultFormats));
    else this.out.noData();
  }

  private async executePortal(name: string, maxRows: number): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) throw new ChorusError('34000', `portal "${name}" does not exist`);
    if (portal.entry.prepared.cls.kind === 'empty') {
      this.out.emptyQueryResponse();
      return;
    }
    const alreadyRan = portal.result !== null;
    const r = await this.runPortal(portal);
    if (alreadyRan && !r.columns && portal.offset > 0) return;
    this.sendResult(r, portal.resultFormats, false, maxRows, portal);
    if (!r.columns) portal.offset = 1;
    if (name === '' && (portal.offset >= r.rows.length || !r.columns)) {
      // The unnamed portal is done; a later Execute of it must not replay the statement.
    }
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
