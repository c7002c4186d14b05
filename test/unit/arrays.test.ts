// Array values: the text form (array_in's parse and errors, array_out's quoting), the storage form
// (exact int8, floats, BLOB elements, canonical text), the binary form (array_send / array_recv) and
// the order key (element by element, NULL last, then length; 1.5 = 1.50).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import { parseArrayText, quoteArrayElement } from '../../src/sql/types/array/array-codec.js';
import { arrayKey } from '../../src/sql/types/array/array-key.js';
import { decodeArray, encodeArray } from '../../src/sql/types/array/array-storage.js';
import { declaredType, typeOfDeclared } from '../../src/sql/types/declared-types.js';
import { A, arrayTypeOf, formatType, ref, T } from '../../src/sql/types/pg-types.js';
import { codecFor, defaultEnv, inputValue } from '../../src/sql/types/values.js';

function sqlstate(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ChorusError) return `${e.sqlstate} ${e.detail ?? e.message}`;
    throw e;
  }
  return 'no error';
}

test('array_in: quotes, escapes, NULL, whitespace', () => {
  assert.deepEqual(parseArrayText('{}'), []);
  assert.deepEqual(parseArrayText(' { } '), []);
  assert.deepEqual(parseArrayText('{a, "b c" ,NULL,"NULL",null,""}'), ['a', 'b c', null, 'NULL', null, '']);
  assert.deepEqual(parseArrayText('{a\\,b,"x\\"y", c d }'), ['a,b', 'x"y', 'c d']);
  assert.deepEqual(parseArrayText('{\\NULL,a\\ }'), ['NULL', 'a ']);
});

test('array_in: PostgreSQL 15 errors', () => {
  assert.equal(
    sqlstate(() => parseArrayText('1')),
    '22P02 Array value must start with "{" or dimension information.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{1,2')),
    '22P02 Unexpected end of input.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{1,,2}')),
    '22P02 Unexpected "," character.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{1,}')),
    '22P02 Unexpected "}" character.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{1}x')),
    '22P02 Junk after closing right brace.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{a"b}')),
    '22P02 Unexpected array element.',
  );
  assert.equal(
    sqlstate(() => parseArrayText('{{1},{2}}')),
    '0A000 a multidimensional array is not supported',
  );
  assert.equal(sqlstate(() => parseArrayText('[0:1]={1,2}')).slice(0, 5), '0A000');
});

test('array_out quoting', () => {
  assert.equal(quoteArrayElement('a'), 'a');
  assert.equal(quoteArrayElement(''), '""');
  assert.equal(quoteArrayElement('null'), '"null"');
  assert.equal(quoteArrayElement('a b'), '"a b"');
  assert.equal(quoteArrayElement('x"y\\z'), '"x\\"y\\\\z"');
  assert.equal(quoteArrayElement('{a}'), '"{a}"');
  const c = codecFor(A._text);
  assert.equal(
    c.output(inputValue(ref(A._text), '{a,"b c",NULL,"x\\"y"}'), -1, defaultEnv),
    '{a,"b c",NULL,"x\\"y"}',
  );
});

test('storage form: exact and canonical', () => {
  const big = inputValue(ref(A._int8), '{9007199254740993,-9223372036854775808,NULL}');
  assert.equal(big, '[9007199254740993,-9223372036854775808,null]');
  assert.deepEqual(decodeArray(big as string, T.int8), [9007199254740993n, -9223372036854775808n, null]);
  const f = inputValue(ref(A._float8), '{1,-0,NaN,Infinity,0.1}');
  assert.equal(f, '[1.0,-0.0,"NaN",9e999,0.1]');
  const back = decodeArray(f as string, T.float8);
  assert.ok(Object.is(back[1], -0));
  assert.equal(back[2], 'NaN');
  assert.equal(back[3], Number.POSITIVE_INFINITY);
  const n = inputValue(ref(A._numeric), '{1.50}');
  assert.equal(codecFor(A._numeric).output(n, -1, defaultEnv), '{1.50}');
  assert.equal(encodeArray(['a\u0001"'], T.text), '["a\\u0001\\""]');
  assert.deepEqual(decodeArray('["a\\u0001\\""]', T.text), ['a\u0001"']);
});

test('typmod applies to each element', () => {
  assert.equal(inputValue(ref(A._varchar, 6), '{ab}'), '["ab"]');
  assert.equal(sqlstate(() => inputValue(ref(A._varchar, 6), '{ab,abc}')).slice(0, 5), '22001');
  assert.equal(
    codecFor(A._numeric).output(inputValue(ref(A._numeric, (10 << 16) + 2 + 4), '{1.5}'), -1, defaultEnv),
    '{1.50}',
  );
});

test('binary form round trip (array_send / array_recv)', () => {
  const c = codecFor(A._int4);
  const v = inputValue(ref(A._int4), '{1,NULL,-3}');
  const b = c.toBinary(v, defaultEnv);
  assert.equal(b.readInt32BE(0), 1); // ndim
  assert.equal(b.readInt32BE(4), 1); // has nulls
  assert.equal(b.readUInt32BE(8), 23); // element type
  assert.equal(b.readInt32BE(12), 3); // length
  assert.equal(b.readInt32BE(16), 1); // lower bound
  assert.equal(c.fromBinary(b, -1, defaultEnv), v);
  const empty = c.toBinary('[]', defaultEnv);
  assert.equal(empty.length, 12);
  assert.equal(c.fromBinary(empty, -1, defaultEnv), '[]');
  assert.equal(sqlstate(() => codecFor(A._text).fromBinary(b, -1, defaultEnv)).slice(0, 5), '42804');
});

test('order key: element by element, NULL last, then length; equal values equal keys', () => {
  const key = (text: string, t = A._int4) =>
    arrayKey(decodeArray(inputValue(ref(t), text) as string, t.elem!), t.elem!);
  const sorted = ['{}', '{-5}', '{1}', '{1,2}', '{1,2,0}', '{1,3}', '{1,NULL}', '{10}', '{NULL}'];
  const shuffled = [...sorted].reverse();
  assert.deepEqual(
    shuffled.sort((a, b) => Buffer.compare(key(a), key(b))),
    sorted,
  );
  assert.equal(Buffer.compare(key('{1.5}', A._numeric), key('{1.50}', A._numeric)), 0);
  assert.equal(Buffer.compare(key('{-0}', A._float8), key('{0}', A._float8)), 0);
  assert.ok(Buffer.compare(key('{a}', A._text), key('{ab}', A._text)) < 0);
  assert.ok(Buffer.compare(key('{ab}', A._text), key('{b}', A._text)) < 0);
  assert.ok(Buffer.compare(key('{-Infinity}', A._float8), key('{NaN}', A._float8)) < 0);
});

test('array types: names, declared types, format_type', () => {
  assert.equal(arrayTypeOf(T.int4), A._int4);
  assert.equal(formatType(A._varchar, 14), 'character varying(10)[]');
  assert.equal(declaredType(ref(A._numeric, (10 << 16) + 2 + 4)), 'NUMERIC_ARRAY(10,2)');
  assert.deepEqual(typeOfDeclared('NUMERIC_ARRAY(10,2)'), ref(A._numeric, (10 << 16) + 2 + 4));
  assert.deepEqual(typeOfDeclared('INTEGER_ARRAY'), ref(A._int4));
});
