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

CREATE SEQUENCE h45_seq;

SELECT nextval('h45_seq'), nextval('h45_seq');

DROP SEQUENCE h45_seq;

CREATE SEQUENCE h45_seq;

SELECT nextval('h45_seq');

DROP SEQUENCE h45_seq;
