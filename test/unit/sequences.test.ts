// Sequence arithmetic (PostgreSQL's defaults and checks, the next value on one node and on
// several), sequence names as nextval reads them, and schemas' SQLite-side names and OIDs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import {
  firstUserOid,
  objectOid,
  parseSearchPath,
  parseSequenceName,
  splitStorageName,
  storageName,
} from '../../src/sql/namespaces.js';
import { internalSchemaSql } from '../../src/storage/engine/internal-schema.js';
import {
  nextValue,
  type SequenceSlots,
  sequenceParams,
  singleWriterSlots,
} from '../../src/storage/sequences/sequence-math.js';
import { resetSql, SequenceStore } from '../../src/storage/sequences/sequences.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { sqlstate?: string }).sqlstate;
  }
  return undefined;
}

test('CREATE SEQUENCE defaults follow PostgreSQL (ascending and descending, by type)', () => {
  assert.deepEqual(sequenceParams('s', {}, null), {
    type: 'int8',
    start: 1n,
    increment: 1n,
    min: 1n,
    max: 9223372036854775807n,
    cache: 1n,
    cycle: false,
  });
  const down = sequenceParams('s', { increment: -2n, type: 'int4' }, null);
  assert.deepEqual([down.min, down.max, down.start], [-2147483648n, -1n, -1n]);
  const small = sequenceParams('s', { type: 'int2' }, null);
  assert.equal(small.max, 32767n);
});

test('CREATE / ALTER SEQUENCE checks: 22023 as PostgreSQL', () => {
  assert.equal(
    codeOf(() => sequenceParams('s', { increment: 0n }, null)),
    '22023',
  );
  assert.equal(
    codeOf(() => sequenceParams('s', { min: 10n, max: 5n }, null)),
    '22023',
  );
  assert.equal(
    codeOf(() => sequenceParams('s', { start: 0n }, null)),
    '22023',
  );
  assert.equal(
    codeOf(() => sequenceParams('s', { type: 'int2', max: 100000n }, null)),
    '22023',
  );
  // ALTER keeps what it does not name.
  const old = sequenceParams('s', { start: 5n, increment: 3n, max: 100n }, null);
  const altered = sequenceParams('s', { increment: 4n }, old);
  assert.deepEqual([altered.start, altered.increment, altered.max], [5n, 4n, 100n]);
});

test('one writer: last + increment, as PostgreSQL', () => {
  const p = sequenceParams('s', { start: 5n, increment: 2n }, null);
  assert.equal(nextValue('s', p, singleWriterSlots, { value: 5n, called: false }), 5n);
  assert.equal(nextValue('s', p, singleWriterSlots, { value: 5n, called: true }), 7n);
  // After setval(s, 100): 102, whatever the grid.
  assert.equal(nextValue('s', p, singleWriterSlots, { value: 100n, called: true }), 102n);
});

test('past MAXVALUE: 2200H, or back to MINVALUE with CYCLE', () => {
  const p = sequenceParams('s', { max: 3n }, null);
  assert.equal(
    codeOf(() => nextValue('s', p, singleWriterSlots, { value: 3n, called: true })),
    '2200H',
  );
  const c = sequenceParams('s', { max: 3n, cycle: true }, null);
  assert.equal(nextValue('s', c, singleWriterSlots, { value: 3n, called: true }), 1n);
  const down = sequenceParams('s', { increment: -1n, min: -2n }, null);
  assert.equal(
    codeOf(() => nextValue('s', down, singleWriterSlots, { value: -2n, called: true })),
    '2200H',
  );
});

test('several writers: each slot owns a residue class, so no two nodes share a value', () => {
  for (const inc of [1n, 3n, -1n, -5n]) {
    const p = sequenceParams('s', { increment: inc, start: inc > 0n ? 10n : -10n }, null);
    const seen = new Map<bigint, number>();
    for (let slot = 0; slot < 3; slot++) {
      const slots: SequenceSlots = { count: 3n, slot: BigInt(slot) };
      let from = { value: p.start, called: false };
      // Interleave a reset (setval) that every node applies: values stay disjoint.
      for (let k = 0; k < 50; k++) {
        if (k === 20) from = { value: inc > 0n ? 1000n : -1000n, called: true };
        const v = nextValue('s', p, slots, from);
        if (inc > 0n) assert.ok(v > from.value || (!from.called && v >= from.value));
        assert.equal(seen.has(v), false, `value ${v} from slot ${slot} and slot ${seen.get(v)}`);
        seen.set(v, slot);
        from = { value: v, called: true };
      }
    }
    assert.equal(seen.size, 150);
  }
});

test('sequence names as nextval reads them', () => {
  assert.deepEqual(parseSequenceName('t_id_seq'), { schema: null, name: 't_id_seq' });
  assert.deepEqual(parseSequenceName('App.Seq'), { schema: 'app', name: 'seq' });
  assert.deepEqual(parseSequenceName('"My"."S.q"'), { schema: 'My', name: 'S.q' });
  assert.equal(
    codeOf(() => parseSequenceName('a.b.c')),
    '42601',
  );
});

test('a reset is kept only when it orders after the one a node has', () => {
  const sql = resetSql("o'k", { value: 5n, called: true }, 3n, 'n1');
  assert.match(
    sql,
    /WHERE name = 'o''k' AND \(reset_epoch < 3 OR \(reset_epoch = 3 AND reset_node < 'n1'\)\)/,
  );
});

test('schemas: SQLite-side names, search_path, OIDs', () => {
  assert.equal(storageName('public', 't'), 't');
  assert.equal(storageName(null, 't'), 't');
  assert.equal(storageName('drizzle', '__m'), 'drizzle.__m');
  assert.deepEqual(splitStorageName('drizzle.__m'), { schema: 'drizzle', name: '__m' });
  assert.deepEqual(splitStorageName('t'), { schema: 'public', name: 't' });
  assert.deepEqual(parseSearchPath('"$user", public'), ['$user', 'public']);
  assert.deepEqual(parseSearchPath('App, "My Schema"'), ['app', 'My Schema']);
  const a = objectOid('schema', 'app', () => false);
  assert.equal(
    objectOid('schema', 'app', () => false),
    a,
    'the same name gives the same OID on every node',
  );
  assert.ok(a >= firstUserOid);
  assert.equal(
    objectOid('schema', 'app', (o) => o === a),
    a + 1,
  );
});

test("a statement's re-run (a violation's diagnosis) draws the statement's own values and moves nothing", () => {
  const db = new Database(':memory:');
  db.exec(internalSchemaSql);
  db.exec(
    "INSERT INTO _chorus_sequences (name, oid, type_oid, start_value, increment, min_value, max_value, cache, cycle, reset_value, reset_called) VALUES ('s', 16500, 20, 1, 1, 1, 1000, 1, 0, 1, 0)",
  );
  const store = new SequenceStore(db, 'n1', () => singleWriterSlots);
  store.markStatement();
  assert.equal(store.nextval(1, 's'), 1n);
  store.markStatement();
  // The failed statement drew 2 and 3; its re-run draws them again.
  assert.deepEqual([store.nextval(1, 's'), store.nextval(1, 's')], [2n, 3n]);
  const again = store.replay(() => [store.nextval(1, 's'), store.nextval(1, 's'), store.nextval(2, 's')]);
  assert.deepEqual(again, [2n, 3n, 4n]);
  assert.equal(store.currval(1, 's'), 3n);
  assert.equal(
    codeOf(() => store.currval(2, 's')),
    '55000',
    'session 2 drew nothing',
  );
  assert.equal(store.nextval(1, 's'), 4n);
  // Without a value drawn by the statement, the re-run starts where the sequence stands.
  store.markStatement();
  assert.deepEqual(
    store.replay(() => store.nextval(1, 's')),
    5n,
  );
  assert.equal(store.nextval(1, 's'), 5n);
});
