// COPY over the wire protocol for one connection: COPY FROM STDIN streams CopyData rows into the
// table inside one transaction, in chunks (on a standby each chunk is one request to the primary);
// COPY TO STDOUT sends a table or query as CopyData. The pure parsing and formatting live in
// copy.ts and copy-statement.ts.

import {
  ChorusError,
  FeatureNotSupportedError,
  InFailedTransactionError,
  ProtocolViolationError,
} from '../errors.js';
import { wireFlushThresholdBytes, wireOutputBufferBytesHigh } from '../limits.js';
import type { ChorusNode } from '../node/node.js';
import type { Prepared } from '../session/planning/prepared.js';
import type { BindValue } from '../session/read-protocol.js';
import type { Session } from '../session/session.js';
import { quoteIdent, significant, splitStatements } from '../sql/lexer.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import type { BackendWriter } from './backend-writer.js';
import type { FrontendMessage } from './codec.js';
import { errorFieldsFrom } from './codec.js';
import { badCopyData, type CopyField, CopyInParser, formatCopyRow } from './copy.js';
import { type CopyStatement, isCopyStatement, parseCopyStatement } from './copy-statement.js';
import { cellEncoders, columnOids, pgColumnName } from './results.js';
import { decodeParam, Oid, oidForDeclaredType } from './types.js';

/** What the COPY handler needs from its connection. */
export interface CopyHost {
  readonly session: Session;
  readonly node: ChorusNode;
  readonly out: BackendWriter;
  flush(): void;
  drain(): Promise<void>;
  readyForQuery(): void;
  close(): void;
  writableLength(): number;
}

/**
 * Bytes of field text gathered before a COPY FROM chunk is inserted (on a standby: routed to the
 * primary as one request, so below write-forward.ts forwardStatementBytesMax).
 */
export const copyChunkBytesMax = 256 * 1024;

/** A COPY FROM STDIN in progress: CopyData rows are inserted in chunks as their lines complete. */
interface CopyIn {
  parser: CopyInParser;
  insert: Prepared;
  columns: string[];
  /** Declared type OID of each column (null: pass the text through). */
  oids: (number | null)[];
  /** COPY sent BEGIN itself, so it commits or rolls back. */
  ownTx: boolean;
  rows: number;
  /** Rows parsed and not inserted yet, and their bytes (at most copyChunkBytesMax). */
  chunk: BindValue[][];
  chunkBytes: number;
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
export function copyStatementOf(sql: string): CopyStatement | null {
  if (!/copy/i.test(sql)) return null;
  const stmts = splitStatements(sql);
  const copies = stmts.filter((st) => isCopyStatement(significant(st.tokens)));
  if (copies.length === 0) return null;
  if (stmts.length > 1)
    throw new FeatureNotSupportedError('COPY together with other statements in one query');
  return parseCopyStatement(significant(copies[0]!.tokens), copies[0]!.sql);
}

export function isCopySql(sql: string): boolean {
  if (!/copy/i.test(sql)) return false;
  return splitStatements(sql).some((st) => isCopyStatement(significant(st.tokens)));
}

function tableSql(table: readonly string[]): string {
  // SQLite has no schema "public": public.t is the main database's t.
  const parts = table.length === 2 && table[0] === 'public' ? table.slice(1) : table;
  return parts.map(quoteIdent).join('.');
}

export class CopyHandler {
  /** The COPY FROM STDIN in progress, if any. */
  active: CopyIn | null = null;

  constructor(private readonly c: CopyHost) {}

  async startCopyIn(copy: Extract<CopyStatement, { direction: 'from' }>): Promise<void> {
    const session = this.c.session;
    const node = this.c.node;
    if (session.txStatus === 'E') throw new InFailedTransactionError();
    // On a standby: the table may be one this session just created through the primary.
    await session.waitOwnWrites();
    const table = tableSql(copy.table);
    const list = copy.columns ? copy.columns.map(quoteIdent).join(', ') : '*';
    const cols = node.describe(session.schema.planner.prepareOne(`SELECT ${list} FROM ${table}`)) ?? [];
    if (cols.length === 0) throw new ChorusError('42601', `COPY: table ${table} has no columns`);
    const names = cols.map((c) => c.name);
    const insert = session.schema.planner.prepareOne(
      `INSERT INTO ${table} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    );
    const parser = new CopyInParser(copy.options);
    const ownTx = session.txStatus === 'I';
    if (ownTx) await session.execute(session.schema.planner.prepareOne('BEGIN'));
    // One statement from here to CopyDone: cancel, statement_timeout, statement_timestamp().
    session.startCopy();
    this.active = {
      parser,
      insert,
      columns: names,
      oids: cols.map((c) => {
        const oid = oidForDeclaredType(c.declType);
        return oid !== null && convertedOids.has(oid) ? oid : null;
      }),
      ownTx,
      rows: 0,
      chunk: [],
      chunkBytes: 0,
      error: null,
    };
    this.c.out.copyInResponse(
      0,
      names.map(() => 0),
    );
    this.c.flush();
  }

  async message(c: CopyIn, msg: FrontendMessage): Promise<void> {
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
            await this.insertChunk(c);
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
        this.active = null;
        return this.c.close(); // closing the session rolls back
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
    const n = c.columns.length;
    for (const row of rows) {
      if (row.length < n) throw badCopyData(`missing data for column "${c.columns[row.length]}"`);
      if (row.length > n) throw badCopyData('extra data after last expected column');
      // A front-end INSERT reads each field with its column type's input function (and typmod).
      const params = c.insert.plan
        ? row
        : row.map((v, i) => {
            const oid = c.oids[i];
            return v === null || oid === null || oid === undefined
              ? v
              : decodeParam(oid, 0, Buffer.from(v, 'utf8'));
          });
      // Counted as a routed request counts values (at least 8 bytes each): a chunk stays one request.
      let bytes = 0;
      for (const v of row) bytes += v === null ? 8 : Math.max(8, v.length);
      if (c.chunkBytes + bytes > copyChunkBytesMax) await this.insertChunk(c);
      c.chunk.push(params);
      c.chunkBytes += bytes;
    }
  }

  private async insertChunk(c: CopyIn): Promise<void> {
    const rows = c.chunk;
    if (rows.length === 0) return;
    c.chunk = [];
    c.chunkBytes = 0;
    await this.c.session.executeBatch(c.insert, rows);
    c.rows += rows.length;
  }

  /** Remember the first error and undo what COPY did (its own transaction, or fail the open one). */
  private async copyInFailed(c: CopyIn, e: unknown): Promise<void> {
    const err = toChorusError(e);
    if (err.severity === 'FATAL') throw err;
    c.error = err;
    const session = this.c.session;
    if (c.ownTx) {
      if (session.txStatus !== 'I') await session.execute(session.schema.planner.prepareOne('ROLLBACK'));
    } else if (session.txStatus === 'T') {
      // An error found here (bad data), not by the session: abort the client's transaction block
      // as PostgreSQL does.
      session.failTransaction();
    }
  }

  private async endCopyIn(c: CopyIn): Promise<void> {
    this.active = null;
    this.c.session.endCopy();
    if (!c.error && c.ownTx) {
      try {
        await this.c.session.execute(this.c.session.schema.planner.prepareOne('COMMIT'));
      } catch (e) {
        const err = toChorusError(e);
        if (err.severity === 'FATAL') throw err;
        c.error = err;
        if (this.c.session.txStatus !== 'I')
          await this.c.session.execute(this.c.session.schema.planner.prepareOne('ROLLBACK'));
      }
    }
    if (c.error) this.c.out.errorResponse(errorFieldsFrom(c.error));
    else this.c.out.commandComplete(`COPY ${c.rows}`);
    this.c.readyForQuery();
  }

  async copyOut(copy: Extract<CopyStatement, { direction: 'to' }>): Promise<void> {
    const session = this.c.session;
    const node = this.c.node;
    const list = copy.columns ? copy.columns.map(quoteIdent).join(', ') : '*';
    const sql = copy.query ?? `SELECT ${list} FROM ${tableSql(copy.table!)}`;
    const r = await session.execute(session.schema.planner.prepareOne(sql), []);
    if (!r.columns) throw new FeatureNotSupportedError('COPY (query) TO with a query that returns no rows');
    const oids = columnOids(r.columns, r.rows, node.registry);
    const opts = copy.options;
    this.c.out.copyOutResponse(
      0,
      r.columns.map(() => 0),
    );
    if (opts.header) this.c.out.copyData(formatCopyRow(r.columns.map(pgColumnName), opts));
    const values: (string | null)[] = new Array(r.columns.length);
    // Text output functions of the columns' types (the front end's codecs where it typed them).
    const encoders = cellEncoders(r.columns, oids, [], session.valueEnv());
    for (const row of r.rows) {
      for (let i = 0; i < values.length; i++) {
        const t = encoders[i]!(row[i]);
        values[i] = t === null || typeof t === 'string' ? t : t.toString('utf8');
      }
      this.c.out.copyData(formatCopyRow(values, opts));
      if (this.c.out.length > wireFlushThresholdBytes) {
        this.c.flush();
        if (this.c.writableLength() > wireOutputBufferBytesHigh) await this.c.drain();
      }
    }
    this.c.out.copyDone();
    this.c.out.commandComplete(`COPY ${r.rows.length}`);
  }
}
