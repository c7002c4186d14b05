// What automatic failover keeps on disk: the role and primary a failover gave this node (read back
// at start, over the command line's --ha-mode / --ha-primary), the commits a deposed primary held
// that no standby received (rewound-rows.jsonl in the data directory: it outlives the snapshot that
// replaces the database), the failover history, and the on_failover hook.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import type { Vector } from '../../log/records.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { preSnapshotFileName, rewindToMetaKey } from '../../storage/engine/snapshot-install.js';
import { epochPersistRetryMs } from './epoch.js';

/** The file the rewound commits of a deposed primary are appended to (replicate.rewound_rows). */
export const rewoundRowsFile = 'rewound-rows.jsonl';
/** Rewound rows read back for the view at most (the file keeps them all). */
export const rewoundRowsShownMax = 100_000;
/** How long an on_failover command may run before it is killed. */
export const failoverHookTimeoutMs = 30_000;
/** How long the POST of an on_failover webhook (an http(s) URL) may take before it is abandoned. */
export const failoverWebhookTimeoutMs = 10_000;
/** The channel whose listeners get the failover event (LISTEN chorus_failover). */
export const failoverChannel = 'chorus_failover';

export interface FailoverEvent {
  epoch: number;
  oldPrimary: string | null;
  newPrimary: string;
  /**
   * When this node last heard from the old primary (its lease renewals): the failure happened
   * after it. Equal to detectedAtMs for a switchover or a forced promotion.
   */
  lastHeardAtMs: number;
  /** When this node started the election (the primary had been silent failover_timeout_ms). */
  detectedAtMs: number;
  promotedAtMs: number;
  /** Commits lost, when known (async mode: the deposed primary's rewound ones). */
  lostTransactions: number | null;
  /** automatic (election), manual (switchover) or forced (force_promote). */
  type: 'automatic' | 'manual' | 'forced';
}

export interface FailoverState {
  role: 'primary' | 'standby';
  primaryEndpoint: string | null;
  /**
   * This node was a deposed primary holding commits the new primary lacks: it re-syncs from a
   * snapshot of the new one, which must hold at least this vector (the new primary's when it told
   * us; what this node holds past it was recorded in rewound-rows.jsonl). Null: no rewind.
   */
  rewindTo: Vector | null;
  /** With role 'primary': the epoch this node won (ha_primary_epoch; see deposedAtStart). */
  primaryEpoch?: number;
}

const metaGet = (db: Database.Database, key: string): string | undefined =>
  db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(key) as string | undefined;

/** Write the state once no transaction is open on the writer, then run `then`. */
export function writeFailoverState(db: Database.Database, s: FailoverState, then: () => void): void {
  if (db.inTransaction) {
    setTimeout(() => writeFailoverState(db, s, then), epochPersistRetryMs).unref();
    return;
  }
  const set = db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)');
  const del = db.prepare('DELETE FROM _chorus_meta WHERE key = ?');
  db.transaction(() => {
    set.run('ha_failover_role', s.role);
    if (s.primaryEndpoint) set.run('ha_failover_primary', s.primaryEndpoint);
    else del.run('ha_failover_primary');
    if (s.rewindTo) set.run(rewindToMetaKey, JSON.stringify(s.rewindTo));
    if (s.role === 'primary' && s.primaryEpoch !== undefined)
      set.run(primaryEpochKey, String(s.primaryEpoch));
  })();
  then();
}

/** The config with the role and primary a failover gave this node ([ha] nodes set), else as given. */
export function applyFailoverState(config: Config, db: Database.Database): Config {
  if (config.ha.nodes.length === 0 || (config.haMode !== 'primary' && config.haMode !== 'standby'))
    return config;
  const role = metaGet(db, 'ha_failover_role');
  if (role === 'primary')
    return { ...config, haMode: 'primary', replication: { ...config.replication, primary: undefined } };
  const primary = metaGet(db, 'ha_failover_primary');
  if (role === 'standby' && primary)
    return { ...config, haMode: 'standby', replication: { ...config.replication, primary } };
  return config;
}

/** `_chorus_meta` key: the epoch in which this node became primary (node-local). */
export const primaryEpochKey = 'ha_primary_epoch';

/**
 * A node about to start as primary: was it deposed? It was if it knows a newer epoch than the one
 * it became primary in — it learned of a successor (and wrote that epoch) but was stopped before
 * it wrote whom to follow. It then starts fenced, as a standby that follows the new primary once
 * that one asks it for a lease, never as a primary of the successor's epoch. A primary that never
 * recorded its epoch (its first start) records the current one.
 */
export function deposedAtStart(db: Database.Database, currentEpoch: number): boolean {
  const raw = metaGet(db, primaryEpochKey);
  const won = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(won)) {
    db.prepare('INSERT OR REPLACE INTO _chorus_meta (key, value) VALUES (?, ?)').run(
      primaryEpochKey,
      String(currentEpoch),
    );
    return false;
  }
  return won < currentEpoch;
}

/** A deposed primary that has not re-synced from the new primary yet (the snapshot clears it). */
export function rewindPending(db: Database.Database): boolean {
  return metaGet(db, rewindToMetaKey) !== undefined;
}

/**
 * What a snapshot must hold for this node to install it: its applied vector, or — while a rewind is
 * pending — that vector capped at the new primary's, since the commits past it were recorded as
 * rewound and are to be replaced (no donor holds them, so requiring them would wait forever).
 */
export function snapshotMustCover(db: Database.Database, applied: Vector): Vector {
  const raw = metaGet(db, rewindToMetaKey);
  if (raw === undefined) return applied;
  const cap = toVector(JSON.parse(raw));
  const out: Vector = {};
  for (const [origin, seq] of Object.entries(applied)) out[origin] = Math.min(seq, cap[origin] ?? 0);
  return out;
}

/** A vector from a peer's message: origin → non-negative safe integer; anything else is dropped. */
export function toVector(value: unknown): Vector {
  const out: Vector = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [origin, seq] of Object.entries(value as Record<string, unknown>))
    if (Number.isSafeInteger(seq) && (seq as number) >= 0) out[origin] = seq as number;
  return out;
}

/**
 * Append the commits this node holds past `leaderApplied` (the new primary's applied vector) to
 * rewound-rows.jsonl, one line per row change: what is about to be rewound. Mostly this node's own
 * commits as primary; after several failovers also those of an earlier primary the new one never
 * received. Returns the count of transactions.
 */
export function recordRewound(
  dataDir: string,
  engine: StorageEngine,
  leaderApplied: Vector,
  epoch: number,
): number {
  const select = engine.writer
    .prepare(
      `SELECT t.origin_seq AS seq, t.committed_at_ms AS at, l.tbl AS tbl, l.op AS op, l.pk AS pk, l.cols AS cols
         FROM _chorus_tx t JOIN _chorus_log l ON l.txid = t.txid
        WHERE t.origin = ? AND t.origin_seq > ? AND t.origin_seq <= ? ORDER BY t.origin_seq, l.lsn`,
    )
    .safeIntegers(false);
  const txSeqs = engine.writer
    .prepare(
      'SELECT origin_seq FROM _chorus_tx WHERE origin = ? AND origin_seq > ? AND origin_seq <= ? ORDER BY origin_seq',
    )
    .pluck()
    .safeIntegers(false);
  const lines: string[] = [];
  let txs = 0;
  for (const [origin, seq] of Object.entries(engine.appliedVector())) {
    const from = leaderApplied[origin] ?? 0;
    if (seq <= from) continue;
    // Up to what is committed: a replicated transaction being applied (it yields mid-way, its rows
    // visible on the writer) is not this node's yet.
    const rows = select.all(origin, from, seq) as {
      seq: number;
      at: number;
      tbl: string;
      op: string;
      pk: string | null;
      cols: string | null;
    }[];
    // Every transaction past `from` is rewound, in the log or not (its byte cap may have dropped
    // the oldest): those no longer there get a line too, so none goes unrecorded.
    txs += seq - from;
    const held = txSeqs.all(origin, from, seq) as number[];
    let next = from + 1;
    for (const at of [...held, seq + 1]) {
      if (at > next) lines.push(notInLogLine(epoch, origin, next, Math.min(at, seq + 1) - 1));
      next = Math.max(next, at + 1);
    }
    for (const r of rows)
      lines.push(
        JSON.stringify({
          epoch,
          origin,
          originSeq: r.seq,
          committedAtMs: r.at,
          table: r.tbl,
          op: r.op,
          key: r.pk,
          values: r.cols,
          rewoundAtMs: Date.now(),
        }),
      );
  }
  if (lines.length > 0) appendFileSync(join(dataDir, rewoundRowsFile), `${lines.join('\n')}\n`);
  return txs;
}

/** A line for rewound transactions `first`..`last` of `origin` whose row changes the log no longer held. */
function notInLogLine(epoch: number, origin: string, first: number, last: number): string {
  return JSON.stringify({
    epoch,
    origin,
    originSeq: first,
    committedAtMs: null,
    table: null,
    op: 'NOT_IN_LOG',
    key: null,
    values: `transactions ${first} to ${last} of ${origin} were rewound, but their row changes were no longer in the replication log (its byte cap dropped them); the replaced database is kept as ${preSnapshotFileName}`,
    rewoundAtMs: Date.now(),
  });
}

export interface RewoundRow {
  epoch: number;
  origin: string;
  originSeq: number;
  /** Null on a NOT_IN_LOG line (transactions whose changes the log no longer held). */
  committedAtMs: number | null;
  table: string | null;
  op: string;
  key: string | null;
  values: string | null;
  rewoundAtMs: number;
}

export function readRewound(dataDir: string): RewoundRow[] {
  const file = join(dataDir, rewoundRowsFile);
  if (!existsSync(file)) return [];
  const out: RewoundRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RewoundRow);
    } catch {
      // A torn last line (crash while appending): skipped.
    }
    if (out.length >= rewoundRowsShownMax) break;
  }
  return out;
}

/**
 * A failover this node made, in replicate.failover_history (the multi-primary table): detection_ms
 * from the last sign of the old primary to the election, rto_ms from it to the promotion.
 */
export function recordFailover(db: Database.Database, e: FailoverEvent): void {
  db.prepare(
    `INSERT INTO _chorus_failover_history (failover_time, failed_master, promoted_master, failover_type,
       detection_ms, rto_ms, rpo_transactions, acknowledged_writes_safe, status, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'completed', ?)`,
  ).run(
    new Date(e.promotedAtMs).toISOString(),
    e.oldPrimary,
    e.newPrimary,
    e.type,
    Math.max(0, e.detectedAtMs - e.lastHeardAtMs),
    Math.max(0, e.promotedAtMs - e.lastHeardAtMs),
    e.lostTransactions,
    1,
    `epoch ${e.epoch}`,
  );
}

/** The failover event as the hook, the webhook and LISTEN chorus_failover get it. */
export function failoverEventJson(e: FailoverEvent): string {
  return JSON.stringify({
    event: 'failover',
    type: e.type,
    old_primary: e.oldPrimary,
    new_primary: e.newPrimary,
    epoch: e.epoch,
    last_heard_at: new Date(e.lastHeardAtMs).toISOString(),
    detected_at: new Date(e.detectedAtMs).toISOString(),
    promoted_at: new Date(e.promotedAtMs).toISOString(),
    // As in replicate.failover_history: from the old primary's last renewal this node heard.
    detection_ms: Math.max(0, e.detectedAtMs - e.lastHeardAtMs),
    rto_ms: Math.max(0, e.promotedAtMs - e.lastHeardAtMs),
    rpo_transactions: e.lostTransactions,
  });
}

/** A standby learned that a new primary was promoted and follows it: what its listeners get. */
export function followingEventJson(epoch: number, oldPrimary: string | null, newPrimary: string): string {
  return JSON.stringify({ event: 'following', old_primary: oldPrimary, new_primary: newPrimary, epoch });
}

/**
 * Run the on_failover hook with the event as JSON; never throws (failures are logged). An http(s)
 * URL gets it as the body of a POST; anything else is a command that gets it on stdin and in
 * CHORUS_FAILOVER_EVENT.
 */
export function runFailoverHook(hook: string | undefined, e: FailoverEvent, logger: Logger): void {
  if (!hook) return;
  const json = failoverEventJson(e);
  if (/^https?:\/\//i.test(hook)) {
    postFailoverEvent(hook, json, logger);
    return;
  }
  const command = hook;
  try {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, CHORUS_FAILOVER_EVENT: json },
      timeout: failoverHookTimeoutMs,
    });
    child.on('error', (err) => logger.error({ err, command }, 'on_failover command failed to start'));
    child.on('exit', (code) => {
      if (code !== 0) logger.error({ code, command }, 'on_failover command failed');
    });
    child.stdin?.end(json);
  } catch (err) {
    logger.error({ err, command }, 'on_failover command failed to start');
  }
}

/** POST the event to the on_failover URL, bounded by failoverWebhookTimeoutMs; errors are logged. */
function postFailoverEvent(hook: string, json: string, logger: Logger): void {
  const started = Date.now();
  const url = redactedUrl(hook);
  fetch(hook, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json,
    signal: AbortSignal.timeout(failoverWebhookTimeoutMs),
  }).then(
    async (res) => {
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) logger.error({ url, status: res.status }, 'on_failover webhook answered with an error');
      else logger.info({ url, ms: Date.now() - started }, 'on_failover webhook notified');
    },
    (err: unknown) => logger.error({ err, url }, 'on_failover webhook failed'),
  );
}

/** The URL as logged: without credentials or query (a token may be there). */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}
