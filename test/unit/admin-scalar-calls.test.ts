// replicate.<name>() used as a value inside a larger query (`SELECT replicate.last_commit_lsn()::text`,
// seed 004's LSN router style): a one-column function is a scalar subquery of its rows, computed for
// the calling session; several columns, or a function that waits, are refused with 0A000.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ChorusNode, openNode } from '../../src/node/node.js';

let dir: string;
let node: ChorusNode;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chorus-admin-scalar-'));
  node = openNode({ load: { flags: { dataDir: dir, nodeId: 'as1', logLevel: 'silent' } } });
  await node.exec('CREATE TABLE as_items (id int PRIMARY KEY)');
  await node.exec('INSERT INTO as_items VALUES (1)');
});

after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a one-column admin function is a value of the calling session', async () => {
  const session = node.openSession();
  const run = async (sql: string): Promise<unknown[][]> =>
    (await session.execute(node.plans.prepareOne(sql), [])).rows as unknown[][];
  assert.deepEqual(await run('SELECT replicate.last_commit_lsn()::text'), [[null]], 'no commit yet');
  await run('INSERT INTO as_items VALUES (2)');
  const [[lsn]] = (await run('SELECT replicate.last_commit_lsn()')) as [[bigint]];
  assert.ok(typeof lsn === 'bigint' && lsn > 0n, `this session committed: ${lsn}`);
  assert.deepEqual(
    await run('SELECT replicate.last_commit_lsn()::text, pg_typeof(replicate.last_commit_lsn())::text'),
    [[String(lsn), 'bigint']],
  );
  assert.deepEqual(
    await run(
      'SELECT id FROM as_items WHERE id = replicate.last_commit_lsn() - replicate.last_commit_lsn() + 2',
    ),
    [[2n]],
  );
  // Another session's value is its own.
  assert.deepEqual((await node.query('SELECT replicate.last_commit_lsn()::text AS t')).rows, [{ t: null }]);
});

test('several columns, a waiting function, or an unknown name: clear errors', async () => {
  await assert.rejects(node.query('SELECT replicate.status() IS NULL AS x'), {
    sqlstate: '0A000',
    message: /replicate\.status\(\) as a value: it returns \d+ columns/,
  });
  await assert.rejects(node.query('SELECT 1 + replicate.wait_for_lsn(1)::int AS x'), { sqlstate: '0A000' });
  await assert.rejects(node.query('SELECT replicate.no_such_function() AS x'), {
    sqlstate: '42883',
    message: 'function replicate.no_such_function() does not exist',
  });
});
