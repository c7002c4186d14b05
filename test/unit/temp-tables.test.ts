// Temporary tables in an embedded node, looked at from inside: they live in the writer
// connection's temp schema under the session's own prefix, never reach the database file's schema
// nor the replication log, are dropped when their session ends (once the writer is free), and are
// listed by TempObjects.list() for the catalog.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ChorusNode, openNode } from '../../src/node/node.js';
import type { StatementResult } from '../../src/session/result.js';
import type { Session } from '../../src/session/session.js';
import { eventually } from '../support/wait.js';

describe('temporary tables (embedded node)', () => {
  let dir: string;
  let node: ChorusNode;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chorus-temp-'));
    node = openNode({ load: { flags: { dataDir: dir, nodeId: 'temp1', logLevel: 'silent' } } });
  });
  after(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (s: Session, sql: string): Promise<StatementResult[]> => {
    const out: StatementResult[] = [];
    await s.executeSimple(s.schema.planner.planSimple(sql), (r) => out.push(r));
    return out;
  };
  const tempNames = (): string[] =>
    (
      node.engine.writer
        .prepare("SELECT name FROM sqlite_temp_schema WHERE type IN ('table', 'view') ORDER BY name")
        .all() as { name: string }[]
    ).map((r) => r.name);

  test('a session-private SQLite object, never in the log, dropped when the session ends', async () => {
    const a = node.openSession();
    const b = node.openSession();
    await run(a, 'CREATE TABLE tu_t (id int PRIMARY KEY, v text)');
    await run(a, "CREATE TEMP TABLE tu_t (id int PRIMARY KEY, w text); INSERT INTO tu_t VALUES (1, 'a')");
    await run(a, 'CREATE TEMP VIEW tu_v AS SELECT * FROM tu_t');
    await run(b, 'CREATE TEMP TABLE tu_t (x int)');
    const prefixA = `pg_temp_${a.id}.`;
    assert.deepEqual(tempNames(), [`${prefixA}tu_t`, `${prefixA}tu_v`, `pg_temp_${b.id}.tu_t`]);
    // The database file's schema holds the permanent table only; capture triggers name it only.
    const main = node.engine.writer
      .prepare("SELECT type, name, tbl_name FROM sqlite_schema WHERE name LIKE '%tu\\_%' ESCAPE '\\'")
      .all() as { type: string; name: string; tbl_name: string }[];
    assert.ok(main.every((r) => r.tbl_name === 'tu_t'));
    const log = await node.query("SELECT table_name FROM replicate.log WHERE table_name LIKE '%tu_%'");
    assert.deepEqual(
      log.rows.map((r) => r.table_name),
      ['tu_t'],
    );
    assert.deepEqual(
      a.schema.temp?.list().map((r) => [r.schema, r.name, r.kind, r.onCommit]),
      [
        [`pg_temp_${a.id}`, 'tu_t', 'table', 'preserve'],
        [`pg_temp_${a.id}`, 'tu_v', 'view', 'preserve'],
      ],
    );
    // Another session cannot reach them by their SQLite name, through the front end or not.
    for (const sql of [
      `SELECT * FROM "${prefixA}tu_t"`,
      `DELETE FROM "${prefixA}tu_t" WHERE EXISTS (SELECT 1 FROM pg_class)`,
      `DROP TABLE "${prefixA}tu_t"`,
    ])
      await assert.rejects(run(b, sql), { sqlstate: '42P01' }, sql);
    node.closeSession(a);
    await eventually('the ended session’s temp objects dropped', 5000, async () =>
      tempNames().some((n) => n.startsWith(prefixA)) ? undefined : true,
    );
    assert.deepEqual(tempNames(), [`pg_temp_${b.id}.tu_t`]);
    node.closeSession(b);
    await eventually('all temp objects dropped', 5000, async () =>
      tempNames().length === 0 ? true : undefined,
    );
  });

  test('the drop at session end waits for the writer held by another transaction', async () => {
    const a = node.openSession();
    const holder = node.openSession();
    await run(a, 'CREATE TEMP TABLE tu_wait (id int)');
    await run(holder, 'CREATE TABLE tu_hold (id int PRIMARY KEY)');
    await run(holder, 'BEGIN; INSERT INTO tu_hold VALUES (1)');
    node.closeSession(a);
    // Dropped inside the holder's transaction, it would come back if that transaction rolled back.
    assert.deepEqual(tempNames(), [`pg_temp_${a.id}.tu_wait`]);
    await run(holder, 'ROLLBACK');
    await eventually('dropped once the writer is free', 5000, async () =>
      tempNames().length === 0 ? true : undefined,
    );
    node.closeSession(holder);
  });

  test('a rolled-back CREATE TEMP TABLE leaves nothing; the session plans with the shared planner again', async () => {
    const a = node.openSession();
    const shared = a.schema.planner;
    await run(a, 'BEGIN; CREATE TEMP TABLE tu_rb (id int)');
    assert.notEqual(a.schema.planner, shared);
    await run(a, 'ROLLBACK');
    assert.deepEqual(tempNames(), []);
    assert.equal(a.schema.planner, shared);
    node.closeSession(a);
  });
});
