// Split-brain detection, the protocol's two ends (messages, hashing and MerkleTable are in merkle-digest.ts):
// MerkleResponder answers a peer's requests; compareTable() finds the rows of one table that differ between
// this node and a peer through a transport the caller supplies (`ask`: send a request, resolve with the
// peer's reply).
//
// Algorithm. Ranges still to compare are kept in key order; each round sends one request with up to
// merkleRangesPerRequestMax of the first of them (all differing ranges of a level when they fit) and
// replaces each with its differing parts, so leaves are reached depth-first and the differing-row cap stops
// the work early. Per range:
//   - both sides hold <= leafRowsMax rows (counts come with the digests): exchange [pk, row hash] pairs;
//   - this side holds at least as many rows as the peer (or the peer's count is not known yet): ONE ordered
//     local scan cuts it into `fanout` parts at every n/fanout-th own key and digests them; the peer digests
//     the same parts ({ cuts });
//   - the peer holds more rows (e.g. this side is empty there): the peer cuts at its own keys ({ split })
//     and this side digests those parts.
// The first round asks for the whole table already cut, so equal tables take one round and the peer never
// hashes a row twice. Parts whose (count, digest) differ are compared next. Bounds: merkleRoundsMax
// exchanges and merkleDifferingRowsMax rows (then `truncated: true`), merkleRangesPerRequestMax asks and
// merkleRequestBytesMax per request, merkleReplyBytesMax per reply.
//
// Consistency: the local reads of one comparison run in one read transaction on the caller's dedicated
// read-only connection (a WAL snapshot) unless one is open already; the responder answers each request
// from one snapshot. Meaningful when the table is quiet: a concurrent write shows as a transient difference.
// Bytes are counted as peer-link frames (encodeFrame, msgpack, uncompressed) unless `measure` is given.
import type Database from 'better-sqlite3';
import { InvalidParameterValueError } from '../../errors.js';
import { toChorusError } from '../../storage/sqlite-errors.js';
import { encodeFrame } from '../link/frames.js';
import type { PeerMessage } from '../link/link.js';
import {
  beginRead,
  checkRequest,
  endRead,
  keyBytes,
  type MerkleAsk,
  type MerkleKey,
  type MerklePart,
  MerklePeerError,
  MerkleProtocolError,
  type MerkleReply,
  type MerkleRequest,
  type MerkleResult,
  MerkleSchemaMismatchError,
  MerkleTable,
  merkleDifferingRowsMax,
  merkleFanout,
  merkleHashBytes,
  merkleLeafRowsMax,
  merkleProtocolVersion,
  merkleRangesPerRequestMax,
  merkleReplyBytesMax,
  merkleReplyType,
  merkleRequestBytesMax,
  merkleRequestType,
  merkleRoundsMax,
  parseBound,
  parseKey,
  sumCounts,
  withConnection,
} from './merkle-digest.js';

import { compareKeyless, isKeyless, isMultisetRequest, KeylessTable } from './multiset-digest.js';

export * from './merkle-digest.js';

/**
 * Answers comparison requests from a peer over a dedicated read-only connection of this node's database.
 * handle() never throws: errors become `{ ok: false, sqlstate, message }` replies.
 */
export class MerkleResponder {
  private readonly tables = new Map<string, MerkleTable>();

  constructor(private readonly db: Database.Database) {}

  async handle(msg: PeerMessage): Promise<MerkleReply> {
    const id = typeof msg.id === 'number' ? { id: msg.id } : {};
    const head = { t: merkleReplyType, v: merkleProtocolVersion, ...id } as const;
    try {
      const req = checkRequest(msg);
      return await withConnection(this.db, async () => {
        const began = beginRead(this.db);
        try {
          if (isMultisetRequest(req)) {
            const keyless = new KeylessTable(this.db, req.table);
            return { ...head, ok: true, schema: keyless.schema, results: [await keyless.digest()] };
          }
          if (req.ranges.some((a) => a.multiset)) throw new MerkleProtocolError('a multiset ask comes alone');
          const table = this.table(req.table);
          return { ...head, ok: true, schema: table.schema, results: await this.answer(table, req.ranges) };
        } finally {
          endRead(this.db, began);
        }
      });
    } catch (err) {
      const e = toChorusError(err);
      return {
        ...head,
        ok: false,
        sqlstate: e.sqlstate,
        message: e.message,
        ...(e.detail && { detail: e.detail }),
      };
    }
  }

  /** The table's reader, rebuilt when its columns or key changed since the last request. */
  private table(name: string): MerkleTable {
    const fresh = new MerkleTable(this.db, name);
    const cached = this.tables.get(fresh.name);
    if (cached && cached.schema === fresh.schema) return cached;
    this.tables.set(fresh.name, fresh);
    return fresh;
  }

  private async answer(table: MerkleTable, asks: MerkleAsk[]): Promise<MerkleResult[]> {
    const arity = table.primaryKey.length;
    const results: MerkleResult[] = [];
    let bytes = 0;
    for (const raw of asks) {
      if (bytes >= merkleReplyBytesMax) {
        results.push({ deferred: true });
        continue;
      }
      const lo = parseBound(raw.lo, arity);
      const hi = parseBound(raw.hi, arity);
      if (lo === null && hi === null) table.checkNullKeys();
      let result: MerkleResult;
      if (raw.rows) {
        const count = await table.count(lo, hi);
        if (count > merkleLeafRowsMax) result = { count };
        else {
          const rows = await table.rows(lo, hi);
          result = { count: rows.length, rows };
          for (const [pk] of rows) bytes += pk.length * 3 + merkleHashBytes * 2 + 8;
        }
      } else if (raw.split !== undefined) {
        const { cuts, parts } = await table.split(lo, hi, await table.count(lo, hi), raw.split);
        result = { count: sumCounts(parts), cuts, parts };
        for (const c of cuts) bytes += keyBytes(c);
      } else {
        const cuts = (raw.cuts ?? []).map((c) => parseKey(c, arity));
        const parts = await table.parts(lo, hi, cuts);
        result = raw.cuts === undefined ? parts[0]! : { count: sumCounts(parts), parts };
      }
      bytes += 16 + (result.parts?.length ?? 1) * (merkleHashBytes * 2 + 24);
      results.push(result);
    }
    return results;
  }
}

/**
 * The transport: deliver `req` to the peer's MerkleResponder.handle() and resolve with its reply. Requests
 * carry no `id`: correlation is the transport's (it may add an `id`, which the responder echoes).
 */
export type MerkleAskFn = (req: MerkleRequest) => Promise<PeerMessage>;

export interface CompareOptions {
  /** Parts per split, 2..merkleFanout (default merkleFanout). */
  fanout?: number;
  /** Leaf size, 1..merkleLeafRowsMax (default merkleLeafRowsMax). */
  leafRowsMax?: number;
  /** 1..merkleDifferingRowsMax (default merkleDifferingRowsMax). */
  differingRowsMax?: number;
  /** 1..merkleRoundsMax (default merkleRoundsMax). */
  roundsMax?: number;
  /** 1..merkleRangesPerRequestMax (default merkleRangesPerRequestMax). */
  rangesPerRequestMax?: number;
  /** Bytes a message costs on the wire (default: its uncompressed peer-link frame). */
  measure?: (msg: PeerMessage) => number;
  /** Checked before every round. */
  signal?: AbortSignal;
}

export type Presence = 'present' | 'absent';

export interface DifferingRow {
  /** Primary key as a JSON array text, as in the replication log. */
  pk: string;
  local: Presence;
  remote: Presence;
  localHash: string | null;
  remoteHash: string | null;
}

export interface CompareResult {
  table: string;
  /** By range in key order; within a leaf, rows present here first, then rows only on the peer. */
  differing: DifferingRow[];
  /** The differing-row cap or the round cap was reached: `differing` is a subset. */
  truncated: boolean;
  localRows: number;
  /** The peer's row count (null if no round completed). */
  remoteRows: number | null;
  rounds: number;
  /** Range digests and leaves compared. */
  rangesCompared: number;
  /** Rows this side hashed. */
  rowsScanned: number;
  requestBytes: number;
  replyBytes: number;
  /**
   * A table without a primary key (compared as a multiset of rows, multiset-digest.ts): whether its
   * rows differ. `differing` stays empty: such rows have no key to name them by.
   */
  keylessDiffers?: boolean;
}

interface Limits {
  fanout: number;
  leafRowsMax: number;
  differingRowsMax: number;
  roundsMax: number;
  rangesPerRequestMax: number;
}

function limitOption(name: keyof Limits, value: number | undefined, min: number, max: number): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValueError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Bytes of `msg` as an uncompressed peer-link frame (no size limit: the real link enforces its own). */
function frameBytes(msg: PeerMessage): number {
  return encodeFrame(msg, { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax: 2 ** 31 - 1 })
    .length;
}

/** A range still to compare, with the row counts known on each side. */
interface Pending {
  lo: MerkleKey | null;
  hi: MerkleKey | null;
  local: number;
  remote: number | undefined;
}

type Plan =
  | { kind: 'rows'; item: Pending; ask: MerkleAsk }
  | { kind: 'cuts'; item: Pending; ask: MerkleAsk; cuts: MerkleKey[]; parts: MerklePart[] }
  | { kind: 'split'; item: Pending; ask: MerkleAsk };

/**
 * Compares `table` on this node (read through `db`, a dedicated read-only connection) with the peer behind
 * `ask` (a table without a primary key: as a multiset of rows, in one round). Throws UndefinedTableError (42P01), MerkleNoPrimaryKeyError (55000), MerkleNullKeyError (0A000),
 * MerkleSchemaMismatchError (55000), MerklePeerError (the peer's SQLSTATE) or whatever `ask` rejects with.
 */
export async function compareTable(
  db: Database.Database,
  table: string,
  ask: MerkleAskFn,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const limit = (name: keyof Limits, min: number, max: number): number =>
    limitOption(name, options[name], min, max);
  const limits: Limits = {
    fanout: limit('fanout', 2, merkleFanout),
    leafRowsMax: limit('leafRowsMax', 1, merkleLeafRowsMax),
    differingRowsMax: limit('differingRowsMax', 1, merkleDifferingRowsMax),
    roundsMax: limit('roundsMax', 1, merkleRoundsMax),
    rangesPerRequestMax: limit('rangesPerRequestMax', 1, merkleRangesPerRequestMax),
  };
  if (await withConnection(db, () => isKeyless(db, table)))
    return compareKeyless(db, table, ask, options.measure ?? frameBytes);
  const began = await withConnection(db, () => beginRead(db));
  try {
    const { local, localRows } = await withConnection(db, async () => {
      const t = new MerkleTable(db, table);
      t.checkNullKeys();
      return { local: t, localRows: await t.count(null, null) };
    });
    const run = new Comparison(db, local, ask, limits, options.measure ?? frameBytes, localRows);
    await run.run(options.signal);
    return {
      table: local.name,
      differing: run.differing,
      truncated: run.truncated,
      localRows,
      remoteRows: run.remoteRows,
      rounds: run.rounds,
      rangesCompared: run.rangesCompared,
      rowsScanned: local.rowsScanned,
      requestBytes: run.requestBytes,
      replyBytes: run.replyBytes,
    };
  } finally {
    await withConnection(db, () => endRead(db, began));
  }
}

class Comparison {
  readonly differing: DifferingRow[] = [];
  truncated = false;
  remoteRows: number | null = null;
  rounds = 0;
  rangesCompared = 0;
  requestBytes = 0;
  replyBytes = 0;
  private pending: Pending[];

  constructor(
    private readonly db: Database.Database,
    private readonly table: MerkleTable,
    private readonly ask: MerkleAskFn,
    private readonly limits: Limits,
    private readonly measure: (msg: PeerMessage) => number,
    localRows: number,
  ) {
    this.pending = [{ lo: null, hi: null, local: localRows, remote: undefined }];
  }

  async run(signal: AbortSignal | undefined): Promise<void> {
    while (this.pending.length > 0 && !this.truncated) {
      signal?.throwIfAborted();
      if (this.rounds >= this.limits.roundsMax) {
        this.truncated = true;
        break;
      }
      await this.round();
    }
  }

  /** One request/reply exchange over the first pending ranges. */
  private async round(): Promise<void> {
    const plans = await withConnection(this.db, () => this.plan());
    const req: MerkleRequest = {
      t: merkleRequestType,
      v: merkleProtocolVersion,
      table: this.table.name,
      ranges: plans.map((p) => p.ask),
    };
    this.rounds++;
    this.requestBytes += this.measure(req);
    const reply = await this.ask(req);
    this.replyBytes += this.measure(reply);
    const results = this.checkReply(reply, plans.length);
    const next = await withConnection(this.db, () => this.absorb(plans, results));
    this.pending = next.concat(this.pending);
  }

  /** Takes the first pending ranges into a request, cutting those this side splits (local scans). */
  private async plan(): Promise<Plan[]> {
    const { leafRowsMax, fanout, rangesPerRequestMax } = this.limits;
    const plans: Plan[] = [];
    let bytes = 64;
    while (this.pending.length > 0 && plans.length < rangesPerRequestMax && bytes < merkleRequestBytesMax) {
      const item = this.pending.shift()!;
      const { lo, hi, local, remote } = item;
      bytes += keyBytes(lo) + keyBytes(hi) + 16;
      if (remote !== undefined && local <= leafRowsMax && remote <= leafRowsMax) {
        plans.push({ kind: 'rows', item, ask: { lo, hi, rows: true } });
      } else if (remote === undefined ? local > 0 : local >= remote) {
        const { cuts, parts } = await this.table.split(lo, hi, local, fanout);
        for (const c of cuts) bytes += keyBytes(c);
        plans.push({ kind: 'cuts', item, ask: { lo, hi, cuts }, cuts, parts });
      } else {
        plans.push({ kind: 'split', item, ask: { lo, hi, split: fanout } });
      }
    }
    return plans;
  }

  private checkReply(reply: PeerMessage, asks: number): MerkleResult[] {
    if (reply.t !== merkleReplyType)
      throw new MerkleProtocolError(`expected ${merkleReplyType}, got ${reply.t}`);
    if (reply.ok !== true) {
      throw new MerklePeerError(
        typeof reply.sqlstate === 'string' ? reply.sqlstate : 'XX000',
        typeof reply.message === 'string' ? reply.message : 'comparison failed',
        typeof reply.detail === 'string' ? reply.detail : undefined,
      );
    }
    if (reply.schema !== this.table.schema) {
      throw new MerkleSchemaMismatchError(this.table.name, this.table.schema, String(reply.schema));
    }
    if (!Array.isArray(reply.results) || reply.results.length !== asks) {
      throw new MerkleProtocolError(`a reply must carry one result per range (${asks})`);
    }
    return reply.results.map(checkResult);
  }

  /** Folds one reply in: the differing parts to compare next (in key order), and differing rows. */
  private async absorb(plans: Plan[], results: MerkleResult[]): Promise<Pending[]> {
    const next: Pending[] = [];
    for (let i = 0; i < plans.length && !this.truncated; i++) {
      const plan = plans[i]!;
      const r = results[i]!;
      const { lo, hi } = plan.item;
      if (r.deferred) {
        next.push(plan.item);
        continue;
      }
      const count = r.count!;
      if (lo === null && hi === null) this.remoteRows = count;
      if (plan.kind === 'rows') {
        if (r.rows === undefined) {
          if (count <= this.limits.leafRowsMax)
            throw new MerkleProtocolError('the peer sent no rows for a leaf');
          next.push({ ...plan.item, remote: count });
        } else {
          this.rangesCompared++;
          this.diffRows(await this.table.rows(lo, hi), r.rows);
        }
        continue;
      }
      const arity = this.table.primaryKey.length;
      let cuts: MerkleKey[];
      let localParts: MerklePart[];
      if (plan.kind === 'cuts') {
        cuts = plan.cuts;
        localParts = plan.parts;
      } else {
        if (!Array.isArray(r.cuts) || r.cuts.length >= merkleFanout) {
          throw new MerkleProtocolError('a split result must carry fewer cuts than the fanout');
        }
        cuts = r.cuts.map((c) => parseKey(c, arity));
        localParts = await this.table.parts(lo, hi, cuts);
      }
      const remoteParts = r.parts;
      if (!remoteParts || remoteParts.length !== cuts.length + 1) {
        throw new MerkleProtocolError('a result must carry one part per cut plus one');
      }
      for (let p = 0; p < localParts.length; p++) {
        const a = localParts[p]!;
        const b = remoteParts[p]!;
        this.rangesCompared++;
        if (a.count === b.count && a.digest === b.digest) continue;
        next.push({
          lo: p === 0 ? lo : cuts[p - 1]!,
          hi: p === cuts.length ? hi : cuts[p]!,
          local: a.count,
          remote: b.count,
        });
      }
    }
    return next;
  }

  private diffRows(local: [string, string][], remote: [string, string][]): void {
    const theirs = new Map(remote);
    for (const [pk, hash] of local) {
      const other = theirs.get(pk);
      theirs.delete(pk);
      if (other === hash) continue;
      this.report({
        pk,
        local: 'present',
        remote: other === undefined ? 'absent' : 'present',
        localHash: hash,
        remoteHash: other ?? null,
      });
    }
    for (const [pk, hash] of theirs) {
      this.report({ pk, local: 'absent', remote: 'present', localHash: null, remoteHash: hash });
    }
  }

  private report(row: DifferingRow): void {
    if (this.differing.length >= this.limits.differingRowsMax) this.truncated = true;
    else this.differing.push(row);
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isPart(v: unknown): v is MerklePart {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return isCount(p.count) && typeof p.digest === 'string';
}

/** Validates one result of a reply (keys of `cuts` are checked by the caller, who knows the arity). */
function checkResult(raw: unknown): MerkleResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MerkleProtocolError('a result is not an object');
  }
  const r = raw as Record<string, unknown>;
  if (r.deferred === true) return { deferred: true };
  if (!isCount(r.count)) throw new MerkleProtocolError('a result has no row count');
  if (r.parts !== undefined && !(Array.isArray(r.parts) && r.parts.every(isPart))) {
    throw new MerkleProtocolError('malformed parts');
  }
  if (r.parts !== undefined && sumCounts(r.parts as MerklePart[]) !== r.count) {
    throw new MerkleProtocolError('part counts do not add up to the range count');
  }
  if (
    r.rows !== undefined &&
    !(
      Array.isArray(r.rows) &&
      r.rows.length <= merkleLeafRowsMax &&
      r.rows.every(
        (x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string',
      )
    )
  ) {
    throw new MerkleProtocolError('malformed rows');
  }
  return r as MerkleResult;
}
