-- DEFERRABLE / INITIALLY DEFERRED / NOT DEFERRABLE / INITIALLY IMMEDIATE written on a column's
-- REFERENCES (the parser gives them as separate entries after the key; they apply to it), and
-- PostgreSQL's errors for misplaced or contradicting ones.
CREATE TABLE fkdc_parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL);

CREATE TABLE fkdc_kids (id INTEGER PRIMARY KEY, pcode TEXT REFERENCES fkdc_parents (code) DEFERRABLE INITIALLY DEFERRED);

CREATE TABLE fkdc_kids2 (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES fkdc_parents INITIALLY DEFERRED NOT NULL);

CREATE TABLE fkdc_kids3 (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES fkdc_parents NOT DEFERRABLE INITIALLY IMMEDIATE);

CREATE TABLE fkdc_kids4 (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES fkdc_parents DEFERRABLE INITIALLY IMMEDIATE);

INSERT INTO fkdc_parents VALUES (1, 'A');

INSERT INTO fkdc_kids VALUES (11, 'A');

-- The key is checked at COMMIT: 'A' is held again by then.
BEGIN;

UPDATE fkdc_parents SET code = 'Z' WHERE id = 1;

INSERT INTO fkdc_parents VALUES (3, 'A');

COMMIT;

SELECT id, code FROM fkdc_parents ORDER BY id;

-- INITIALLY DEFERRED alone implies DEFERRABLE.
BEGIN;

INSERT INTO fkdc_kids2 VALUES (21, 7);

INSERT INTO fkdc_parents VALUES (7, 'G');

COMMIT;

-- NOT DEFERRABLE: checked at once.
BEGIN;

-- error: 23503
INSERT INTO fkdc_kids3 VALUES (31, 8);

ROLLBACK;

-- DEFERRABLE INITIALLY IMMEDIATE: checked at once too.
BEGIN;

-- error: 23503
INSERT INTO fkdc_kids4 VALUES (41, 8);

ROLLBACK;

-- A deferred key still fails at COMMIT when it is broken then.
BEGIN;

INSERT INTO fkdc_kids VALUES (12, 'nobody');

-- error: 23503
COMMIT;

-- (pg_constraint's condeferrable / condeferred and pg_get_constraintdef do not show DEFERRABLE
-- yet, in either form: docs/sql.md "Known differences".)
SELECT conname FROM pg_constraint WHERE conrelid = 'fkdc_kids'::regclass AND contype = 'f';

-- error: 42601
CREATE TABLE fkdc_bad1 (id INTEGER NOT NULL DEFERRABLE);

-- error: 42601
CREATE TABLE fkdc_bad2 (id INTEGER DEFERRABLE);

-- error: 42601
CREATE TABLE fkdc_bad3 (pid INTEGER REFERENCES fkdc_parents DEFERRABLE NOT DEFERRABLE);

-- error: 42601
CREATE TABLE fkdc_bad4 (pid INTEGER REFERENCES fkdc_parents INITIALLY DEFERRED INITIALLY IMMEDIATE);

-- error: 42601
CREATE TABLE fkdc_bad5 (pid INTEGER REFERENCES fkdc_parents NOT DEFERRABLE INITIALLY DEFERRED);

-- error: 42601
CREATE TABLE fkdc_bad6 (pid INTEGER REFERENCES fkdc_parents INITIALLY DEFERRED NOT DEFERRABLE);

-- error: 42601
ALTER TABLE fkdc_parents ADD COLUMN extra INTEGER NULL INITIALLY DEFERRED;

DROP TABLE fkdc_kids, fkdc_kids2, fkdc_kids3, fkdc_kids4, fkdc_parents;
