// Checkers of the modes with a leader (primary/standby): linearizability of the writers' operations
// across failovers, no acknowledged write lost (or, in async mode, none lost unrecorded), reads on
// standbys monotonic and never from the future, and one writable primary per epoch. Pure functions
// of the history (and the final reads).

import { type CheckResult, result } from './checkers.js';
import { completions, type Op } from './history.js';
import { checkLinearizableMap, type LinOp, linStatesMax } from './linearizability.js';

/** Invocation values of the register-map workload (`value` of the history entries). */
export interface RegWrite {
  key: number;
  value: number;
}
export interface RegCas {
  key: number;
  from: number;
  to: number;
  /** On completion: whether it swapped. */
  swapped?: boolean;
}
export interface RegRead {
  key: number;
  /** On completion: the value read (null: no row). */
  value?: number | null;
}

/** What a node said of itself in one poll (`f: 'role'` entries, process -2). */
export interface RoleReport {
  role: string;
  readOnly: boolean;
  /** The fencing token / epoch it reported; NULL (no epochs yet) counts as epoch 0. */
  epoch: number | null;
}

/** The register operations of the history as the linearizability checker sees them. */
export function registerLinOps(ops: readonly Op[], judged: (invoke: Op) => boolean): LinOp[] {
  const out: LinOp[] = [];
  for (const f of ['read', 'write', 'cas'] as const) {
    for (const { invoke, result: r } of completions(ops, f)) {
      if (!judged(invoke) || r?.type === 'fail') continue;
      const known = r?.type === 'ok';
      const base = {
        id: invoke.index,
        process: invoke.process,
        call: invoke.index,
        ret: known ? r.index : null,
      };
      if (f === 'read') {
        const v = invoke.value as RegRead;
        out.push({
          ...base,
          key: v.key,
          f,
          arg: null,
          ...(known ? { out: (r.value as RegRead).value } : {}),
        });
      } else if (f === 'write') {
        const v = invoke.value as RegWrite;
        out.push({ ...base, key: v.key, f, arg: v.value });
      } else {
        const v = invoke.value as RegCas;
        out.push({
          ...base,
          key: v.key,
          f,
          arg: [v.from, v.to],
          ...(known ? { out: (r.value as RegCas).swapped === true } : {}),
        });
      }
    }
  }
  return out;
}

/**
 * `linearizable`: the judged operations (those of the clients that follow the primary, on
 * whichever node was primary, across failovers), per key, from the initial value.
 */
export function checkLinearizability(
  ops: readonly Op[],
  judged: (invoke: Op) => boolean,
  initial: number | null,
  statesMax = linStatesMax,
): CheckResult {
  const lin = registerLinOps(ops, judged);
  const report = checkLinearizableMap(lin, () => initial, statesMax);
  const problems = [...report.violations];
  const r = result('linearizable', problems, {
    keys: report.keys,
    ops: report.ops,
    indeterminate: lin.filter((o) => o.ret === null).length,
    explored: report.explored,
    unknown_keys: report.unknownKeys.length,
  });
  return r;
}

/** Written values of a key in the primary's commit order (its log), the initial value first. */
export type CommitOrder = Map<number, number[]>;

/** Every acknowledged write: plain writes that completed ok and cas that swapped. */
function acknowledgedWrites(ops: readonly Op[]): { key: number; value: number; at: Op }[] {
  const out: { key: number; value: number; at: Op }[] = [];
  for (const { invoke, result: r } of completions(ops, 'write'))
    if (r?.type === 'ok') out.push({ ...(invoke.value as RegWrite), at: invoke });
  for (const { invoke, result: r } of completions(ops, 'cas'))
    if (r?.type === 'ok' && (r.value as RegCas).swapped === true) {
      const v = invoke.value as RegCas;
      out.push({ key: v.key, value: v.to, at: invoke });
    }
  return out;
}

/**
 * Values of each key that a deposed primary rewound (replicate.rewound_rows of every node): key →
 * value → the nodes that rewound it.
 */
export type RewoundValues = Map<number, Map<number, Set<number>>>;

/**
 * `no-lost-write`: after heal, every acknowledged write is in the final primary's commit order —
 * or, when `rewoundAllowed` (async mode), recorded as rewound on a deposed primary (counted) — and
 * every node's value of every key is the latest surviving acknowledged write or one committed after
 * it. An acknowledged write that is neither committed nor recorded is lost: a violation in any mode.
 */
export function checkNoLostWrite(
  ops: readonly Op[],
  finals: (Map<number, number | null> | null)[],
  order: CommitOrder | null,
  rewound: RewoundValues = new Map(),
  rewoundAllowed = false,
): CheckResult {
  const problems: string[] = [];
  if (order === null)
    return result('no-lost-write', ['the primary\u2019s commit order could not be read'], {});
  const position = new Map<number, Map<number, number>>();
  for (const [key, values] of order) position.set(key, new Map(values.map((v, i) => [v, i])));
  const acked = acknowledgedWrites(ops);
  const latest = new Map<number, { value: number; pos: number }>();
  let rewoundAcked = 0;
  for (const w of acked) {
    const pos = position.get(w.key)?.get(w.value);
    if (pos === undefined) {
      const recorded = rewound.get(w.key)?.has(w.value) === true;
      if (recorded) rewoundAcked++;
      if (!recorded || !rewoundAllowed)
        problems.push(
          recorded
            ? `key ${w.key}: acknowledged write ${w.value} (#${w.at.index}) was rewound by a deposed primary`
            : `key ${w.key}: acknowledged write ${w.value} (#${w.at.index}) is not in the primary's log nor in any replicate.rewound_rows`,
        );
      continue;
    }
    const l = latest.get(w.key);
    if (!l || pos > l.pos) latest.set(w.key, { value: w.value, pos });
  }
  finals.forEach((f, node) => {
    if (f === null) {
      problems.push(`node ${node}: the final read failed`);
      return;
    }
    for (const [key, l] of latest) {
      const v = f.get(key) ?? null;
      const pos = v === null ? undefined : position.get(key)?.get(v);
      if (pos === undefined || pos < l.pos)
        problems.push(
          `node ${node} key ${key}: holds ${v}, which is ${pos === undefined ? 'no committed value' : 'older than'} acknowledged write ${l.value}`,
        );
    }
  });
  let rewoundRows = 0;
  for (const values of rewound.values()) rewoundRows += values.size;
  return result('no-lost-write', problems, {
    acknowledged: acked.length,
    rewound_acknowledged: rewoundAcked,
    rewound_values: rewoundRows,
    keys: latest.size,
    nodes: finals.length,
  });
}

/**
 * `standby-reads`: reads on standbys need not be linearizable, but each returns a committed value
 * (in the primary's log, or the initial one) whose write was invoked before the read completed (never
 * from the future), and a session's reads of a key never go back in the commit order. A value a
 * deposed primary rewound was committed there, and that node serves it as a standby until it
 * reaches the new primary and rewinds: read there, it is counted (`rewound_reads`) and has no place
 * in the order. Read on another node, it is counted too when `rewoundAllowed` (async mode: a standby
 * may have applied the old primary's last commits) and a violation otherwise (sync modes: the
 * winner of an election holds whatever a standby applied).
 */
export function checkStandbyReads(
  ops: readonly Op[],
  judged: (invoke: Op) => boolean,
  order: CommitOrder | null,
  rewound: RewoundValues = new Map(),
  rewoundAllowed = false,
): CheckResult {
  if (order === null)
    return result('standby-reads', ['the primary\u2019s commit order could not be read'], {});
  const problems: string[] = [];
  const position = new Map<number, Map<number, number>>();
  for (const [key, values] of order) position.set(key, new Map(values.map((v, i) => [v, i])));
  const invokedAt = new Map<number, number>(); // written value → index of its invocation
  for (const { invoke } of completions(ops, 'write'))
    invokedAt.set((invoke.value as RegWrite).value, invoke.index);
  for (const { invoke } of completions(ops, 'cas')) invokedAt.set((invoke.value as RegCas).to, invoke.index);
  const lastPos = new Map<string, { pos: number; value: number | null; at: number }>(); // process:key
  let reads = 0;
  let rewoundReads = 0;
  for (const { invoke, result: r } of completions(ops, 'read')) {
    if (!judged(invoke) || r?.type !== 'ok') continue;
    reads++;
    const { key, value } = r.value as RegRead;
    const positions = position.get(key);
    const pos = value === null || value === undefined ? undefined : positions?.get(value);
    const rewoundBy = value === null || value === undefined ? undefined : rewound.get(key)?.get(value);
    if (pos === undefined && rewoundBy) {
      rewoundReads++;
      if (!rewoundAllowed && !rewoundBy.has(invoke.node))
        problems.push(
          `node ${invoke.node} #${invoke.index}: read key ${key} → ${value}, a value node(s) ${[...rewoundBy].join(', ')} rewound`,
        );
      continue;
    }
    if (pos === undefined) {
      problems.push(
        `node ${invoke.node} #${invoke.index}: read key ${key} → ${value}, a value never committed`,
      );
      continue;
    }
    const written = invokedAt.get(value!);
    if (pos > 0 && written !== undefined && written > r.index)
      problems.push(
        `node ${invoke.node} #${invoke.index}: read key ${key} → ${value} before its write was invoked (#${written})`,
      );
    const sessionKey = `${invoke.process}:${key}`;
    const prev = lastPos.get(sessionKey);
    if (prev && pos < prev.pos)
      problems.push(
        `node ${invoke.node} p${invoke.process} key ${key}: read ${value} (#${invoke.index}) after ${prev.value} (#${prev.at}), which was committed later`,
      );
    if (!prev || pos >= prev.pos) lastPos.set(sessionKey, { pos, value: value!, at: invoke.index });
  }
  return result('standby-reads', problems, { reads, rewound_reads: rewoundReads });
}

/**
 * `one-primary-per-epoch`: in each epoch (the fencing token a node reports; NULL = epoch 0) at most
 * one node reports being the writable primary and at most one node acknowledges writes; a node's
 * epoch never goes back; no node acknowledges a write while it reports being read-only. With
 * `strictFencing` (sync modes), no node acknowledges a write of an older epoch once a write of a
 * newer one was acknowledged (counted, not a violation, otherwise).
 */
export function checkOnePrimaryPerEpoch(ops: readonly Op[], strictFencing: boolean): CheckResult {
  const problems: string[] = [];
  const reports = completions(ops, 'role')
    .filter((c) => c.result?.type === 'ok')
    .map((c) => ({
      node: c.invoke.node,
      call: c.invoke.index,
      ret: c.result!.index,
      r: c.result!.value as RoleReport,
    }))
    .sort((a, b) => a.ret - b.ret);
  const epochOf = (r: RoleReport): number => r.epoch ?? 0;
  const primaries = new Map<number, Set<number>>(); // epoch → nodes reporting writable primary
  const lastEpoch = new Map<number, number>();
  for (const rep of reports) {
    const e = epochOf(rep.r);
    if (rep.r.role === 'primary' && !rep.r.readOnly) {
      const s = primaries.get(e) ?? new Set<number>();
      s.add(rep.node);
      primaries.set(e, s);
    }
    // A standby not linked to a primary yet reports no epoch (NULL): no going back then.
    if (rep.r.epoch === null && lastEpoch.has(rep.node)) continue;
    const last = lastEpoch.get(rep.node);
    if (last !== undefined && e < last)
      problems.push(`node ${rep.node}: epoch went back from ${last} to ${e} (#${rep.call})`);
    lastEpoch.set(rep.node, Math.max(e, last ?? e));
  }
  for (const [e, nodes] of primaries)
    if (nodes.size > 1)
      problems.push(`epoch ${e}: nodes ${[...nodes].join(', ')} each reported being the writable primary`);

  // Acknowledged writes, each in the epoch its node last reported before the write was invoked
  // (or first reported after it completed).
  const writers = new Map<number, Set<number>>();
  let staleEpochAcks = 0;
  let newest: { epoch: number; ret: number } | null = null;
  const acks = (['write', 'cas'] as const)
    .flatMap((f) => completions(ops, f))
    .filter((c) => c.result?.type === 'ok')
    .sort((a, b) => a.result!.index - b.result!.index);
  const byNode = new Map<number, typeof reports>();
  for (const x of reports) byNode.set(x.node, [...(byNode.get(x.node) ?? []), x]);
  for (const { invoke, result: r } of acks) {
    const mine = byNode.get(invoke.node) ?? [];
    const before = mine.filter((x) => x.ret < invoke.index).at(-1);
    const after = mine.find((x) => x.call > r!.index);
    const rep = before ?? after;
    const e = rep ? epochOf(rep.r) : 0;
    const s = writers.get(e) ?? new Set<number>();
    s.add(invoke.node);
    writers.set(e, s);
    if (before && after && before.r.readOnly && after.r.readOnly && epochOf(after.r) === e)
      problems.push(
        `node ${invoke.node}: acknowledged write #${invoke.index} while reporting read-only (epoch ${e})`,
      );
    if (newest && e < newest.epoch && invoke.index > newest.ret) {
      staleEpochAcks++;
      if (strictFencing)
        problems.push(
          `node ${invoke.node}: acknowledged write #${invoke.index} in epoch ${e} after epoch ${newest.epoch} acknowledged one`,
        );
    }
    if (!newest || e > newest.epoch) newest = { epoch: e, ret: r!.index };
  }
  for (const [e, nodes] of writers)
    if (nodes.size > 1) problems.push(`epoch ${e}: nodes ${[...nodes].join(', ')} each acknowledged writes`);
  return result('one-primary-per-epoch', problems, {
    role_reports: reports.length,
    epochs: new Set([...primaries.keys(), ...writers.keys()]).size,
    acknowledged_writes: acks.length,
    stale_epoch_acks: staleEpochAcks,
  });
}
