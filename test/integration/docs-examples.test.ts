// The SQL examples of README.md and docs/ that are marked runnable (a ```sql runnable fence) run
// without error, statement by statement as psql sends them, on node us-east-1 of a two-node
// multi-primary cluster (us-east-1, eu-west-1: the names the monitoring examples use). Examples that
// need more (a failed master, a partition) stay unmarked.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Cluster, startCluster } from '../support/cluster.js';
import { repoRoot } from '../support/launcher.js';

interface Example {
  file: string;
  line: number;
  statements: string[];
}

/** Split an example into statements at a `;` ending its line (outside quotes and comments). */
function statementsOf(block: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const line of block.split('\n')) {
    current += `${line}\n`;
    let code = '';
    for (let i = 0; i < line.length; i++) {
      if (!quoted && line.startsWith('--', i)) break;
      if (line[i] === "'") quoted = !quoted;
      code += line[i];
    }
    if (!quoted && code.trimEnd().endsWith(';')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.replace(/--.*$/gm, '').trim() !== '') out.push(current.trim());
  return out;
}

function examples(): Example[] {
  const files = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).map((f) => path.join('docs', f))];
  const out: Example[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/```sql runnable\n([\s\S]*?)```/g)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ file, line, statements: statementsOf(m[1]!) });
    }
  }
  return out;
}

describe('runnable SQL examples in the docs', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ n: 2, topology: 'mesh', nodeIds: ['us-east-1', 'eu-west-1'] });
    await c.waitLinked(10_000);
  });
  after(async () => {
    await c?.stop();
  });

  const found = examples();
  test('there are runnable examples to check', () => {
    assert.ok(found.length >= 3, `found ${found.length}`);
  });
  for (const ex of found) {
    test(`${ex.file}:${ex.line}`, async () => {
      for (const sql of ex.statements) {
        await c.sql(0, sql).catch((e: Error) => {
          throw new Error(`${ex.file}:${ex.line}: ${e.message}\n${sql}`);
        });
      }
    });
  }
});
