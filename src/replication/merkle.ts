// Split-brain detection, comparison driver: compareTable() finds the rows of one table that differ between
// this node and a peer by exchanging primary-key range digests (merkle-digest.ts: messages, hashing, the
// responder) over a transport the caller supplies (`ask`: send a request, resolve with the peer's reply).
//
// Algorithm. Ranges still to compare are kept in key order; each round sends one request with up to
// merkleRangesPerRequestMax of the first of them (all differing ranges of a level when they fit) and
// replaces each with its differing parts, so leaves are reached depth-first and the differing-row cap stops
// the work early. Per range:
//   - both sides hold <= leafRowsMax rows (counts come with the digests): exchange [pk, row hash] pairs and
//     diff them;
//   - this side holds at least as many rows as the peer (or the peer's count is not known yet): ONE ordered
//     local scan cuts it into `fanout` parts at every n/fanout-th own key and digests them; the peer digests
//     the same parts ({ cuts });
//   - the peer holds more rows (e.g. this side is empty there): the peer cuts at its own keys ({ split })
//     and this side digests those parts.
// The first round asks for the whole table already cut, so equal tables take one round and a table
// differing anywhere is never hashed twice by the peer. Parts whose (count, digest) differ are compared
// next; equal ones are done. Bounds: merkleRoundsMax exchanges and merkleDifferingRowsMax reported rows
// (then `truncated: true`), merkleRangesPerRequestMax asks and merkleRequestBytesMax per request.
//
// Consistency: all local reads of one comparison run in one read transaction on the caller's dedicated
// read-only connection (a WAL snapshot) unless it already has one open; the peer answers each request
// from its own snapshot, so a table written during the comparison may show transient differences.
// Bytes are counted as peer-link frames (encodeFrame, msgpack, uncompressed) unless `measure` is given.
import type Database from 'better-sqlite3';
import { ChorusError, InvalidParameterValueError } from '../errors.js';
import { encodeFrame } from './frames.js';
import type { PeerMessage } from './link.js';
import {
  beginRead,
  endRead,
  keyBytes,
  type MerkleAsk,
  type MerkleKey,
  type MerklePart,
  MerkleProtocolError,
  type MerkleRequest,
  type MerkleResult,
  MerkleSchemaMismatchError,
  MerkleTable,
  merkleDifferingRowsMax,
  merkleFanout,
  merkleLeafRowsMax,
  merkleProtocolVersion,
  merkleRangesPerRequestMax,
  merkleReplyType,
  merkleRequestBytesMax,
  merkleRequestType,
  merkleRoundsMax,
  parseKey,
  sumCounts,
  withConnection,
} from './merkle-digest.js';

export {
  type MerkleAsk,
  type MerkleKey,
  type MerkleKeyValue,
  MerkleNoPrimaryKeyError,
  MerkleNullKeyError,
  type MerklePart,
  MerkleProtocolError,
  type MerkleReply,
  type MerkleReplyError,
  type MerkleReplyOk,
  type MerkleRequest,
  MerkleResponder,
  type MerkleResult,
  MerkleSchemaMismatchError,
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
  merkleRowsPerSliceMax,
} from './merkle-digest.js';

/** Frame size limit used only to measure messages (the real link enforces its own). */
const measureFrameBytesMax = 0x7fff_ffff;

/** The transport: deliver `req` to the peer's MerkleResponder.handle() and resolve with its reply. */
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
}

/** The peer answered with an error; carries the peer's SQLSTATE. */
export class MerklePeerError extends ChorusError {
  constructor(sqlstate: string, message: string, detail?: string) {
    super(sqlstate, `peer: ${message}`, detail === undefined ? {} : { detail });
  }
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

function frameBytes(msg: PeerMessage): number {
  return encodeFrame(msg, {
    compression: { enabled: false, thresholdBytes: 0 },
    frameBytesMax: measureFrameBytesMax,
  }).length;
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
 * `ask`. Throws UndefinedTableError (42P01), MerkleNoPrimaryKeyError (55000), MerkleNullKeyError (0A000),
 * MerkleSchemaMismatchError (55000), MerklePeerError (the peer's SQLSTATE) or whatever `ask` rejects with.
 */
export async function compareTable(
  db: Database.Database,
  table: string,
  ask: MerkleAskFn,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const limits: Limits = {
    fanout: limitOption('fanout', options.fanout, 2, merkleFanout),
    leafRowsMax: limitOption('leafRowsMax', options.leafRowsMax, 1, merkleLeafRowsMax),
    differingRowsMax: limitOption('differingRowsMax', options.differingRowsMax, 1, merkleDifferingRowsMax),
    roundsMax: limitOption('roundsMax', options.roundsMax, 1, merkleRoundsMax),
    rangesPerRequestMax: limitOption(
      'rangesPerRequestMax',
      options.rangesPerRequestMax,
      1,
      merkleRangesPerRequestMax,
    ),
  };
  const began = await withConnection(db, () => beginRead(db));
  try {
    const { local, localRows } = await withConnection(db, () => {
      const t = new MerkleTable(db, table);
      t.checkNullKeys();
      return { local: t, localRows: t.count(null, null) };
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
      id: ++this.rounds,
      table: this.table.name,
      ranges: plans.map((p) => p.ask),
    };
    this.requestBytes += this.measure(req);
    const reply = await this.ask(req);
    this.replyBytes += this.measure(reply);
    const results = this.checkReply(reply, req, plans.length);
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

  private checkReply(reply: PeerMessage, req: MerkleRequest, asks: number): MerkleResult[] {
    if (reply.t !== merkleReplyType || reply.id !== req.id) {
      throw new MerkleProtocolError(
        `expected ${merkleReplyType} ${req.id}, got ${reply.t} ${String(reply.id)}`,
      );
    }
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
