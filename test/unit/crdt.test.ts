// CRDT library examples: each type's merge rules, deltas from value changes, the SQL value helpers,
// CRDT type names, malformed input and limits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addElement,
  type CounterState,
  type CrdtKind,
  type CrdtState,
  canonical,
  type DeltaContext,
  deltaFromValues,
  emptyState,
  incrementValue,
  type Json,
  join,
  type MapState,
  mapDelete,
  mapPut,
  parseCrdtType,
  parseState,
  removeElement,
  type SetState,
  setElementsMax,
  stateBytesMax,
  valueOf as stateValue,
} from '../../src/crdt/crdt.js';

/** A replica applying value changes through deltaFromValues, as the storage layer does. */
class Replica {
  state: CrdtState;
  seq = 0;
  constructor(
    readonly kind: CrdtKind,
    readonly origin: string,
    readonly clock: { t: number },
  ) {
    this.state = emptyState(kind);
  }
  apply(change: (v: Json) => Json): CrdtState {
    const old = stateValue(this.state);
    const ts = String(++this.clock.t).padStart(8, '0');
    const ctx: DeltaContext = { origin: this.origin, tagBase: `${this.origin}:${++this.seq}`, ts };
    const d = deltaFromValues(this.kind, this.state, old, change(old), ctx);
    this.state = join(this.state, d);
    return d;
  }
  receive(...deltas: CrdtState[]): void {
    for (const d of deltas) this.state = join(this.state, d);
  }
}

function replicas(kind: CrdtKind, n: number): Replica[] {
  const clock = { t: 0 };
  return Array.from({ length: n }, (_, i) => new Replica(kind, `node${i + 1}`, clock));
}

function code(sqlstate: string): (e: unknown) => boolean {
  return (e) => (e as { sqlstate?: string }).sqlstate === sqlstate;
}

test('counter: increments and decrements from three origins merge to the sum', () => {
  const [a, b, c] = replicas('counter', 3) as [Replica, Replica, Replica];
  const da = [a.apply((v) => incrementValue(v, 5)), a.apply((v) => incrementValue(v, -2))];
  const db = [b.apply((v) => incrementValue(v, 10))];
  const dc = [c.apply((v) => incrementValue(v, -4)), c.apply((v) => incrementValue(v, 1))];
  a.receive(...db, ...dc);
  b.receive(...dc.reverse(), ...da, ...da);
  c.receive(da[1]!, db[0]!, da[0]!);
  for (const r of [a, b, c]) assert.equal(stateValue(r.state), 10);
  assert.equal(canonical(a.state), canonical(b.state));
  assert.equal(canonical(b.state), canonical(c.state));
  const s = a.state as CounterState;
  assert.deepEqual(s.p, { node1: 5, node2: 10, node3: 1 });
  assert.deepEqual(s.n, { node1: 2, node3: 4 });
});

test('set: add, remove, and concurrent add + remove of the same element keeps it (add-wins)', () => {
  const [a, b] = replicas('set', 2) as [Replica, Replica];
  const d1 = a.apply((v) => addElement(v, 'x'));
  const d2 = a.apply((v) => addElement(v, { b: 1, a: 2 }));
  b.receive(d1, d2);
  assert.deepEqual(stateValue(b.state), ['x', { a: 2, b: 1 }]);
  // concurrently: a removes x, b adds x again (a fresh tag a has not observed)
  const rm = a.apply((v) => removeElement(v, 'x'));
  const add = b.apply((v) => addElement(v, 'x'));
  assert.deepEqual(add, { adds: {}, k: 'set', removed: [] }, 'x already present at b: no change');
  const rmB = b.apply((v) => removeElement(v, 'x'));
  const addB = b.apply((v) => addElement(v, 'x'));
  a.receive(rmB, addB);
  b.receive(rm);
  assert.deepEqual(stateValue(a.state), ['x', { a: 2, b: 1 }]);
  assert.equal(canonical(a.state), canonical(b.state));
  // a remove that observed every add removes the element everywhere
  const rm2 = a.apply((v) => removeElement(v, 'x'));
  b.receive(rm2);
  assert.deepEqual(stateValue(b.state), [{ a: 2, b: 1 }]);
  assert.deepEqual((b.state as SetState).adds['"x"'], undefined);
});

test('map: puts on different keys, concurrent puts to one key, put vs remove, remove then put', () => {
  const [a, b, c] = replicas('map', 3) as [Replica, Replica, Replica];
  const pa = a.apply((v) => mapPut(v, 'color', 'red'));
  const pb = b.apply((v) => mapPut(v, 'size', 'L'));
  a.receive(pb);
  b.receive(pa);
  assert.deepEqual(stateValue(a.state), { color: 'red', size: 'L' });
  assert.equal(canonical(a.state), canonical(b.state));

  // concurrent puts to one key: the greater ts (c's, written later) wins in every delivery order
  const p1 = a.apply((v) => mapPut(v, 'color', 'green'));
  const p2 = c.apply((v) => mapPut(v, 'color', 'blue'));
  for (const order of [
    [pa, pb, p1, p2],
    [p2, p1, pb, pa],
    [p1, p2, p2, pa, pb],
  ]) {
    const r = new Replica('map', 'x', { t: 0 });
    r.receive(...order);
    assert.deepEqual(stateValue(r.state), { color: 'blue', size: 'L' });
  }

  // put vs concurrent remove of the same key: the put survives (add-wins)
  a.receive(p2);
  b.receive(p1, p2);
  const del = a.apply((v) => mapDelete(v, 'size'));
  const put = b.apply((v) => mapPut(v, 'size', 'XL'));
  a.receive(put);
  b.receive(del);
  assert.deepEqual(stateValue(a.state), { color: 'blue', size: 'XL' });
  assert.equal(canonical(a.state), canonical(b.state));

  // remove then put again
  const del2 = a.apply((v) => mapDelete(v, 'size'));
  b.receive(del2);
  assert.deepEqual(stateValue(b.state), { color: 'blue' });
  const again = b.apply((v) => mapPut(v, 'size', 'S'));
  a.receive(again);
  assert.deepEqual(stateValue(a.state), { color: 'blue', size: 'S' });
  // superseded puts are removed: concurrent puts stay live until a later put observes both
  assert.equal(Object.keys((a.state as MapState).puts.size!).length, 1);
  assert.equal(Object.keys((a.state as MapState).puts.color!).length, 2);
  a.apply((v) => mapPut(v, 'color', 'black'));
  assert.equal(Object.keys((a.state as MapState).puts.color!).length, 1);
});

test('map: among live puts the greatest ts wins, ties on ts go to the greatest tag', () => {
  const a: CrdtState = { k: 'map', puts: { k: { 'n1:5:0': { ts: '7', v: 'low' } } }, removed: [] };
  const b: CrdtState = { k: 'map', puts: { k: { 'n2:1:0': { ts: '7', v: 'high' } } }, removed: [] };
  const c: CrdtState = { k: 'map', puts: { k: { 'n0:9:0': { ts: '6', v: 'old' } } }, removed: [] };
  for (const s of [join(join(a, b), c), join(c, join(b, a))]) assert.deepEqual(stateValue(s), { k: 'high' });
  const rm: CrdtState = { k: 'map', puts: {}, removed: ['n2:1:0'] };
  assert.deepEqual(stateValue(join(join(a, b), rm)), { k: 'low' });
});

test('map: keys such as __proto__ and numeric keys are ordinary keys', () => {
  const [a, b] = replicas('map', 2) as [Replica, Replica];
  const d1 = a.apply((v) => mapPut(v, '__proto__', 1));
  const d2 = a.apply((v) => mapPut(v, '10', 'ten'));
  const d3 = a.apply((v) => mapPut(v, '2', 'two'));
  b.receive(d3, d1, d2);
  const v = stateValue(b.state) as Record<string, Json>;
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(canonical(a.state), canonical(b.state));
  assert.equal(canonical(parseState(canonical(b.state))), canonical(b.state));
});

test('register: last writer by ts wins; ties break on the greater JSON text', () => {
  const r1: CrdtState = { k: 'register', ts: '0002', v: 'late' };
  const r2: CrdtState = { k: 'register', ts: '0001', v: 'early' };
  assert.deepEqual(stateValue(join(r1, r2)), 'late');
  assert.deepEqual(stateValue(join(r2, r1)), 'late');
  assert.deepEqual(stateValue(join(emptyState('register'), r2)), 'early');
  const t1: CrdtState = { k: 'register', ts: '5', v: { b: 1, a: 1 } };
  const t2: CrdtState = { k: 'register', ts: '5', v: 'zzz' };
  assert.equal(JSON.stringify(join(t1, t2)), JSON.stringify(join(t2, t1)));
  assert.deepEqual(stateValue(join(t1, t2)), { a: 1, b: 1 }, "'{' sorts after '\"'");
  assert.equal(canonical(t1), '{"k":"register","ts":"5","v":{"a":1,"b":1}}');
  const [a] = replicas('register', 1) as [Replica];
  const d = a.apply(() => [1, 2]);
  assert.deepEqual(d, { k: 'register', ts: '00000001', v: [1, 2] });
});

test('deltaFromValues: counter, set, map deltas as specified', () => {
  const ctx = { origin: 'n1', tagBase: 'n1:7', ts: '0009' };
  const c0: CrdtState = { k: 'counter', n: { n1: 3 }, p: { n1: 10, n2: 4 } };
  assert.deepEqual(deltaFromValues('counter', c0, 11, 8, ctx), { k: 'counter', n: { n1: 6 }, p: { n1: 10 } });
  assert.deepEqual(deltaFromValues('counter', c0, null, '2', ctx), {
    k: 'counter',
    n: { n1: 3 },
    p: { n1: 12 },
  });
  assert.throws(() => deltaFromValues('counter', c0, 1, 'abc', ctx), code('22P02'));
  assert.throws(() => deltaFromValues('counter', c0, 1, [1], ctx), code('22P02'));

  const s0: CrdtState = { adds: { '"a"': ['t1', 't2'], '"b"': ['t3'] }, k: 'set', removed: ['t0'] };
  assert.deepEqual(deltaFromValues('set', s0, ['a', 'b'], ['b', 'd', 'c'], ctx), {
    adds: { '"c"': ['n1:7:0'], '"d"': ['n1:7:1'] },
    k: 'set',
    removed: ['t1', 't2'],
  });
  assert.deepEqual(deltaFromValues('set', s0, null, null, ctx), { adds: {}, k: 'set', removed: [] });
  assert.throws(() => deltaFromValues('set', s0, null, { a: 1 }, ctx), code('22P02'));

  const m0: CrdtState = {
    k: 'map',
    puts: { x: { p1: { ts: '1', v: 1 } }, y: { p2: { ts: '2', v: 2 }, p3: { ts: '3', v: 3 } } },
    removed: [],
  };
  assert.deepEqual(deltaFromValues('map', m0, { x: 1, y: 3 }, { y: 4, z: null }, ctx), {
    k: 'map',
    puts: { y: { 'n1:7:0': { ts: '0009', v: 4 } }, z: { 'n1:7:1': { ts: '0009', v: null } } },
    removed: ['p1', 'p2', 'p3'],
  });
  assert.throws(() => deltaFromValues('map', m0, null, [1], ctx), code('22P02'));
  assert.throws(() => deltaFromValues('map', c0, null, {}, ctx), code('42804'));
  assert.throws(() => deltaFromValues('map', m0, null, {}, { ...ctx, ts: '' }), code('22023'));
});

test('value helpers: increment, add/remove element, map put/delete', () => {
  assert.equal(incrementValue(null, 1), 1);
  assert.equal(incrementValue(5, -7), -2);
  assert.equal(incrementValue('3', 2), 5);
  assert.throws(() => incrementValue('x', 1), code('22P02'));
  assert.throws(() => incrementValue(true, 1), code('22P02'));
  assert.throws(() => incrementValue(1, Number.NaN), code('22023'));
  assert.throws(() => incrementValue(Number.MAX_VALUE, Number.MAX_VALUE), code('22023'));

  assert.deepEqual(addElement(null, 'b'), ['b']);
  assert.deepEqual(addElement(['b'], 'a'), ['a', 'b']);
  assert.deepEqual(addElement([{ a: 1, b: 2 }], { b: 2, a: 1 }), [{ a: 1, b: 2 }]);
  assert.deepEqual(addElement([1, 1, '1'], 1), ['1', 1], 'sorted by canonical JSON: "1" < 1');
  assert.deepEqual(removeElement(['a', 'b'], 'a'), ['b']);
  assert.deepEqual(removeElement(['a'], 'zz'), ['a']);
  assert.throws(() => addElement({ a: 1 }, 1), code('22P02'));
  assert.throws(() => removeElement('abc', 1), code('22P02'));

  assert.deepEqual(mapPut(null, 'k', 1), { k: 1 });
  assert.deepEqual(Object.keys(mapPut({ z: 1 }, 'a', 2)), ['a', 'z']);
  assert.deepEqual(mapDelete({ a: 1, b: 2 }, 'a'), { b: 2 });
  assert.deepEqual(mapDelete(null, 'a'), {});
  assert.throws(() => mapPut([1], 'k', 1), code('22P02'));
  assert.throws(() => mapPut({}, 1 as unknown as string, 1), code('22023'));
  assert.throws(() => mapPut({}, 'k', Number.POSITIVE_INFINITY), code('22P02'));
});

test('parseCrdtType: spellings, parameters, and non-CRDT types', () => {
  assert.deepEqual(parseCrdtType('CRDT_COUNTER'), { kind: 'counter', params: [] });
  assert.deepEqual(parseCrdtType('crdt_counter'), { kind: 'counter', params: [] });
  assert.deepEqual(parseCrdtType('CRDT_SET'), { kind: 'set', params: [] });
  assert.deepEqual(parseCrdtType('crdt_set<varchar(255)>'), { kind: 'set', params: ['VARCHAR(255)'] });
  assert.deepEqual(parseCrdtType('CRDT_MAP<VARCHAR(255), VARCHAR(255)>'), {
    kind: 'map',
    params: ['VARCHAR(255)', 'VARCHAR(255)'],
  });
  assert.deepEqual(parseCrdtType(' Crdt_Map < text , numeric(10, 2) > '), {
    kind: 'map',
    params: ['TEXT', 'NUMERIC(10, 2)'],
  });
  assert.deepEqual(parseCrdtType('CRDT_REGISTER'), { kind: 'register', params: [] });
  for (const bad of [
    null,
    undefined,
    '',
    'TEXT',
    'CRDT_LIST',
    'CRDT_COUNTERX',
    'CRDT_SET<>',
    'CRDT_MAP<TEXT>',
  ]) {
    assert.equal(parseCrdtType(bad), null, String(bad));
  }
  assert.equal(parseCrdtType('CRDT_COUNTER<INT>'), null);
  assert.equal(parseCrdtType('CRDT_SET<A,B>'), null);
  assert.equal(parseCrdtType('CRDT_SET<VARCHAR(3>'), null);
});

test('parseState: round trip, canonical output, malformed input rejected with 22P02', () => {
  const s = parseState('{"p":{"b":1,"a":2,"z":0},"n":{},"k":"counter"}');
  assert.equal(canonical(s), '{"k":"counter","n":{},"p":{"a":2,"b":1}}');
  assert.equal(JSON.stringify(s), canonical(s));
  const set = parseState('{"k":"set","adds":{"1":["t2","t1","t1"],"\\"x\\"":["t3"]},"removed":["t3"]}');
  assert.equal(canonical(set), '{"adds":{"1":["t1","t2"]},"k":"set","removed":["t3"]}');
  for (const kind of ['counter', 'set', 'map', 'register'] as const) {
    assert.equal(canonical(parseState(canonical(emptyState(kind)))), canonical(emptyState(kind)));
  }
  for (const bad of [
    'not json',
    '[]',
    '{"k":"list"}',
    '{"k":"counter","p":{}}',
    '{"k":"counter","p":{"a":-1},"n":{}}',
    '{"k":"counter","p":{"a":"1"},"n":{}}',
    '{"k":"counter","p":{},"n":{},"extra":1}',
    '{"k":"set","adds":{"x":["t"]},"removed":[]}',
    '{"k":"set","adds":{"{\\"b\\":1,\\"a\\":1}":["t"]},"removed":[]}',
    '{"k":"set","adds":{"1":"t"},"removed":[]}',
    '{"k":"set","adds":{},"removed":[1]}',
    '{"k":"map","puts":{"a":{"t":{"v":1}}},"removed":[]}',
    '{"k":"map","puts":{"a":{"t":{"v":1,"ts":2}}},"removed":[]}',
    '{"k":"map","puts":{"a":[]},"removed":[]}',
    '{"k":"register","v":1}',
    '{"k":"register","v":1,"ts":null}',
  ]) {
    assert.throws(() => parseState(bad), code('22P02'), bad);
  }
});

test('join: kind mismatch is 42804; deltas are idempotent and order-free', () => {
  assert.throws(() => join(emptyState('set'), emptyState('map')), code('42804'));
  const [a, b] = replicas('set', 2) as [Replica, Replica];
  const d = a.apply((v) => addElement(v, 1));
  b.receive(d, d, d);
  assert.equal(canonical(a.state), canonical(b.state));
});

test('limits: too many set elements and too large a state fail with 54000', () => {
  const many = Array.from({ length: setElementsMax + 1 }, (_, i) => i);
  assert.throws(() => addElement(many.slice(1), 0), code('54000'));
  assert.throws(
    () => deltaFromValues('set', emptyState('set'), null, many, { origin: 'a', tagBase: 'a:1', ts: '1' }),
    code('54000'),
  );
  const big = 'x'.repeat(stateBytesMax);
  assert.throws(
    () =>
      deltaFromValues('register', emptyState('register'), null, big, {
        origin: 'a',
        tagBase: 'a:1',
        ts: '1',
      }),
    code('54000'),
  );
  const huge: CrdtState = { k: 'register', ts: '1', v: big };
  assert.throws(() => join(emptyState('register'), huge), code('54000'));
  let deep: Json = 1;
  for (let i = 0; i < 1000; i++) deep = [deep];
  assert.throws(() => addElement(null, deep), code('54000'));
});
