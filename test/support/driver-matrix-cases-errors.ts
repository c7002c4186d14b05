// Driver matrix cases, part 3: the cases about errors — value checks on INSERT/UPDATE (SQLSTATE, message,
// detail), constraint and name-resolution errors with every field PostgreSQL fills in (constraint, table,
// column, schema, position, hint), errors that must not hang postgres.js (and leave the connection
// usable), and transactions (ROLLBACK TO SAVEPOINT recovering an aborted block, COMMIT answered ROLLBACK).
import type { Case, Step } from './driver-matrix-dsl.js';
import { done, fails, returning, rows, single } from './driver-matrix-dsl.js';

/** Cases that change dm_upd start from its original row, whatever an earlier case left. */
const resetUpd: Step = {
  sql: "UPDATE dm_upd SET i2 = 1, i4 = 10, n2 = 1.00, v3 = 'abc' WHERE id = 1",
  setup: true,
};

const V = (sql: string, params: unknown[], expect: Step['expect'], more: Partial<Case> = {}): Case => {
  const c = single('value checks', sql, params, expect, more);
  return sql.startsWith('UPDATE dm_upd') ? { ...c, steps: [resetUpd, ...c.steps] } : c;
};

const outOfRange = (type: string) => fails('22003', `${type} out of range`);
const badInput = (type: string, text: string, position?: string) =>
  fails('22P02', `invalid input syntax for type ${type}: "${text}"`, position ? { position } : {});
const numericOverflow = fails('22003', 'numeric field overflow', {
  detail: 'A field with precision 10, scale 2 must round to an absolute value less than 10^8.',
});
const tooLong = fails('22001', 'value too long for type character varying(3)');

const valueChecks: Case[] = [
  V("INSERT INTO dm_checks (i4) VALUES ('34.5')", [], badInput('integer', '34.5', '36')),
  V('INSERT INTO dm_checks (i4) VALUES ($1)', ['34.5'], badInput('integer', '34.5')),
  V(
    'INSERT INTO dm_checks (i4) VALUES (34.5) RETURNING i4',
    [],
    returning('INSERT', [['i4', 'int4']], ['35']),
    {
      name: 'numeric into int4 rounds: INSERT ... VALUES (34.5)',
    },
  ),
  V(
    "INSERT INTO dm_checks (i4) VALUES ('  42  ') RETURNING i4",
    [],
    returning('INSERT', [['i4', 'int4']], ['42']),
  ),
  V("INSERT INTO dm_checks (i8) VALUES ('xxx')", [], badInput('bigint', 'xxx', '36')),
  V(
    'INSERT INTO dm_checks (i8) VALUES ($1)',
    ['9223372036854775808'],
    fails('22003', 'value "9223372036854775808" is out of range for type bigint'),
  ),
  V(
    'INSERT INTO dm_checks (n2) VALUES (1234567.891) RETURNING n2',
    [],
    returning('INSERT', [['n2', 'numeric']], ['1234567.89']),
  ),
  V(
    'INSERT INTO dm_checks (n2) VALUES ($1) RETURNING n2',
    [1234567.891],
    returning('INSERT', [['n2', 'numeric']], ['1234567.89']),
  ),
  V('INSERT INTO dm_checks (n2) VALUES (123456789012.5)', [], numericOverflow),
  V('INSERT INTO dm_checks (n2) VALUES (99999999.995)', [], numericOverflow, {
    name: 'rounding to scale overflows: INSERT INTO dm_checks (n2) VALUES (99999999.995)',
  }),
  V('INSERT INTO dm_checks (i2) VALUES (32768)', [], outOfRange('smallint')),
  V(
    'INSERT INTO dm_checks (i2) VALUES (-32768) RETURNING i2',
    [],
    returning('INSERT', [['i2', 'int2']], ['-32768']),
  ),
  V('INSERT INTO dm_checks (i4) VALUES (2147483648)', [], outOfRange('integer')),
  V(
    'INSERT INTO dm_checks (i4) VALUES ($1)',
    [2147483648],
    fails('22003', 'value "2147483648" is out of range for type integer'),
  ),
  V("INSERT INTO dm_checks (v3) VALUES ('abcd')", [], tooLong),
  V('INSERT INTO dm_checks (v3) VALUES ($1)', ['abcd'], tooLong),
  V(
    "INSERT INTO dm_checks (v3) VALUES ('abc   ') RETURNING v3",
    [],
    returning('INSERT', [['v3', 'varchar']], ['abc']),
    {
      name: "varchar(3) drops trailing blanks beyond the length: VALUES ('abc   ')",
    },
  ),
  V("SELECT 'abcd'::varchar(3) AS v", [], rows([['v', 'varchar']], ['abc']), {
    name: "an explicit cast to varchar(3) truncates: SELECT 'abcd'::varchar(3)",
  }),
  V(
    "INSERT INTO dm_checks (d) VALUES ('2026-02-30')",
    [],
    fails('22008', 'date/time field value out of range: "2026-02-30"', { position: '35' }),
  ),
  V(
    "INSERT INTO dm_checks (d) VALUES ('not a date')",
    [],
    fails('22007', 'invalid input syntax for type date: "not a date"', { position: '35' }),
  ),
  V('INSERT INTO dm_checks (i4) VALUES (1/0)', [], fails('22012', 'division by zero')),
  V('UPDATE dm_upd SET i4 = i4 / 0 WHERE id = 1', [], fails('22012', 'division by zero')),
  V('UPDATE dm_upd SET i4 = i4 * 1000000000 WHERE id = 1', [], outOfRange('integer')),
  V('UPDATE dm_upd SET i2 = 40000 WHERE id = 1', [], outOfRange('smallint')),
  V("UPDATE dm_upd SET v3 = 'toolong' WHERE id = 1", [], tooLong),
  V("UPDATE dm_upd SET i4 = '34.5' WHERE id = 1", [], badInput('integer', '34.5', '24')),
  V(
    'UPDATE dm_upd SET n2 = 1234567.891 WHERE id = 1 RETURNING n2',
    [],
    returning('UPDATE', [['n2', 'numeric']], ['1234567.89']),
  ),
  V('UPDATE dm_upd SET n2 = $1 WHERE id = 1', [123456789012.5], numericOverflow),
];

/** After a case that writes, dm_people and dm_orders are put back (in case a server wrongly accepted it). */
const restore: Step[] = [
  { sql: 'DELETE FROM dm_orders WHERE id >= 10', setup: true },
  { sql: 'DELETE FROM dm_people WHERE id >= 10', setup: true },
  { sql: "UPDATE dm_people SET name = 'bob' WHERE id = 2", setup: true },
  {
    sql: "INSERT INTO dm_people SELECT 1, 'a', 30, true WHERE NOT EXISTS (SELECT 1 FROM dm_people WHERE id = 1)",
    setup: true,
  },
];

const E = (sql: string, expect: Step['expect'], more: Partial<Case> = {}, params: unknown[] = []): Case => {
  const c = single('errors', sql, params, expect, more);
  return /^(INSERT|UPDATE|DELETE) /.test(sql) ? { ...c, steps: [...c.steps, ...restore] } : c;
};

const people = { schema: 'public', table: 'dm_people' };
/** PostgreSQL suggests the nearest column name. */
const nopeHint = { position: '8', hint: 'Perhaps you meant to reference the column "dm_people.name".' };

const errors: Case[] = [
  E(
    "INSERT INTO dm_people (id, name) VALUES (10, 'a')",
    fails('23505', 'duplicate key value violates unique constraint "dm_people_name_key"', {
      detail: 'Key (name)=(a) already exists.',
      constraint: 'dm_people_name_key',
      ...people,
    }),
  ),
  E(
    "INSERT INTO dm_people (id, name) VALUES (1, 'zed')",
    fails('23505', 'duplicate key value violates unique constraint "dm_people_pkey"', {
      detail: 'Key (id)=(1) already exists.',
      constraint: 'dm_people_pkey',
      ...people,
    }),
  ),
  E(
    "UPDATE dm_people SET name = 'a' WHERE id = 2",
    fails('23505', 'duplicate key value violates unique constraint "dm_people_name_key"', {
      detail: 'Key (name)=(a) already exists.',
      constraint: 'dm_people_name_key',
      ...people,
    }),
  ),
  E(
    'INSERT INTO dm_people (id, name) VALUES (11, NULL)',
    fails('23502', 'null value in column "name" of relation "dm_people" violates not-null constraint', {
      detail: 'Failing row contains (11, null, null, null).',
      column: 'name',
      ...people,
    }),
  ),
  E(
    'INSERT INTO dm_people (id, name, age) VALUES ($1, $2, $3)',
    fails('23502', 'null value in column "name" of relation "dm_people" violates not-null constraint', {
      detail: 'Failing row contains (12, null, 7, null).',
      column: 'name',
      ...people,
    }),
    {},
    [12, null, 7],
  ),
  E(
    'INSERT INTO dm_orders (id, person_id) VALUES (10, 999)',
    fails(
      '23503',
      'insert or update on table "dm_orders" violates foreign key constraint "dm_orders_person_id_fkey"',
      {
        detail: 'Key (person_id)=(999) is not present in table "dm_people".',
        constraint: 'dm_orders_person_id_fkey',
        schema: 'public',
        table: 'dm_orders',
      },
    ),
  ),
  E(
    "INSERT INTO dm_people (id, name) VALUES (1, 'a')",
    fails('23505', 'duplicate key value violates unique constraint "dm_people_pkey"', {
      detail: 'Key (id)=(1) already exists.',
      constraint: 'dm_people_pkey',
      ...people,
    }),
    { name: 'two unique constraints violated: the first one made is reported (the primary key)' },
  ),
  E(
    'UPDATE dm_people SET id = 50 WHERE id = 1',
    fails(
      '23503',
      'update or delete on table "dm_people" violates foreign key constraint "dm_orders_person_id_fkey" on table "dm_orders"',
      {
        detail: 'Key (id)=(1) is still referenced from table "dm_orders".',
        constraint: 'dm_orders_person_id_fkey',
        schema: 'public',
        table: 'dm_orders',
      },
    ),
    { name: 'UPDATE of a referenced key' },
  ),
  E(
    'DELETE FROM dm_people WHERE id = 1',
    fails(
      '23503',
      'update or delete on table "dm_people" violates foreign key constraint "dm_orders_person_id_fkey" on table "dm_orders"',
      {
        detail: 'Key (id)=(1) is still referenced from table "dm_orders".',
        constraint: 'dm_orders_person_id_fkey',
        schema: 'public',
        table: 'dm_orders',
      },
    ),
  ),
  E(
    "INSERT INTO dm_people (id, name, age) VALUES (13, 'neg', -1)",
    fails('23514', 'new row for relation "dm_people" violates check constraint "dm_people_age_check"', {
      detail: 'Failing row contains (13, neg, -1, null).',
      constraint: 'dm_people_age_check',
      ...people,
    }),
  ),
  E('SELEC 1', fails('42601', 'syntax error at or near "SELEC"', { position: '1' })),
  E('SELECT 1 +', fails('42601', 'syntax error at end of input', { position: '11' })),
  E(
    'SELECT * FROM dm_people WHERE id = = 1',
    fails('42601', 'syntax error at or near "="', { position: '36' }),
  ),
  E('SELECT * FROM dm_nope', fails('42P01', 'relation "dm_nope" does not exist', { position: '15' })),
  E(
    'INSERT INTO dm_nope VALUES (1)',
    fails('42P01', 'relation "dm_nope" does not exist', { position: '13' }),
  ),
  E('SELECT nope FROM dm_people', fails('42703', 'column "nope" does not exist', nopeHint)),
  E(
    'SELECT nam FROM dm_people',
    fails('42703', 'column "nam" does not exist', {
      position: '8',
      hint: 'Perhaps you meant to reference the column "dm_people.name".',
    }),
  ),
  E('SELECT dm_people.nope FROM dm_people', fails('42703', 'column dm_people.nope does not exist', nopeHint)),
  E(
    'INSERT INTO dm_people (id, nope) VALUES (1, 2)',
    fails('42703', 'column "nope" of relation "dm_people" does not exist', { position: '28' }),
  ),
  E(
    'SELECT nope(1)',
    fails('42883', 'function nope(integer) does not exist', {
      position: '8',
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    }),
  ),
  E(
    'SELECT name + 1 FROM dm_people',
    fails('42883', 'operator does not exist: text + integer', {
      position: '13',
      hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
    }),
  ),
  E("SELECT 1 + 'a'", fails('22P02', 'invalid input syntax for type integer: "a"', { position: '12' })),
  E(
    'SELECT * FROM dm_people WHERE name',
    fails('42804', 'argument of WHERE must be type boolean, not type text', { position: '31' }),
  ),
  E(
    'SELECT id FROM dm_people, dm_orders',
    fails('42702', 'column reference "id" is ambiguous', { position: '8' }),
  ),
  E('CREATE TABLE dm_people (id int)', fails('42P07', 'relation "dm_people" already exists')),
];

/** A failing statement, then a good one on the same connection: both must answer (no hang). */
function noHang(sql: string, params: unknown[], expect: Step['expect']): Case {
  return {
    group: 'no hang',
    name: `${sql}${params.length ? `  [${params.map((p) => JSON.stringify(p)).join(', ')}]` : ''} then SELECT 1`,
    steps: [
      { sql, params, expect },
      { sql: 'SELECT 1 AS ok', expect: rows([['ok', 'int4']], ['1']) },
    ],
  };
}

const noHangs: Case[] = [
  noHang('SELEC 1', [], fails('42601', 'syntax error at or near "SELEC"', { position: '1' })),
  noHang(
    'SELECT * FROM dm_nope',
    [],
    fails('42P01', 'relation "dm_nope" does not exist', { position: '15' }),
  ),
  noHang('SELECT nope FROM dm_people', [], fails('42703', 'column "nope" does not exist', nopeHint)),
  noHang(
    'SELECT * FROM dm_nope WHERE id = $1',
    [1],
    fails('42P01', 'relation "dm_nope" does not exist', { position: '15' }),
  ),
  noHang(
    'SELECT nope FROM dm_people WHERE id = $1',
    [1],
    fails('42703', 'column "nope" does not exist', nopeHint),
  ),
  noHang('SELECT $1::int AS v', ['x'], fails('22P02', 'invalid input syntax for type integer: "x"')),
  noHang('SELECT 1/0', [], fails('22012', 'division by zero')),
  {
    group: 'no hang',
    name: 'the same syntax error twice, then SELECT 1',
    steps: [
      { sql: 'SELEC 1', expect: fails('42601', 'syntax error at or near "SELEC"', { position: '1' }) },
      { sql: 'SELEC 1', expect: fails('42601', 'syntax error at or near "SELEC"', { position: '1' }) },
      { sql: 'SELECT 1 AS ok', expect: rows([['ok', 'int4']], ['1']) },
    ],
  },
];

const duplicateTx = (id: string) =>
  fails('23505', 'duplicate key value violates unique constraint "dm_tx_pkey"', {
    detail: `Key (id)=(${id}) already exists.`,
    constraint: 'dm_tx_pkey',
    schema: 'public',
    table: 'dm_tx',
  });
const aborted = fails(
  '25P02',
  'current transaction is aborted, commands ignored until end of transaction block',
);
const reset: Step = { sql: 'DELETE FROM dm_tx', setup: true };
const txRows = (...data: [string, string][]): Step => ({
  sql: 'SELECT id, v FROM dm_tx ORDER BY id',
  expect: rows(
    [
      ['id', 'int4'],
      ['v', 'text'],
    ],
    ...data,
  ),
});

const transactions: Case[] = [
  {
    group: 'transactions',
    name: 'ROLLBACK TO SAVEPOINT recovers an aborted transaction; COMMIT commits',
    steps: [
      reset,
      { sql: 'BEGIN', expect: done('BEGIN') },
      { sql: "INSERT INTO dm_tx VALUES (1, 'before')", expect: done('INSERT', 1) },
      { sql: 'SAVEPOINT s1', expect: done('SAVEPOINT') },
      { sql: "INSERT INTO dm_tx VALUES (1, 'duplicate')", expect: duplicateTx('1') },
      { sql: 'SELECT count(*) FROM dm_tx', expect: aborted },
      { sql: 'SELECT $1::int AS v', params: [1], expect: aborted },
      { sql: 'ROLLBACK TO SAVEPOINT s1', expect: done('ROLLBACK') },
      { sql: "INSERT INTO dm_tx VALUES (2, 'after')", expect: done('INSERT', 1) },
      { sql: 'RELEASE SAVEPOINT s1', expect: done('RELEASE') },
      { sql: 'COMMIT', expect: done('COMMIT') },
      txRows(['1', 'before'], ['2', 'after']),
    ],
  },
  {
    group: 'transactions',
    name: 'COMMIT of an aborted transaction answers ROLLBACK and keeps nothing',
    steps: [
      reset,
      { sql: 'BEGIN', expect: done('BEGIN') },
      { sql: "INSERT INTO dm_tx VALUES (3, 'lost')", expect: done('INSERT', 1) },
      { sql: "INSERT INTO dm_tx VALUES (3, 'again')", expect: duplicateTx('3') },
      { sql: 'COMMIT', expect: done('ROLLBACK') },
      txRows(),
      { sql: 'SELECT 1 AS ok', expect: rows([['ok', 'int4']], ['1']) },
    ],
  },
  {
    group: 'transactions',
    name: 'ROLLBACK discards; a later statement runs outside any transaction',
    steps: [
      reset,
      { sql: 'BEGIN', expect: done('BEGIN') },
      { sql: "INSERT INTO dm_tx VALUES (4, 'gone')", expect: done('INSERT', 1) },
      txRows(['4', 'gone']),
      { sql: 'ROLLBACK', expect: done('ROLLBACK') },
      txRows(),
    ],
  },
  {
    group: 'transactions',
    name: 'ROLLBACK TO an unknown savepoint is 3B001 and aborts the transaction',
    steps: [
      { sql: 'BEGIN', expect: done('BEGIN') },
      { sql: 'ROLLBACK TO SAVEPOINT nope', expect: fails('3B001', 'savepoint "nope" does not exist') },
      { sql: 'SELECT 1', expect: aborted },
      { sql: 'ROLLBACK', expect: done('ROLLBACK') },
    ],
  },
];

export const ERROR_CASES: Case[] = [...valueChecks, ...errors, ...noHangs, ...transactions];
