// Log retention: the replication log is kept until every known peer has acknowledged it (and for at
// least log_retention_min_ms), up to a byte cap ([replication.buffers] wal_buffer_size_mb). Past the cap the oldest entries go anyway
// and peers that still lacked them are marked as needing a snapshot (they are then refused with a
// clear message instead of being sent a log with holes). The newest transaction of each origin is
// always kept, so the applied vector survives restarts.

import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';

/** Transactions deleted per statement, so one pass never holds the writer for long. */
export const retentionDeleteTxsMax = 20_000;

export interface RetentionResult {
  deletedTxs: number;
  logBytes: number;
  newlyNeedingSnapshot: string[];
}

export class LogRetention {
  private readonly db: Database.Database;
  private readonly stmts;
  /** The highest origin_seq per origin that was truncated from the log. */
  floor: Vector;
  /** Peers caught up again (streaming resumed): their needs-snapshot mark goes at the next pass. */
  private readonly clearMarks = new Set<string>();

  constructor(
    engine: StorageEngine,
    private readonly capBytes: number,
    private readonly logger: Logger,
    /** [replication] log_retention_min_ms: acknowledged transactions younger than this are kept. */
    private readonly keepMs = 0,
  ) {
    this.db = engine.writer;
    const prep = (sql: string): Database.Statement => {
      const s = this.db.prepare(sql);
      s.safeIntegers(false);
      return s;
    };
    this.stmts = {
      peers: prep('SELECT peer_id, acked, needs_snapshot FROM _chorus_peers'),
      putPeer: prep(
        'INSERT INTO _chorus_peers (peer_id, acked, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (peer_id) DO UPDATE SET acked = excluded.acked, updated_at_ms = excluded.updated_at_ms',
      ),
      markSnapshot: prep('UPDATE _chorus_peers SET needs_snapshot = ? WHERE peer_id = ?'),
      removePeer: prep('DELETE FROM _chorus_peers WHERE peer_id = ?'),
      covered: prep(
        `SELECT t.txid FROM _chorus_tx t
          WHERE t.origin_seq <= coalesce(json_extract(?, '$."' || t.origin || '"'), 0)
            AND t.committed_at_ms <= ?
            AND t.origin_seq < (SELECT max(u.origin_seq) FROM _chorus_tx u WHERE u.origin = t.origin)
          ORDER BY t.txid LIMIT ?`,
      ),
      oldest: prep(
        `SELECT t.txid, t.origin, t.origin_seq FROM _chorus_tx t
          WHERE t.origin_seq < (SELECT max(u.origin_seq) FROM _chorus_tx u WHERE u.origin = t.origin)
          ORDER BY t.txid LIMIT ?`,
      ),
      txInfo: prep('SELECT origin, origin_seq FROM _chorus_tx WHERE txid = ?'),
      delLog: prep('DELETE FROM _chorus_log WHERE txid = ?'),
      delTx: prep('DELETE FROM _chorus_tx WHERE txid = ?'),
      logBytes: prep(
        "SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat('main', 1) WHERE name IN ('_chorus_log', '_chorus_tx')",
      ),
      getFloor: prep("SELECT value FROM _chorus_meta WHERE key = 'log_floor'"),
      putFloor: prep("INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES ('log_floor', ?)"),
    };
    const f = this.stmts.getFloor.get() as { value: string } | undefined;
    this.floor = f ? (JSON.parse(f.value) as Vector) : {};
  }

  /** Persisted acknowledgements of every peer seen so far. */
  peers(): Map<string, { acked: Vector; needsSnapshot: boolean }> {
    const out = new Map<string, { acked: Vector; needsSnapshot: boolean }>();
    for (const r of this.stmts.peers.all() as { peer_id: string; acked: string; needs_snapshot: number }[]) {
      out.set(r.peer_id, { acked: JSON.parse(r.acked) as Vector, needsSnapshot: r.needs_snapshot === 1 });
    }
    return out;
  }

  /** Does a peer with this vector lack transactions the log no longer has? */
  lacksTruncated(peer: Vector): boolean {
    return Object.entries(this.floor).some(([o, s]) => (peer[o] ?? 0) < s);
  }

  /**
   * One pass, inside a write transaction the caller opened (holding the writer): persist peer
   * acknowledgements, delete what every peer has, then enforce the byte cap.
   */
  run(acked: Map<string, Vector>, nowMs: number, expectedPeers: number): RetentionResult {
    for (const peer of this.clearMarks) this.stmts.markSnapshot.run(0, peer);
    this.clearMarks.clear();
    for (const [peer, v] of acked) this.stmts.putPeer.run(peer, JSON.stringify(v), nowMs);
    const known = this.peers();
    const result: RetentionResult = { deletedTxs: 0, logBytes: 0, newlyNeedingSnapshot: [] };
    // Until every configured peer has been seen, nothing may be dropped: it may need all of it.
    if (known.size > 0 && known.size >= expectedPeers) {
      const min = minVector([...known.values()].filter((p) => !p.needsSnapshot).map((p) => p.acked));
      if (min) {
        const txids = (
          this.stmts.covered.all(JSON.stringify(min), nowMs - this.keepMs, retentionDeleteTxsMax) as {
            txid: number;
          }[]
        ).map((r) => r.txid);
        result.deletedTxs += this.delete(txids);
      }
    }
    result.logBytes = (this.stmts.logBytes.get() as { bytes: number }).bytes;
    if (result.logBytes > this.capBytes) {
      const rows = this.stmts.oldest.all(retentionDeleteTxsMax) as {
        txid: number;
        origin: string;
        origin_seq: number;
      }[];
      const victims = rows.slice(0, Math.max(1, Math.ceil(rows.length / 4))).map((r) => r.txid);
      result.deletedTxs += this.delete(victims);
      for (const [peer, p] of known) {
        if (!p.needsSnapshot && this.lacksTruncated(p.acked)) {
          this.stmts.markSnapshot.run(1, peer);
          result.newlyNeedingSnapshot.push(peer);
        }
      }
      if (result.newlyNeedingSnapshot.length > 0) {
        this.logger.error(
          { peers: result.newlyNeedingSnapshot, capBytes: this.capBytes },
          'replication log reached its cap; these peers fell behind it and need a snapshot re-sync',
        );
      }
    }
    return result;
  }

  private delete(txids: number[]): number {
    for (const txid of txids) {
      const info = this.stmts.txInfo.get(txid) as { origin: string; origin_seq: number } | undefined;
      if (!info) continue;
      this.stmts.delLog.run(txid);
      this.stmts.delTx.run(txid);
      if ((this.floor[info.origin] ?? 0) < info.origin_seq) this.floor[info.origin] = info.origin_seq;
    }
    if (txids.length > 0) this.stmts.putFloor.run(JSON.stringify(this.floor));
    return txids.length;
  }

  /** The peer streams again: clear its mark at the next pass (which holds the writer). */
  clearSnapshotMark(peer: string): void {
    this.clearMarks.add(peer);
  }

  forgetPeer(peer: string): void {
    this.stmts.removePeer.run(peer);
  }
}

function minVector(vs: Vector[]): Vector | null {
  if (vs.length === 0) return null;
  const origins = new Set(vs.flatMap((v) => Object.keys(v)));
  const out: Vector = {};
  for (const o of origins) out[o] = Math.min(...vs.map((v) => v[o] ?? 0));
  return out;
}
