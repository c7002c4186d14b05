// Split-brain detection, SQLite side: limits, messages and their validation, row hashes and the digests
// of one table's rows over primary-key ranges (MerkleTable). The protocol's two ends, MerkleResponder and
// the compareTable driver, are in merkle.ts.
//
// Rows are identified by their primary key as a JSON array text, as the replication log writes it (BLOBs as
// {"$b": hex}). A range is [lo, hi) over the key in SQLite's order (row values `(a, b) >= (?, ?)`, each
// column's collation), lo/hi key tuples of decoded values, null = unbounded. Row hash = the first 16 bytes
// of SHA-256 over a type-tagged text of every user column (PRAGMA table_info order, so the key is covered):
// per column quote(v) (NULL, integers as digits, reals as round-trip exact text with a '.' or exponent,
// X'..' blobs) except text, written t<bytes>:<text> so that commas and NULs in it cannot make two rows
// encode alike, and the REAL -0.0, written -0.0 (quote() writes 0.0); columns are joined by ','. 1, 1.0,
// '1', x'01', 0.0 and -0.0 hash differently. SHA-256 rather than MD5:
// as fast here for short inputs (one-shot crypto.hash, measured) and available in FIPS builds; 128 bits
// make an accidental collision negligible (peers are authenticated, not adversaries).
// Range digest = (row count, first 16 bytes of SHA-256 over the concatenated row hashes in key order), so
// the digests of consecutive parts chain: a range given with cut keys is hashed part by part in one pass.
//
// Request { t: 'merkle_req', v, table, ranges: [ask] }, one result per ask, in order (hex digests):
//   { lo, hi }                 -> { count, digest }
//   { lo, hi, cuts: [k...] }   -> { count, parts: [{count, digest}] }   parts [lo,k1) [k1,k2) ... [kn,hi)
//   { lo, hi, split: n }       -> { count, cuts, parts }   the responder cuts at every count/n-th own key
//   { lo, hi, rows: true }     -> { count, rows: [[pkJson, rowHashHex]] }  rows only if count <= merkleLeafRowsMax
//   { lo: null, hi: null, multiset: true } -> { count, digest }  a keyless table (multiset-digest.ts)
//   any ask                    -> { deferred: true } once the reply is merkleReplyBytesMax long: ask again
// Reply { t: 'merkle_reply', v, ok: true, schema, results } or { ..., ok: false, sqlstate, message }; a
// numeric `id` the transport put on the request is echoed.
//
// Reads run on a dedicated read-only connection given by the caller, one operation at a time per connection
// (an in-process lock), iterating and yielding to the event loop every merkleRowsPerSliceMax rows (counts:
// merkleCountRowsPerSliceMax rows per SQLite call). Keys are read exactly (integers beyond 2^53 travel as
// bigint, which the peer-link codec carries as int64). Rows with NULL in a key column have no place in key
// ranges and are refused (0A000), checked whenever the whole table is asked for.
import * as crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { ChorusError, UndefinedTableError } from '../../errors.js';
import { quoteIdent } from '../../sql/lexer.js';
import { jsonValue, negativeZeroSql } from '../../storage/capture/capture.js';
import { userTableName } from '../../storage/tables/table-ops.js';
import type { PeerMessage } from '../link/link.js';

/** Version of the comparison messages; a responder refuses any other. */
export const merkleProtocolVersion = 1;
/** Message type of a request (`t`). */
export const merkleRequestType = 'merkle_req';
/** Message type of a reply (`t`). */
export const merkleReplyType = 'merkle_reply';
/** Parts a differing range is split into (and most cut keys + 1 an ask may carry). */
export const merkleFanout = 16;
/** A differing range holding at most this many rows on both sides is compared row by row. */
export const merkleLeafRowsMax = 64;
/** Asks (ranges) in one request. */
export const merkleRangesPerRequestMax = 64;
/** Request/reply exchanges of one comparison; past it the result is partial (truncated). */
export const merkleRoundsMax = 256;
/** Rows read between two yields to the event loop. */
export const merkleRowsPerSliceMax = 5_000;
/** Rows counted by one SQLite call (counts step through a range with OFFSET, yielding in between). */
export const merkleCountRowsPerSliceMax = 100_000;
/** Differing rows one comparison reports; past it the result is truncated. */
export const merkleDifferingRowsMax = 1_000;
/** Estimated bytes of one request: the driver stops adding asks past it. */
export const merkleRequestBytesMax = 1024 * 1024;
/** Estimated bytes of one reply: the responder defers the remaining asks past it. */
export const merkleReplyBytesMax = 1024 * 1024;
/** Bytes of a row hash and of a range digest (hex strings of twice as many characters). */
export const merkleHashBytes = 16;
/** Bytes of row hashes buffered before they are fed to a range hasher. */
const hashChunkBytes = 4 * 1024;
/** Longest table name accepted in a request (characters). */
const tableNameCharsMax = 1_024;

/** One value of a primary-key tuple as it travels (INTEGER beyond 2^53 as bigint, BLOB as Buffer). */
export type MerkleKeyValue = number | bigint | string | Buffer;
/** A primary-key tuple, in key column order. */
export type MerkleKey = MerkleKeyValue[];

export interface MerkleAsk {
  lo: MerkleKey | null;
  hi: MerkleKey | null;
  cuts?: MerkleKey[];
  split?: number;
  rows?: true;
  /** A table without a primary key: the whole table's multiset digest (multiset-digest.ts). */
  multiset?: true;
}

export interface MerkleRequest extends PeerMessage {
  t: typeof merkleRequestType;
  v: number;
  /** Set by the transport if it likes; echoed in the reply. */
  id?: number;
  table: string;
  ranges: MerkleAsk[];
}

export interface MerklePart {
  count: number;
  digest: string;
}

export interface MerkleResult {
  count?: number;
  digest?: string;
  parts?: MerklePart[];
  cuts?: MerkleKey[];
  /** [primary key JSON text, row hash hex], in key order. */
  rows?: [string, string][];
  deferred?: true;
}

export interface MerkleReplyOk extends PeerMessage {
  t: typeof merkleReplyType;
  v: number;
  id?: number;
  ok: true;
  /** Fingerprint of the responder's column list and key: both sides must have the same. */
  schema: string;
  results: MerkleResult[];
}

export interface MerkleReplyError extends PeerMessage {
  t: typeof merkleReplyType;
  v: number;
  id?: number;
  ok: false;
  sqlstate: string;
  message: string;
  detail?: string;
}

export type MerkleReply = MerkleReplyOk | MerkleReplyError;

/** 55000: the table has no primary key, so its rows cannot be matched between nodes. */
export class MerkleNoPrimaryKeyError extends ChorusError {
  constructor(table: string) {
    super('55000', `cannot compare table "${table}" because it has no primary key`, {
      hint: `Add one with ALTER TABLE ${table} ADD PRIMARY KEY (...).`,
    });
  }
}

/** 0A000: a row has NULL in a primary-key column (possible in SQLite, not in PostgreSQL). */
export class MerkleNullKeyError extends ChorusError {
  constructor(table: string, column: string) {
    super(
      '0A000',
      `cannot compare table "${table}": a row has NULL in primary-key column "${column}", which key ranges cannot place`,
    );
  }
}

/** 55000: the two nodes' tables do not have the same columns and key. */
export class MerkleSchemaMismatchError extends ChorusError {
  constructor(table: string, local: string, remote: string) {
    super('55000', `cannot compare table "${table}": its columns or primary key differ between the nodes`, {
      detail: `schema fingerprint here ${local}, on the peer ${remote}`,
      hint: 'Compare the table definitions on both nodes.',
    });
  }
}

/** The peer answered with an error; carries the peer's SQLSTATE. */
export class MerklePeerError extends ChorusError {
  constructor(sqlstate: string, message: string, detail?: string) {
    super(sqlstate, `peer: ${message}`, detail === undefined ? {} : { detail });
  }
}

/** 08P01: a comparison message is malformed or from another protocol version. */
export class MerkleProtocolError extends ChorusError {
  constructor(message: string) {
    super('08P01', `merkle comparison: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hashing

type OneShotHash = (algorithm: string, data: string, encoding: 'buffer') => Buffer;
const oneShotHash = (crypto as unknown as { hash?: OneShotHash }).hash;

export function rowHash(encoded: string): Buffer {
  return oneShotHash
    ? oneShotHash('sha256', encoded, 'buffer')
    : crypto.createHash('sha256').update(encoded).digest();
}

/** Digest of a range: SHA-256 over its row hashes, fed in chunks (the same bytes as one by one). */
class RangeHasher {
  count = 0;
  private readonly hash = crypto.createHash('sha256');
  private readonly chunk = Buffer.allocUnsafe(hashChunkBytes);
  private used = 0;

  add(rowHash: Buffer): void {
    rowHash.copy(this.chunk, this.used, 0, merkleHashBytes);
    this.used += merkleHashBytes;
    this.count++;
    if (this.used === hashChunkBytes) {
      this.hash.update(this.chunk);
      this.used = 0;
    }
  }

  part(): MerklePart {
    if (this.used > 0) this.hash.update(this.chunk.subarray(0, this.used));
    return { count: this.count, digest: this.hash.digest('hex').slice(0, merkleHashBytes * 2) };
  }
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------------------
// One operation at a time per connection: an iterating statement keeps the connection busy across yields.

const connectionLocks = new WeakMap<Database.Database, Promise<void>>();

export async function withConnection<T>(db: Database.Database, fn: () => Promise<T> | T): Promise<T> {
  const previous = connectionLocks.get(db) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  connectionLocks.set(db, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (connectionLocks.get(db) === tail) connectionLocks.delete(db);
  }
}

/** BEGIN a read transaction (a WAL snapshot) unless one is open; returns whether it did. */
export function beginRead(db: Database.Database): boolean {
  if (db.inTransaction) return false;
  db.exec('BEGIN');
  return true;
}

export function endRead(db: Database.Database, began: boolean): void {
  if (began && db.inTransaction) db.exec('COMMIT');
}

// ---------------------------------------------------------------------------------------------------------
// Keys

/** A key value as it travels: exact integers (bigint only beyond 2^53), BLOBs as Buffer. */
function wireValue(v: unknown, table: string, column: string): MerkleKeyValue {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (v === null || v === undefined) throw new MerkleNullKeyError(table, column);
  return v as MerkleKeyValue;
}

/** Validates a received key tuple (of `arity` values) and returns it bindable (Uint8Array as Buffer). */
export function parseKey(raw: unknown, arity: number): MerkleKey {
  if (!Array.isArray(raw) || raw.length !== arity) {
    throw new MerkleProtocolError(`a key must be an array of ${arity} values`);
  }
  return raw.map((v) => {
    if (typeof v === 'string' || typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (v instanceof Uint8Array)
      return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
    throw new MerkleProtocolError('a key value must be a finite number, bigint, string or bytes');
  });
}

export function parseBound(raw: unknown, arity: number): MerkleKey | null {
  return raw === null || raw === undefined ? null : parseKey(raw, arity);
}

/** Rough encoded size of a key (for the message byte budgets). */
export function keyBytes(key: MerkleKey | null): number {
  if (key === null) return 1;
  let n = 2;
  for (const v of key) n += typeof v === 'string' ? v.length * 3 + 5 : Buffer.isBuffer(v) ? v.length + 5 : 9;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// A table's digests

interface ColumnInfo {
  name: string;
  notnull: number;
  pk: number;
}

type StatementKind = 'hash' | 'split' | 'rows' | 'count' | 'skip';

/** Reads of one table on one connection: its shape, fingerprint and cached statements. */
export class MerkleTable {
  readonly name: string;
  readonly columns: string[];
  readonly primaryKey: string[];
  /** Fingerprint of columns and key (hex), compared with the peer's. */
  readonly schema: string;
  /** Rows hashed so far by this object. */
  rowsScanned = 0;
  private readonly nullable: string[];
  private readonly statements = new Map<string, Database.Statement>();
  private sinceYield = 0;

  /** Resolves the table (42P01 if unknown or internal; 55000 without a primary key). */
  constructor(
    private readonly db: Database.Database,
    table: string,
  ) {
    this.name = userTableName(db, table);
    if (this.name.toLowerCase().startsWith('sqlite_')) throw new UndefinedTableError(table);
    const info = db
      .prepare('SELECT name, "notnull", pk FROM pragma_table_info(?)')
      .safeIntegers(false)
      .all(this.name) as ColumnInfo[];
    this.columns = info.map((c) => c.name);
    const keyCols = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    if (keyCols.length === 0) throw new MerkleNoPrimaryKeyError(this.name);
    this.primaryKey = keyCols.map((c) => c.name);
    this.nullable = keyCols.filter((c) => c.notnull === 0).map((c) => c.name);
    this.schema = crypto
      .createHash('sha256')
      .update(JSON.stringify([this.columns, this.primaryKey]))
      .digest('hex')
      .slice(0, 16);
  }

  /** Throws MerkleNullKeyError if a row has NULL in a key column. */
  checkNullKeys(): void {
    for (const c of this.nullable) {
      const found = this.db
        .prepare(`SELECT 1 FROM ${quoteIdent(this.name)} WHERE ${quoteIdent(c)} IS NULL LIMIT 1`)
        .get();
      if (found) throw new MerkleNullKeyError(this.name, c);
    }
  }

  /** Rows in [lo, hi), counted merkleCountRowsPerSliceMax at a time with yields in between. */
  async count(lo: MerkleKey | null, hi: MerkleKey | null): Promise<number> {
    let n = 0;
    let from = lo;
    for (;;) {
      const skip = this.statement('skip', from, hi);
      const next = skip.get(...bind(from, hi), merkleCountRowsPerSliceMax) as MerkleKey | undefined;
      if (next === undefined) return n + Number(this.statement('count', from, hi).get(...bind(from, hi)));
      n += merkleCountRowsPerSliceMax;
      from = next;
      await yieldToEventLoop();
    }
  }

  /** Digests of the parts [lo, cuts[0]), [cuts[0], cuts[1]), ..., [cuts[n-1], hi). */
  async parts(lo: MerkleKey | null, hi: MerkleKey | null, cuts: MerkleKey[]): Promise<MerklePart[]> {
    const out: MerklePart[] = [];
    for (let i = 0; i <= cuts.length; i++) {
      const from = i === 0 ? lo : cuts[i - 1]!;
      const to = i === cuts.length ? hi : cuts[i]!;
      const hasher = new RangeHasher();
      for (const encoded of this.statement('hash', from, to).iterate(...bind(from, to))) {
        hasher.add(rowHash(encoded as string));
        if (this.tick()) await yieldToEventLoop();
      }
      out.push(hasher.part());
    }
    return out;
  }

  /**
   * One ordered scan of [lo, hi) cutting it into at most `fanout` parts of about `expected / fanout` rows
   * each (expected = the range's row count, known or counted): the cut keys and the parts' digests.
   */
  async split(
    lo: MerkleKey | null,
    hi: MerkleKey | null,
    expected: number,
    fanout: number,
  ): Promise<{ cuts: MerkleKey[]; parts: MerklePart[] }> {
    const step = Math.max(1, Math.ceil(expected / fanout));
    const cuts: MerkleKey[] = [];
    const parts: MerklePart[] = [];
    let hasher = new RangeHasher();
    let j = 0;
    for (const row of this.statement('split', lo, hi).iterate(...bind(lo, hi)) as Iterable<unknown[]>) {
      if (j > 0 && j % step === 0 && cuts.length < fanout - 1) {
        parts.push(hasher.part());
        hasher = new RangeHasher();
        cuts.push(this.primaryKey.map((c, i) => wireValue(row[i + 1], this.name, c)));
      }
      hasher.add(rowHash(row[0] as string));
      j++;
      if (this.tick()) await yieldToEventLoop();
    }
    parts.push(hasher.part());
    return { cuts, parts };
  }

  /** The [primary key JSON, row hash hex] pairs of [lo, hi), in key order. */
  async rows(lo: MerkleKey | null, hi: MerkleKey | null): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for (const row of this.statement('rows', lo, hi).iterate(...bind(lo, hi)) as Iterable<[string, string]>) {
      out.push([row[1], rowHash(row[0]).toString('hex', 0, merkleHashBytes)]);
      if (this.tick()) await yieldToEventLoop();
    }
    return out;
  }

  /** Counts a row read; true when it is time to yield to the event loop. */
  private tick(): boolean {
    this.rowsScanned++;
    if (++this.sinceYield < merkleRowsPerSliceMax) return false;
    this.sinceYield = 0;
    return true;
  }

  private statement(kind: StatementKind, lo: MerkleKey | null, hi: MerkleKey | null): Database.Statement {
    const key = `${kind}${lo ? 1 : 0}${hi ? 1 : 0}`;
    let stmt = this.statements.get(key);
    if (!stmt) {
      stmt = this.db.prepare(this.sql(kind, lo !== null, hi !== null));
      // Keys of a split are read exactly (bigint); everything else is text or a count.
      if (kind === 'split' || kind === 'rows' || kind === 'skip')
        stmt.raw(true).safeIntegers(kind !== 'rows');
      else stmt.pluck().safeIntegers(false);
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  private sql(kind: StatementKind, lo: boolean, hi: boolean): string {
    const keys = this.primaryKey.map(quoteIdent);
    const tuple = keys.length === 1 ? keys[0]! : `(${keys.join(', ')})`;
    const params = keys.length === 1 ? '?' : `(${keys.map(() => '?').join(', ')})`;
    const conds = [...(lo ? [`${tuple} >= ${params}`] : []), ...(hi ? [`${tuple} < ${params}`] : [])];
    const from = `FROM ${quoteIdent(this.name)}${conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''}`;
    if (kind === 'count') return `SELECT count(*) ${from}`;
    if (kind === 'skip')
      return `SELECT ${keys.join(', ')} ${from} ORDER BY ${keys.join(', ')} LIMIT 1 OFFSET ?`;
    const encoded = rowEncodingSql(this.columns);
    const extra =
      kind === 'split'
        ? `, ${keys.join(', ')}`
        : kind === 'rows'
          ? `, json_array(${keys.map((k) => jsonValue(k)).join(', ')})`
          : '';
    return `SELECT ${encoded}${extra} ${from} ORDER BY ${keys.join(', ')}`;
  }
}

/** SQL of a row's type-tagged text, the input of its row hash (see the top of this file). */
export function rowEncodingSql(columns: string[]): string {
  return columns
    .map((c) => {
      const q = quoteIdent(c);
      return `CASE typeof(${q}) WHEN 'text' THEN 't' || length(CAST(${q} AS BLOB)) || ':' || ${q} WHEN 'real' THEN CASE WHEN ${negativeZeroSql(q)} THEN '-0.0' ELSE quote(${q}) END ELSE quote(${q}) END`;
    })
    .join(" || ',' || ");
}

function bind(lo: MerkleKey | null, hi: MerkleKey | null): MerkleKeyValue[] {
  return [...(lo ?? []), ...(hi ?? [])];
}

// ---------------------------------------------------------------------------------------------------------
// Messages

/** Checks a request's shape (not yet its keys, whose arity depends on the table). */
export function checkRequest(msg: PeerMessage): MerkleRequest {
  if (msg.t !== merkleRequestType) throw new MerkleProtocolError(`unexpected message type "${msg.t}"`);
  if (msg.v !== merkleProtocolVersion) {
    throw new MerkleProtocolError(
      `protocol version ${String(msg.v)} (this node speaks ${merkleProtocolVersion})`,
    );
  }
  if (typeof msg.table !== 'string' || msg.table.length === 0 || msg.table.length > tableNameCharsMax) {
    throw new MerkleProtocolError('the request names no table');
  }
  const ranges = msg.ranges;
  if (!Array.isArray(ranges) || ranges.length === 0 || ranges.length > merkleRangesPerRequestMax) {
    throw new MerkleProtocolError(`a request carries 1 to ${merkleRangesPerRequestMax} ranges`);
  }
  for (const a of ranges as unknown[]) {
    if (typeof a !== 'object' || a === null || Array.isArray(a))
      throw new MerkleProtocolError('a range is not an object');
    const ask = a as Record<string, unknown>;
    const kinds = [ask.cuts, ask.split, ask.rows, ask.multiset].filter((k) => k !== undefined);
    if (kinds.length > 1)
      throw new MerkleProtocolError('a range asks for at most one of cuts, split, rows, multiset');
    if (ask.multiset !== undefined && ask.multiset !== true)
      throw new MerkleProtocolError('multiset must be true');
    if (ask.cuts !== undefined && (!Array.isArray(ask.cuts) || ask.cuts.length > merkleFanout)) {
      throw new MerkleProtocolError(`cuts must be an array of at most ${merkleFanout} keys`);
    }
    if (
      ask.split !== undefined &&
      (typeof ask.split !== 'number' ||
        !Number.isInteger(ask.split) ||
        ask.split < 2 ||
        ask.split > merkleFanout)
    ) {
      throw new MerkleProtocolError(`split must be an integer from 2 to ${merkleFanout}`);
    }
    if (ask.rows !== undefined && ask.rows !== true) throw new MerkleProtocolError('rows must be true');
  }
  return msg as MerkleRequest;
}

export function sumCounts(parts: MerklePart[]): number {
  return parts.reduce((n, p) => n + p.count, 0);
}
