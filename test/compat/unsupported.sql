-- What ChorusDB refuses, and how: constructs it cannot support fail with 0A000 naming the construct
-- (each `-- chorus-error:` line documents the difference; PostgreSQL runs the statement and its
-- result is not compared). The supported neighbours of each construct run on both and are compared.
CREATE TABLE compat_refused (id INTEGER PRIMARY KEY, v TEXT);

-- chorus-error: 0A000 user-defined functions
CREATE FUNCTION compat_one() RETURNS integer AS $$ SELECT 1 $$ LANGUAGE sql;

-- chorus-error: 0A000 procedures
CREATE OR REPLACE PROCEDURE compat_proc() LANGUAGE sql AS $$ SELECT 1 $$;

-- chorus-error: 0A000 anonymous code blocks
DO $$ BEGIN PERFORM 1; END $$;

-- chorus-error: 0A000 extensions ChorusDB does not provide
CREATE EXTENSION IF NOT EXISTS hstore;

-- chorus-error: 0A000 composite types
CREATE TYPE compat_pair AS (a int, b text);

-- chorus-error: 0A000 roles
CREATE ROLE compat_role;

-- chorus-error: 0A000 privileges
GRANT SELECT ON compat_refused TO PUBLIC;

-- chorus-error: 0A000 privileges
REVOKE ALL ON compat_refused FROM PUBLIC;

-- chorus-error: 0A000 comments on objects
COMMENT ON TABLE compat_refused IS 'refused';

-- chorus-error: 0A000 temporary sequences
CREATE TEMP SEQUENCE compat_tmp_seq;

-- chorus-error: 0A000 materialized views
CREATE MATERIALIZED VIEW compat_mv AS SELECT id FROM compat_refused;

-- chorus-error: 0A000 table inheritance
CREATE TABLE compat_child (extra TEXT) INHERITS (compat_refused);

-- chorus-error: 0A000 declarative partitioning
CREATE TABLE compat_parted (id INTEGER, at DATE) PARTITION BY RANGE (at);

ALTER TABLE compat_refused ADD COLUMN note TEXT;

INSERT INTO compat_refused (id, v) VALUES (1, 'a'), (2, 'b');

BEGIN;

-- Row locks: the session takes the single writer (no other writer until COMMIT).
SELECT id FROM compat_refused WHERE id = 1 FOR UPDATE;

ROLLBACK;

BEGIN;

-- chorus-error: 0A000 LOCK TABLE
LOCK TABLE compat_refused IN EXCLUSIVE MODE;

ROLLBACK;

-- chorus-error: 0A000 multidimensional arrays
SELECT ARRAY[ARRAY[1, 2], ARRAY[3, 4]] AS a;

-- chorus-error: 0A000 array lower bounds other than 1
SELECT '[0:1]={1,2}'::int[] AS a;

SELECT id FROM compat_refused WHERE id = ANY(ARRAY[1, 2]) ORDER BY id;

SELECT id FROM compat_refused WHERE id IN (1, 2) ORDER BY id;

-- Once refused, now supported (the PostgreSQL front end):
SELECT 'abc' SIMILAR TO 'a%' AS s;

SELECT interval '1 day' * 2 AS twice;

SELECT id, v::interval AS iv FROM compat_refused WHERE false;

SELECT interval 'P1DT2H' AS iso;

SELECT substring('abc' FROM 'b.') AS re;

SELECT v.id, v.name FROM (VALUES (1, 'one'), (2, 'two')) AS v(id, name) ORDER BY v.id;

UPDATE compat_refused SET v = x.v FROM (VALUES (1, 'A'), (2, 'B')) AS x(id, v) WHERE compat_refused.id = x.id;

SELECT id, v FROM compat_refused ORDER BY id;

DROP TABLE compat_refused CASCADE;
