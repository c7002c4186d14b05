// Property-based tests of the CRDT library (fast-check): join laws on arbitrary states, convergence
// of 2-5 replicas exchanging deltas in any order with duplicates, and counter/set values against models.
// Set FC_SEED to explore other cases; a failure prints the seed and counterexample path to replay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addElement,
  type CrdtKind,
  type CrdtState,
  canonical,
  canonicalJson,
  deltaFromValues,
  emptyState,
  incrementValue,
  type Json,
  join,
  mapDelete,
  mapPut,
  removeElement,
  valueOf as stateValue,
} from '../../src/crdt/crdt.js';

const seed = Number(process.env.FC_SEED ?? 20240611);
const params = { numRuns: 200, seed };
const kinds: CrdtKind[] = ['counter', 'set', 'map', 'register'];

// ---- operations ----

type Op =
  | { t: 'inc'; by: number }
  | { t: 'add'; e: Json }
  | { t: 'remove'; e: Json }
  | { t: 'put'; key: string; v: Json }
  | { t: 'delete'; key: string }
  | { t: 'write'; v: Json };

const elements: Json[] = ['a', 'b', 1, '1', null, { x: 1, y: 2 }, { y: 2, x: 1 }, [1, 2]];
const mapKeys = ['a', 'b', 'c', '__proto__', '10', '2'];
const smallValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom<Json>('x', 'y', null, true, { q: 1, p: [2] }, { p: [2], q: 1 }),
);

function opArb(kind: CrdtKind): fc.Arbitrary<Op> {
  switch (kind) {
    case 'counter':
      return fc.integer({ min: -100, max: 100 }).map((by): Op => ({ t: 'inc', by }));
    case 'set':
      return fc.oneof(
        fc.constantFrom(...elements).map((e): Op => ({ t: 'add', e })),
        fc.constantFrom(...elements).map((e): Op => ({ t: 'remove', e })),
      );
    case 'map':
      return fc.oneof(
        fc
          .record({ key: fc.constantFrom(...mapKeys), v: smallValue })
          .map(({ key, v }): Op => ({ t: 'put', key, v })),
        fc.constantFrom(...mapKeys).map((key): Op => ({ t: 'delete', key })),
      );
    case 'register':
      return fc
        .oneof(smallValue, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>)
        .map((v): Op => ({ t: 'write', v }));
  }
}

function applyOp(value: Json, op: Op): Json {
  switch (op.t) {
    case 'inc':
      return incrementValue(value, op.by);
    case 'add':
      return addElement(value, op.e);
    case 'remove':
      return removeElement(value, op.e);
    case 'put':
      return mapPut(value, op.key, op.v);
    case 'delete':
      return mapDelete(value, op.key);
    case 'write':
      return op.v;
  }
}

// ---- simulation ----

type Step = { t: 'op'; r: number; op: Op } | { t: 'deliver'; m: number; dup: boolean };

function stepsArb(kind: CrdtKind): fc.Arbitrary<Step[]> {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ t: fc.constant('op' as const), r: fc.nat(4), op: opArb(kind) }),
    fc.record({ t: fc.constant('deliver' as const), m: fc.nat(), dup: fc.boolean() }),
  );
  return fc.array(step, { maxLength: 40 });
}

interface LoggedOp {
  id: number;
  replica: number;
  op: Op;
  /** The replica's value before the op, and the op ids it had seen (own ops and delivered deltas). */
  before: Json;
  seen: Set<number>;
}
interface Replica {
  state: CrdtState;
  seen: Set<number>;
}
interface Message {
  to: number;
  delta: CrdtState;
  opId: number;
}

function mulberry32(a: number): () => number {
  let s = a >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the steps on n replicas, then delivers every pending message (shuffled, some twice). */
function simulate(kind: CrdtKind, n: number, steps: Step[], flushSeed: number) {
  const replicas: Replica[] = Array.from({ length: n }, () => ({ state: emptyState(kind), seen: new Set() }));
  const pending: Message[] = [];
  const all: Message[] = [];
  const log: LoggedOp[] = [];
  const deltas: CrdtState[] = [];
  const deliver = (m: Message) => {
    const r = replicas[m.to]!;
    r.state = join(r.state, m.delta);
    r.seen.add(m.opId);
  };
  for (const step of steps) {
    if (step.t === 'op') {
      const ri = step.r % n;
      const r = replicas[ri]!;
      const id = log.length;
      const before = stateValue(r.state);
      log.push({ id, replica: ri, op: step.op, before, seen: new Set(r.seen) });
      const after = applyOp(before, step.op);
      const ctx = { origin: `n${ri}`, tagBase: `n${ri}:${id}`, ts: String(id + 1).padStart(6, '0') };
      const delta = deltaFromValues(kind, r.state, before, after, ctx);
      r.state = join(r.state, delta);
      r.seen.add(id);
      deltas.push(delta);
      // the writer reads back what it wrote
      assert.equal(canonicalJson(stateValue(r.state)), canonicalJson(after));
      for (let to = 0; to < n; to++) {
        if (to === ri) continue;
        pending.push({ to, delta, opId: id });
        all.push({ to, delta, opId: id });
      }
    } else if (pending.length > 0) {
      const i = step.m % pending.length;
      const m = pending[i]!;
      if (!step.dup) pending.splice(i, 1);
      deliver(m);
    }
  }
  const rand = mulberry32(flushSeed);
  const flush = [...all, ...all.filter(() => rand() < 0.3)];
  for (let i = flush.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [flush[i], flush[j]] = [flush[j]!, flush[i]!];
  }
  for (const m of flush) deliver(m);
  return { replicas, log, deltas };
}

const simArb = (kind: CrdtKind) =>
  fc.record({ n: fc.integer({ min: 2, max: 5 }), steps: stepsArb(kind), flushSeed: fc.nat() });

// ---- arbitrary states: random histories, and raw random states with overlapping tags ----

const tags = fc.constantFrom('t1', 't2', 't3', 't4', 't5', 't6');
const origins = fc.constantFrom('a', 'b', 'c', '__proto__');
const orderKeys = fc.constantFrom('', '1', '2', '3');

function rawStateArb(kind: CrdtKind): fc.Arbitrary<CrdtState> {
  const counts = fc.dictionary(origins, fc.nat(20), { maxKeys: 3 });
  switch (kind) {
    case 'counter':
      return fc.record({ p: counts, n: counts }).map(({ p, n }): CrdtState => ({ k: 'counter', p, n }));
    case 'set':
      return fc
        .record({
          adds: fc.dictionary(
            fc.constantFrom(...elements).map((e) => canonicalJson(e)),
            fc.array(tags, { maxLength: 3 }),
            {
              maxKeys: 4,
            },
          ),
          removed: fc.array(tags, { maxLength: 4 }),
        })
        .map(({ adds, removed }): CrdtState => ({ k: 'set', adds, removed }));
    case 'map':
      return fc
        .record({
          puts: fc.dictionary(
            fc.constantFrom(...mapKeys),
            fc.dictionary(tags, fc.record({ v: smallValue, ts: orderKeys }), { maxKeys: 3 }),
            { maxKeys: 3 },
          ),
          removed: fc.array(tags, { maxLength: 4 }),
        })
        .map(({ puts, removed }): CrdtState => ({ k: 'map', puts, removed }));
    case 'register':
      return fc
        .record({ v: smallValue, ts: orderKeys })
        .map(({ v, ts }): CrdtState => ({ k: 'register', v, ts }));
  }
}

/** Three states from one random history (deltas and replica states at the end), or raw random states. */
function stateTripleArb(kind: CrdtKind): fc.Arbitrary<[CrdtState, CrdtState, CrdtState]> {
  const raw = fc.tuple(rawStateArb(kind), rawStateArb(kind), rawStateArb(kind));
  const fromHistory = fc
    .record({
      n: fc.integer({ min: 2, max: 4 }),
      steps: stepsArb(kind),
      picks: fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
    })
    .map(({ n, steps, picks }): [CrdtState, CrdtState, CrdtState] => {
      // joins of random subsets of the deltas of one history (what a replica may have received)
      const { deltas } = simulate(kind, n, steps, 1);
      const pick = (i: number): CrdtState => {
        if (deltas.length === 0) return emptyState(kind);
        let s = emptyState(kind);
        const count = picks[i * 3]! % (deltas.length + 1);
        for (let j = 0; j < count; j++)
          s = join(s, deltas[(picks[i * 3 + 1]! + j * picks[i * 3 + 2]!) % deltas.length]!);
        return s;
      };
      return [pick(0), pick(1), pick(2)];
    });
  return fc.oneof(raw, fromHistory);
}

const text = (s: CrdtState) => JSON.stringify(s);

for (const kind of kinds) {
  test(`${kind}: join is commutative, associative and idempotent`, () => {
    fc.assert(
      fc.property(stateTripleArb(kind), ([a, b, c]) => {
        const ab = join(a, b);
        assert.equal(text(ab), text(join(b, a)));
        assert.equal(text(join(ab, c)), text(join(a, join(b, c))));
        assert.equal(text(join(a, a)), canonical(a));
        assert.equal(text(join(ab, b)), text(ab));
        assert.equal(text(ab), canonical(ab));
        assert.deepEqual(stateValue(ab), stateValue(join(b, a)));
      }),
      params,
    );
  });

  test(`${kind}: replicas exchanging deltas in any order, with duplicates, converge`, () => {
    fc.assert(
      fc.property(simArb(kind), ({ n, steps, flushSeed }) => {
        const { replicas } = simulate(kind, n, steps, flushSeed);
        const first = canonical(replicas[0]!.state);
        const value = canonicalJson(stateValue(replicas[0]!.state));
        for (const r of replicas) {
          assert.equal(text(r.state), first);
          assert.equal(canonicalJson(stateValue(r.state)), value);
        }
      }),
      params,
    );
  });
}

test('counter: the value is the sum of all increments minus all decrements', () => {
  fc.assert(
    fc.property(simArb('counter'), ({ n, steps, flushSeed }) => {
      const { replicas, log } = simulate('counter', n, steps, flushSeed);
      const total = log.reduce((sum, e) => sum + (e.op.t === 'inc' ? e.op.by : 0), 0);
      for (const r of replicas) assert.equal(stateValue(r.state), total);
    }),
    params,
  );
});

test('set: the value is the elements with an add no remove observed (add-wins model)', () => {
  fc.assert(
    fc.property(simArb('set'), ({ n, steps, flushSeed }) => {
      const { replicas, log } = simulate('set', n, steps, flushSeed);
      // model: ops by id; an effective add of e, or a remove of e with the adds of e it had seen
      const adds = new Map<number, string>();
      const removes = new Map<number, { key: string; observed: Set<number> }>();
      const modelValue = (seen: Set<number>): string[] => {
        const live = new Set<string>();
        for (const [a, key] of adds) {
          if (!seen.has(a)) continue;
          const removed = [...removes].some(([x, rm]) => seen.has(x) && rm.key === key && rm.observed.has(a));
          if (!removed) live.add(key);
        }
        return [...live].sort();
      };
      for (const entry of log) {
        const before = modelValue(entry.seen);
        assert.deepEqual(
          (entry.before as Json[]).map((e) => canonicalJson(e)),
          before,
        );
        if (entry.op.t === 'add') {
          const key = canonicalJson(entry.op.e);
          if (!before.includes(key)) adds.set(entry.id, key);
        } else if (entry.op.t === 'remove') {
          const key = canonicalJson(entry.op.e);
          const observed = new Set(
            [...adds].filter(([a, k]) => k === key && entry.seen.has(a)).map(([a]) => a),
          );
          removes.set(entry.id, { key, observed });
        }
      }
      const everything = new Set(log.map((e) => e.id));
      const expected = modelValue(everything);
      for (const r of replicas) {
        assert.deepEqual(
          (stateValue(r.state) as Json[]).map((e) => canonicalJson(e)),
          expected,
        );
      }
    }),
    params,
  );
});
