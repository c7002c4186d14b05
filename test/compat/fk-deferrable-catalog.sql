-- A foreign key's DEFERRABLE / INITIALLY DEFERRED as the catalogs show it (pg_constraint,
-- pg_get_constraintdef, information_schema, psql's \d queries), in the column and the table form
-- and by ALTER TABLE ... ADD CONSTRAINT; DEFERRABLE primary keys and unique constraints are refused.
CREATE TABLE fkdcat_parents (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL);

CREATE TABLE fkdcat_kids (
  id INTEGER PRIMARY KEY,
  a INTEGER REFERENCES fkdcat_parents DEFERRABLE,
  b INTEGER REFERENCES fkdcat_parents DEFERRABLE INITIALLY DEFERRED,
  c INTEGER REFERENCES fkdcat_parents INITIALLY DEFERRED,
  d INTEGER REFERENCES fkdcat_parents INITIALLY IMMEDIATE,
  e INTEGER REFERENCES fkdcat_parents NOT DEFERRABLE,
  f TEXT REFERENCES fkdcat_parents (code) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
  g INTEGER,
  h INTEGER,
  i INTEGER,
  j INTEGER,
  CONSTRAINT fkdcat_g FOREIGN KEY (g) REFERENCES fkdcat_parents (id) DEFERRABLE,
  CONSTRAINT fkdcat_h FOREIGN KEY (h) REFERENCES fkdcat_parents ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (i) REFERENCES fkdcat_parents NOT DEFERRABLE INITIALLY IMMEDIATE,
  FOREIGN KEY (j) REFERENCES fkdcat_parents INITIALLY DEFERRED
);

ALTER TABLE fkdcat_kids ADD CONSTRAINT fkdcat_alter_d FOREIGN KEY (j) REFERENCES fkdcat_parents DEFERRABLE;

ALTER TABLE fkdcat_kids ADD CONSTRAINT fkdcat_alter_dd FOREIGN KEY (i) REFERENCES fkdcat_parents (id) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE fkdcat_kids ADD CONSTRAINT fkdcat_alter_nd FOREIGN KEY (a) REFERENCES fkdcat_parents NOT DEFERRABLE;

ALTER TABLE fkdcat_kids ADD FOREIGN KEY (g) REFERENCES fkdcat_parents INITIALLY DEFERRED;

SELECT conname, contype, condeferrable, condeferred, convalidated, confupdtype, confdeltype, conkey, confkey
FROM pg_constraint WHERE conrelid = 'fkdcat_kids'::regclass ORDER BY conname;

SELECT conname, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true)
FROM pg_constraint WHERE conrelid IN ('fkdcat_kids'::regclass, 'fkdcat_parents'::regclass) ORDER BY conname;

SELECT constraint_name, table_name, constraint_type, is_deferrable, initially_deferred, enforced
FROM information_schema.table_constraints
WHERE table_name LIKE 'fkdcat%' AND constraint_name NOT LIKE '%not_null' ORDER BY constraint_name;

SELECT constraint_name, unique_constraint_name, match_option, update_rule, delete_rule
FROM information_schema.referential_constraints WHERE constraint_name LIKE 'fkdcat%' ORDER BY constraint_name;

-- psql's \d fkdcat_kids: its foreign keys, and \d fkdcat_parents: the keys that reference it
-- (without psql's pg_partition_ancestors part).
SELECT true as sametable, conname,
  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
  conrelid::pg_catalog.regclass AS ontable
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = 'fkdcat_kids'::regclass AND r.contype = 'f'
     AND conparentid = 0
ORDER BY conname;

SELECT conname, conrelid::pg_catalog.regclass AS ontable,
       pg_catalog.pg_get_constraintdef(oid, true) AS condef
  FROM pg_catalog.pg_constraint c
 WHERE confrelid = 'fkdcat_parents'::regclass AND contype = 'f' AND conparentid = 0
ORDER BY conname;

-- typeorm's and knex's spelling of the same columns.
SELECT conname, condeferrable AS "deferrable",
  CASE WHEN condeferred THEN 'INITIALLY DEFERRED' ELSE 'INITIALLY IMMEDIATE' END AS deferred
FROM pg_constraint WHERE contype = 'f' AND conrelid = 'fkdcat_kids'::regclass ORDER BY conname;

-- The deferral the catalog shows is the one enforced: a deferred key is checked at COMMIT.
BEGIN;

INSERT INTO fkdcat_kids (id, h) VALUES (1, 7);

INSERT INTO fkdcat_parents VALUES (7, 'G');

COMMIT;

SELECT id, h FROM fkdcat_kids ORDER BY id;

-- A schema outside public: the referenced table is schema-qualified, the deferral still shown.
CREATE SCHEMA fkdcat_s;

CREATE TABLE fkdcat_s.owners (id INTEGER PRIMARY KEY);

CREATE TABLE fkdcat_s.pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES fkdcat_s.owners DEFERRABLE INITIALLY DEFERRED);

SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = 'fkdcat_s.pets'::regclass ORDER BY conname;

SELECT constraint_schema, constraint_name, is_deferrable, initially_deferred
FROM information_schema.table_constraints
WHERE table_schema = 'fkdcat_s' AND constraint_type = 'FOREIGN KEY';

DROP SCHEMA fkdcat_s CASCADE;

-- A PRIMARY KEY / UNIQUE declared NOT DEFERRABLE or INITIALLY IMMEDIATE is an ordinary key.
CREATE TABLE fkdcat_keys (id INTEGER PRIMARY KEY NOT DEFERRABLE, u INTEGER UNIQUE INITIALLY IMMEDIATE, v INTEGER);

ALTER TABLE fkdcat_keys ADD CONSTRAINT fkdcat_keys_v UNIQUE (v) NOT DEFERRABLE INITIALLY IMMEDIATE;

SELECT conname, contype, condeferrable, condeferred, pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid = 'fkdcat_keys'::regclass ORDER BY conname;

-- DEFERRABLE keys: PostgreSQL checks them at the statement's end (or at COMMIT), SQLite on every row.
-- chorus-error: 0A000 a DEFERRABLE primary key is refused (docs/sql.md, Known differences)
CREATE TABLE fkdcat_dpk (id INTEGER PRIMARY KEY DEFERRABLE);

-- chorus-error: 0A000 a DEFERRABLE unique constraint is refused
CREATE TABLE fkdcat_duq (id INTEGER PRIMARY KEY, u INTEGER, UNIQUE (u) DEFERRABLE INITIALLY DEFERRED);

-- chorus-error: 0A000 a DEFERRABLE unique constraint is refused
CREATE TABLE fkdcat_duq2 (id INTEGER PRIMARY KEY, u INTEGER UNIQUE INITIALLY DEFERRED);

-- chorus-error: 0A000 a DEFERRABLE unique constraint is refused
ALTER TABLE fkdcat_keys ADD CONSTRAINT fkdcat_keys_w UNIQUE (v) DEFERRABLE;

-- chorus-error: 0A000 a DEFERRABLE primary key is refused
ALTER TABLE fkdcat_parents ADD CONSTRAINT fkdcat_parents_pk2 PRIMARY KEY (code) DEFERRABLE;

-- error: 42601
CREATE TABLE fkdcat_bad (id INTEGER PRIMARY KEY, u INTEGER UNIQUE NOT DEFERRABLE INITIALLY DEFERRED);

DROP TABLE IF EXISTS fkdcat_dpk, fkdcat_duq, fkdcat_duq2;

DROP TABLE fkdcat_keys, fkdcat_kids, fkdcat_parents;
