// The module map holds: no import cycles between files anywhere in src/ (type imports included),
// and dependencies between folders point one way — down the layers of docs/architecture.md for the
// top-level folders, down the rooms of src/replication/DESIGN.md inside replication/. A new cycle or
// a back-edge fails here with the import that made it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/launcher.js';

/**
 * src/'s top-level folders (and files), lowest first: a module may import from its own folder and
 * from folders of lower layers only. Keep in step with docs/architecture.md.
 */
export const topLayers: readonly (readonly string[])[] = [
  ['errors', 'limits'],
  ['clock', 'config', 'metrics', 'crdt', 'log'],
  ['sql'],
  ['storage'],
  ['replication'],
  ['admin'],
  ['session'],
  ['node'],
  ['wire', 'http'],
  ['testing'],
  ['cli'],
  ['index'],
];

/** src/replication/'s rooms, lowest first (src/replication/DESIGN.md). */
export const replicationLayers: readonly (readonly string[])[] = [
  ['link'],
  ['apply'],
  ['stream'],
  ['cluster'],
  ['snapshot', 'integrity', 'monitor'],
  ['standby'],
];

const importPattern = /(?:from|import)\s+['"](\.{1,2}\/[^'"]+?)\.js['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') ? [p] : [];
  });
}

function moduleGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of sources(path.join(repoRoot, 'src'))) {
    const deps = [...readFileSync(f, 'utf8').matchAll(importPattern)].map(
      (m) => `${path.normalize(path.join(path.dirname(f), m[1]!))}.ts`,
    );
    graph.set(f, deps);
  }
  return graph;
}

const rel = (f: string): string => path.relative(repoRoot, f);

/** The folder of `file` directly under `root` (a file directly in root: its name without .ts). */
function roomOf(root: string, file: string): string | null {
  const r = path.relative(root, file);
  if (r.startsWith('..')) return null;
  return r.split(path.sep)[0]!.replace(/\.ts$/, '');
}

/** Imports that go from a lower layer to a higher one, or between two rooms of one layer. */
function backEdges(
  graph: Map<string, string[]>,
  root: string,
  layers: readonly (readonly string[])[],
): string[] {
  const layerOf = new Map<string, number>();
  layers.forEach((names, i) => {
    for (const n of names) layerOf.set(n, i);
  });
  const found: string[] = [];
  for (const [from, deps] of graph) {
    const a = roomOf(root, from);
    if (a === null) continue;
    for (const to of deps) {
      const b = roomOf(root, to);
      if (b === null || a === b) continue;
      const la = layerOf.get(a);
      const lb = layerOf.get(b);
      if (la === undefined || lb === undefined) {
        found.push(`${rel(from)} -> ${rel(to)}: ${la === undefined ? a : b} is in no layer (add it)`);
      } else if (lb >= la) {
        found.push(`${rel(from)} -> ${rel(to)}: ${a} may not import ${b}`);
      }
    }
  }
  return found;
}

/** Every import cycle met by a depth-first walk, as "a -> b -> a". */
function cyclesOf(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done' || !graph.has(f)) return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' -> '));
      return;
    }
    state.set(f, 'visiting');
    for (const d of graph.get(f)!) visit(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  return cycles;
}

test('no import cycles between files of src/', () => {
  const graph = moduleGraph();
  assert.deepEqual(cyclesOf(graph), []);
  assert.ok(graph.size > 300, `found only ${graph.size} modules: is the walk looking in the right place?`);
});

test("src/'s top-level folders import only from lower layers (docs/architecture.md)", () => {
  const root = path.join(repoRoot, 'src');
  const graph = moduleGraph();
  assert.deepEqual(backEdges(graph, root, topLayers), []);
  const seen = new Set(readdirSync(root).map((f) => f.replace(/\.ts$/, '')));
  const listed = new Set(topLayers.flat());
  assert.deepEqual(
    [...seen].filter((f) => !listed.has(f) && !f.endsWith('.md')),
    [],
    'every folder of src/ belongs to a layer',
  );
});

test("src/replication/'s rooms import only from lower rooms (replication/DESIGN.md)", () => {
  const root = path.join(repoRoot, 'src', 'replication');
  assert.deepEqual(backEdges(moduleGraph(), root, replicationLayers), []);
  const rooms = readdirSync(root).filter((f) => statSync(path.join(root, f)).isDirectory());
  assert.deepEqual(
    rooms.sort(),
    [...replicationLayers.flat()].sort(),
    'every room is in a layer, and only rooms',
  );
});

test('the checks catch what they claim: a planted back-edge and a planted cycle', () => {
  const root = '/r/src';
  const graph = new Map<string, string[]>([
    ['/r/src/sql/a.ts', ['/r/src/storage/b.ts']],
    ['/r/src/storage/b.ts', ['/r/src/sql/a.ts']],
  ]);
  assert.deepEqual(backEdges(graph, root, topLayers), [
    `${rel('/r/src/sql/a.ts')} -> ${rel('/r/src/storage/b.ts')}: sql may not import storage`,
  ]);
  assert.equal(cyclesOf(graph).length, 1, 'the planted cycle is found');
  const same = new Map<string, string[]>([['/r/src/wire/a.ts', ['/r/src/http/b.ts']]]);
  assert.equal(
    backEdges(same, root, topLayers).length,
    1,
    'two folders of one layer may not import each other',
  );
});
