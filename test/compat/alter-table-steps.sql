-- ALTER TABLE actions that depend on each other inside one statement (PostgreSQL runs every DROP
-- before the ADDs, so an ADD may reuse a dropped name) and ALTER COLUMN TYPE over UNIQUE / PRIMARY KEY columns
-- (every row is converted before uniqueness is checked; a real duplicate names its constraint).
CREATE TABLE alts_a (id int PRIMARY KEY, v int, CONSTRAINT alts_a_v CHECK (v > 0));

ALTER TABLE alts_a DROP CONSTRAINT alts_a_v, ADD CONSTRAINT alts_a_v CHECK (v < 50);

-- error: 23514
INSERT INTO alts_a VALUES (1, 60);

INSERT INTO alts_a VALUES (2, -1);

-- error: 42710
ALTER TABLE alts_a ADD CONSTRAINT alts_a_v CHECK (v < 40);

-- error: 42704
ALTER TABLE alts_a DROP CONSTRAINT alts_a_v, ADD CONSTRAINT alts_a_v CHECK (v < 40), DROP CONSTRAINT alts_a_v;

INSERT INTO alts_a VALUES (3, 45);

CREATE TABLE alts_b (id int PRIMARY KEY, n int UNIQUE, e text);

ALTER TABLE alts_b ADD CONSTRAINT alts_b_e_key UNIQUE (e);

ALTER TABLE alts_b DROP CONSTRAINT alts_b_e_key, ADD CONSTRAINT alts_b_e_key UNIQUE (e);

-- error: 42P07
ALTER TABLE alts_b ADD CONSTRAINT alts_b_n_key UNIQUE (e);

INSERT INTO alts_b VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c');

ALTER TABLE alts_b ALTER COLUMN n TYPE bigint USING n + 1;

SELECT * FROM alts_b ORDER BY id;

-- error: 23505
ALTER TABLE alts_b ALTER COLUMN n TYPE int USING n / 10;

ALTER TABLE alts_b ALTER COLUMN id TYPE bigint USING id + 1;

SELECT * FROM alts_b ORDER BY id;

-- error: 23505
ALTER TABLE alts_b ALTER COLUMN id TYPE int USING id / 10;

-- error: 23505
ALTER TABLE alts_b ALTER COLUMN e TYPE text USING 'x';

ALTER TABLE alts_b ALTER COLUMN e TYPE text USING e || id;

SELECT * FROM alts_b ORDER BY id;

-- error: 23505
INSERT INTO alts_b VALUES (9, 9, 'a2');

CREATE TABLE alts_c (id int PRIMARY KEY, s text);

INSERT INTO alts_c VALUES (1, '1'), (2, 'x');

-- error: 22P02
ALTER TABLE alts_c ALTER COLUMN s TYPE int USING s::int;

SELECT * FROM alts_c ORDER BY id;

CREATE TABLE alts_p (id int PRIMARY KEY, code int);

-- error: 42830
CREATE TABLE alts_q (id int PRIMARY KEY, code int REFERENCES alts_p (code));

-- error: 42703
CREATE TABLE alts_q (id int PRIMARY KEY, code int REFERENCES alts_p (nope));

CREATE TABLE alts_q (id int PRIMARY KEY, pid int REFERENCES alts_p (id));

DROP TABLE alts_q;

DROP TABLE alts_p;

DROP TABLE alts_a;

DROP TABLE alts_b;

DROP TABLE alts_c;
