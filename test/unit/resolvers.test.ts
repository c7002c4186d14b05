// Custom conflict resolvers and manual resolution on a simulated 2-node cluster: a SQL "keep the
// higher price" resolver and a JavaScript resolver pick the expected winner on both nodes; a throwing
// resolver parks the conflict as pending without stopping replication; overrides win everywhere.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ChorusNode } from '../../src/node/node.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';
import { clientQuery } from '../support/client-values.js';

describe('conflict resolvers and manual resolution', () => {
  const root = mkdtempSync(join(tmpdir(), 'chorus-resolvers-'));
  const jsModule = join(root, 'resolvers.mjs');
  writeFileSync(
    jsModule,
    `export function longestName(local, remote) {
       return String(remote.name).length > String(local.name).length ? remote : local;
     }
     export function broken() { throw new Error('resolver bug'); }
     let calls = 0;
     export function flaky(local, remote) { calls += 1; return calls % 2 === 1 ? local : remote; }`,
  );
  const world = new SimWorld(21);
  const fabric = new SimFabric(world);
  let a: ChorusNode;
  let b: ChorusNode;
  const open = (id: string): ChorusNode =>
    openSimNode({
      world,
      fabric,
      root,
      id,
      peers: ['a', 'b'],
      replication: {
        resolvers: [
          { name: 'longest_name', module: jsModule, export: 'longestName' },
          { name: 'broken', module: jsModule, export: 'broken' },
          { name: 'flaky', module: jsModule, export: 'flaky' },
        ],
      },
    });
  /** The first row as a PostgreSQL client receives it (float4 and int4 as numbers, int8 as a string). */
  const one = async (n: ChorusNode, sql: string) => (await clientQuery(n, sql))[0]!;
  /** Concurrent updates while partitioned: a writes first, b later (so b has the newer write). */
  const race = async (sqlA: string, sqlB: string) => {
    fabric.partition('a', 'b');
    await a.exec(sqlA);
    await world.runFor(50);
    await b.exec(sqlB);
    fabric.heal('a', 'b');
    await world.runFor(1_500);
  };

  before(async () => {
    a = open('a');
    b = open('b');
    await a.startReplication();
    await b.startReplication();
    await a.exec('CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER)');
    await a.exec(
      "INSERT INTO products VALUES (1, 'widget', 100, 5), (2, 'gadget', 10, 1), (3, 'gizmo', 1, 1)",
    );
    await a.exec(
      `SELECT replicate.register_resolver(name => 'keep_higher_price', language => 'sql',
         definition => 'CASE WHEN json_extract(local, ''$.price'') >= json_extract(remote, ''$.price'') THEN local ELSE remote END')`,
    );
    await a.exec("ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'keep_higher_price'");
    await world.runFor(500);
  });
  after(async () => {
    await a.close();
    await b.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('registration and binding replicate to every node', async () => {
    for (const n of [a, b]) {
      const rows = (await n.query('SELECT name, language FROM replicate.resolvers ORDER BY name')).rows;
      assert.deepEqual(rows, [
        { name: '(table) products', language: 'binding' },
        { name: 'keep_higher_price', language: 'sql' },
      ]);
    }
  });

  test('SQL resolver keeps the higher price on both nodes, whatever the write order', async () => {
    // b writes later (LWW would pick 50) but a's 150 is higher.
    await race('UPDATE products SET price = 150 WHERE id = 1', 'UPDATE products SET price = 50 WHERE id = 1');
    assert.equal((await one(a, 'SELECT price FROM products WHERE id = 1')).price, 150);
    assert.equal((await one(b, 'SELECT price FROM products WHERE id = 1')).price, 150);
    const c = await one(
      b,
      "SELECT resolution_strategy, status FROM replicate.conflicts WHERE row_id = '[1]'",
    );
    assert.deepEqual(c, { resolution_strategy: 'custom:keep_higher_price', status: 'resolved' });
  });

  test('JavaScript resolver from the config picks the same winner on both nodes', async () => {
    await a.exec("ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'longest_name'");
    await world.runFor(300);
    await race(
      "UPDATE products SET name = 'gadget-pro-max' WHERE id = 2",
      "UPDATE products SET name = 'g2' WHERE id = 2",
    );
    assert.equal((await one(a, 'SELECT name FROM products WHERE id = 2')).name, 'gadget-pro-max');
    assert.equal((await one(b, 'SELECT name FROM products WHERE id = 2')).name, 'gadget-pro-max');
  });

  test('a throwing resolver parks the conflict as pending and replication goes on', async () => {
    await a.exec("ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'broken'");
    await world.runFor(300);
    await race('UPDATE products SET qty = 7 WHERE id = 3', 'UPDATE products SET qty = 9 WHERE id = 3');
    const pending = (
      await a.query("SELECT conflict_id, status, error FROM replicate.conflicts WHERE row_id = '[3]'")
    ).rows;
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.status, 'pending');
    assert.match(String(pending[0]!.error), /resolver bug/);
    // replication still flows
    await b.exec("INSERT INTO products VALUES (4, 'after', 1, 1)");
    await world.runFor(500);
    assert.equal((await one(a, 'SELECT name FROM products WHERE id = 4')).name, 'after');
    // settle pending conflicts by last-write-wins: b's later write (9) wins, on both nodes
    const r = await one(
      a,
      "SELECT replicate.resolve_pending_conflicts(strategy => 'last_write_wins', timeout_sec => 5)",
    );
    assert.equal(Number(r.resolved), 1);
    await world.runFor(500);
    for (const n of [a, b]) assert.equal((await one(n, 'SELECT qty FROM products WHERE id = 3')).qty, 9);
    const settled = await one(
      a,
      `SELECT status, resolved_by, resolution_reason FROM replicate.conflicts WHERE conflict_id = ${pending[0]!.conflict_id}`,
    );
    assert.equal(settled.status, 'resolved');
  });

  test('a manual override is a replicated write that wins everywhere, and records who and why', async () => {
    await a.exec('ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = NULL');
    await world.runFor(300);
    await race('UPDATE products SET price = 100 WHERE id = 1', 'UPDATE products SET price = 2 WHERE id = 1');
    for (const n of [a, b]) assert.equal((await one(n, 'SELECT price FROM products WHERE id = 1')).price, 2); // LWW: b's later write
    const c = await one(
      a,
      "SELECT conflict_id FROM replicate.conflicts WHERE row_id = '[1]' ORDER BY conflict_id DESC LIMIT 1",
    );
    await a.exec(
      `SELECT replicate.override_conflict_resolution(conflict_id => ${c.conflict_id}, resolved_value => '100', reason => 'price=2 was a data entry error')`,
    );
    await world.runFor(500);
    for (const n of [a, b])
      assert.equal((await one(n, 'SELECT price FROM products WHERE id = 1')).price, 100);
    const rec = await one(
      a,
      `SELECT status, resolved_by, resolution_reason, resolved_at FROM replicate.conflicts WHERE conflict_id = ${c.conflict_id}`,
    );
    assert.equal(rec.status, 'overridden');
    assert.equal(rec.resolved_by, 'embedded');
    assert.equal(rec.resolution_reason, 'price=2 was a data entry error');
    assert.ok(rec.resolved_at);
  });

  test('a non-deterministic resolver is caught by the divergence check', async () => {
    await a.exec("ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'flaky'");
    await world.runFor(300);
    await race(
      "UPDATE products SET name = 'left' WHERE id = 4",
      "UPDATE products SET name = 'right' WHERE id = 4",
    );
    const names = [
      (await one(a, 'SELECT name FROM products WHERE id = 4')).name,
      (await one(b, 'SELECT name FROM products WHERE id = 4')).name,
    ];
    assert.notEqual(names[0], names[1], 'the flaky resolver made the nodes disagree');
    const check = a.query('SELECT * FROM replicate.check_divergence()');
    await world.runFor(500);
    const rows = (await check).rows;
    assert.ok(
      rows.some((r) => r.status === 'MISMATCH' && r.row_id === '[4]' && r.peer_id === 'b'),
      JSON.stringify(rows),
    );
    await a.exec('ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = NULL');
    await world.runFor(300);
  });

  test('bad input: unknown resolver, unknown conflict, non-SQL language', async () => {
    await assert.rejects(a.exec("ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'nope'"), {
      sqlstate: '42883',
    });
    await assert.rejects(
      a.exec("SELECT replicate.override_conflict_resolution(conflict_id => 99999, resolved_value => '1')"),
      { sqlstate: '22023' },
    );
    await assert.rejects(
      a.exec("SELECT replicate.register_resolver(name => 'x', language => 'rust', definition => 'local')"),
      { sqlstate: '0A000' },
    );
    await assert.rejects(
      a.exec("SELECT replicate.register_resolver(name => 'x', definition => 'this is not sql ((')"),
      { sqlstate: '42601' },
    );
  });
});
