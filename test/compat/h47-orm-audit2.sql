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

-- ALTER TABLE on a table outside public (knex `withSchema('s').alterTable`, its `unique()` and
-- `references()` in createTable, typeorm and drizzle-kit in a non-public schema): every action but
-- ADD COLUMN answered 3F000 "schema does not exist".
CREATE SCHEMA h47y;

CREATE TABLE h47y.p (id integer PRIMARY KEY, k text);

CREATE TABLE h47y.u (id integer PRIMARY KEY, email varchar(100) NOT NULL, p_id integer);

INSERT INTO h47y.p VALUES (1, 'a');

INSERT INTO h47y.u VALUES (1, 'x@y', 1);

ALTER TABLE h47y.u ADD CONSTRAINT u_email_unique UNIQUE (email);

ALTER TABLE h47y.u ADD CONSTRAINT u_p_fk FOREIGN KEY (p_id) REFERENCES h47y.p (id) ON DELETE CASCADE;

ALTER TABLE h47y.u ADD COLUMN n integer;

ALTER TABLE h47y.u ADD CONSTRAINT u_n_check CHECK (n > 0);

ALTER TABLE h47y.u ALTER COLUMN p_id SET DEFAULT 1;

ALTER TABLE h47y.u ALTER COLUMN email TYPE varchar(200);

ALTER TABLE h47y.u RENAME COLUMN email TO mail;

ALTER TABLE h47y.u RENAME CONSTRAINT u_email_unique TO u_mail_unique;

-- error: 23505
INSERT INTO h47y.u (id, mail, p_id) VALUES (2, 'x@y', 1);

-- error: 23514
INSERT INTO h47y.u (id, mail, p_id, n) VALUES (3, 'z@y', 1, 0);

-- error: 23503
INSERT INTO h47y.u (id, mail, p_id) VALUES (4, 'w@y', 9);

INSERT INTO h47y.u (id, mail, p_id) VALUES (5, 'v@y', 1);

ALTER TABLE h47y.u DROP CONSTRAINT u_n_check;

UPDATE h47y.u SET n = 1 WHERE n IS NULL OR n = 5;

ALTER TABLE h47y.u ALTER COLUMN n SET NOT NULL;

ALTER TABLE h47y.u DROP COLUMN n;

ALTER TABLE h47y.u RENAME TO users;

SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'h47y' ORDER BY 2;

SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'h47y' AND table_name = 'users' ORDER BY ordinal_position;

-- The referenced table is schema-qualified outside public (was "h47y.p" quoted as one name).
SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'h47y.users'::regclass ORDER BY 1;

DELETE FROM h47y.p;

SELECT count(*) FROM h47y.users;

-- error: 42P01
ALTER TABLE h47y.nope ADD COLUMN x integer;

-- error: 42P01
ALTER TABLE h47y.nope ADD CONSTRAINT c CHECK (true);

-- error: 3F000
ALTER TABLE h47z.nope ADD CONSTRAINT c CHECK (true);

-- error: 3F000
ALTER TABLE h47z.nope ADD COLUMN x integer;

ALTER TABLE IF EXISTS h47y.nope ADD CONSTRAINT c CHECK (true);

-- error: 42703
ALTER TABLE h47y.users RENAME COLUMN nope TO x;

-- error: 42P07
ALTER TABLE h47y.users RENAME TO p;

-- A table of the same name in public is another table.
CREATE TABLE users (id integer PRIMARY KEY);

ALTER TABLE h47y.users ADD CONSTRAINT users_mail_check CHECK (mail <> '');

SELECT conrelid::regclass AS rel, conname FROM pg_constraint WHERE conname = 'users_mail_check';

DROP TABLE users;

DROP TABLE h47y.users;

DROP TABLE h47y.p;

DROP SCHEMA h47y;
