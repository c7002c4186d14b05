-- Right answers: each case that once got a silently different answer from PostgreSQL (issue 13),
-- now compared statement by statement: result types, values checked on write, numeric exactness,
-- date/time arithmetic, precedence, NULL ordering, typed literals, savepoints.
CREATE TABLE ra_people (id int PRIMARY KEY, name text, amount numeric(10,2), qty int, born date, seen timestamptz);

INSERT INTO ra_people VALUES
  (1, 'alice', 10.50, 3, '1990-01-31', '2026-12-07 05:00:00+00'),
  (2, 'bob', 3.25, NULL, '1985-06-15', NULL),
  (3, 'carol', NULL, 7, NULL, '2026-12-08 06:30:00+02');

-- Untyped parameters take their type from context (here: literals of a normalized simple query).
SELECT count(*) FROM ra_people WHERE length(name) = 5;

SELECT count(*) FROM ra_people WHERE amount * 2 > 10;

SELECT name FROM ra_people WHERE id + 0 = 2;

-- Computed columns keep their types and names.
SELECT true, count(*) > 0, 1.50::numeric(10,2), '{"x":1}'::jsonb, count(*), sum(qty), avg(qty) FROM ra_people;

SELECT 1 + 1, now() IS NOT NULL AS has_now, 'a' AS Foo, 'b' AS "Bar";

-- Date/time arithmetic.
SELECT TIMESTAMP '2026-12-08 06:00' - TIMESTAMP '2026-12-07 05:00' AS diff;

SELECT EXTRACT(EPOCH FROM TIMESTAMP '2026-12-08 06:00' - TIMESTAMP '2026-12-07 05:00') AS secs;

SELECT date '2024-01-31' + interval '1 month' AS next_month, date '2024-03-01' - date '2024-02-01' AS days;

SELECT id, seen + interval '1 day 2 hours' AS later, date_trunc('day', seen) AS day FROM ra_people ORDER BY id;

-- Values checked on write.
-- error: 22P02
INSERT INTO ra_people (id, qty) VALUES (10, '34.5');

-- error: 22P02
INSERT INTO ra_people (id, qty) VALUES (10, 'xxx');

INSERT INTO ra_people (id, amount) VALUES (11, 1234567.891);

-- error: 22003
INSERT INTO ra_people (id, amount) VALUES (12, 123456789012.5);

-- error: 22003
INSERT INTO ra_people (id, qty) VALUES (13, 3000000000);

-- error: 22008
INSERT INTO ra_people (id, born) VALUES (14, '2026-02-30');

SELECT id, amount FROM ra_people WHERE id = 11;

CREATE TABLE ra_short (id int PRIMARY KEY, code varchar(3), tag char(4));

-- error: 22001
INSERT INTO ra_short VALUES (1, 'abcd', 'x');

INSERT INTO ra_short VALUES (2, 'ab  ', 'x');

SELECT id, code, tag, length(tag) AS len, tag || '|' AS bar FROM ra_short ORDER BY id;

-- Division by zero and overflow.
-- error: 22012
SELECT 1 / 0;

-- error: 22012
SELECT 1.0 / 0;

-- error: 22012
SELECT 5 % 0;

-- error: 22003
SELECT 2147483647 + 1;

-- error: 22003
SELECT 9223372036854775807::bigint * 2;

-- NaN and Infinity.
SELECT 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf, '-Infinity'::float8 AS ninf, 'NaN'::numeric AS nnan;

SELECT x FROM (VALUES (1.0::float8), ('NaN'), (-1), ('Infinity'), (NULL)) v(x) ORDER BY x;

SELECT x FROM (VALUES (1.0::float8), ('NaN'), (-1), ('Infinity'), (NULL)) v(x) ORDER BY x DESC;

-- Exact numeric arithmetic.
SELECT 0.1 + 0.2 AS s, 1.0 / 3 AS third, 2.50 * 2 AS p, round(2.5) AS r, round(-2.5) AS rn;

SELECT avg(x) AS a, sum(x) AS s FROM (VALUES (-13430913.592242321), (1.5), (2)) v(x);

-- Precedence and NULL ordering.
SELECT 'four: ' || 2 + 2 AS x;

SELECT id, qty FROM ra_people ORDER BY qty;

SELECT id, qty FROM ra_people ORDER BY qty DESC;

-- Typed literals.
SELECT bool 't' AS b, date '2024-01-01' AS d, int4 '42' AS i, interval 'P1DT2H' AS iv, timestamp '2024-01-01 10:00' AS ts;

-- Savepoints recover an aborted transaction; COMMIT of an aborted block answers ROLLBACK.
BEGIN;

INSERT INTO ra_short VALUES (5, 'x', 'y');

SAVEPOINT s1;

-- error: 23505
INSERT INTO ra_short VALUES (5, 'dup', 'y');

ROLLBACK TO SAVEPOINT s1;

INSERT INTO ra_short VALUES (6, 'ok', 'y');

COMMIT;

SELECT id FROM ra_short ORDER BY id;

BEGIN;

-- error: 22012
SELECT 1 / 0;

-- error: 25P02
SELECT 1;

COMMIT;

-- Ungrouped columns are an error, as in PostgreSQL.
-- error: 42803
SELECT name, count(*) FROM ra_people;

-- error: 42803
SELECT name FROM ra_people GROUP BY qty;

-- Operators and functions are resolved by PostgreSQL's rules.
-- error: 42883
SELECT name + 1 FROM ra_people;

-- error: 42804
SELECT * FROM ra_people WHERE name;

-- error: 42P18
PREPARE p AS SELECT $1 IS NULL;

-- E'' escapes are read by PostgreSQL's rules in every protocol (simple queries included).
CREATE TABLE ra_esc (id int PRIMARY KEY, t text);

INSERT INTO ra_esc VALUES (1, E'\101'), (2, E'\x41'), (3, E'\u0041'), (4, E'\U00000041'), (5, E'\7'), (6, E'a\\b\'c');

SELECT id, t, length(t) FROM ra_esc WHERE t = E'\101' OR id > 4 ORDER BY id;

UPDATE ra_esc SET t = E'\x42\n' WHERE id = 2 RETURNING t;

-- error: 22021
SELECT E'\0';

-- error: 22021
SELECT E'\xff';

-- error: 42601
SELECT E'\u0000';

-- Numbers PostgreSQL 16 reads (hexadecimal, octal, binary, digit separators) are errors in 15.
-- error: 42601
SELECT 0x1F;

-- error: 42601
SELECT 1_000;

-- error: 42601
SELECT id FROM ra_esc WHERE id = 0b1;

-- A unary minus of a negative constant is arithmetic, not a comment.
-- error: 22003
SELECT -(-2147483648)::int4;

SELECT -(int4 '-1') AS x, 'a
b' AS y;

-- An error in a later statement of a transaction block fails the block.
BEGIN;

-- error: 42P01
SELECT * FROM ra_nosuch;

-- error: 25P02
SELECT 1;

ROLLBACK;

-- Keys are enforced on stored values: types whose stored values can differ while PostgreSQL's
-- `=` holds (1.5 / 1.50, '1 day' / '24 hours', 'a' / 'a ', jsonb 1 / 1.0) cannot be keys.
-- chorus-error: 0A000 a PRIMARY KEY on unconstrained numeric
CREATE TABLE ra_key1 (n numeric PRIMARY KEY);

-- chorus-error: 0A000 a UNIQUE interval column
CREATE TABLE ra_key2 (id int PRIMARY KEY, i interval UNIQUE);

-- chorus-error: 0A000 a unique index on jsonb
CREATE UNIQUE INDEX ra_people_json_key ON ra_esc ((t::jsonb));

CREATE TABLE ra_key3 (n numeric(10,2) PRIMARY KEY, c char(3) UNIQUE);

INSERT INTO ra_key3 VALUES (1.5, 'a');

-- error: 23505
INSERT INTO ra_key3 VALUES (1.50, 'b');

-- error: 23505
INSERT INTO ra_key3 VALUES (2, 'a  ');

INSERT INTO ra_key3 VALUES (1.500, 'z') ON CONFLICT (n) DO UPDATE SET c = excluded.c RETURNING n, c;

-- An upsert may not touch one row twice (21000); DO NOTHING skips the second proposal.
CREATE TABLE ra_up (id int PRIMARY KEY, v int);

-- error: 21000
INSERT INTO ra_up VALUES (4, 4), (4, 5) ON CONFLICT (id) DO UPDATE SET v = excluded.v;

INSERT INTO ra_up VALUES (4, 4), (5, 5) ON CONFLICT (id) DO UPDATE SET v = excluded.v;

INSERT INTO ra_up VALUES (4, 6), (4, 7) ON CONFLICT (id) DO NOTHING;

-- error: 21000
INSERT INTO ra_up SELECT 6, g FROM generate_series(1, 2) g ON CONFLICT (id) DO UPDATE SET v = excluded.v;

INSERT INTO ra_up SELECT g, g FROM generate_series(4, 6) g ON CONFLICT ON CONSTRAINT ra_up_pkey DO UPDATE SET v = excluded.v RETURNING *;

-- A scalar subquery may return one row at most.
-- error: 21000
SELECT (SELECT g FROM generate_series(1, 2) g);

SELECT (SELECT g FROM generate_series(1, 1) g), (SELECT 1 WHERE false);

SELECT pg_typeof('a'::char(3)), pg_typeof('a'::varchar), 'bpchar'::regtype, 'character varying'::regtype, pg_typeof(1.5);

-- date + time, ADD COLUMN with a constant default (existing rows take it), LIMIT rounds, || resolution.
CREATE TABLE ra_dt (id int PRIMARY KEY, d date, t time, c char(3), v varchar(5));

INSERT INTO ra_dt VALUES (1, '2024-01-02', '10:30', 'ab', 'xy'), (2, '2024-03-04', '23:59:59.5', 'c', 'z');

SELECT d + t, t + d FROM ra_dt ORDER BY id;

ALTER TABLE ra_dt ADD COLUMN n numeric(6,2) DEFAULT 3, ADD COLUMN f float8 DEFAULT -0.0, ADD COLUMN iv interval DEFAULT '1 day', ADD COLUMN j jsonb DEFAULT '{"a": 1}';

INSERT INTO ra_dt (id) VALUES (3);

SELECT id, n, f, iv, j FROM ra_dt ORDER BY id;

SELECT id FROM ra_dt ORDER BY id LIMIT 1.5;

-- error: 42804
SELECT id FROM ra_dt LIMIT 'x'::text;

SELECT c || v, v || c, c || 'x', 'a' || 1, 1 || 'a' FROM ra_dt ORDER BY id;
