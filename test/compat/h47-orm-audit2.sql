-- What the ORMs' schema tools do beyond the ORM suite, second pass (issue 14's audit by helper-47):
-- each case answered differently from PostgreSQL before.

-- A regtype constant naming a user enum type (typeorm, drizzle-kit and hand-written migrations
-- write `'my_enum'::regtype`) is read when the statement is planned: it named no type (42704).
CREATE TYPE h47_mood AS ENUM ('happy', 'sad');

SELECT 'h47_mood'::regtype AS a, '"public"."h47_mood"'::regtype AS b, 'public.h47_mood'::regtype AS c, 'h47_mood'::regtype::text AS d;

SELECT '_h47_mood'::regtype AS a, 'h47_mood[]'::regtype AS b, ('_h47_' || 'mood')::regtype AS c, ('h47_mood' || '[]')::regtype::text AS d;

SELECT 'h47_mood'::regtype::oid = t.oid AS same, '_h47_mood'::regtype::oid = t.typarray AS same_array FROM pg_type t WHERE t.typname = 'h47_mood';

SELECT 'int4'::regtype AS a, 'integer[]'::regtype AS b, 'character varying'::regtype AS c, 'pg_catalog.text'::regtype AS d, '23'::regtype AS e;

-- error: 42704
SELECT 'h47_nope'::regtype;

-- error: 42704
SELECT ('h47_' || 'nope')::regtype;

-- Its own transaction's CREATE TYPE and DROP TYPE.
BEGIN;

CREATE TYPE h47_m2 AS ENUM ('a', 'b');

SELECT 'h47_m2'::regtype::oid > 0 AS found, 'h47_m2'::regtype::text AS name;

COMMIT;

BEGIN;

DROP TYPE h47_m2;

-- error: 42704
SELECT 'h47_m2'::regtype;

ROLLBACK;

SELECT 'h47_m2'::regtype AS name;

-- A type in another schema: qualified, along the search path, and printed.
CREATE SCHEMA h47_s;

CREATE TYPE h47_s.m3 AS ENUM ('x');

SELECT 'h47_s.m3'::regtype AS a, '"h47_s"."m3"'::regtype AS b, ('h47_s.' || 'm3')::regtype AS c, 'h47_s.m3[]'::regtype AS d;

-- error: 42704
SELECT 'm3'::regtype;

SET search_path = h47_s, public;

SELECT 'm3'::regtype::oid = 'h47_s.m3'::regtype::oid AS same;

RESET search_path;

SELECT format_type('h47_s.m3'::regtype, NULL) AS a, format_type('h47_mood'::regtype, NULL) AS b;

SELECT t.oid::regtype AS t FROM pg_type t WHERE t.typname IN ('m3', '_m3', 'h47_mood') ORDER BY 1::text;

-- pg_typeof of an enum value (was 0A000: regtype's output could not name a user type).
CREATE TABLE h47_pt (id int PRIMARY KEY, m h47_mood, ms h47_mood[]);

INSERT INTO h47_pt VALUES (1, 'happy', '{happy,sad}');

SELECT pg_typeof(m) AS a, pg_typeof(ms) AS b, pg_typeof(m)::text AS c, pg_typeof('sad'::h47_mood) AS d, pg_typeof(m) = 'h47_mood'::regtype AS same FROM h47_pt;

DROP TABLE h47_pt;

DROP TYPE h47_s.m3;

DROP SCHEMA h47_s;

DROP TYPE h47_m2;

DROP TYPE h47_mood;
