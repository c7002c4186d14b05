// Driver matrix cases, part 1: the dm_ tables both servers get, and every common type as a table column,
// as its text output (::text) and as an expression (CAST), including float NaN, ±Infinity and -0 with
// their ordering and equality.
import type { Case, TypeName } from './driver-matrix-dsl.js';
import { rows, single } from './driver-matrix-dsl.js';

/** One type of dm_types: rows 1 and 3 hold these values, row 2 only NULLs. */
interface TypeColumn {
  col: string;
  ddl: string;
  type: TypeName;
  /** SQL literals of rows 1 and 3. */
  input: [string, string];
  /** PostgreSQL's text output of them. */
  output: [string, string];
  /** Their `::text` (differs from the output for bool and char(n)). */
  asText?: [string, string];
}

export const TYPE_COLUMNS: TypeColumn[] = [
  {
    col: 'b',
    ddl: 'bool',
    type: 'bool',
    input: ['true', 'false'],
    output: ['t', 'f'],
    asText: ['true', 'false'],
  },
  { col: 'i2', ddl: 'int2', type: 'int2', input: ['-32768', '32767'], output: ['-32768', '32767'] },
  {
    col: 'i4',
    ddl: 'int4',
    type: 'int4',
    input: ['2147483647', '-2147483648'],
    output: ['2147483647', '-2147483648'],
  },
  {
    col: 'i8',
    ddl: 'int8',
    type: 'int8',
    input: ['9007199254740993', '-9223372036854775808'],
    output: ['9007199254740993', '-9223372036854775808'],
  },
  { col: 'f4', ddl: 'float4', type: 'float4', input: ['3.14', '12345.678'], output: ['3.14', '12345.678'] },
  { col: 'f8', ddl: 'float8', type: 'float8', input: ['0.1', '1e300'], output: ['0.1', '1e+300'] },
  {
    col: 'n',
    ddl: 'numeric',
    type: 'numeric',
    input: ['12345.678', '-0.000100'],
    output: ['12345.678', '-0.000100'],
  },
  {
    col: 'n2',
    ddl: 'numeric(10,2)',
    type: 'numeric',
    input: ['1.5', '-12345678.9'],
    output: ['1.50', '-12345678.90'],
  },
  {
    col: 't',
    ddl: 'text',
    type: 'text',
    input: [`'héllo ☃ "q" \\ 😀'`, `''`],
    output: ['héllo ☃ "q" \\ 😀', ''],
  },
  {
    col: 'v',
    ddl: 'varchar(10)',
    type: 'varchar',
    input: [`'varchar'`, `'x   '`],
    output: ['varchar', 'x   '],
  },
  {
    col: 'c',
    ddl: 'char(5)',
    type: 'bpchar',
    input: [`'ab'`, `''`],
    output: ['ab   ', '     '],
    asText: ['ab', ''],
  },
  {
    col: 'by',
    ddl: 'bytea',
    type: 'bytea',
    input: [`'\\x00ff80c3a9'`, `'\\x'`],
    output: ['\\x00ff80c3a9', '\\x'],
  },
  {
    col: 'd',
    ddl: 'date',
    type: 'date',
    input: [`'2026-12-07'`, `'1999-01-08'`],
    output: ['2026-12-07', '1999-01-08'],
  },
  {
    col: 'tm',
    ddl: 'time',
    type: 'time',
    input: [`'05:06:07.123456'`, `'00:00'`],
    output: ['05:06:07.123456', '00:00:00'],
  },
  {
    col: 'ts',
    ddl: 'timestamp',
    type: 'timestamp',
    input: [`'2026-12-07 05:06:07.123456'`, `'infinity'`],
    output: ['2026-12-07 05:06:07.123456', 'infinity'],
  },
  {
    col: 'tz',
    ddl: 'timestamptz',
    type: 'timestamptz',
    input: [`'2026-12-07 05:06:07.123456+02'`, `'-infinity'`],
    output: ['2026-12-07 03:06:07.123456+00', '-infinity'],
  },
  {
    col: 'iv',
    ddl: 'interval',
    type: 'interval',
    input: [`'1 year 2 mons 3 days 04:05:06.789'`, `'-1 years -2 mons +3 days -04:05:06.5'`],
    output: ['1 year 2 mons 3 days 04:05:06.789', '-1 years -2 mons +3 days -04:05:06.5'],
  },
  {
    col: 'u',
    ddl: 'uuid',
    type: 'uuid',
    input: [`'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`, `'00000000-0000-0000-0000-000000000000'`],
    output: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000'],
  },
  {
    col: 'j',
    ddl: 'json',
    type: 'json',
    input: [`'{"b": 1, "a": [1, 2.50], "b": 2}'`, `'[]'`],
    output: ['{"b": 1, "a": [1, 2.50], "b": 2}', '[]'],
  },
  {
    col: 'jb',
    ddl: 'jsonb',
    type: 'jsonb',
    input: [`'{"b": 1, "a": [1, 2.50], "b": 2}'`, `'{"k": null, "a": {"z": [true, false]}}'`],
    output: ['{"a": [1, 2.50], "b": 2}', '{"a": {"z": [true, false]}, "k": null}'],
  },
];

const FLOAT_ROWS: [string, string | null, string | null][] = [
  ['1', '1.5', '0.1'],
  ['2', 'NaN', 'NaN'],
  ['3', 'Infinity', 'Infinity'],
  ['4', '-Infinity', '-Infinity'],
  ['5', '-0', '-0'],
  ['6', null, null],
  ['7', '3.4028235e+38', '1.7976931348623157e+308'],
  ['8', '1e-45', '5e-324'],
];

const literal = (v: string | null): string => (v === null ? 'NULL' : `'${v}'`);

/** Statements run on both servers before the cases (each on its own; failures are reported). */
export const SCHEMA: string[] = [
  'CREATE TABLE dm_people (id int PRIMARY KEY, name text NOT NULL UNIQUE, age int CHECK (age >= 0), active bool)',
  "INSERT INTO dm_people VALUES (1, 'a', 30, true), (2, 'bob', NULL, false), (3, 'carol', 41, true), (4, 'alice', 25, NULL)",
  'CREATE TABLE dm_orders (id int PRIMARY KEY, person_id int REFERENCES dm_people (id), amount numeric(10,2), qty int)',
  'INSERT INTO dm_orders VALUES (1, 1, 10.50, 2), (2, 1, 3.25, 3), (3, 3, 100, NULL), (4, NULL, NULL, 5)',
  `CREATE TABLE dm_types (id int PRIMARY KEY, ${TYPE_COLUMNS.map((t) => `${t.col} ${t.ddl}`).join(', ')})`,
  `INSERT INTO dm_types (id, ${TYPE_COLUMNS.map((t) => t.col).join(', ')}) VALUES ` +
    `(1, ${TYPE_COLUMNS.map((t) => t.input[0]).join(', ')}), (2${', NULL'.repeat(TYPE_COLUMNS.length)}), ` +
    `(3, ${TYPE_COLUMNS.map((t) => t.input[1]).join(', ')})`,
  'CREATE TABLE dm_floats (id int PRIMARY KEY, f4 float4, f8 float8)',
  `INSERT INTO dm_floats VALUES ${FLOAT_ROWS.map(([id, f4, f8]) => `(${id}, ${literal(f4)}, ${literal(f8)})`).join(', ')}`,
  'CREATE TABLE dm_checks (i2 int2, i4 int4, i8 int8, n2 numeric(10,2), v3 varchar(3), d date)',
  'CREATE TABLE dm_upd (id int PRIMARY KEY, i2 int2, i4 int4, n2 numeric(10,2), v3 varchar(3))',
  "INSERT INTO dm_upd VALUES (1, 1, 10, 1.00, 'abc')",
  'CREATE TABLE dm_params (tz timestamptz, by bytea, jb jsonb, n numeric)',
  'CREATE TABLE dm_tx (id int PRIMARY KEY, v text)',
];

export function typeCases(): Case[] {
  const out: Case[] = [];
  for (const t of TYPE_COLUMNS) {
    const [a, b] = t.output;
    out.push(
      single(
        'types',
        `SELECT id, ${t.col} FROM dm_types ORDER BY id`,
        [],
        rows(
          [
            ['id', 'int4'],
            [t.col, t.type],
          ],
          ['1', a],
          ['2', null],
          ['3', b],
        ),
        { name: `${t.ddl} column: SELECT id, ${t.col} FROM dm_types` },
      ),
    );
    const [ta, tb] = t.asText ?? t.output;
    out.push(
      single(
        'types',
        `SELECT id, ${t.col}::text AS ${t.col} FROM dm_types ORDER BY id`,
        [],
        rows(
          [
            ['id', 'int4'],
            [t.col, 'text'],
          ],
          ['1', ta],
          ['2', null],
          ['3', tb],
        ),
        { name: `${t.ddl} text output: SELECT ${t.col}::text` },
      ),
    );
    // CAST rather than :: so that a negative number stays one operand; the column is named after the type.
    out.push(
      single('types', `SELECT CAST(${t.input[0]} AS ${t.ddl})`, [], rows([[t.type, t.type]], [a]), {
        name: `${t.ddl} expression: SELECT CAST(${t.input[0]} AS ${t.ddl})`,
      }),
    );
  }
  const floats = (col: 'f4' | 'f8'): Case =>
    single(
      'types',
      `SELECT id, ${col} FROM dm_floats ORDER BY id`,
      [],
      rows(
        [
          ['id', 'int4'],
          [col, col === 'f4' ? 'float4' : 'float8'],
        ],
        ...FLOAT_ROWS.map(([id, f4, f8]) => [id, col === 'f4' ? f4 : f8]),
      ),
      {
        name: `${col === 'f4' ? 'float4' : 'float8'} NaN, ±Infinity, -0, extremes: SELECT id, ${col} FROM dm_floats`,
      },
    );
  out.push(
    floats('f4'),
    floats('f8'),
    single(
      'types',
      'SELECT id, f8::text AS f8 FROM dm_floats ORDER BY id',
      [],
      rows(
        [
          ['id', 'int4'],
          ['f8', 'text'],
        ],
        ...FLOAT_ROWS.map(([id, , f8]) => [id, f8]),
      ),
    ),
    single(
      'types',
      'SELECT id FROM dm_floats ORDER BY f8, id',
      [],
      rows([['id', 'int4']], ['4'], ['5'], ['8'], ['1'], ['7'], ['3'], ['2'], ['6']),
      { name: 'float8 ordering: -Infinity < -0 < … < Infinity < NaN < NULL' },
    ),
    single(
      'types',
      "SELECT count(*) AS matched, count(*) FILTER (WHERE f8 = 0) AS zero FROM dm_floats WHERE f8 = 'NaN' OR f8 = 0",
      [],
      rows(
        [
          ['matched', 'int8'],
          ['zero', 'int8'],
        ],
        ['2', '1'],
      ),
      { name: "float8 equality: 'NaN' = 'NaN' and -0 = 0" },
    ),
    single(
      'types',
      "SELECT 'NaN'::float8, 'Infinity'::float8 AS inf, '-Infinity'::float8 AS ninf, '-0'::float8 AS nz, '-0'::float4 AS nz4",
      [],
      rows(
        [
          ['float8', 'float8'],
          ['inf', 'float8'],
          ['ninf', 'float8'],
          ['nz', 'float8'],
          ['nz4', 'float4'],
        ],
        ['NaN', 'Infinity', '-Infinity', '-0', '-0'],
      ),
    ),
    single(
      'types',
      "SELECT 'Infinity'::float8 - 'Infinity'::float8 AS nan, 'NaN'::numeric AS nnan",
      [],
      rows(
        [
          ['nan', 'float8'],
          ['nnan', 'numeric'],
        ],
        ['NaN', 'NaN'],
      ),
      // In binary, Infinity - Infinity is the CPU's NaN bit pattern (negative on x86), not 'NaN'::float8's.
      { drivers: ['pg', 'postgres.js-3', 'postgres.js-4'] },
    ),
  );
  return out;
}
