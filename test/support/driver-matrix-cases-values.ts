// Driver matrix cases, part 2: computed expressions (result types, column names, precedence, NULL
// ordering, arithmetic errors) and parameters — untyped (pg sends OID 0), typed by postgres.js, and cast —
// including Date, Buffer, object and null values.
import type { Case } from './driver-matrix-dsl.js';
import { fails, returning, rows, single } from './driver-matrix-dsl.js';

const C = (sql: string, expect: Case['steps'][0]['expect'], more: Partial<Case> = {}): Case =>
  single('computed', sql, [], expect, more);

const computed: Case[] = [
  C('SELECT true', rows([['?column?', 'bool']], ['t'])),
  C('SELECT count(*) > 0 FROM dm_people', rows([['?column?', 'bool']], ['t'])),
  C('SELECT 1.50::numeric(10,2)', rows([['numeric', 'numeric']], ['1.50'])),
  C(
    "SELECT '2026-12-07 05:00+00'::timestamptz",
    rows([['timestamptz', 'timestamptz']], ['2026-12-07 05:00:00+00']),
  ),
  C(`SELECT '{"x":1}'::jsonb`, rows([['jsonb', 'jsonb']], ['{"x": 1}'])),
  C('SELECT count(*) FROM dm_people', rows([['count', 'int8']], ['4'])),
  C('SELECT sum(qty) FROM dm_orders', rows([['sum', 'int8']], ['10'])),
  C('SELECT avg(qty) FROM dm_orders', rows([['avg', 'numeric']], ['3.3333333333333333'])),
  C(
    'SELECT sum(amount), max(amount) AS most FROM dm_orders',
    rows(
      [
        ['sum', 'numeric'],
        ['most', 'numeric'],
      ],
      ['113.75', '100.00'],
    ),
  ),
  C('SELECT now()', rows([['now', 'timestamptz']], ['2026-12-07 05:00:00+00']), { shape: true }),
  C('SELECT 1 + 1', rows([['?column?', 'int4']], ['2'])),
  C('SELECT 1 AS Foo', rows([['foo', 'int4']], ['1'])),
  C('SELECT 1 AS "Foo"', rows([['Foo', 'int4']], ['1'])),
  C(
    'SELECT name AS Name, upper(name), id::text FROM dm_people WHERE id = 2',
    rows(
      [
        ['name', 'text'],
        ['upper', 'text'],
        ['id', 'text'],
      ],
      ['bob', 'BOB', '2'],
    ),
  ),
  C(
    "SELECT TIMESTAMP '2026-12-08 06:00' - TIMESTAMP '2026-12-07 05:00'",
    rows([['?column?', 'interval']], ['1 day 01:00:00']),
  ),
  C(
    "SELECT EXTRACT(EPOCH FROM TIMESTAMP '2026-12-07 05:00')",
    rows([['extract', 'numeric']], ['1796619600.000000']),
  ),
  C(
    "SELECT EXTRACT(YEAR FROM DATE '2026-12-07') AS y, date_part('epoch', INTERVAL '1 day') AS s",
    rows(
      [
        ['y', 'numeric'],
        ['s', 'float8'],
      ],
      ['2026', '86400'],
    ),
  ),
  C("SELECT 'four: ' || 2+2", rows([['?column?', 'text']], ['four: 4'])),
  C(
    'SELECT id, age FROM dm_people ORDER BY age',
    rows(
      [
        ['id', 'int4'],
        ['age', 'int4'],
      ],
      ['4', '25'],
      ['1', '30'],
      ['3', '41'],
      ['2', null],
    ),
    { name: 'NULLS LAST by default: SELECT id, age FROM dm_people ORDER BY age' },
  ),
  C(
    'SELECT id, age FROM dm_people ORDER BY age DESC',
    rows(
      [
        ['id', 'int4'],
        ['age', 'int4'],
      ],
      ['2', null],
      ['3', '41'],
      ['1', '30'],
      ['4', '25'],
    ),
    { name: 'NULLS FIRST for DESC: SELECT id, age FROM dm_people ORDER BY age DESC' },
  ),
  C('SELECT 1/0', fails('22012', 'division by zero')),
  C('SELECT 2147483647 + 1', fails('22003', 'integer out of range')),
  C('SELECT 9223372036854775807 + 1', fails('22003', 'bigint out of range')),
  C('SELECT 32767::int2 + 1::int2', fails('22003', 'smallint out of range')),
  C('SELECT -2147483648::int4', fails('22003', 'integer out of range'), {
    name: ':: binds tighter than unary minus: SELECT -2147483648::int4',
  }),
  C('SELECT 0.0::float8 / 0', fails('22012', 'division by zero')),
  C(
    'SELECT 7 / 2 AS i, 7.0 / 2 AS n, 7 % 3 AS m, 2 ^ 10 AS p',
    rows(
      [
        ['i', 'int4'],
        ['n', 'numeric'],
        ['m', 'int4'],
        ['p', 'float8'],
      ],
      ['3', '3.5000000000000000', '1', '1024'],
    ),
  ),
  C(
    'SELECT 0.1 + 0.2 AS n, 0.1::float8 + 0.2::float8 AS f',
    rows(
      [
        ['n', 'numeric'],
        ['f', 'float8'],
      ],
      ['0.3', '0.30000000000000004'],
    ),
  ),
  C(
    'SELECT 10000000000 AS big, 1.5 AS dec, 1e3 AS sci',
    rows(
      [
        ['big', 'int8'],
        ['dec', 'numeric'],
        ['sci', 'numeric'],
      ],
      ['10000000000', '1.5', '1000'],
    ),
  ),
  C(
    'SELECT round(2.5) AS n, round(-2.5) AS nn, round(2.5::float8) AS f',
    rows(
      [
        ['n', 'numeric'],
        ['nn', 'numeric'],
        ['f', 'float8'],
      ],
      ['3', '-3', '2'],
    ),
  ),
  C('SELECT NULL', rows([['?column?', 'text']], [null])),
  C(
    "SELECT NULL::int AS i, 'abc' AS s, true AND NULL AS b",
    rows(
      [
        ['i', 'int4'],
        ['s', 'text'],
        ['b', 'bool'],
      ],
      [null, 'abc', null],
    ),
  ),
  C(
    "SELECT length('héllo'), 'abc'::char(5) = 'abc' AS padded, 1 = 1.0 AS mixed",
    rows(
      [
        ['length', 'int4'],
        ['padded', 'bool'],
        ['mixed', 'bool'],
      ],
      ['5', 't', 't'],
    ),
  ),
  C(
    "SELECT DATE '2026-12-07' + 1 AS d, DATE '2026-12-07' - DATE '2026-12-01' AS days, TIMESTAMPTZ '2026-12-07 05:00+00' + INTERVAL '1 day' AS tz",
    rows(
      [
        ['d', 'date'],
        ['days', 'int4'],
        ['tz', 'timestamptz'],
      ],
      ['2026-12-08', '6', '2026-12-08 05:00:00+00'],
    ),
  ),
  C(
    "SELECT id, coalesce(age, 0), CASE WHEN age > 29 THEN 'old' ELSE 'young' END FROM dm_people ORDER BY id",
    rows(
      [
        ['id', 'int4'],
        ['coalesce', 'int4'],
        ['case', 'text'],
      ],
      ['1', '30', 'old'],
      ['2', '0', 'young'],
      ['3', '41', 'old'],
      ['4', '25', 'young'],
    ),
  ),
  C(
    'SELECT id, amount * 2 AS doubled, amount / 3 AS third FROM dm_orders ORDER BY id',
    rows(
      [
        ['id', 'int4'],
        ['doubled', 'numeric'],
        ['third', 'numeric'],
      ],
      ['1', '21.00', '3.5000000000000000'],
      ['2', '6.50', '1.08333333333333333333'],
      ['3', '200.00', '33.3333333333333333'],
      ['4', null, null],
    ),
  ),
  C(
    'SELECT active, count(*) FROM dm_people GROUP BY active ORDER BY active',
    rows(
      [
        ['active', 'bool'],
        ['count', 'int8'],
      ],
      ['f', '1'],
      ['t', '2'],
      [null, '1'],
    ),
  ),
];

const P = (
  sql: string,
  params: unknown[],
  expect: Case['steps'][0]['expect'],
  more: Partial<Case> = {},
): Case => single('parameters', sql, params, expect, more);

const when = new Date('2026-12-07T05:06:07.123Z');
const bytes = Buffer.from([0x00, 0xff, 0x80, 0xc3, 0xa9]);

const parameters: Case[] = [
  // BETWEEN is two comparisons: the first types $1, which then types $2 (PostgreSQL's rule).
  P('SELECT $1 BETWEEN 1 AND $2 AS b', ['5', '10'], rows([['b', 'bool']], ['t'])),
  P('SELECT count(*) FROM dm_people WHERE length(name) = $1', [5], rows([['count', 'int8']], ['2'])),
  P('SELECT count(*) FROM dm_orders WHERE amount * 2 > $1', [10], rows([['count', 'int8']], ['2'])),
  P('SELECT name FROM dm_people WHERE id + 0 = $1', [2], rows([['name', 'text']], ['bob'])),
  P('SELECT 1 = $1', [1], rows([['?column?', 'bool']], ['t'])),
  P(
    'SELECT $1 + 1 AS v, $2 || $3 AS s',
    [41, 'a', 1],
    rows(
      [
        ['v', 'int4'],
        ['s', 'text'],
      ],
      ['42', 'a1'],
    ),
  ),
  P('SELECT $1::numeric + 1', ['1.5'], rows([['?column?', 'numeric']], ['2.5'])),
  P('SELECT $1::numeric + 1', [1.5], rows([['?column?', 'numeric']], ['2.5'])),
  P('SELECT $1::numeric(10,2) AS n', [12.345], rows([['n', 'numeric']], ['12.35'])),
  P(
    'SELECT $1::int AS i, $2::int + $3::int AS s',
    ['42', 1, 2],
    rows(
      [
        ['i', 'int4'],
        ['s', 'int4'],
      ],
      ['42', '3'],
    ),
  ),
  P('SELECT $1::int8 + 1 AS n', [9007199254740993n], rows([['n', 'int8']], ['9007199254740994'])),
  P('SELECT $1::float8 * 2 AS f', [1.25], rows([['f', 'float8']], ['2.5'])),
  P('SELECT $1 AS v', ['hello'], rows([['v', 'text']], ['hello'])),
  P('SELECT $1::text AS v', [42], rows([['v', 'text']], ['42'])),
  P('SELECT $1::date AS d', ['2026-12-07'], rows([['d', 'date']], ['2026-12-07'])),
  P(
    'SELECT name FROM dm_people WHERE name = $1 OR name = $2 ORDER BY name',
    ['a', 'bob'],
    rows([['name', 'text']], ['a'], ['bob']),
  ),
  P('SELECT count(*) FROM dm_people WHERE age > $1', ['30'], rows([['count', 'int8']], ['1'])),
  P('SELECT count(*) FROM dm_people WHERE active = $1', [true], rows([['count', 'int8']], ['2'])),
  P('SELECT id FROM dm_orders WHERE amount = $1', [10.5], rows([['id', 'int4']], ['1'])),
  P('SELECT id FROM dm_people ORDER BY id LIMIT $1', [2], rows([['id', 'int4']], ['1'], ['2'])),
  P('SELECT $1::timestamptz AS tz', [when], rows([['tz', 'timestamptz']], ['2026-12-07 05:06:07.123+00']), {
    name: 'Date parameter: SELECT $1::timestamptz',
  }),
  P(
    'INSERT INTO dm_params (tz) VALUES ($1) RETURNING tz',
    [when],
    returning('INSERT', [['tz', 'timestamptz']], ['2026-12-07 05:06:07.123+00']),
    {
      name: 'Date parameter into a timestamptz column',
    },
  ),
  P(
    'SELECT $1::bytea AS b, octet_length($2::bytea) AS n',
    [bytes, bytes],
    rows(
      [
        ['b', 'bytea'],
        ['n', 'int4'],
      ],
      ['\\x00ff80c3a9', '5'],
    ),
    {
      name: 'Buffer parameter: SELECT $1::bytea',
    },
  ),
  P(
    'SELECT $1::time AS t, $2::date AS d, $3::timestamp AS ts, ($4::timestamptz AT TIME ZONE $5)::text AS tz',
    [binaryInt64(120000n), binaryInt32(7300), binaryInt64(0n), binaryInt64(86_400_000_000n), 'UTC'],
    rows(
      [
        ['t', 'time'],
        ['d', 'date'],
        ['ts', 'timestamp'],
        ['tz', 'text'],
      ],
      ['00:00:00.12', '2019-12-27', '2000-01-01 00:00:00', '2000-01-02 00:00:00'],
    ),
    {
      name: 'binary date/time parameters (Buffers: microseconds and days since 2000-01-01)',
      // node-postgres sends a Buffer in binary format for the parameter's type; postgres.js as bytea.
      drivers: ['pg', 'pg-binary'],
    },
  ),
  P(
    'INSERT INTO dm_params (by) VALUES ($1) RETURNING by',
    [bytes],
    returning('INSERT', [['by', 'bytea']], ['\\x00ff80c3a9']),
    {
      name: 'Buffer parameter into a bytea column',
    },
  ),
  P(
    'SELECT $1::jsonb AS j',
    [{ b: [1, 'x'], a: null }],
    rows([['j', 'jsonb']], ['{"a": null, "b": [1, "x"]}']),
    {
      name: 'object parameter: SELECT $1::jsonb',
    },
  ),
  P('SELECT $1::json AS j', [{ b: 1, a: 2 }], rows([['j', 'json']], ['{"b":1,"a":2}']), {
    name: 'object parameter: SELECT $1::json keeps the text',
  }),
  P(
    'INSERT INTO dm_params (jb) VALUES ($1) RETURNING jb',
    [{ z: { y: 1 }, a: [true] }],
    returning('INSERT', [['jb', 'jsonb']], ['{"a": [true], "z": {"y": 1}}']),
    {
      name: 'object parameter into a jsonb column',
    },
  ),
  P('SELECT $1::int AS x', [null], rows([['x', 'int4']], [null]), { name: 'null parameter: SELECT $1::int' }),
  P('SELECT count(*) FROM dm_people WHERE name = $1', [null], rows([['count', 'int8']], ['0']), {
    name: 'null parameter: WHERE name = $1',
  }),
  P("SELECT coalesce($1, 'dflt') AS v", [null], rows([['v', 'text']], ['dflt']), {
    name: 'null parameter: coalesce($1, text)',
  }),
  P(
    'INSERT INTO dm_params (n) VALUES ($1) RETURNING n',
    [null],
    returning('INSERT', [['n', 'numeric']], [null]),
    {
      name: 'null parameter into a numeric column',
    },
  ),
  P('SELECT $1 IS NULL AS isnull', [null], fails('42P18', 'could not determine data type of parameter $1'), {
    name: 'null parameter without a type: SELECT $1 IS NULL',
  }),
  P('SELECT $1::int AS v', ['x'], fails('22P02', 'invalid input syntax for type integer: "x"')),
  P('SELECT $1::int2 AS v', [40000], fails('22003', 'value "40000" is out of range for type smallint')),
];

/** A Buffer parameter: node-postgres sends it in binary format, read by the parameter's type. */
function binaryInt64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

function binaryInt32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export const VALUE_CASES: Case[] = [...computed, ...parameters];
