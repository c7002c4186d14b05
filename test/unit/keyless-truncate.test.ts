// Tables without a primary key: which rows a TRUNCATE covers (storage/tables/keyless-rows.ts), the multiset
// digest that compares them (replication/integrity/multiset-digest.ts), and TRUNCATE racing inserts on
// simulated nodes (partitions, seeded timing): every node ends with the same rows, and rows inserted
// concurrently with a TRUNCATE survive everywhere.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { ChorusNode } from '../../src/node/node.js';
import { MultisetHasher } from '../../src/replication/integrity/multiset-digest.js';
import { internalSchemaSql } from '../../src/storage/engine/internal-schema.js';
import {
  KeylessNotes,
  rowCovered,
  truncateCover,
  truncateKeyless,
  writeRange,
} from '../../src/storage/tables/keyless-rows.js';
import { SimFabric } from '../../src/testing/sim-network.js';
import { openSimNode } from '../../src/testing/sim-node.js';
import { SimWorld } from '../../src/testing/sim-world.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-keyless-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('rowCovered and truncateCover: the vector, the TRUNCATE own transaction, rows without an origin', () => {
  const seen = { a: 3, b: 1 };
  assert.equal(rowCovered(seen, 'a', 3), true);
  assert.equal(rowCovered(seen, 'a', 4), false);
  assert.equal(rowCovered(seen, 'b', 2), false);
  assert.equal(rowCovered(seen, 'c', 1), false);
  assert.equal(rowCovered(seen, null, null), true); // written before origins were kept
  const cover = truncateCover(seen, 'b', 7);
  assert.deepEqual(cover, { a: 3, b: 7 });
  assert.equal(rowCovered(cover, 'b', 7), true); // its own transaction's earlier inserts
  assert.equal(rowCovered(cover, 'b', 8), false);
  assert.deepEqual(truncateCover({ a: 9 }, 'a', 4), { a: 9 });
});

test('truncateKeyless removes the covered rows and rows in no range, keeps the rest', () => {
  const db = new Database(':memory:');
  db.exec(internalSchemaSql);
  db.exec('CREATE TABLE h (v TEXT)');
  const ins = db.prepare('INSERT INTO h VALUES (?)');
  /** One transaction (origin, seq) inserting `values`: its rows noted, then one range written. */
  const tx = (origin: string | null, seq: number, values: string[]): void => {
    const notes = new KeylessNotes();
    for (const v of values) notes.note('h', BigInt(ins.run(v).lastInsertRowid));
    if (origin !== null) notes.flush(db, origin, seq);
  };
  tx(null, 0, ['legacy']);
  tx('a', 1, ['a1']);
  tx('a', 2, ['a2', 'a2']);
  tx('b', 1, ['b1']);
  tx('a', 3, ['a3']);
  tx('c', 5, ['c5']);
  tx('b', 2, ['dup', 'dup']);
  tx(null, 0, ['late-legacy']);
  assert.equal(truncateKeyless(db, 'h', { a: 2, b: 1 }), 6);
  const rows = (): string[] => (db.prepare('SELECT v FROM h ORDER BY v').pluck().all() as string[]).sort();
  assert.deepEqual(rows(), ['a3', 'c5', 'dup', 'dup']);
  const ranges = (): unknown[] =>
    db.prepare('SELECT lo, hi, origin, seq FROM _chorus_keyless_ranges ORDER BY lo').raw().all();
  assert.deepEqual(ranges(), [
    [6, 6, 'a', 3],
    [7, 7, 'c', 5],
    [8, 9, 'b', 2],
  ]);
  // Rowids reused after the top rows went: the new range trims the older ones it reaches.
  tx('d', 1, ['d1', 'd1', 'd1']);
  assert.deepEqual(ranges().at(-1), [10, 12, 'd', 1]);
  db.exec('DELETE FROM h WHERE rowid >= 9'); // as a removal by a constraint would
  tx('e', 1, ['e1']);
  assert.deepEqual(ranges(), [
    [6, 6, 'a', 3],
    [7, 7, 'c', 5],
    [8, 8, 'b', 2],
    [9, 9, 'e', 1],
  ]);
  assert.equal(truncateKeyless(db, 'h', { b: 2, e: 1 }), 2);
  assert.deepEqual(rows(), ['a3', 'c5']);
  assert.equal(truncateKeyless(db, 'h', null), 2);
  assert.deepEqual(rows(), []);
  assert.deepEqual(ranges(), []);
  db.close();
});

test('KeylessNotes: lowest and highest rowid per table, forgotten after a TRUNCATE', () => {
  const db = new Database(':memory:');
  db.exec(internalSchemaSql);
  const notes = new KeylessNotes();
  notes.note('x', 5n);
  notes.note('x', 7n);
  notes.note('y', 3n);
  notes.note('x', 6n);
  notes.forget('y');
  notes.note('y', 1n);
  notes.flush(db, 'n', 4);
  assert.deepEqual(
    db.prepare('SELECT tbl, lo, hi, origin, seq FROM _chorus_keyless_ranges ORDER BY tbl').raw().all(),
    [
      ['x', 5, 7, 'n', 4],
      ['y', 1, 1, 'n', 4],
    ],
  );
  notes.flush(db, 'n', 5); // nothing noted since: nothing written
  assert.equal(db.prepare('SELECT count(*) FROM _chorus_keyless_ranges').pluck().get(), 2);
  writeRange(db, 'x', 6n, 9n, 'm', 1);
  assert.deepEqual(
    db.prepare("SELECT lo, hi, origin FROM _chorus_keyless_ranges WHERE tbl = 'x' ORDER BY lo").raw().all(),
    [
      [5, 5, 'n'],
      [6, 9, 'm'],
    ],
  );
  db.close();
});

test('rowids of a table without a primary key survive VACUUM (the origins are keyed by them)', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE h (v TEXT, n INTEGER); CREATE INDEX h_n ON h (n)');
  const ins = db.prepare('INSERT INTO h VALUES (?, ?)');
  for (let i = 0; i < 2_000; i++) ins.run(`v${i % 13}`, i % 7);
  db.exec('DELETE FROM h WHERE n IN (0, 3) OR rowid % 5 = 0');
  const before = db.prepare('SELECT rowid, v, n FROM h ORDER BY rowid').raw().all();
  db.exec('VACUUM');
  assert.deepEqual(db.prepare('SELECT rowid, v, n FROM h ORDER BY rowid').raw().all(), before);
  db.close();
});

/** A 16-byte row hash as the digest uses it. */
function h(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

test('MultisetHasher: order-independent, duplicates counted, carries across words', () => {
  const digest = (items: string[]): string => {
    const m = new MultisetHasher();
    for (const i of items) m.add(h(i));
    return `${m.part().count}:${m.part().digest}`;
  };
  assert.equal(digest(['x', 'y', 'z']), digest(['z', 'x', 'y']));
  assert.notEqual(digest(['x', 'x']), digest(['x']));
  assert.notEqual(digest(['x', 'x', 'y']), digest(['x', 'y', 'y']));
  assert.notEqual(digest(['x', 'x']), digest(['y', 'z']));
  assert.equal(digest([]), `0:${'0'.repeat(32)}`);
  // All-ones plus one wraps to zero (mod 2^128), so carries run through all four words.
  const m = new MultisetHasher();
  m.add(Buffer.alloc(16, 0xff));
  m.add(Buffer.concat([Buffer.from([1]), Buffer.alloc(15)]));
  assert.equal(m.part().digest, '0'.repeat(32));
});

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function rowsOf(n: ChorusNode, table: string): Promise<string[]> {
  const r = await n.query(`SELECT node, k FROM ${table} ORDER BY node, k`);
  return r.rows.map((x) => `${String(x.node)}:${String(x.k)}`);
}

test('TRUNCATE racing inserts on other nodes: partitioned, in both arrival orders, rows inserted concurrently survive everywhere', async () => {
  const world = new SimWorld(18);
  const fabric = new SimFabric(world);
  const open = (id: string, peers: string[]): ChorusNode =>
    openSimNode({ world, fabric, root: join(root, 'race'), id, peers });
  const a = open('a', ['b', 'c']);
  const b = open('b', ['c']);
  const c = open('c', []);
  const nodes = [a, b, c];
  try {
    for (const n of nodes) await n.startReplication();
    await a.exec('CREATE TABLE hist (node TEXT, k INTEGER)');
    await world.runFor(300);
    await a.exec("INSERT INTO hist VALUES ('a', 0), ('a', 0)");
    await world.runFor(300);
    // c truncates while cut off from a and b, which insert meanwhile.
    fabric.partition('a', 'c');
    fabric.partition('b', 'c');
    await a.exec("INSERT INTO hist VALUES ('a', 1)");
    await b.exec("INSERT INTO hist VALUES ('b', 1), ('b', 1)");
    await world.runFor(200);
    await c.exec('TRUNCATE hist');
    await c.exec("INSERT INTO hist VALUES ('c', 1)");
    // Within one transaction: rows before the TRUNCATE go, rows after it stay.
    await c.exec(
      "BEGIN; INSERT INTO hist VALUES ('c', 2); TRUNCATE hist; INSERT INTO hist VALUES ('c', 3); COMMIT",
    );
    assert.deepEqual(await rowsOf(c, 'hist'), ['c:3']);
    fabric.healAll();
    await world.runFor(2_000);
    const want = ['a:1', 'b:1', 'b:1', 'c:3'];
    for (const n of nodes) assert.deepEqual(await rowsOf(n, 'hist'), want, n.nodeId);
    // A TRUNCATE that had seen everything empties every node.
    await b.exec('TRUNCATE hist');
    await world.runFor(1_000);
    for (const n of nodes) assert.deepEqual(await rowsOf(n, 'hist'), [], n.nodeId);
  } finally {
    for (const n of nodes) await n.close();
  }
});

test('rows from before the upgrade (no origin recorded) precede any TRUNCATE; later rows follow the rule', async () => {
  const world = new SimWorld(7);
  const fabric = new SimFabric(world);
  const open = (id: string, peers: string[]): ChorusNode =>
    openSimNode({ world, fabric, root: join(root, 'upgrade'), id, peers });
  const a = open('a', ['b']);
  const b = open('b', []);
  try {
    for (const n of [a, b]) await n.startReplication();
    await a.exec('CREATE TABLE old_hist (node TEXT, k INTEGER)');
    await a.exec("INSERT INTO old_hist VALUES ('old', 1), ('old', 2)");
    await world.runFor(500);
    // As a data directory from before: its rows have no ranges.
    for (const n of [a, b]) n.engine.writer.exec('DELETE FROM _chorus_keyless_ranges');
    fabric.partition('a', 'b');
    await a.exec("INSERT INTO old_hist VALUES ('a', 1)");
    await b.exec('TRUNCATE old_hist');
    fabric.healAll();
    await world.runFor(1_500);
    for (const n of [a, b]) assert.deepEqual(await rowsOf(n, 'old_hist'), ['a:1'], n.nodeId);
  } finally {
    for (const n of [a, b]) await n.close();
  }
});

test('seeded rounds of inserts on two nodes while a third truncates, with random delays and partitions', async () => {
  for (const seed of [1, 2, 3]) {
    const rnd = random(seed);
    const world = new SimWorld(seed);
    const fabric = new SimFabric(world);
    const dir = join(root, `seeded-${seed}`);
    const a = openSimNode({ world, fabric, root: dir, id: 'a', peers: ['b', 'c'] });
    const b = openSimNode({ world, fabric, root: dir, id: 'b', peers: ['c'] });
    const c = openSimNode({ world, fabric, root: dir, id: 'c', peers: [] });
    const nodes = [a, b, c];
    try {
      for (const n of nodes) await n.startReplication();
      await a.exec('CREATE TABLE ph (node TEXT, k INTEGER)');
      await world.runFor(300);
      let k = 0;
      for (let round = 0; round < 40; round++) {
        const r = rnd();
        if (r < 0.1) fabric.partition(rnd() < 0.5 ? 'a' : 'b', 'c');
        else if (r < 0.2) fabric.healAll();
        const writer = rnd() < 0.45 ? a : rnd() < 0.8 ? b : c;
        if (writer === c && rnd() < 0.7) await c.exec('TRUNCATE ph');
        else
          await writer.exec(`INSERT INTO ph VALUES ('${writer.nodeId}', ${++k}), ('${writer.nodeId}', ${k})`);
        await world.runFor(Math.floor(rnd() * 60));
      }
      fabric.healAll();
      await world.runFor(3_000);
      const expected = await rowsOf(a, 'ph');
      for (const n of [b, c]) assert.deepEqual(await rowsOf(n, 'ph'), expected, `seed ${seed}, ${n.nodeId}`);
    } finally {
      for (const n of nodes) await n.close();
    }
  }
});
