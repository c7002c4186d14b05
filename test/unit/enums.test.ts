// Enum types: the sort orders ALTER TYPE ... ADD VALUE gives (PostgreSQL 15's pg_enum values,
// renumbering included), the codecs (enum_in's check, binary forms, arrays), and the SQL that
// orders labels by declaration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { newLabelSortOrder } from '../../src/session/ddl/enum-ddl.js';
import { declaredType, typeOfDeclared } from '../../src/sql/types/declared-types.js';
import { enumLabelOfRankSql, enumRankSql, makeEnumType, runtimeType } from '../../src/sql/types/enum.js';
import { A, arrayTypeOf, formatType, T } from '../../src/sql/types/pg-types.js';
import { codecFor, defaultEnv } from '../../src/sql/types/values.js';

type Label = { label: string; sort: number };

function add(list: Label[], label: string, neighbor?: string, after = false): Label[] {
  const placed = newLabelSortOrder(list, neighbor, after);
  const base = placed.renumbered ?? list;
  return [...base, { label, sort: placed.sort }].sort((a, b) => a.sort - b.sort);
}

const show = (list: Label[]) => list.map((r) => `${r.label}=${r.sort}`).join(' ');

test('ADD VALUE sort orders are PostgreSQL 15 pg_enum.enumsortorder values', () => {
  let l: Label[] = [
    { label: 'sad', sort: 1 },
    { label: 'ok', sort: 2 },
    { label: 'happy', sort: 3 },
  ];
  l = add(l, 'ecstatic');
  l = add(l, 'meh', 'ok', false);
  l = add(l, 'fine', 'ok', true);
  l = add(l, 'awful', 'sad', false);
  l = add(l, 'glad', 'fine', true);
  // From PostgreSQL 15: the same statements, then SELECT enumlabel, enumsortorder FROM pg_enum.
  assert.equal(show(l), 'awful=0 sad=1 meh=1.5 ok=2 fine=2.5 glad=2.75 happy=3 ecstatic=4');
});

test('ADD VALUE renumbers the labels when no float4 lies between the neighbours', () => {
  let l: Label[] = [
    { label: 'a', sort: 1 },
    { label: 'b', sort: 2 },
  ];
  for (let i = 1; i <= 30; i++) l = add(l, `x${i}`, 'b', false);
  // PostgreSQL 15 shows x30 as 24.992188 (float4's shortest text of 24.9921875).
  const expected = [
    'a=1',
    ...Array.from({ length: 23 }, (_, i) => `x${i + 1}=${i + 2}`),
    'x24=24.5 x25=24.75 x26=24.875 x27=24.9375 x28=24.96875 x29=24.984375 x30=24.9921875 b=25',
  ].join(' ');
  assert.equal(show(l), expected);
});

test('ADD VALUE next to a label that does not exist is 22023', () => {
  assert.throws(() => newLabelSortOrder([{ label: 'a', sort: 1 }], 'zz', true), { sqlstate: '22023' });
});

const mood = makeEnumType({
  schema: 'public',
  name: 'mood',
  oid: 20001,
  arrayOid: 20002,
  labels: ['sad', 'ok', 'happy'],
});

test('enum codec: labels in, labels out, 22P02 naming the type for others', () => {
  const c = codecFor(mood);
  assert.equal(c.input('ok', -1, defaultEnv), 'ok');
  assert.throws(() => c.input('OK', -1, defaultEnv), {
    sqlstate: '22P02',
    message: 'invalid input value for enum mood: "OK"',
  });
  assert.deepEqual(c.toBinary('happy', defaultEnv), Buffer.from('happy'));
  assert.equal(c.fromBinary(Buffer.from('sad'), -1, defaultEnv), 'sad');
  assert.throws(() => c.fromBinary(Buffer.from('x'), -1, defaultEnv), { sqlstate: '22P02' });
  const s = makeEnumType({ schema: 'app', name: 'color', oid: 20003, arrayOid: 20004, labels: ['red'] });
  assert.throws(() => codecFor(s).input('blue', -1, defaultEnv), {
    message: 'invalid input value for enum app.color: "blue"',
  });
  assert.equal(formatType(s), 'app.color');
});

test('an enum array type: its codec checks elements, runtime functions see text[]', () => {
  const arr = arrayTypeOf(mood)!;
  assert.equal(arr.oid, 20002);
  assert.equal(arr.elem, mood);
  assert.equal(formatType(arr), 'mood[]');
  const c = codecFor(arr);
  assert.equal(c.input('{sad,happy}', -1, defaultEnv), '["sad","happy"]');
  assert.equal(c.output('["ok",null]', -1, defaultEnv), '{ok,NULL}');
  assert.throws(() => c.input('{sad,nope}', -1, defaultEnv), { sqlstate: '22P02' });
  assert.equal(runtimeType(mood), T.text);
  assert.equal(runtimeType(arr), A._text);
});

test('enum columns are declared by OID with TEXT affinity, and read back through the catalog', () => {
  assert.equal(declaredType({ type: mood, typmod: -1 }), 'ENUM_TEXT(20001)');
  assert.equal(declaredType({ type: arrayTypeOf(mood)!, typmod: -1 }), 'ENUM_TEXT_ARRAY(20001)');
  const byOid = (oid: number) => (oid === 20001 ? mood : undefined);
  assert.equal(typeOfDeclared('ENUM_TEXT(20001)', byOid)?.type, mood);
  assert.equal(typeOfDeclared('ENUM_TEXT_ARRAY(20001)', byOid)?.type, arrayTypeOf(mood));
  assert.equal(typeOfDeclared('ENUM_TEXT(99)', byOid), null);
  // Without a catalog (storage-level readers), the storage form: text.
  assert.equal(typeOfDeclared('ENUM_TEXT(20001)')?.type, T.text);
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (m ENUM_TEXT(20001))');
  db.prepare('INSERT INTO t VALUES (?)').run('1');
  assert.equal(db.prepare('SELECT typeof(m) FROM t').pluck().get(), 'text');
  db.close();
});

test('rank SQL orders labels by declaration and maps ranks back to labels', () => {
  const db = new Database(':memory:');
  db.exec("CREATE TABLE t (m TEXT); INSERT INTO t VALUES ('happy'), (NULL), ('sad'), ('ok'), ('it''s')");
  const q = makeEnumType({
    schema: 'public',
    name: 'q',
    oid: 1,
    arrayOid: 2,
    labels: ['happy', "it's", 'sad', 'ok'],
  });
  const order = db
    .prepare(`SELECT m FROM t WHERE m IS NOT NULL ORDER BY ${enumRankSql(q, 'm')}`)
    .pluck()
    .all();
  assert.deepEqual(order, ['happy', "it's", 'sad', 'ok']);
  const max = db
    .prepare(`SELECT ${enumLabelOfRankSql(q, `max(${enumRankSql(q, 'm')})`)} FROM t`)
    .pluck()
    .get();
  assert.equal(max, 'ok');
  db.close();
});
