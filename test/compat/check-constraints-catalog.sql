-- CHECK constraints of several tables in the catalogs: a table with more checks than schema rows
-- before the next table used to share OIDs with the next table's checks, so pg_get_constraintdef
-- printed another table's expression.
CREATE TABLE ccat_a (id INTEGER PRIMARY KEY, a INTEGER CHECK (a > 0), b INTEGER CHECK (b > 1), c INTEGER CHECK (c > 2), d INTEGER CHECK (d > 3), e INTEGER CHECK (e > 4), f INTEGER CHECK (f > 5));

CREATE TABLE ccat_b (id INTEGER PRIMARY KEY, x INTEGER CHECK (x < 100), y TEXT CONSTRAINT ccat_b_y_len CHECK (length(y) < 10));

CREATE TABLE ccat_c (id INTEGER PRIMARY KEY, z INTEGER, CONSTRAINT ccat_c_z CHECK (z <> 7));

SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'c' AND conrelid::regclass::text LIKE 'ccat_%' ORDER BY 1, 2;

SELECT count(*) = count(DISTINCT oid) AS distinct_oids FROM pg_constraint WHERE conrelid::regclass::text LIKE 'ccat_%';

SELECT c.conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = 'ccat_b' AND c.contype = 'c' ORDER BY 1;

SELECT constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_name LIKE 'ccat_%' ORDER BY 1;

DROP TABLE ccat_a, ccat_b, ccat_c;
