// No import cycles (type imports included) among the PostgreSQL front end and the layers around it
// (src/sql, src/session, src/wire, src/http): a module graph walk over their relative imports.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/launcher.js';

const checked = ['src/sql', 'src/session', 'src/wire', 'src/http'];
const importPattern = /(?:from|import)\s+['"](\.{1,2}\/[^'"]+?)\.js['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return f.endsWith('.ts') ? [p] : [];
  });
}

test('the front end and its consumers import without cycles', () => {
  const files = checked.flatMap((d) => sources(path.join(repoRoot, d)));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = [...readFileSync(f, 'utf8').matchAll(importPattern)].map(
      (m) => `${path.normalize(path.join(path.dirname(f), m[1]!))}.ts`,
    );
    graph.set(f, deps);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done' || !graph.has(f)) return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(repoRoot, x)).join(' -> '));
      return;
    }
    state.set(f, 'visiting');
    for (const d of graph.get(f)!) visit(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
  assert.ok(graph.size > 50, `found only ${graph.size} modules: is the walk looking in the right place?`);
});
