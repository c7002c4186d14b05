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

  // http-api.md and replication-monitoring.md: one role in every view, and is_read_only as it is.
  test('/status, pg_replication_status and replicate.status() report one role; is_read_only follows set_read_only', async () => {
    const status = (await (await fetch(`http://127.0.0.1:${c.nodes[1]!.httpPort}/status`)).json()) as {
      role: string;
    };
    const [pgStatus] = await c.sql(1, 'SELECT role, is_read_only FROM pg_replication_status');
    const [replicate] = await c.sql(1, 'SELECT role, is_read_only FROM replicate.status()');
    assert.deepEqual([status.role, pgStatus!.role, replicate!.role], ['master', 'master', 'master']);
    assert.deepEqual([pgStatus!.is_read_only, replicate!.is_read_only], [false, false]);
    await c.sql(1, "SELECT replicate.set_read_only(master_id => 'eu-west-1')");
    try {
      const [after] = await c.sql(1, 'SELECT is_read_only FROM pg_replication_status');
      const [afterReplicate] = await c.sql(1, 'SELECT is_read_only FROM replicate.status()');
      assert.deepEqual([after!.is_read_only, afterReplicate!.is_read_only], [true, true]);
    } finally {
      await c.sql(1, "SELECT replicate.set_read_write(master_id => 'eu-west-1')");
    }
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
