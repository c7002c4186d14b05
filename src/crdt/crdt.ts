// Delta-state CRDTs for CRDT columns: PN-counter, add-wins observed-remove set, add-wins map with
// last-writer-wins values, and LWW register. States are plain JSON in a canonical form, so join results
// are byte-identical whatever the order, grouping or repetition of the deltas joined. See DESIGN.md.

import { Buffer } from 'node:buffer';
import { ChorusError, InvalidParameterValueError } from '../errors.js';
import {
  type CrdtKind,
  canonicalValue,
  compareText,
  getOwn,
  isPlainObject,
  type Json,
  limitExceeded,
  malformed,
  mapKeysMax,
  removedTagsMax,
  setElementsMax,
  setOwn,
  sortedObject,
  stateBytesMax,
  tagsPerElementMax,
  toCounterNumber,
  toMapEntries,
  toSetElements,
} from './values.js';

export {
  addElement,
  type CrdtKind,
  canonicalJson,
  incrementValue,
  type Json,
  jsonDepthMax,
  mapDelete,
  mapKeysMax,
  mapPut,
  parseCrdtType,
  removedTagsMax,
  removeElement,
  setElementsMax,
  stateBytesMax,
  tagsPerElementMax,
} from './values.js';

/** PN-counter: per-origin cumulative increments (p) and decrements (n). */
export interface CounterState {
  k: 'counter';
  p: Record<string, number>;
  n: Record<string, number>;
}
/** Add-wins observed-remove set: element key (canonical JSON of the element) -> add tags; removed tags. */
export interface SetState {
  k: 'set';
  adds: Record<string, string[]>;
  removed: string[];
}
/** One put of a map key: the value and the order key of the transaction that wrote it. */
export interface MapPut {
  v: Json;
  ts: string;
}
/** Map: key -> put tag -> {v, ts}; removed put tags. A key is present while some put tag is not removed
 *  (concurrent put and remove: add-wins); its value is the live put with the greatest ts (ties: greatest tag). */
export interface MapState {
  k: 'map';
  puts: Record<string, Record<string, MapPut>>;
  removed: string[];
}
/** Last-write-wins register ordered by ts (an order-key string compared as text; '' = never written;
 *  ties: greater JSON text of v). */
export interface RegisterState {
  k: 'register';
  v: Json;
  ts: string;
}
export type CrdtState = CounterState | SetState | MapState | RegisterState;

/** Delta for a change of the *value* from oldValue to newValue made by `origin` (what SQL wrote). */
export interface DeltaContext {
  origin: string;
  /** unique per change, e.g. `${origin}:${seq}:${n}` */
  tagBase: string;
  /** order key of the transaction */
  ts: string;
}

const kinds: readonly CrdtKind[] = ['counter', 'set', 'map', 'register'];

// Canonical forms: every object's keys are inserted in sorted order (the top level too), arrays sorted
// and without duplicates, zero counter entries and removed tags dropped, empty keys dropped.

export function emptyState(kind: CrdtKind): CrdtState {
  switch (kind) {
    case 'counter':
      return { k: 'counter', n: {}, p: {} };
    case 'set':
      return { adds: {}, k: 'set', removed: [] };
    case 'map':
      return { k: 'map', puts: {}, removed: [] };
    case 'register':
      return { k: 'register', ts: '', v: null };
    default:
      throw malformed(`unknown CRDT kind ${JSON.stringify(kind)}`);
  }
}

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareText);
}

function maxEntries(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = new Map<string, number>();
  for (const src of [a, b]) {
    for (const [k, v] of Object.entries(src)) {
      if (v > 0 && v > (out.get(k) ?? 0)) out.set(k, v);
    }
  }
  return sortedObject(out);
}

/** Greater of two puts carrying the same tag (only differs for hand-made states; keeps join a lattice). */
function greaterPut(a: MapPut, b: MapPut): MapPut {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  return JSON.stringify(a.v) >= JSON.stringify(b.v) ? a : b;
}

function joinCounter(a: CounterState, b: CounterState): CounterState {
  return { k: 'counter', n: maxEntries(a.n, b.n), p: maxEntries(a.p, b.p) };
}

function joinSet(a: SetState, b: SetState): SetState {
  const removed = new Set([...a.removed, ...b.removed]);
  const tags = new Map<string, string[]>();
  for (const src of [a.adds, b.adds]) {
    for (const [key, list] of Object.entries(src)) {
      const live = list.filter((t) => !removed.has(t));
      if (live.length > 0) tags.set(key, [...(tags.get(key) ?? []), ...live]);
    }
  }
  const adds = sortedObject([...tags].map(([key, list]): [string, string[]] => [key, sortedUnique(list)]));
  return { adds, k: 'set', removed: sortedUnique(removed) };
}

function joinMap(a: MapState, b: MapState): MapState {
  const removed = new Set([...a.removed, ...b.removed]);
  const keys = new Map<string, Map<string, MapPut>>();
  for (const src of [a.puts, b.puts]) {
    for (const [key, byTag] of Object.entries(src)) {
      for (const [tag, put] of Object.entries(byTag)) {
        if (removed.has(tag)) continue;
        const c: MapPut = { ts: put.ts, v: canonicalValue(put.v, 'map put value') };
        let m = keys.get(key);
        if (m === undefined) {
          m = new Map();
          keys.set(key, m);
        }
        const prev = m.get(tag);
        m.set(tag, prev === undefined ? c : greaterPut(prev, c));
      }
    }
  }
  const puts = sortedObject(
    [...keys].map(([key, m]): [string, Record<string, MapPut>] => [key, sortedObject(m)]),
  );
  return { k: 'map', puts, removed: sortedUnique(removed) };
}

function joinRegister(a: RegisterState, b: RegisterState): RegisterState {
  const va = canonicalValue(a.v, 'register value');
  const vb = canonicalValue(b.v, 'register value');
  const aWins = a.ts !== b.ts ? a.ts > b.ts : JSON.stringify(va) >= JSON.stringify(vb);
  return aWins ? { k: 'register', ts: a.ts, v: va } : { k: 'register', ts: b.ts, v: vb };
}

function checkCounts(what: string, max: number, count: number): void {
  if (count > max) throw limitExceeded(what, max, count);
}

/** Throws 54000 when a canonical state exceeds a named limit. Returns its canonical text. */
function checkLimits(s: CrdtState): string {
  if (s.k === 'set') {
    const keys = Object.keys(s.adds);
    checkCounts('set elements', setElementsMax, keys.length);
    for (const key of keys)
      checkCounts('add tags of one set element', tagsPerElementMax, s.adds[key]!.length);
    checkCounts('removed tags', removedTagsMax, s.removed.length);
  } else if (s.k === 'map') {
    const keys = Object.keys(s.puts);
    checkCounts('map keys', mapKeysMax, keys.length);
    for (const key of keys) {
      checkCounts('put tags of one map key', tagsPerElementMax, Object.keys(s.puts[key]!).length);
    }
    checkCounts('removed tags', removedTagsMax, s.removed.length);
  }
  const text = JSON.stringify(s);
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so short texts need no byte count.
  if (text.length > stateBytesMax / 3) {
    checkCounts('state bytes', stateBytesMax, Buffer.byteLength(text, 'utf8'));
  }
  return text;
}

function joinUnchecked(a: CrdtState, b: CrdtState): CrdtState {
  if (a.k !== b.k) {
    throw new ChorusError('42804', `cannot join a CRDT ${String(a.k)} state with a ${String(b.k)} state`);
  }
  switch (a.k) {
    case 'counter':
      return joinCounter(a, b as CounterState);
    case 'set':
      return joinSet(a, b as SetState);
    case 'map':
      return joinMap(a, b as MapState);
    case 'register':
      return joinRegister(a, b as RegisterState);
    default:
      throw malformed(`unknown CRDT kind ${JSON.stringify((a as { k: unknown }).k)}`);
  }
}

/** Least upper bound of two states of the same kind, in canonical form. Commutative, associative, idempotent. */
export function join(a: CrdtState, b: CrdtState): CrdtState {
  const out = joinUnchecked(a, b);
  checkLimits(out);
  return out;
}

/** Canonical form of any well-shaped state (join with itself normalizes). */
function normalize(s: CrdtState): CrdtState {
  return joinUnchecked(s, s);
}

/** Canonical JSON text of a state: equal states give byte-identical text. */
export function canonical(s: CrdtState): string {
  return JSON.stringify(normalize(s));
}

function sumSorted(rec: Record<string, number>): number {
  let sum = 0;
  for (const k of Object.keys(rec).sort(compareText)) sum += rec[k]!;
  return sum;
}

/** The value a reader sees: counter number, set array (sorted by canonical JSON), map object, register value. */
// biome-ignore lint/suspicious/noShadowRestrictedNames: the name is the agreed API; it is a module export, not a method.
export function valueOf(s: CrdtState): Json {
  switch (s.k) {
    case 'counter': {
      const v = sumSorted(s.p) - sumSorted(s.n);
      return v === 0 ? 0 : v;
    }
    case 'set': {
      const removed = new Set(s.removed);
      const keys = Object.keys(s.adds).filter((key) => s.adds[key]!.some((t) => !removed.has(t)));
      return keys.sort(compareText).map((key) => JSON.parse(key) as Json);
    }
    case 'map': {
      const removed = new Set(s.removed);
      const out = new Map<string, Json>();
      for (const [key, byTag] of Object.entries(s.puts)) {
        let best: { tag: string; put: MapPut } | undefined;
        for (const [tag, put] of Object.entries(byTag)) {
          if (removed.has(tag)) continue;
          if (best === undefined || put.ts > best.put.ts || (put.ts === best.put.ts && tag > best.tag)) {
            best = { tag, put };
          }
        }
        if (best !== undefined) out.set(key, canonicalValue(best.put.v, 'map put value'));
      }
      return sortedObject(out);
    }
    case 'register':
      return canonicalValue(s.v, 'register value');
    default:
      throw malformed(`unknown CRDT kind ${JSON.stringify((s as { k: unknown }).k)}`);
  }
}

// ---- parsing ----

function expectKeys(obj: Record<string, unknown>, keys: string[], what: string): void {
  const got = Object.keys(obj).sort(compareText);
  const want = [...keys].sort(compareText);
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) {
    throw malformed(`${what} must have exactly the fields ${want.join(', ')} (got ${got.join(', ')})`);
  }
}

function expectObject(x: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(x)) throw malformed(`${what} must be a JSON object`);
  return x;
}

function expectStrings(x: unknown, what: string): string[] {
  if (!Array.isArray(x) || !x.every((t) => typeof t === 'string')) {
    throw malformed(`${what} must be an array of strings`);
  }
  return x;
}

function parseCounts(x: unknown, what: string): Record<string, number> {
  const obj = expectObject(x, what);
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw malformed(`${what}["${k}"] must be a non-negative finite number`);
    }
  }
  return obj as Record<string, number>;
}

function checkElementKey(key: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    throw malformed(`set element key ${JSON.stringify(key.slice(0, 60))} is not JSON text`);
  }
  if (JSON.stringify(canonicalValue(parsed, 'set element')) !== key) {
    throw malformed(`set element key ${JSON.stringify(key.slice(0, 60))} is not canonical JSON`);
  }
}

/** Validates the shape of a state's JSON text; returns the state in canonical form. Throws 22P02. */
export function parseState(text: string): CrdtState {
  if (typeof text !== 'string') throw malformed('CRDT state must be JSON text');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw malformed(`CRDT state is not valid JSON: ${(e as Error).message}`);
  }
  const obj = expectObject(raw, 'CRDT state');
  const k = obj.k;
  if (typeof k !== 'string' || !kinds.includes(k as CrdtKind)) {
    throw malformed(`CRDT state has unknown kind ${JSON.stringify(k ?? null)}`);
  }
  let state: CrdtState;
  switch (k as CrdtKind) {
    case 'counter':
      expectKeys(obj, ['k', 'p', 'n'], 'counter state');
      state = { k: 'counter', n: parseCounts(obj.n, 'counter n'), p: parseCounts(obj.p, 'counter p') };
      break;
    case 'set': {
      expectKeys(obj, ['k', 'adds', 'removed'], 'set state');
      const adds = expectObject(obj.adds, 'set adds');
      for (const [key, tags] of Object.entries(adds)) {
        checkElementKey(key);
        expectStrings(tags, 'set add tags');
      }
      state = {
        adds: adds as Record<string, string[]>,
        k: 'set',
        removed: expectStrings(obj.removed, 'set removed'),
      };
      break;
    }
    case 'map': {
      expectKeys(obj, ['k', 'puts', 'removed'], 'map state');
      const puts = expectObject(obj.puts, 'map puts');
      for (const byTag of Object.values(puts)) {
        for (const put of Object.values(expectObject(byTag, 'map puts of a key'))) {
          const p = expectObject(put, 'map put');
          expectKeys(p, ['v', 'ts'], 'map put');
          if (typeof p.ts !== 'string') throw malformed('map put ts must be a string');
        }
      }
      state = {
        k: 'map',
        puts: puts as Record<string, Record<string, MapPut>>,
        removed: expectStrings(obj.removed, 'map removed'),
      };
      break;
    }
    case 'register':
      expectKeys(obj, ['k', 'v', 'ts'], 'register state');
      if (typeof obj.ts !== 'string') throw malformed('register ts must be a string');
      state = { k: 'register', ts: obj.ts, v: obj.v as Json };
      break;
  }
  return normalize(state);
}

// ---- deltas from value changes ----

function checkContext(ctx: DeltaContext, needTs: boolean): void {
  if (ctx === null || typeof ctx !== 'object')
    throw new InvalidParameterValueError('CRDT delta context missing');
  if (typeof ctx.origin !== 'string' || ctx.origin === '') {
    throw new InvalidParameterValueError('CRDT delta origin must be a non-empty string');
  }
  if (typeof ctx.tagBase !== 'string' || ctx.tagBase === '') {
    throw new InvalidParameterValueError('CRDT delta tagBase must be a non-empty string');
  }
  if (typeof ctx.ts !== 'string' || (needTs && ctx.ts === '')) {
    throw new InvalidParameterValueError('CRDT delta ts must be a non-empty string');
  }
}

function liveTags(tags: Iterable<string> | undefined, removed: Set<string>): string[] {
  return tags === undefined ? [] : [...tags].filter((t) => !removed.has(t));
}

function counterDelta(state: CounterState, oldValue: Json, newValue: Json, origin: string): CounterState {
  const d = toCounterNumber(newValue, 'new counter value') - toCounterNumber(oldValue, 'old counter value');
  const p: Record<string, number> = {};
  const n: Record<string, number> = {};
  setOwn(p, origin, (getOwn(state.p, origin) ?? 0) + Math.max(d, 0));
  setOwn(n, origin, (getOwn(state.n, origin) ?? 0) + Math.max(-d, 0));
  return { k: 'counter', n, p };
}

function setDelta(state: SetState, oldValue: Json, newValue: Json, tagBase: string): SetState {
  const before = toSetElements(oldValue, 'old set value');
  const after = toSetElements(newValue, 'new set value');
  checkCounts('set elements', setElementsMax, after.size);
  const removedNow = new Set(state.removed);
  const adds: Record<string, string[]> = {};
  const added = [...after.keys()].filter((key) => !before.has(key)).sort(compareText);
  added.forEach((key, i) => {
    setOwn(adds, key, [`${tagBase}:${i}`]);
  });
  const removed: string[] = [];
  for (const key of before.keys()) {
    if (!after.has(key)) removed.push(...liveTags(getOwn(state.adds, key), removedNow));
  }
  return { adds, k: 'set', removed };
}

function mapDelta(state: MapState, oldValue: Json, newValue: Json, ctx: DeltaContext): MapState {
  const before = toMapEntries(oldValue, 'old map value');
  const after = toMapEntries(newValue, 'new map value');
  checkCounts('map keys', mapKeysMax, after.size);
  const removedNow = new Set(state.removed);
  const puts: Record<string, Record<string, MapPut>> = {};
  const removed: string[] = [];
  const liveOf = (key: string): string[] => {
    const byTag = getOwn(state.puts, key);
    return byTag === undefined ? [] : liveTags(Object.keys(byTag), removedNow);
  };
  const changed = [...after.keys()]
    .filter((key) => !before.has(key) || JSON.stringify(before.get(key)) !== JSON.stringify(after.get(key)))
    .sort(compareText);
  changed.forEach((key, i) => {
    const byTag: Record<string, MapPut> = {};
    setOwn(byTag, `${ctx.tagBase}:${i}`, { ts: ctx.ts, v: after.get(key) as Json });
    setOwn(puts, key, byTag);
    removed.push(...liveOf(key));
  });
  for (const key of before.keys()) {
    if (!after.has(key)) removed.push(...liveOf(key));
  }
  return { k: 'map', puts, removed };
}

/**
 * Delta for a change of the value from oldValue to newValue made by ctx.origin, given the origin's
 * current state. The result is canonical; join it into the local state and ship it to peers.
 * Throws 22P02 on values of the wrong shape, 42804 when state is of another kind, 54000 when the
 * state after the change would exceed a limit.
 */
export function deltaFromValues(
  kind: CrdtKind,
  state: CrdtState,
  oldValue: Json,
  newValue: Json,
  ctx: DeltaContext,
): CrdtState {
  if (!kinds.includes(kind)) throw malformed(`unknown CRDT kind ${JSON.stringify(kind)}`);
  if (state.k !== kind) {
    throw new ChorusError('42804', `CRDT ${kind} change given a ${String(state.k)} state`);
  }
  checkContext(ctx, kind === 'map' || kind === 'register');
  let delta: CrdtState;
  switch (state.k) {
    case 'counter':
      delta = counterDelta(state, oldValue, newValue, ctx.origin);
      break;
    case 'set':
      delta = setDelta(state, oldValue, newValue, ctx.tagBase);
      break;
    case 'map':
      delta = mapDelta(state, oldValue, newValue, ctx);
      break;
    case 'register':
      delta = { k: 'register', ts: ctx.ts, v: canonicalValue(newValue, 'register value') };
      break;
  }
  const out = normalize(delta);
  join(state, out); // the state after the change must stay within the limits
  return out;
}
