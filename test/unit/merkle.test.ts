// Split-brain detection core (src/replication/integrity/merkle.ts): compareTable between two real SQLite files, the
// peer's MerkleResponder called directly with every message round-tripped through the peer-link frame
// codec. Differences found must be exactly the rows that differ (also against a brute-force diff on random
// tables, fast-check; FC_SEED explores other cases), with correct presence, typed errors otherwise.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  type CompareOptions,
  type CompareResult,
  compareTable,
  MerkleNullKeyError,
  MerklePeerError,
  MerkleResponder,
  MerkleSchemaMismatchError,
  merkleLeafRowsMax,
  merkleProtocolVersion,
  merkleRequestType,
} from '../../src/replication/integrity/merkle.js';
import { roundTripFrame } from '../../src/replication/link/frames.js';
import type { PeerMessage } from '../../src/replication/link/link.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-merkle-'));
after(() => rmSync(root, { recursive: true, force: true }));

const seed = Number(process.env.FC_SEED ?? 20260301);
const frameBytesMax = 64 * 1024 * 1024;
const codec = { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax };

/** A message as the peer receives it: encoded as a frame and decoded again. */
function wire(msg: PeerMessage): PeerMessage {
  return roundTripFrame(msg, codec);
}

/** Two nodes' databases: writable connections to set up, read-only ones to compare through. */
interface Pair {
  left: Database.Database;
  right: Database.Database;
  compare(table: string, options?: CompareOptions): Promise<CompareResult>;
  close(): void;
}

let pairs = 0;
function openPair(): Pair {
  const n = ++pairs;
  const open = (side: string): { rw: Database.Database; ro: Database.Database } => {
    const file = join(root, `${n}-${side}.db`);
    const rw = new Database(file);
    rw.pragma('journal_mode = WAL');
    return { rw, ro: new Database(file, { readonly: true }) };
  };
  const l = open('left');
  const r = open('right');
  const responder = new MerkleResponder(r.ro);
  return {
    left: l.rw,
    right: r.rw,
    compare: (table, options) =>
      compareTable(l.ro, table, async (req) => wire(await responder.handle(wire(req))), options),
    close() {
      for (const db of [l.ro, l.rw, r.ro, r.rw]) db.close();
    },
  };
}

function both(p: Pair, sql: string): void {
  p.left.exec(sql);
  p.right.exec(sql);
}

/** The reported differences as comparable text, sorted: "pk local/remote". */
function summary(res: CompareResult): string[] {
  return res.differing.map((d) => `${d.pk} ${d.local}/${d.remote}`).sort();
}

/** Runs a statement that must change exactly one row (so the test data is what the test says). */
function changeOne(db: Database.Database, sql: string): void {
  assert.equal(db.prepare(sql).run().changes, 1, sql);
}

function fill(db: Database.Database, rows: number): void {
  const ins = db.prepare('INSERT INTO t (id, name, n) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) ins.run(i, `name-${i}`, i * 3);
  })();
}

test('identical tables: no differences in one round', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
    fill(p.left, 5_000);
    fill(p.right, 5_000);
    const res = await p.compare('t');
    assert.deepEqual(res.differing, []);
    assert.equal(res.rounds, 1);
    assert.equal(res.truncated, false);
    assert.equal(res.localRows, 5_000);
    assert.equal(res.remoteRows, 5_000);
    assert.ok(res.requestBytes > 0 && res.replyBytes > 0);
  } finally {
    p.close();
  }
});

test('20k rows: one updated row, one only on the left, one only on the right', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
    fill(p.left, 20_000);
    fill(p.right, 20_000);
    changeOne(p.right, "UPDATE t SET name = 'changed' WHERE id = 7321");
    changeOne(p.right, 'DELETE FROM t WHERE id = 15');
    changeOne(p.left, 'DELETE FROM t WHERE id = 19999');
    let yields = 0;
    let counting = true;
    const count = (): void => {
      yields++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    // Two comparisons at once over the same connections: they take turns and agree.
    const [res, again] = await Promise.all([p.compare('t'), p.compare('t')]);
    counting = false;
    assert.ok(yields > 2, 'the event loop ran during the comparison');
    assert.deepEqual(again.differing, res.differing);
    assert.deepEqual(summary(res), [
      '[15] present/absent',
      '[19999] absent/present',
      '[7321] present/present',
    ]);
    const updated = res.differing.find((d) => d.pk === '[7321]')!;
    assert.match(updated.localHash!, /^[0-9a-f]{32}$/);
    assert.match(updated.remoteHash!, /^[0-9a-f]{32}$/);
    assert.notEqual(updated.localHash, updated.remoteHash);
    const leftOnly = res.differing.find((d) => d.pk === '[15]')!;
    assert.equal(leftOnly.remoteHash, null);
    assert.ok(res.rounds > 1 && res.rounds < 10, `rounds ${res.rounds}`);
    assert.ok(res.rowsScanned < 2 * 20_000, 'this side hashes its rows about once');
    assert.ok(res.requestBytes + res.replyBytes < 64 * 1024);
  } finally {
    p.close();
  }
});

test('composite key (TEXT, INTEGER) and BLOB key columns', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE c (k TEXT, n INTEGER, v TEXT, PRIMARY KEY (k, n)) WITHOUT ROWID');
    both(p, 'CREATE TABLE b (k BLOB PRIMARY KEY, v INTEGER)');
    both(p, 'CREATE TABLE bc (g INTEGER, k BLOB, v TEXT, PRIMARY KEY (g, k))');
    for (const db of [p.left, p.right]) {
      const c = db.prepare('INSERT INTO c VALUES (?, ?, ?)');
      const b = db.prepare('INSERT INTO b VALUES (?, ?)');
      const bc = db.prepare('INSERT INTO bc VALUES (?, ?, ?)');
      db.transaction(() => {
        for (let i = 0; i < 3_000; i++) {
          c.run(`key,${i % 37}'"`, i, `v${i}`);
          b.run(Buffer.from([i >> 8, i & 255, 0]), i);
          bc.run(i % 5, Buffer.from([i & 255, i >> 8]), 'x');
        }
      })();
    }
    changeOne(p.right, `UPDATE c SET v = 'other' WHERE k = 'key,3''"' AND n = 1520`);
    changeOne(p.left, "INSERT INTO c VALUES ('zz', -1, NULL)");
    changeOne(p.right, "DELETE FROM b WHERE k = x'0a0b00'");
    changeOne(p.left, "INSERT INTO b VALUES (x'', 1)");
    changeOne(p.right, "UPDATE bc SET v = 'y' WHERE g = 0 AND k = x'1b03'");
    assert.deepEqual(summary(await p.compare('c')), [
      '["key,3\'\\"",1520] present/present',
      '["zz",-1] present/absent',
    ]);
    assert.deepEqual(summary(await p.compare('b')), [
      '[{"$b":""}] present/absent',
      '[{"$b":"0A0B00"}] present/absent',
    ]);
    assert.deepEqual(summary(await p.compare('bc')), ['[0,{"$b":"1B03"}] present/present']);
  } finally {
    p.close();
  }
});

test('empty against non-empty, and both empty', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
    const empty = await p.compare('t');
    assert.deepEqual(empty.differing, []);
    assert.equal(empty.rounds, 1);
    fill(p.right, 500);
    const res = await p.compare('t');
    assert.equal(res.differing.length, 500);
    assert.ok(
      res.differing.every((d) => d.local === 'absent' && d.remote === 'present' && d.localHash === null),
    );
    assert.equal(new Set(res.differing.map((d) => d.pk)).size, 500);
    // The other way round: the rows are here only.
    fill(p.left, 500);
    p.right.exec('DELETE FROM t');
    const mirrored = await p.compare('t');
    assert.equal(mirrored.differing.length, 500);
    assert.ok(mirrored.differing.every((d) => d.local === 'present' && d.remote === 'absent'));
  } finally {
    p.close();
  }
});

test('tables without a primary key compare as multisets: order-independent, duplicates counted', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE nokey (a INTEGER, b TEXT)');
    p.left.exec("INSERT INTO nokey VALUES (1, 'x'), (2, 'y'), (1, 'x'), (3, NULL)");
    p.right.exec("INSERT INTO nokey VALUES (3, NULL), (1, 'x'), (2, 'y'), (1, 'x')");
    let res = await p.compare('nokey');
    assert.equal(res.keylessDiffers, false);
    assert.deepEqual([res.localRows, res.remoteRows, res.rounds, res.differing.length], [4, 4, 1, 0]);
    // One duplicate fewer on the peer: the counts say so.
    p.right.exec('DELETE FROM nokey WHERE rowid = (SELECT max(rowid) FROM nokey WHERE a = 1)');
    res = await p.compare('nokey');
    assert.equal(res.keylessDiffers, true);
    assert.deepEqual([res.localRows, res.remoteRows], [4, 3]);
    // Same count, one value different; then a duplicate pair against two distinct rows.
    p.right.exec("INSERT INTO nokey VALUES (1, 'X')");
    assert.equal((await p.compare('nokey')).keylessDiffers, true);
    both(p, 'CREATE TABLE dup (a INTEGER)');
    p.left.exec('INSERT INTO dup VALUES (5), (5)');
    p.right.exec('INSERT INTO dup VALUES (5), (6)');
    res = await p.compare('dup');
    assert.deepEqual([res.keylessDiffers, res.localRows, res.remoteRows], [true, 2, 2]);
    // Keyless here, keyed on the peer: the schemas differ.
    p.left.exec('CREATE TABLE half (id INTEGER, v TEXT)');
    p.right.exec('CREATE TABLE half (id INTEGER PRIMARY KEY, v TEXT)');
    await assert.rejects(p.compare('half'), MerkleSchemaMismatchError);
  } finally {
    p.close();
  }
});

test('unknown and internal tables are refused with typed errors', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE _chorus_log (lsn INTEGER PRIMARY KEY)');
    await assert.rejects(
      p.compare('missing'),
      (e: unknown) => (e as { sqlstate?: string }).sqlstate === '42P01',
    );
    await assert.rejects(
      p.compare('_chorus_log'),
      (e: unknown) => (e as { sqlstate?: string }).sqlstate === '42P01',
    );
    // Only the peer lacks the table, or its key: the peer's error comes back typed.
    p.left.exec('CREATE TABLE only_left (id INTEGER PRIMARY KEY)');
    await assert.rejects(
      p.compare('only_left'),
      (e: unknown) => e instanceof MerklePeerError && e.sqlstate === '42P01',
    );
    p.left.exec('CREATE TABLE keyed_left (id INTEGER PRIMARY KEY, v TEXT)');
    p.right.exec('CREATE TABLE keyed_left (id INTEGER, v TEXT)');
    await assert.rejects(
      p.compare('keyed_left'),
      (e: unknown) => e instanceof MerklePeerError && e.sqlstate === '55000',
    );
    p.left.exec('CREATE TABLE cols (id INTEGER PRIMARY KEY, v TEXT)');
    p.right.exec('CREATE TABLE cols (id INTEGER PRIMARY KEY, v TEXT, w TEXT)');
    await assert.rejects(p.compare('cols'), MerkleSchemaMismatchError);
    both(p, 'CREATE TABLE nk (k TEXT PRIMARY KEY, v INTEGER)');
    p.right.exec('INSERT INTO nk VALUES (NULL, 1)');
    await assert.rejects(
      p.compare('nk'),
      (e: unknown) => e instanceof MerklePeerError && e.sqlstate === '0A000',
    );
    p.left.exec('INSERT INTO nk VALUES (NULL, 1)');
    await assert.rejects(p.compare('nk'), MerkleNullKeyError);
  } finally {
    p.close();
  }
});

test('the responder answers malformed requests with error replies', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
    const ro = new Database(p.right.name, { readonly: true });
    const responder = new MerkleResponder(ro);
    const base = { t: merkleRequestType, v: merkleProtocolVersion, id: 3, table: 't' };
    const bad: PeerMessage[] = [
      { ...base, v: 99, ranges: [{ lo: null, hi: null }] },
      { ...base, ranges: [] },
      { ...base, ranges: [{ lo: [1, 2], hi: null }] },
      { ...base, ranges: [{ lo: null, hi: null, split: 1000 }] },
      { ...base, ranges: [{ lo: [{}], hi: null }] },
    ];
    for (const msg of bad) {
      const reply = await responder.handle(wire(msg));
      assert.equal(reply.ok, false, JSON.stringify(msg));
      assert.equal(reply.id, 3);
      assert.equal(reply.ok === false && reply.sqlstate, '08P01');
    }
    const good = await responder.handle(
      wire({
        ...base,
        ranges: [
          { lo: null, hi: [10] },
          { lo: [10], hi: null },
        ],
      }),
    );
    assert.equal(good.ok, true);
    assert.deepEqual(good.ok && good.results.map((r) => r.count), [0, 0]);
    ro.close();
  } finally {
    p.close();
  }
});

test("type tags: 1, '1', 1.0 and x'01' differ; so do NULL and ''; a comma in text is no separator", async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v, w)');
    const left = ['1, 1', "1, 'x'", "1, 'x'", "1, 'x'", "NULL, 'x'", "'', 'x'", "'a,b', 'c'", "'a', 't1:b'"];
    const right = [
      '1, 1',
      "'1', 'x'",
      "1.0, 'x'",
      "x'01', 'x'",
      "'', 'x'",
      "NULL, 'x'",
      "'a', 'b,c'",
      "'a,t1:b', ''",
    ];
    for (let i = 0; i < left.length; i++) {
      p.left.exec(`INSERT INTO t VALUES (${i}, ${left[i]})`);
      p.right.exec(`INSERT INTO t VALUES (${i}, ${right[i]})`);
    }
    const res = await p.compare('t');
    assert.deepEqual(
      summary(res),
      [1, 2, 3, 4, 5, 6, 7].map((i) => `[${i}] present/present`),
    );
  } finally {
    p.close();
  }
});

test('caps: differing rows and rounds truncate the result', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)');
    fill(p.left, 3_000);
    const capped = await p.compare('t', { differingRowsMax: 10 });
    assert.equal(capped.truncated, true);
    assert.equal(capped.differing.length, 10);
    const short = await p.compare('t', { roundsMax: 1 });
    assert.equal(short.truncated, true);
    assert.equal(short.rounds, 1);
    await assert.rejects(
      p.compare('t', { fanout: 1 }),
      (e: unknown) => (e as { sqlstate?: string }).sqlstate === '22023',
    );
  } finally {
    p.close();
  }
});

test('large integer keys travel exactly', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    for (const db of [p.left, p.right]) {
      const ins = db.prepare('INSERT INTO t VALUES (?, ?)').safeIntegers(true);
      db.transaction(() => {
        for (let i = 0n; i < 400n; i++) ins.run(9_007_199_254_740_000n + i * 3n, 'v');
      })();
    }
    changeOne(p.right, "UPDATE t SET v = 'w' WHERE id = 9007199254740993");
    assert.deepEqual(summary(await p.compare('t', { fanout: 4, leafRowsMax: 2 })), [
      '[9007199254740993] present/present',
    ]);
  } finally {
    p.close();
  }
});

// ---- property: random small tables and random edits against a brute-force diff ----

type Value = number | string | null;
type Edit = { op: 'put'; k: [string, number]; v: Value } | { op: 'del'; k: [string, number] };

const keyArb = fc.tuple(fc.constantFrom('a', 'b', 'ab', "q'", 'z'), fc.integer({ min: -3, max: 12 }));
const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom<Value>(1, 2, '1', '2', null, 1.5, ''),
  fc.integer({ min: -5, max: 5 }),
);
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), k: keyArb, v: valueArb }),
  fc.record({ op: fc.constant('del' as const), k: keyArb }),
);

function bruteForce(p: Pair, table: string): string[] {
  const read = (db: Database.Database): Map<string, string> =>
    new Map(
      (
        db
          .prepare(`SELECT json_array(k, n) AS pk, typeof(v) || ':' || quote(v) AS v FROM ${table}`)
          .all() as { pk: string; v: string }[]
      ).map((r) => [r.pk, r.v]),
    );
  const l = read(p.left);
  const r = read(p.right);
  const out: string[] = [];
  for (const [pk, v] of l) {
    if (!r.has(pk)) out.push(`${pk} present/absent`);
    else if (r.get(pk) !== v) out.push(`${pk} present/present`);
  }
  for (const pk of r.keys()) if (!l.has(pk)) out.push(`${pk} absent/present`);
  return out.sort();
}

test('property: reported differences equal a brute-force diff', async () => {
  const p = openPair();
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(keyArb, valueArb), { maxLength: 60 }),
        fc.array(editArb, { maxLength: 12 }),
        fc.array(editArb, { maxLength: 4 }),
        fc.record({ fanout: fc.integer({ min: 2, max: 5 }), leafRowsMax: fc.integer({ min: 1, max: 6 }) }),
        async (rows, rightEdits, leftEdits, options) => {
          const table = `p${++run}`;
          both(p, `CREATE TABLE ${table} (k TEXT, n INTEGER, v, PRIMARY KEY (k, n))`);
          for (const db of [p.left, p.right]) {
            const put = db.prepare(`INSERT OR REPLACE INTO ${table} VALUES (?, ?, ?)`);
            for (const [[k, n], v] of rows) put.run(k, n, v);
          }
          const apply = (db: Database.Database, edits: Edit[]): void => {
            for (const e of edits) {
              if (e.op === 'put')
                db.prepare(`INSERT OR REPLACE INTO ${table} VALUES (?, ?, ?)`).run(e.k[0], e.k[1], e.v);
              else db.prepare(`DELETE FROM ${table} WHERE k = ? AND n = ?`).run(e.k[0], e.k[1]);
            }
          };
          apply(p.right, rightEdits);
          apply(p.left, leftEdits);
          const expected = bruteForce(p, table);
          const small = await p.compare(table, options);
          const dflt = await p.compare(table);
          both(p, `DROP TABLE ${table}`);
          assert.equal(small.truncated, false);
          assert.deepEqual(summary(small), expected);
          assert.deepEqual(summary(dflt), expected);
          if (expected.length === 0) assert.equal(dflt.rounds, 1);
        },
      ),
      { numRuns: 150, seed },
    );
  } finally {
    p.close();
  }
});

test('a reply past its byte budget defers the remaining asks; the driver asks again', async () => {
  const p = openPair();
  try {
    both(p, 'CREATE TABLE long (k TEXT PRIMARY KEY, v INTEGER)');
    const key = (i: number): string => `${String(i).padStart(5, '0')}${'x'.repeat(400)}`;
    const rows = merkleLeafRowsMax * 64;
    for (const [db, v] of [
      [p.left, 1],
      [p.right, 2],
    ] as const) {
      const ins = db.prepare('INSERT INTO long VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < rows; i++) ins.run(key(i), v);
      })();
    }
    const ro = new Database(p.right.name, { readonly: true });
    const ranges = Array.from({ length: 64 }, (_, j) => ({
      lo: [key(j * merkleLeafRowsMax)],
      hi: [key((j + 1) * merkleLeafRowsMax)],
      rows: true,
    }));
    const reply = await new MerkleResponder(ro).handle(
      wire({ t: merkleRequestType, v: merkleProtocolVersion, table: 'long', ranges }),
    );
    ro.close();
    assert.ok(reply.ok);
    assert.equal(reply.results[0]!.rows?.length, merkleLeafRowsMax);
    assert.ok(reply.results.at(-1)!.deferred, 'the last asks are deferred');
    const res = await p.compare('long', { differingRowsMax: 1_000 });
    assert.equal(res.differing.length, 1_000);
    assert.equal(res.truncated, true);
    assert.ok(res.differing.every((d) => d.local === 'present' && d.remote === 'present'));
  } finally {
    p.close();
  }
});
