// Known divergences of unique collisions (issue 18, found by review of 940c98f): each scenario must
// end with identical nodes, and case 1 does not yet (3, 4, 5 and 2b converge now and moved). Not run by `npm test`
// (test/pending/ is outside its globs); run with `node --test dist/test/pending/unique-divergence.test.js`.
// The passing cases (three nodes in three arrival orders, insert vs update) are in
// test/unit/unique-conflict.test.ts. Move each case there once it passes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { partitionedScenario } from '../support/sim-pair.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-review-uniq-'));
after(() => rmSync(root, { recursive: true, force: true }));

const users = [
  'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT)',
  "INSERT INTO users VALUES (1, 'one@example.com', 'first'), (2, 'two@example.com', 'second')",
];
const q = 'SELECT id, email, name FROM users ORDER BY id';

test('case 1: the holder row is concurrently moved off the value by a later write', async () => {
  const [da, db] = await partitionedScenario(
    root,
    62,
    'c1',
    users,
    async (a, b, w) => {
      await a.exec("UPDATE users SET email = 'x@example.com' WHERE id = 1"); // k1
      await w.runFor(50);
      await b.exec("UPDATE users SET email = 'x@example.com' WHERE id = 2"); // k2 > k1
      await w.runFor(50);
      await a.exec("UPDATE users SET email = 'z@example.com' WHERE id = 2"); // k3 > k2, concurrent with k2
    },
    q,
  );
  assert.equal(da, db);
});
