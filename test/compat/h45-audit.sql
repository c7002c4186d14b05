-- An audit of issue 13 (right answers for every client): cases that once answered differently from
-- PostgreSQL 15 without an error. Each is compared statement by statement with PostgreSQL.

-- concat / concat_ws / format print each argument with its type's output function: bool as t / f
-- (bool::text and || say true / false), char(n) with its padding. A JSON object key says true.
SELECT concat('a', NULL, 1, true), concat_ws(',', 'ab'::char(4), true, false), 'x' || true AS cat;

SELECT concat('ab'::char(4), '|'), format('%s|%L|%I', 'ab'::char(4), true, false), format('%s', ARRAY[true]);

SELECT json_build_object(true, 1, 'a'::char(3), 2)::text AS j, concat(NULL::bool, 1) AS n;

-- sum(float4) adds in float4 precision (float4pl), sum(float8) in float8; avg / stddev accumulate in
-- float8. Finite inputs whose sum overflows are 22003, as in PostgreSQL (not Infinity).
SELECT sum(x), avg(x) FROM (VALUES (0.1::float4), (0.1), (0.1), (0.1), (0.1), (0.1), (0.1), (0.1), (0.1), (0.1)) v(x);

SELECT sum(x), avg(x) FROM (VALUES (16777216::float4), (1::float4), (1::float4)) v(x);

-- error: 22003
SELECT sum(x) FROM (VALUES (3e38::float4), (3e38::float4)) v(x);

-- error: 22003
SELECT sum(x) FROM (VALUES (1e308::float8), (1e308::float8)) v(x);

-- error: 22003
SELECT avg(x) FROM (VALUES (1e308::float8), (1e308::float8)) v(x);

-- error: 22003
SELECT stddev_pop(x) FROM (VALUES (1e308::float8), (-1e308::float8)) v(x);

-- error: 22003
SELECT sum(x) OVER (ORDER BY x) FROM (VALUES (1e308::float8), (1e308::float8)) v(x);

SELECT sum(x), stddev(x), sum(DISTINCT x) FROM (VALUES ('Infinity'::float8), (1), (1)) v(x);

-- A simple query has no parameters: `$n` is 42P02 (not a Bind error, nor 42P18).
-- error: 42P02
SELECT $1::int;

-- error: 42P02
SELECT 1 WHERE 1 = $2;

-- A serial column's sequence dropped with its table starts again at 1 when the table is created
-- again (it continued the old sequence's values).
CREATE TABLE h45_serial (id serial PRIMARY KEY, v int);

INSERT INTO h45_serial (v) VALUES (1), (2) RETURNING id;

DROP TABLE h45_serial;

CREATE TABLE h45_serial (id serial PRIMARY KEY, v int);

INSERT INTO h45_serial (v) VALUES (1) RETURNING id;

DROP TABLE h45_serial;

-- Dropped and re-created in a block that rolls back: the old sequence continues where it was.
CREATE TABLE h45_serial (id serial PRIMARY KEY, v int);

INSERT INTO h45_serial (v) VALUES (1), (2), (3);

BEGIN;

DROP TABLE h45_serial;

CREATE TABLE h45_serial (id serial PRIMARY KEY, v int);

INSERT INTO h45_serial (v) VALUES (9) RETURNING id;

ROLLBACK;

INSERT INTO h45_serial (v) VALUES (4) RETURNING id;

DROP TABLE h45_serial;

CREATE SEQUENCE h45_seq;

SELECT nextval('h45_seq'), nextval('h45_seq');

DROP SEQUENCE h45_seq;

CREATE SEQUENCE h45_seq;

SELECT nextval('h45_seq');

DROP SEQUENCE h45_seq;

-- UPDATE ... FROM / DELETE ... USING: RETURNING * also returns the other tables' columns in
-- PostgreSQL; SQLite's RETURNING cannot read them, so such a RETURNING is refused (it returned
-- the target's columns only). The target's own columns still return; a name both have is ambiguous.
CREATE TABLE h45_u1 (id int PRIMARY KEY, n int);

CREATE TABLE h45_u2 (k int PRIMARY KEY, id int, v text);

INSERT INTO h45_u1 VALUES (1, 0), (2, 0);

INSERT INTO h45_u2 VALUES (1, 1, 'x'), (2, 2, 'y');

UPDATE h45_u1 SET n = n + 1 FROM h45_u2 WHERE h45_u2.id = h45_u1.id RETURNING h45_u1.*, n;

-- error: 42702
UPDATE h45_u1 SET n = 5 FROM h45_u2 b WHERE b.id = h45_u1.id RETURNING id;

DELETE FROM h45_u1 USING h45_u2 WHERE h45_u2.id = h45_u1.id AND v = 'y' RETURNING h45_u1.id;

SELECT * FROM h45_u1 ORDER BY id;

-- (Each refused statement below changes PostgreSQL's rows: nothing is compared after them.)
-- chorus-error: 0A000 RETURNING cannot read the FROM tables (SQLite)
UPDATE h45_u1 SET n = 5 FROM h45_u2 b WHERE b.id = h45_u1.id RETURNING b.v;

-- chorus-error: 0A000 RETURNING cannot read the FROM tables (SQLite)
UPDATE h45_u1 SET n = n + 1 FROM h45_u2 WHERE h45_u2.id = h45_u1.id RETURNING *;

-- chorus-error: 0A000 RETURNING cannot read the USING tables (SQLite)
DELETE FROM h45_u1 USING h45_u2 WHERE h45_u2.id = h45_u1.id AND v = 'x' RETURNING *;

DROP TABLE h45_u1, h45_u2;

-- PostgreSQL's built-in types ChorusDB lacks are 0A000 (they were 42704 "does not exist", which
-- PostgreSQL says of no built-in type); a name PostgreSQL lacks too stays 42704.
-- chorus-error: 0A000 inet is not stored
SELECT '10.0.0.1'::inet;

-- chorus-error: 0A000 bit is not stored
SELECT '1'::bit(3);

-- chorus-error: 0A000 timetz is not stored
SELECT NULL::timetz;

-- chorus-error: 0A000 money is not stored
CREATE TABLE h45_money (m money);

-- error: 42704
SELECT NULL::h45_no_such_type;

-- START TRANSACTION's command tag; COMMIT / ROLLBACK AND CHAIN start a new block at once (it
-- ended the block and ran what followed outside one), and outside a block are 25P01.
START TRANSACTION;

COMMIT;

-- error: 25P01
COMMIT AND CHAIN;

-- error: 25P01
ROLLBACK AND CHAIN;

CREATE TABLE h45_chain (id int PRIMARY KEY);

BEGIN;

INSERT INTO h45_chain VALUES (1);

COMMIT AND CHAIN;

INSERT INTO h45_chain VALUES (2);

ROLLBACK AND CHAIN;

INSERT INTO h45_chain VALUES (3);

ROLLBACK;

SELECT * FROM h45_chain;

BEGIN READ ONLY;

COMMIT AND CHAIN;

SHOW transaction_read_only;

-- error: 25006
INSERT INTO h45_chain VALUES (4);

ROLLBACK AND NO CHAIN;

SHOW transaction_read_only;

DROP TABLE h45_chain;

-- Two-phase commit is refused (it was a SQLite syntax error).
-- chorus-error: 0A000 two-phase commit
PREPARE TRANSACTION 'h45';

-- chorus-error: 0A000 two-phase commit
COMMIT PREPARED 'h45';
