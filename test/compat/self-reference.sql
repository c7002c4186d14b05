-- Foreign keys of a new table to itself (trees: categories, comments, employees' managers), as ORMs
-- create them: the referenced key is the one the same statement declares.
CREATE TABLE sr_cat (id INTEGER PRIMARY KEY, up INTEGER REFERENCES sr_cat, name text);

CREATE TABLE sr_cat3 (id serial PRIMARY KEY, up INTEGER REFERENCES sr_cat3 ON DELETE CASCADE);

CREATE TABLE sr_cat4 (up INTEGER REFERENCES sr_cat4, id INTEGER PRIMARY KEY);

CREATE TABLE sr_cat5 (id int PRIMARY KEY, code text UNIQUE, upc text REFERENCES sr_cat5 (code));

-- error: 42830
CREATE TABLE sr_cat6 (id int PRIMARY KEY, upc int REFERENCES sr_cat6 (upc));

-- error: 42704
CREATE TABLE sr_cat7 (id int, up int REFERENCES sr_cat7);

INSERT INTO sr_cat VALUES (1, NULL, 'root'), (2, 1, 'child');

-- error: 23503
INSERT INTO sr_cat VALUES (3, 9, 'bad');

INSERT INTO sr_cat3 (up) VALUES (NULL), (1), (2);

DELETE FROM sr_cat3 WHERE id = 1;

SELECT count(*) FROM sr_cat3;

SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sr_cat'::regclass ORDER BY 1;

DROP TABLE sr_cat, sr_cat3, sr_cat4, sr_cat5;
