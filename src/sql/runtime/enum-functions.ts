// Enum values at run time: text → enum (enum_in's check, for casts of non-constant text) and
// enum_range(a, b) over non-constant bounds. The plan passes the type's labels (a JSON array, in
// sort order) as an argument: runtime functions see no catalog (sql/DESIGN.md, "Enum types").
//
// | function                          | does                                                    |
// |-----------------------------------|---------------------------------------------------------|
// | pg_enum_in(text, labels, name)    | the label itself, or 22P02 when the type has no such    |
// | pg_enum_range(lo, hi, labels)     | the labels from lo to hi (NULL: open end) as an array   |

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { encodeArray } from '../types/array/array-storage.js';
import { T } from '../types/pg-types.js';

/** Distinct label lists one connection keeps parsed (the cache is emptied past it). */
export const enumLabelListsMax = 256;

export function registerEnumFunctions(db: Database.Database): void {
  // Per connection, not per module: parsed label lists keyed by their JSON text.
  const parsed = new Map<string, Map<string, number>>();
  const ranks = (labels: unknown): Map<string, number> => {
    const key = String(labels);
    let m = parsed.get(key);
    if (!m) {
      if (parsed.size >= enumLabelListsMax) parsed.clear();
      m = new Map((JSON.parse(key) as string[]).map((l, i) => [l, i]));
      parsed.set(key, m);
    }
    return m;
  };
  db.function('pg_enum_in', { deterministic: true }, (v: unknown, labels: unknown, name: unknown) => {
    if (v === null) return null;
    const s = typeof v === 'string' ? v : String(v);
    if (!ranks(labels).has(s))
      throw new ChorusError('22P02', `invalid input value for enum ${String(name)}: "${s}"`);
    return s;
  });
  db.function('pg_enum_range', { deterministic: true }, (lo: unknown, hi: unknown, labels: unknown) => {
    const r = ranks(labels);
    const all = [...r.keys()];
    const from = lo === null ? 0 : (r.get(String(lo)) ?? 0);
    const to = hi === null ? all.length - 1 : (r.get(String(hi)) ?? -1);
    return encodeArray(all.slice(from, to + 1), T.text);
  });
}
