-- ALTER TABLE and sequence cases of issue 14's ORM audit (helper-48): each answered differently
-- from PostgreSQL before.

-- SET DEFAULT / DROP DEFAULT on a column ADD COLUMN added: rows stored before keep what they held
-- (SQLite read them as the column's new default).
CREATE TABLE h48_d (id int PRIMARY KEY);

INSERT INTO h48_d VALUES (1);

ALTER TABLE h48_d ADD COLUMN c int;

ALTER TABLE h48_d ALTER COLUMN c SET DEFAULT 5;

SELECT * FROM h48_d ORDER BY id;

-- error: 23502
ALTER TABLE h48_d ALTER COLUMN c SET NOT NULL;

ALTER TABLE h48_d ADD COLUMN d int DEFAULT 7;

INSERT INTO h48_d (id) VALUES (2);

ALTER TABLE h48_d ALTER COLUMN d SET DEFAULT 8;

SELECT * FROM h48_d ORDER BY id;

ALTER TABLE h48_d ALTER COLUMN d DROP DEFAULT, ALTER COLUMN c DROP DEFAULT;

INSERT INTO h48_d (id) VALUES (3);

SELECT * FROM h48_d ORDER BY id;

ALTER TABLE h48_d ADD COLUMN e text DEFAULT 'x';

ALTER TABLE h48_d ALTER COLUMN e TYPE varchar(10), ALTER COLUMN e SET DEFAULT 'y';

INSERT INTO h48_d (id) VALUES (4);

SELECT id, c, d, e FROM h48_d ORDER BY id;

DROP TABLE h48_d;
