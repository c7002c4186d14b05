// Driver matrix cases, arrays: JavaScript arrays as parameters (pg sends '{"1","2"}' with OID 0 and
// the server types it from `= ANY($1)`; postgres.js sends its own typed arrays), `<> ALL`, NULL
// elements, `IN (SELECT unnest($1::int[]))`, and array results parsed by the driver.
import type { Case } from './driver-matrix-dsl.js';
import { rows, single } from './driver-matrix-dsl.js';

const P = (
  sql: string,
  params: unknown[],
  expect: Case['steps'][0]['expect'],
  more: Partial<Case> = {},
): Case => single('parameters', sql, params, expect, more);

export const ARRAY_CASES: Case[] = [
  P(
    'SELECT id FROM dm_people WHERE id = ANY($1) ORDER BY id',
    [[1, 3, 99]],
    rows([['id', 'int4']], ['1'], ['3']),
  ),
  P(
    'SELECT id FROM dm_people WHERE id <> ALL($1) ORDER BY id',
    [[1, 3]],
    rows([['id', 'int4']], ['2'], ['4']),
  ),
  P(
    'SELECT x FROM (VALUES ($1::text), ($2::text)) t(x) WHERE x = ANY($3) ORDER BY x',
    ['b c', 'd"e', ['b c', 'd"e', null, 'z']],
    rows([['x', 'text']], ['b c'], ['d"e']),
  ),
  P(
    'SELECT id FROM dm_people WHERE id IN (SELECT unnest($1::int[])) ORDER BY id',
    [[2, 4]],
    rows([['id', 'int4']], ['2'], ['4']),
  ),
  P(
    "SELECT cardinality($1::text[]) AS n, array_to_string($1::text[], '|', '*') AS s",
    [['a', 'b c', null]],
    rows(
      [
        ['n', 'int4'],
        ['s', 'text'],
      ],
      ['3', 'a|b c|*'],
    ),
  ),
  P(
    'SELECT $1::int8[] AS big, $2::text[] AS t',
    [
      [1, 9007199254740993n],
      ['x y', '', null, 'NULL', 'q"'],
    ],
    rows(
      [
        ['big', '_int8'],
        ['t', '_text'],
      ],
      ['{1,9007199254740993}', '{"x y","",NULL,"NULL","q\\""}'],
    ),
    { drivers: ['pg'] },
  ),
  P(
    'SELECT ARRAY[1, NULL, 3] AS a, \'{a,"b c"}\'::text[] AS t, ARRAY[1.50]::numeric[] AS n',
    [],
    rows(
      [
        ['a', '_int4'],
        ['t', '_text'],
        ['n', '_numeric'],
      ],
      ['{1,NULL,3}', '{a,"b c"}', '{1.50}'],
    ),
    { drivers: ['pg'] },
  ),
];
