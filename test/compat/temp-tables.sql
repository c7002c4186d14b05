-- Temporary tables and views (one session): private to the session, found before permanent
-- relations of the same name, ON COMMIT actions, rolled back with their transaction, dropped by
-- DROP, DISCARD TEMP and DISCARD ALL; CREATE [TEMP] TABLE ... AS and SELECT ... INTO.

CREATE TABLE tt_perm (id INTEGER PRIMARY KEY, v TEXT);

INSERT INTO tt_perm VALUES (1, 'perm');

CREATE TEMP TABLE tt_perm (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n NUMERIC(6, 2) DEFAULT 1.5);

SELECT * FROM tt_perm;

INSERT INTO tt_perm (id, v) VALUES (2, 'temp'), (3, 'temp3');

SELECT id, v, n FROM tt_perm ORDER BY id;

SELECT * FROM public.tt_perm;

SELECT * FROM pg_temp.tt_perm ORDER BY id;

UPDATE tt_perm SET v = 'changed' WHERE id = 2 RETURNING id, v;

DELETE FROM tt_perm WHERE id = 3;

SELECT t.id, t.v, p.v AS perm_v FROM tt_perm t CROSS JOIN public.tt_perm p;

-- error: 23505
INSERT INTO tt_perm (id, v) VALUES (2, 'dup');

-- error: 23502
INSERT INTO tt_perm (id, v) VALUES (4, NULL);

-- error: 42P07
CREATE TEMP TABLE tt_perm (x INTEGER);

CREATE TEMP TABLE IF NOT EXISTS tt_perm (x INTEGER);

CREATE TEMPORARY TABLE tt_serial (id SERIAL PRIMARY KEY, label TEXT);

INSERT INTO tt_serial (label) VALUES ('a'), ('b') RETURNING id, label;

CREATE INDEX tt_serial_label ON tt_serial (label);

CREATE UNIQUE INDEX ON tt_serial (label);

-- error: 23505
INSERT INTO tt_serial (label) VALUES ('a');

DROP INDEX tt_serial_label;

CREATE TEMP TABLE tt_child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES tt_serial (id));

-- error: 23503
INSERT INTO tt_child VALUES (1, 99);

INSERT INTO tt_child VALUES (1, 1);

-- error: 42P16
CREATE TEMP TABLE tt_bad_fk (id INTEGER REFERENCES public.tt_perm (id));

-- error: 42P16
CREATE TABLE tt_bad_fk2 (id INTEGER REFERENCES tt_serial (id));

-- error: 42P16
CREATE TEMP TABLE public.tt_bad (id INTEGER);

-- error: 42P16
CREATE TABLE tt_bad (id INTEGER) ON COMMIT DROP;

CREATE TABLE pg_temp.tt_qualified (id INTEGER);

INSERT INTO pg_temp.tt_qualified VALUES (7);

SELECT * FROM tt_qualified;

CREATE TEMP TABLE tt_rows (id INTEGER) ON COMMIT DELETE ROWS;

INSERT INTO tt_rows VALUES (1);

SELECT count(*) FROM tt_rows;

BEGIN;

INSERT INTO tt_rows VALUES (1), (2);

SELECT count(*) FROM tt_rows;

COMMIT;

SELECT count(*) FROM tt_rows;

CREATE TEMP TABLE tt_keep (id INTEGER) ON COMMIT PRESERVE ROWS;

INSERT INTO tt_keep VALUES (1);

SELECT count(*) FROM tt_keep;

BEGIN;

CREATE TEMP TABLE tt_dropped (id INTEGER) ON COMMIT DROP;

INSERT INTO tt_dropped VALUES (1);

SELECT count(*) FROM tt_dropped;

COMMIT;

-- error: 42P01
SELECT * FROM tt_dropped;

BEGIN;

CREATE TEMP TABLE tt_rolled (id INTEGER);

INSERT INTO tt_rolled VALUES (1);

ROLLBACK;

-- error: 42P01
SELECT * FROM tt_rolled;

BEGIN;

DROP TABLE tt_keep;

ROLLBACK;

SELECT count(*) FROM tt_keep;

BEGIN;

SAVEPOINT tt_s1;

CREATE TEMP TABLE tt_sp (id INTEGER);

ROLLBACK TO SAVEPOINT tt_s1;

-- error: 42P01
SELECT * FROM tt_sp;

ROLLBACK;

CREATE TEMP TABLE tt_as AS SELECT id, v || '!' AS shout FROM public.tt_perm;

SELECT * FROM tt_as;

CREATE TEMPORARY TABLE tt_as2 (a, b) AS SELECT 1, 'x'::text;

SELECT a, b FROM tt_as2;

CREATE TEMP TABLE tt_empty AS SELECT * FROM tt_perm WITH NO DATA;

SELECT count(*) FROM tt_empty;

SELECT id, v INTO TEMP tt_into FROM tt_perm;

SELECT * FROM tt_into;

CREATE TABLE tt_perm_as AS SELECT id * 10 AS id10, v FROM public.tt_perm;

SELECT * FROM tt_perm_as;

SELECT 5 AS five INTO tt_perm_into;

SELECT * FROM tt_perm_into;

DROP TABLE tt_perm_as, tt_perm_into;

CREATE TEMP VIEW tt_view AS SELECT id, v FROM tt_perm WHERE id > 0;

SELECT * FROM tt_view ORDER BY id;

CREATE VIEW tt_auto_temp AS SELECT id FROM tt_serial;

SELECT * FROM tt_auto_temp ORDER BY id;

-- error: 2BP01
DROP TABLE tt_serial;

DROP VIEW tt_auto_temp;

DROP TABLE tt_child;

DROP TABLE tt_perm CASCADE;

SELECT * FROM tt_perm;

-- error: 42P01
SELECT * FROM tt_view;

TRUNCATE tt_serial;

SELECT count(*) FROM tt_serial;

ALTER TABLE tt_serial ADD COLUMN extra INTEGER DEFAULT 3;

INSERT INTO tt_serial (label) VALUES ('c');

SELECT label, extra FROM tt_serial;

DISCARD TEMP;

-- error: 42P01
SELECT * FROM tt_serial;

-- error: 42P01
SELECT * FROM tt_qualified;

CREATE TEMP TABLE tt_discarded (id INTEGER);

DISCARD ALL;

-- error: 42P01
SELECT * FROM tt_discarded;

DROP TABLE tt_perm;
