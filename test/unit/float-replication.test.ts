// Float values through the replication path, bit for bit: captured by the real capture triggers into
// _chorus_log, shipped in a peer-link frame (the real codec), applied with the Applier's JSON decoding,
// and compared by split-brain detection. -0, NaN, ±Infinity, subnormals, float4 edges and random bit
// patterns must arrive as they were written, and an UPDATE that only flips the sign of a zero is a change.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { LogEntry } from '../../src/log/records.js';
import { colPath, fromJson } from '../../src/replication/apply/rows/row-sql.js';
import { compareTable, MerkleResponder } from '../../src/replication/integrity/merkle.js';
import { roundTripFrame } from '../../src/replication/link/frames.js';
import { captureTriggerSql, captureTxidFunction, tableShape } from '../../src/storage/capture/capture.js';
import { internalSchemaSql } from '../../src/storage/engine/internal-schema.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-float-repl-'));
after(() => rmSync(root, { recursive: true, force: true }));
const codec = { compression: { enabled: true, thresholdBytes: 64 }, frameBytesMax: 64 * 1024 * 1024 };
const tableSql = 'CREATE TABLE rf (id INTEGER PRIMARY KEY, a FLOAT8_BLOB, b FLOAT4_BLOB)';

/** A float as stored (sql/DESIGN.md): REAL, NaN as the TEXT 'NaN'. */
type Stored = number | string | null;
const stored = (v: number): Stored => (Number.isNaN(v) ? 'NaN' : v);

/** A node's database with the capture triggers of rf (every write is captured as transaction 1). */
function origin(): Database.Database {
  const db = new Database(':memory:');
  db.exec(internalSchemaSql);
  db.function(captureTxidFunction, () => 1);
  db.exec(tableSql);
  for (const t of captureTriggerSql(tableShape(db, 'rf'))) db.exec(t.sql);
  return db;
}

/** The log entries written since `after`, as a peer receives them in a frame. */
function shipped(db: Database.Database, after: number): { entries: LogEntry[]; last: number } {
  const rows = db
    .prepare('SELECT lsn, tbl, op, pk, cols FROM _chorus_log WHERE lsn > ? ORDER BY lsn')
    .all(after) as (LogEntry & { lsn: number })[];
  const entries = rows.map(({ tbl, op, pk, cols }) => ({ tbl, op, pk, cols }));
  const wire = roundTripFrame({ t: 'txs', txs: [{ entries }] }, codec) as unknown as {
    txs: { entries: LogEntry[] }[];
  };
  return { entries: wire.txs[0]!.entries, last: rows.at(-1)?.lsn ?? after };
}

/** Applies entries as the Applier does: every value read back from the entry's JSON by fromJson. */
function apply(db: Database.Database, entries: LogEntry[]): void {
  for (const e of entries) {
    const cols = Object.keys(JSON.parse(e.cols ?? '{}') as object);
    if (e.op === 'INSERT') {
      db.prepare(
        `INSERT INTO rf (${cols.join(', ')}) VALUES (${cols.map((c) => fromJson(':cols', colPath(c))).join(', ')})`,
      ).run({ cols: e.cols });
    } else if (e.op === 'UPDATE' && cols.length > 0) {
      db.prepare(
        `UPDATE rf SET ${cols.map((c) => `${c} = ${fromJson(':cols', colPath(c))}`).join(', ')} WHERE id IS ${fromJson(':pk', '$[0]')}`,
      ).run({ cols: e.cols, pk: e.pk });
    }
  }
}

function rowsOf(db: Database.Database): { id: number; a: Stored; ta: string; b: Stored; tb: string }[] {
  return db.prepare('SELECT id, a, typeof(a) AS ta, b, typeof(b) AS tb FROM rf ORDER BY id').all() as {
    id: number;
    a: Stored;
    ta: string;
    b: Stored;
    tb: string;
  }[];
}

/** Rows compared bit for bit (Object.is tells -0 from 0) with their SQLite storage classes. */
function assertSameRows(got: ReturnType<typeof rowsOf>, want: ReturnType<typeof rowsOf>): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const same =
      g.id === w.id && Object.is(g.a, w.a) && Object.is(g.b, w.b) && g.ta === w.ta && g.tb === w.tb;
    assert.ok(same, `row ${w.id}: got ${show(g)}, want ${show(w)}`);
  }
}

function show(r: { a: Stored; b: Stored; ta: string; tb: string }): string {
  const f = (v: Stored): string => (Object.is(v, -0) ? '-0' : String(v));
  return `a=${f(r.a)}(${r.ta}) b=${f(r.b)}(${r.tb})`;
}

/** Deterministic random doubles of every exponent (xorshift over the 64 bits). */
function randomDoubles(n: number): number[] {
  let x = 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  const view = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  while (out.length < n) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    view.setBigUint64(0, x);
    out.push(view.getFloat64(0));
  }
  return out;
}

const edges = [
  -0,
  0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  5e-324,
  -5e-324,
  2.225073858507201e-308, // largest subnormal
  2.2250738585072014e-308, // smallest normal
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  0.30000000000000004,
  1 / 3,
  150,
  2 ** 53 + 2,
  2 ** 63,
  1e21,
  Math.fround(3.4028234663852886e38), // float4 max
  Math.fround(1.1754943508222875e-38), // float4 smallest normal
  1.401298464324817e-45, // float4 smallest subnormal
  Math.fround(0.1),
];

test('every float is captured, shipped and applied bit for bit, -0 included', () => {
  const src = origin();
  const dst = new Database(':memory:');
  dst.exec(tableSql);
  const ins = src.prepare('INSERT INTO rf VALUES (?, ?, ?)');
  const values = [...edges, ...randomDoubles(3_000)];
  src.transaction(() => {
    values.forEach((v, i) => {
      ins.run(i + 1, stored(v), stored(Math.fround(v)));
    });
  })();
  const log = shipped(src, 0);
  assert.equal(log.entries.length, values.length);
  const minusZero = log.entries[0]!;
  assert.equal(minusZero.cols, '{"id":1,"a":-0.0,"b":-0.0}', 'the log writes -0 as the JSON number -0.0');
  apply(dst, log.entries);
  assertSameRows(rowsOf(dst), rowsOf(src));
  assert.ok(Object.is(rowsOf(dst)[0]!.a, -0));
});

test('an UPDATE that only changes the sign of a zero, or the storage class, is captured', () => {
  const src = origin();
  const dst = new Database(':memory:');
  dst.exec(tableSql);
  src.prepare('INSERT INTO rf VALUES (1, ?, ?), (2, ?, ?), (3, ?, ?)').run(0, -0, -0, 0, 150, 1);
  let log = shipped(src, 0);
  apply(dst, log.entries);
  const upd = src.prepare('UPDATE rf SET a = ?, b = ? WHERE id = ?');
  upd.run(-0, 0, 1); // 0 -> -0 and -0 -> 0
  upd.run(-0, 0, 2); // unchanged: no column logged
  src.prepare('UPDATE rf SET a = 150, b = 1.0 WHERE id = 3').run(); // REAL 150.0 -> INTEGER 150; b unchanged
  const before = log.last;
  log = shipped(src, before);
  assert.deepEqual(
    log.entries.map((e) => e.cols),
    ['{"a":-0.0,"b":0.0}', '{}', '{"a":150}'],
  );
  apply(dst, log.entries);
  assertSameRows(rowsOf(dst), rowsOf(src));
});

test('split-brain comparison tells -0 from 0', async () => {
  const open = (side: string): { rw: Database.Database; ro: Database.Database } => {
    const file = join(root, `${side}.db`);
    const rw = new Database(file);
    rw.pragma('journal_mode = WAL');
    rw.exec(tableSql);
    return { rw, ro: new Database(file, { readonly: true }) };
  };
  const left = open('left');
  const right = open('right');
  try {
    left.rw.prepare('INSERT INTO rf VALUES (1, ?, 1), (2, 0.5, 2)').run(-0);
    right.rw.prepare('INSERT INTO rf VALUES (1, ?, 1), (2, 0.5, 2)').run(0);
    const responder = new MerkleResponder(right.ro);
    const res = await compareTable(left.ro, 'rf', async (req) =>
      roundTripFrame(await responder.handle(roundTripFrame(req, codec)), codec),
    );
    assert.deepEqual(
      res.differing.map((d) => d.pk),
      ['[1]'],
    );
  } finally {
    for (const db of [left.ro, left.rw, right.ro, right.rw]) db.close();
  }
});
