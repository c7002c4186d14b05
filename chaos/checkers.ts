// Checkers of chaos histories: pure functions from the recorded operations and the final reads of
// every node to a verdict with the problems found. Each is unit-tested on hand-made good and bad
// histories (test/unit/chaos-checkers.test.ts).

import { completions, type Op } from './history.js';

export interface CheckResult {
  checker: string;
  valid: boolean;
  problems: string[];
  stats: Record<string, number>;
}

/** Problems listed in full per checker (the count is always reported). */
const problemsListedMax = 50;

export function result(checker: string, problems: string[], stats: Record<string, number>): CheckResult {
  const listed =
    problems.length > problemsListedMax
      ? [...problems.slice(0, problemsListedMax), `... and ${problems.length - problemsListedMax} more`]
      : problems;
  return {
    checker,
    valid: problems.length === 0,
    problems: listed,
    stats: { ...stats, problems: problems.length },
  };
}

function sample<T>(xs: Iterable<T>, n = 10): string {
  const all = [...xs];
  return all.slice(0, n).join(', ') + (all.length > n ? `, ... (${all.length})` : '');
}

/** A node's final read; null when the node could not be read (which is itself a problem). */
export type FinalReads<T> = (T | null)[];

function unreadable(reads: FinalReads<unknown>): string[] {
  return reads.flatMap((r, i) => (r === null ? [`node ${i}: the final read failed`] : []));
}

/**
 * `set` (and `append`, its twin on a table without a primary key): unique inserts. No acknowledged
 * insert may be missing from any node's final read, no element may appear that was never attempted,
 * whose insert certainly failed, or twice, and all nodes hold the same set.
 */
export function checkSet(
  ops: readonly Op[],
  reads: FinalReads<number[]>,
  f = 'add',
  name = 'set',
): CheckResult {
  const attempted = new Set<number>();
  const acked = new Set<number>();
  const failed = new Set<number>();
  let indeterminate = 0;
  for (const { invoke, result: r } of completions(ops, f)) {
    const v = invoke.value as number;
    attempted.add(v);
    if (r?.type === 'ok') acked.add(v);
    else if (r?.type === 'fail') failed.add(v);
    else indeterminate++;
  }
  const problems = unreadable(reads);
  let first: string | null = null;
  reads.forEach((read, node) => {
    if (read === null) return;
    const present = new Set(read);
    const lost = [...acked].filter((v) => !present.has(v));
    const unexpected = read.filter((v) => !attempted.has(v));
    const resurrected = read.filter((v) => failed.has(v));
    if (lost.length > 0)
      problems.push(`node ${node}: ${lost.length} acknowledged inserts lost: ${sample(lost)}`);
    if (unexpected.length > 0)
      problems.push(`node ${node}: ${unexpected.length} elements never inserted: ${sample(unexpected)}`);
    if (resurrected.length > 0)
      problems.push(
        `node ${node}: ${resurrected.length} elements whose insert failed: ${sample(resurrected)}`,
      );
    if (present.size !== read.length) problems.push(`node ${node}: duplicate elements in the final read`);
    const key = [...present].sort((a, b) => a - b).join(',');
    if (first === null) first = key;
    else if (key !== first) problems.push(`node ${node}: final set differs from node 0's`);
  });
  return result(name, problems, {
    attempted: attempted.size,
    acknowledged: acked.size,
    failed: failed.size,
    indeterminate,
  });
}

/**
 * `truncate`: unique inserts into a table without a primary key, and TRUNCATEs of it from any node.
 * A TRUNCATE removes on every node exactly the rows its node had when it ran (issue 18), so:
 * - an acknowledged insert may be missing only if some TRUNCATE was still running or came after the
 *   insert began (completed after its invocation, or never answered);
 * - an acknowledged insert that ended before an acknowledged TRUNCATE on the same node began was
 *   seen by it, and must be gone from every node;
 * - no element appears twice, that was never inserted, or whose insert certainly failed; every node
 *   holds the same rows.
 */
export function checkTruncate(ops: readonly Op[], reads: FinalReads<number[]>): CheckResult {
  const inserts = completions(ops, 'truncate-add');
  const truncates = completions(ops, 'truncate');
  const attempted = new Set(inserts.map((i) => i.invoke.value as number));
  const failed = new Set(
    inserts.filter((i) => i.result?.type === 'fail').map((i) => i.invoke.value as number),
  );
  const acked = inserts.filter((i) => i.result?.type === 'ok');
  // The latest moment a TRUNCATE that may have happened could have run (unanswered: the end of time).
  const truncateEnds = truncates
    .filter((t) => t.result?.type !== 'fail')
    .map((t) => (t.result?.type === 'ok' ? t.result.timeMs : Number.POSITIVE_INFINITY));
  const lastTruncateEnd = Math.max(Number.NEGATIVE_INFINITY, ...truncateEnds);
  // Per node, the latest start of an acknowledged TRUNCATE there: every insert acknowledged there before it is gone.
  const seenUpTo = new Map<number, number>();
  for (const t of truncates)
    if (t.result?.type === 'ok')
      seenUpTo.set(t.invoke.node, Math.max(seenUpTo.get(t.invoke.node) ?? 0, t.invoke.timeMs));
  const mustBeGone = acked.filter((i) => i.result && i.result.timeMs < (seenUpTo.get(i.invoke.node) ?? -1));
  const problems = unreadable(reads);
  let first: string | null = null;
  reads.forEach((read, node) => {
    if (read === null) return;
    const present = new Set(read);
    const lost = acked.filter(
      (i) => !present.has(i.invoke.value as number) && i.invoke.timeMs >= lastTruncateEnd,
    );
    const kept = mustBeGone.filter((i) => present.has(i.invoke.value as number));
    const unexpected = read.filter((v) => !attempted.has(v) || failed.has(v));
    if (lost.length > 0)
      problems.push(
        `node ${node}: ${lost.length} acknowledged inserts lost that no TRUNCATE could remove: ${sample(lost.map((i) => i.invoke.value))}`,
      );
    if (kept.length > 0)
      problems.push(
        `node ${node}: ${kept.length} rows survive a TRUNCATE that saw them on their own node: ${sample(kept.map((i) => i.invoke.value))}`,
      );
    if (unexpected.length > 0)
      problems.push(
        `node ${node}: ${unexpected.length} elements never inserted or failed: ${sample(unexpected)}`,
      );
    if (present.size !== read.length) problems.push(`node ${node}: duplicate elements in the final read`);
    const key = [...read].sort((a, b) => a - b).join(',');
    if (first === null) first = key;
    else if (key !== first) problems.push(`node ${node}: final rows differ from node 0's`);
  });
  return result('truncate', problems, {
    attempted: attempted.size,
    acknowledged: acked.length,
    truncates: truncates.length,
    truncates_acknowledged: truncates.filter((t) => t.result?.type === 'ok').length,
    must_be_gone: mustBeGone.length,
  });
}

/** A node's final read of the foreign-key workload. */
export interface ForeignKeyRead {
  parents: number[];
  children: { id: number; parent: number }[];
}

/**
 * `foreign-key`: children added under parents that other nodes delete (with the children they see)
 * and make again. A parent's delete removes, on every node, the children its node had and the
 * children written concurrently with it (docs/replication.md), so:
 * - an acknowledged child may be missing only if some delete of its parent may have been concurrent
 *   with it or later: any delete but one acknowledged on the child's own node before the child's
 *   insert began (real time does not order nodes: a delete that ended earlier elsewhere may not
 *   have reached the child's node yet);
 * - a child acknowledged on a node before an acknowledged delete of its parent began there is gone;
 * - no node holds an orphan, a child never added, one whose insert failed, or a child twice; all
 *   nodes hold the same parents and children.
 */
export function checkForeignKeys(ops: readonly Op[], reads: FinalReads<ForeignKeyRead>): CheckResult {
  const adds = completions(ops, 'add-child');
  const deletes = completions(ops, 'delete-parent');
  const attempted = new Set(adds.map((a) => (a.invoke.value as { id: number }).id));
  const failed = new Set(
    adds.filter((a) => a.result?.type === 'fail').map((a) => (a.invoke.value as { id: number }).id),
  );
  const acked = adds.filter((a) => a.result?.type === 'ok');
  const possibleDeletes = deletes.filter((d) => d.result?.type !== 'fail');
  const deletesOf = new Map<number, typeof possibleDeletes>();
  for (const d of possibleDeletes) {
    const p = d.invoke.value as number;
    deletesOf.set(p, [...(deletesOf.get(p) ?? []), d]);
  }
  // Whether some delete of `parent` may have removed a child added on `node` from `fromMs`.
  const removable = (parent: number, node: number, fromMs: number): boolean =>
    (deletesOf.get(parent) ?? []).some(
      (d) => !(d.invoke.node === node && d.result?.type === 'ok' && d.result.timeMs < fromMs),
    );
  const seenDelete = new Map<string, number>(); // node:parent -> latest start of an acknowledged delete there
  for (const d of possibleDeletes) {
    const p = d.invoke.value as number;
    if (d.result?.type === 'ok') {
      const k = `${d.invoke.node}:${p}`;
      seenDelete.set(k, Math.max(seenDelete.get(k) ?? 0, d.invoke.timeMs));
    }
  }
  const problems = unreadable(reads);
  let first: string | null = null;
  let mustBeGone = 0;
  reads.forEach((read, node) => {
    if (read === null) return;
    const parents = new Set(read.parents);
    const present = new Set(read.children.map((c) => c.id));
    const orphans = read.children.filter((c) => !parents.has(c.parent)).map((c) => c.id);
    const unexpected = read.children.map((c) => c.id).filter((id) => !attempted.has(id) || failed.has(id));
    const lost: number[] = [];
    const kept: number[] = [];
    for (const a of acked) {
      const { id, parent } = a.invoke.value as { id: number; parent: number };
      if (!present.has(id) && !removable(parent, a.invoke.node, a.invoke.timeMs)) lost.push(id);
      const deletedAfter = seenDelete.get(`${a.invoke.node}:${parent}`);
      if (deletedAfter !== undefined && a.result!.timeMs < deletedAfter) {
        if (node === 0) mustBeGone++;
        if (present.has(id)) kept.push(id);
      }
    }
    if (orphans.length > 0)
      problems.push(`node ${node}: ${orphans.length} children without their parent: ${sample(orphans)}`);
    if (lost.length > 0)
      problems.push(
        `node ${node}: ${lost.length} acknowledged children lost that no delete could remove: ${sample(lost)}`,
      );
    if (kept.length > 0)
      problems.push(
        `node ${node}: ${kept.length} children survive a delete of their parent that saw them: ${sample(kept)}`,
      );
    if (unexpected.length > 0)
      problems.push(
        `node ${node}: ${unexpected.length} children never added or failed: ${sample(unexpected)}`,
      );
    if (present.size !== read.children.length) problems.push(`node ${node}: duplicate children`);
    const key = `${[...parents].sort((a, b) => a - b).join(',')}|${read.children
      .map((c) => `${c.id}:${c.parent}`)
      .sort()
      .join(',')}`;
    if (first === null) first = key;
    else if (key !== first) problems.push(`node ${node}: parents or children differ from node 0's`);
  });
  return result('foreign-key', problems, {
    attempted: attempted.size,
    acknowledged: acked.length,
    parent_deletes: deletes.length,
    must_be_gone: mustBeGone,
  });
}

/** Sums reachable by adding any subset of `deltas` to `base` (deltas are small positive integers). */
function reachable(base: number, deltas: number[]): (x: number) => boolean {
  const total = deltas.reduce((a, b) => a + b, 0);
  if (deltas.every((d) => d === 1) || total > 1_000_000) return (x) => x >= base && x <= base + total;
  const can = new Uint8Array(total + 1);
  can[0] = 1;
  for (const d of deltas) for (let s = total; s >= d; s--) if (can[s - d]) can[s] = 1;
  return (x) => x >= base && x <= base + total && can[x - base] === 1;
}

/**
 * `counter`: CRDT_COUNTER increments. Every node's final value equals the sum of the acknowledged
 * increments plus some subset of the indeterminate ones (failed ones never count), and all nodes agree.
 */
export function checkCounter(ops: readonly Op[], reads: FinalReads<number>, initial = 0): CheckResult {
  let okSum = 0;
  const unknown: number[] = [];
  let acked = 0;
  let failed = 0;
  for (const { invoke, result: r } of completions(ops, 'incr')) {
    const d = invoke.value as number;
    if (!Number.isInteger(d) || d <= 0)
      throw new Error(`counter: increments must be positive integers, got ${d}`);
    if (r?.type === 'ok') {
      okSum += d;
      acked++;
    } else if (r?.type === 'fail') failed++;
    else unknown.push(d);
  }
  const ok = reachable(initial + okSum, unknown);
  const problems = unreadable(reads);
  reads.forEach((v, node) => {
    if (v === null) return;
    if (!ok(v))
      problems.push(
        `node ${node}: value ${v} is not ${initial + okSum} (acknowledged) plus a subset of ${unknown.length} indeterminate increments`,
      );
    if (reads[0] !== null && v !== reads[0])
      problems.push(`node ${node}: value ${v} differs from node 0's ${reads[0]}`);
  });
  return result('counter', problems, {
    acknowledged: acked,
    failed,
    indeterminate: unknown.length,
    expected_min: initial + okSum,
    expected_max: initial + okSum + unknown.reduce((a, b) => a + b, 0),
  });
}

/** A write of the register table as the replication log of one node shows it. */
export interface RegisterLogEntry {
  lsn: number;
  origin: string;
  hlcWall: number;
  hlcLogical: number;
  key: number;
  value: number;
}

export interface RegisterFinal {
  /** key -> value on each node. */
  values: FinalReads<Map<number, number>>;
  /** Each node's log entries for the register table, in log order. */
  logs: FinalReads<RegisterLogEntry[]>;
  /** Node index of each origin id. */
  nodeOf: Map<string, number>;
  /** Every conflict record for the register table (any node): its key and the values it names. */
  conflicts: { key: number; values: number[] }[];
  /** Value each key starts with (inserted before the run). */
  initial: number;
}

function hlcAfter(a: RegisterLogEntry, b: RegisterLogEntry): boolean {
  if (a.hlcWall !== b.hlcWall) return a.hlcWall > b.hlcWall;
  if (a.hlcLogical !== b.hlcLogical) return a.hlcLogical > b.hlcLogical;
  return a.origin > b.origin;
}

/**
 * `register`: last-write-wins updates of a few keys. After heal every node holds the same value per
 * key; it is a value somebody wrote, the one with the highest HLC; and every acknowledged write that
 * was lost — neither the final value nor followed, on some node that had applied it, by that node's
 * own later write to the key (a causal successor) — is recorded in replicate.conflicts. Writes that
 * log retention pruned from some node's log are counted as unjudged.
 */
export function checkRegister(ops: readonly Op[], f: RegisterFinal): CheckResult {
  const attempted = new Map<number, Set<number>>();
  const acked: { key: number; value: number }[] = [];
  for (const { invoke, result: r } of completions(ops, 'write')) {
    const { key, value } = invoke.value as { key: number; value: number };
    if (!attempted.has(key)) attempted.set(key, new Set());
    attempted.get(key)!.add(value);
    if (r?.type === 'ok') acked.push({ key, value });
  }
  const problems = [...unreadable(f.values), ...unreadable(f.logs)];
  const base = f.values[0];
  f.values.forEach((vals, node) => {
    if (vals === null || base === null || node === 0) return;
    for (const [k, v] of base)
      if (vals.get(k) !== v) problems.push(`key ${k}: node ${node} holds ${vals.get(k)}, node 0 ${v}`);
  });
  let lost = 0;
  let unjudged = 0;
  let unjudgedFinal = 0;
  if (base !== null) {
    // The winning entry per key: highest HLC among every node's log entries. Writes of one
    // transaction share its HLC (group commit puts several clients' statements in one): within a
    // log the later entry wins; across logs only a strictly higher HLC replaces a winner.
    const winner = new Map<number, RegisterLogEntry>();
    for (const log of f.logs) {
      const local = new Map<number, RegisterLogEntry>();
      for (const e of log ?? []) {
        const w = local.get(e.key);
        if (!w || !hlcAfter(w, e)) local.set(e.key, e);
      }
      for (const [k, e] of local) {
        const w = winner.get(k);
        if (!w || hlcAfter(e, w)) winner.set(k, e);
      }
    }
    for (const [key, value] of base) {
      if (value !== f.initial && !attempted.get(key)?.has(value))
        problems.push(`key ${key}: final value ${value} was never written`);
      const w = winner.get(key);
      if (!w || w.value === value) continue;
      // Retention keeps only the newest transaction of each origin once every peer has it: when the
      // final value's own entry is gone from every log its HLC is unknown, so it cannot be compared.
      const finalInLog = f.logs.some((log) => (log ?? []).some((e) => e.key === key && e.value === value));
      if (!finalInLog) {
        unjudgedFinal++;
        continue;
      }
      problems.push(
        `key ${key}: final value ${value} is not the highest-HLC write ${w.value} (from ${w.origin})`,
      );
    }
    // Writes some node overwrote with a later local write, having applied them first (causally
    // superseded, not lost): every entry before a node's own write to the same key in its log.
    const superseded = new Set<string>();
    f.logs.forEach((log, node) => {
      const own = [...f.nodeOf].find(([, i]) => i === node)?.[0];
      const before = new Map<number, number[]>();
      for (const e of log ?? []) {
        const prior = before.get(e.key) ?? [];
        if (e.origin === own) for (const v of prior) superseded.add(`${e.key}:${v}`);
        prior.push(e.value);
        before.set(e.key, prior);
      }
    });
    // A write to the same key invoked on the same node after another completed there follows it.
    const writes = completions(ops, 'write');
    const lastInvokeAt = new Map<string, number>();
    for (const { invoke } of writes) {
      const { key } = invoke.value as { key: number };
      const id = `${invoke.node}:${key}`;
      lastInvokeAt.set(id, Math.max(lastInvokeAt.get(id) ?? -1, invoke.timeMs));
    }
    for (const { invoke, result: r } of writes) {
      const { key, value } = invoke.value as { key: number; value: number };
      if (r?.type === 'ok' && (lastInvokeAt.get(`${invoke.node}:${key}`) ?? -1) > r.timeMs)
        superseded.add(`${key}:${value}`);
    }
    // Log retention prunes entries every peer has acknowledged: a write missing from some node's
    // log cannot be placed in that node's order, so it is left unjudged rather than guessed at.
    const inLog = f.logs.map((log) => new Set((log ?? []).map((e) => `${e.key}:${e.value}`)));
    for (const { key, value } of acked) {
      const w = winner.get(key);
      if (!w || w.value === value || superseded.has(`${key}:${value}`)) continue;
      if (!inLog.every((entries) => entries.has(`${key}:${value}`))) {
        unjudged++;
        continue;
      }
      lost++;
      const recorded = f.conflicts.some((c) => c.key === key && c.values.includes(value));
      if (!recorded)
        problems.push(
          `key ${key}: acknowledged write ${value} was lost to ${w.value} without a conflict record`,
        );
    }
  }
  return result('register', problems, {
    keys: base?.size ?? 0,
    acknowledged: acked.length,
    lost_updates: lost,
    unjudged_pruned: unjudged,
    final_unjudged_pruned: unjudgedFinal,
  });
}

/**
 * `bank`: transfers between CRDT_COUNTER balances in single-node transactions. Every read of all
 * balances — mid-run on any node, and the final ones — sums to the initial total, and all nodes end
 * with the same balances.
 */
export function checkBank(
  ops: readonly Op[],
  reads: FinalReads<Map<number, number>>,
  total: number,
  name = 'bank',
  /** Prefix of the workload's operation names ('delta-' for delta-bank's delta-read / delta-transfer). */
  prefix = '',
): CheckResult {
  const problems = unreadable(reads);
  let readsChecked = 0;
  for (const { invoke, result: r } of completions(ops, `${prefix}read`)) {
    if (r?.type !== 'ok') continue;
    readsChecked++;
    const balances = r.value as Record<string, number>;
    const sum = Object.values(balances).reduce((a, b) => a + b, 0);
    if (sum !== total)
      problems.push(`read at ${invoke.timeMs} ms on node ${invoke.node}: total ${sum}, expected ${total}`);
  }
  const base = reads[0];
  reads.forEach((m, node) => {
    if (m === null) return;
    const sum = [...m.values()].reduce((a, b) => a + b, 0);
    if (sum !== total) problems.push(`node ${node}: final total ${sum}, expected ${total}`);
    if (base && node > 0)
      for (const [k, v] of base)
        if (m.get(k) !== v) problems.push(`account ${k}: node ${node} holds ${m.get(k)}, node 0 ${v}`);
  });
  const transfers = completions(ops, `${prefix}transfer`);
  return result(name, problems, {
    transfers: transfers.length,
    acknowledged: transfers.filter((t) => t.result?.type === 'ok').length,
    reads_checked: readsChecked,
  });
}

/** `convergence`: each table's digest identical on every node (digests taken after heal). */
export function checkConvergence(digests: FinalReads<Record<string, string>>): CheckResult {
  const problems = unreadable(digests);
  const base = digests.find((d) => d !== null) ?? null;
  digests.forEach((d, node) => {
    if (d === null || base === null) return;
    for (const table of new Set([...Object.keys(base), ...Object.keys(d)]))
      if (d[table] !== base[table]) problems.push(`table ${table}: node ${node}'s digest differs`);
  });
  return result('convergence', problems, {
    tables: base ? Object.keys(base).length : 0,
    nodes: digests.length,
  });
}
