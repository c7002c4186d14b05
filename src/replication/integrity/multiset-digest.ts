// Comparing a table without a primary key: its rows have no name shared by the nodes, so key ranges
// cannot place them; both sides digest the whole table as a multiset of rows instead — the row count
// and the sum modulo 2^128 of the row hashes (merkle-digest.ts's type-tagged row hash). A sum is
// order-independent (rowids and scan order differ per node) and counts duplicates (XOR would cancel
// two equal rows). The comparison says whether the tables differ and each side's row count, not
// which rows: one round, one table scan per side.
import * as crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { quoteIdent } from '../../sql/lexer.js';
import { userTableName } from '../../storage/tables/table-ops.js';
import type { PeerMessage } from '../link/link.js';
import {
  beginRead,
  endRead,
  type MerklePart,
  MerklePeerError,
  MerkleProtocolError,
  type MerkleRequest,
  MerkleSchemaMismatchError,
  merkleHashBytes,
  merkleProtocolVersion,
  merkleReplyType,
  merkleRequestType,
  merkleRowsPerSliceMax,
  rowEncodingSql,
  rowHash,
  withConnection,
  yieldToEventLoop,
} from './merkle-digest.js';

/** 32-bit words of the 128-bit sum. */
const sumWords = merkleHashBytes / 4;

/** The multiset digest of rows added in any order: count and sum of row hashes mod 2^128. */
export class MultisetHasher {
  count = 0;
  /** Little-endian 32-bit words of the sum. */
  private readonly words = new Uint32Array(sumWords);

  /** Adds one row hash (its first merkleHashBytes bytes, read as a little-endian number). */
  add(hash: Buffer): void {
    let carry = 0;
    for (let i = 0; i < sumWords; i++) {
      const s = this.words[i]! + hash.readUInt32LE(i * 4) + carry;
      this.words[i] = s >>> 0;
      carry = s > 0xffffffff ? 1 : 0;
    }
    this.count++;
  }

  part(): MerklePart {
    return { count: this.count, digest: Buffer.from(this.words.buffer).toString('hex') };
  }
}

/** Whether the table has no primary key (compared with multisetDigest, not key ranges). */
export function isKeyless(db: Database.Database, table: string): boolean {
  const name = userTableName(db, table);
  const row = db.prepare('SELECT count(*) AS n FROM pragma_table_info(?) WHERE pk > 0').get(name) as {
    n: number | bigint;
  };
  return Number(row.n) === 0;
}

/** A keyless table on one connection: its fingerprint and its multiset digest. */
export class KeylessTable {
  readonly name: string;
  readonly columns: string[];
  /** Fingerprint of the columns (and of "no key"), as MerkleTable's. */
  readonly schema: string;
  rowsScanned = 0;

  constructor(
    private readonly db: Database.Database,
    table: string,
  ) {
    this.name = userTableName(db, table);
    const info = db
      .prepare('SELECT name, pk FROM pragma_table_info(?)')
      .safeIntegers(false)
      .all(this.name) as { name: string; pk: number }[];
    this.columns = info.map((c) => c.name);
    // The real key (none, where both sides agree): a peer whose table has a key differs.
    const key = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    this.schema = crypto
      .createHash('sha256')
      .update(JSON.stringify([this.columns, key]))
      .digest('hex')
      .slice(0, 16);
  }

  /** Count and multiset digest of every row, yielding every merkleRowsPerSliceMax rows. */
  async digest(): Promise<MerklePart> {
    const hasher = new MultisetHasher();
    const sql = `SELECT ${rowEncodingSql(this.columns)} FROM ${quoteIdent(this.name)}`;
    const stmt = this.db.prepare(sql).pluck().safeIntegers(false);
    let slice = 0;
    for (const encoded of stmt.iterate()) {
      hasher.add(rowHash(encoded as string));
      this.rowsScanned++;
      if (++slice === merkleRowsPerSliceMax) {
        slice = 0;
        await yieldToEventLoop();
      }
    }
    return hasher.part();
  }
}

/** "<rows> rows <multiset digest>" of a keyless table, read in one snapshot on `db` (a reader). */
export function keylessDigestText(db: Database.Database, table: string): Promise<string> {
  return withConnection(db, async () => {
    const began = beginRead(db);
    try {
      const d = await new KeylessTable(db, table).digest();
      return `${d.count} rows ${d.digest}`;
    } finally {
      endRead(db, began);
    }
  });
}

/** The ask of a keyless table's comparison. */
export function isMultisetRequest(req: MerkleRequest): boolean {
  return req.ranges.length === 1 && req.ranges[0]!.multiset === true;
}

/** What compareKeyless finds (compareTable's result: no rows named, `keylessDiffers` set). */
export interface KeylessCompareResult {
  table: string;
  differing: never[];
  truncated: false;
  localRows: number;
  remoteRows: number;
  rounds: number;
  rangesCompared: number;
  rowsScanned: number;
  requestBytes: number;
  replyBytes: number;
  /** The two sides' (count, multiset digest) differ. */
  keylessDiffers: boolean;
}

/**
 * Compares keyless `table` here (read through `db`, a dedicated read-only connection, in one read
 * transaction) with the peer behind `ask`: one request, one reply. Throws as compareTable does.
 */
export async function compareKeyless(
  db: Database.Database,
  table: string,
  ask: (req: MerkleRequest) => Promise<PeerMessage>,
  measure: (msg: PeerMessage) => number,
): Promise<KeylessCompareResult> {
  const { t, local } = await withConnection(db, async () => {
    const began = beginRead(db);
    try {
      const t = new KeylessTable(db, table);
      return { t, local: await t.digest() };
    } finally {
      endRead(db, began);
    }
  });
  const req: MerkleRequest = {
    t: merkleRequestType,
    v: merkleProtocolVersion,
    table: t.name,
    ranges: [{ lo: null, hi: null, multiset: true }],
  };
  const reply = await ask(req);
  if (reply.t !== merkleReplyType)
    throw new MerkleProtocolError(`expected ${merkleReplyType}, got ${reply.t}`);
  if (reply.ok !== true) {
    throw new MerklePeerError(
      typeof reply.sqlstate === 'string' ? reply.sqlstate : 'XX000',
      typeof reply.message === 'string' ? reply.message : 'comparison failed',
      typeof reply.detail === 'string' ? reply.detail : undefined,
    );
  }
  if (reply.schema !== t.schema) throw new MerkleSchemaMismatchError(t.name, t.schema, String(reply.schema));
  const results = reply.results as unknown;
  const r = Array.isArray(results) && results.length === 1 ? (results[0] as Record<string, unknown>) : null;
  if (
    r === null ||
    typeof r.count !== 'number' ||
    !Number.isSafeInteger(r.count) ||
    r.count < 0 ||
    typeof r.digest !== 'string'
  )
    throw new MerkleProtocolError('a multiset result must carry a row count and a digest');
  return {
    table: t.name,
    differing: [],
    truncated: false,
    localRows: local.count,
    remoteRows: r.count,
    rounds: 1,
    rangesCompared: 1,
    rowsScanned: t.rowsScanned,
    requestBytes: measure(req),
    replyBytes: measure(reply),
    keylessDiffers: local.count !== r.count || local.digest !== r.digest,
  };
}
