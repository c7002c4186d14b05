-- ALTER TABLE as migrations write it: ADD CONSTRAINT UNIQUE / CHECK / FOREIGN KEY (named and
-- unnamed, checked against the rows), DROP / RENAME CONSTRAINT, ALTER COLUMN TYPE (assignment
-- casts, USING, bad data), SET / DROP DEFAULT, SET / DROP NOT NULL, renames, several actions in
-- one statement, IF EXISTS — each followed by a row that the new definition must refuse or take.
CREATE TABLE alt_users (id int PRIMARY KEY, email text, age int, score text, note varchar(20));

INSERT INTO alt_users VALUES (1, 'a@x', 30, '10', 'first'), (2, 'b@x', 40, '20', 'second'), (3, 'a@x', NULL, 'x', NULL);

-- error: 23505
ALTER TABLE alt_users ADD CONSTRAINT alt_users_email_key UNIQUE (email);

DELETE FROM alt_users WHERE id = 3;

ALTER TABLE alt_users ADD UNIQUE (email);

-- error: 42P07
ALTER TABLE alt_users ADD CONSTRAINT alt_users_email_key UNIQUE (email);

-- error: 23505
INSERT INTO alt_users (id, email) VALUES (4, 'a@x');

ALTER TABLE alt_users ADD CONSTRAINT alt_users_email_uq UNIQUE (email);

-- error: 23514
ALTER TABLE alt_users ADD CHECK (age > 35);

ALTER TABLE alt_users ADD CHECK (age > 0);

-- error: 23514
INSERT INTO alt_users (id, email, age) VALUES (4, 'c@x', 0);

ALTER TABLE alt_users ADD CONSTRAINT alt_users_two CHECK (age > 0 AND id > 0);

-- error: 42710
ALTER TABLE alt_users ADD CONSTRAINT alt_users_two CHECK (id < 100);

-- error: 42703
ALTER TABLE alt_users ADD CHECK (nope > 0);

-- error: 42804
ALTER TABLE alt_users ALTER COLUMN score TYPE int;

-- error: 42804
ALTER TABLE alt_users ALTER COLUMN age TYPE boolean;

ALTER TABLE alt_users ALTER COLUMN score TYPE int USING score::int;

SELECT id, score, score + 1 AS next FROM alt_users ORDER BY id;

-- error: 22P02
INSERT INTO alt_users (id, email, score) VALUES (5, 'd@x', 'zz');

INSERT INTO alt_users (id, email, score) VALUES (5, 'd@x', '7');

-- error: 22P02
ALTER TABLE alt_users ALTER COLUMN email TYPE int USING email::int;

-- error: 22001
ALTER TABLE alt_users ALTER COLUMN note TYPE varchar(3);

ALTER TABLE alt_users ALTER COLUMN note TYPE varchar(40);

ALTER TABLE alt_users ALTER COLUMN age TYPE bigint;

ALTER TABLE alt_users ALTER COLUMN score TYPE numeric(8,2);

SELECT id, age, score, note FROM alt_users ORDER BY id;

ALTER TABLE alt_users ALTER COLUMN score TYPE text;

SELECT id, score FROM alt_users ORDER BY id;

-- error: 23502
ALTER TABLE alt_users ALTER COLUMN age SET NOT NULL;

UPDATE alt_users SET age = 50 WHERE age IS NULL;

ALTER TABLE alt_users ALTER COLUMN age SET NOT NULL;

-- error: 23502
INSERT INTO alt_users (id, email) VALUES (6, 'e@x');

ALTER TABLE alt_users ALTER COLUMN age SET DEFAULT 18;

INSERT INTO alt_users (id, email) VALUES (6, 'e@x') RETURNING id, age;

ALTER TABLE alt_users ALTER COLUMN age DROP DEFAULT, ALTER COLUMN age DROP NOT NULL;

INSERT INTO alt_users (id, email) VALUES (7, 'f@x') RETURNING id, age;

-- error: 42P16
ALTER TABLE alt_users ALTER COLUMN id DROP NOT NULL;

-- error: 42703
ALTER TABLE alt_users ALTER COLUMN nope SET NOT NULL;

CREATE TABLE alt_posts (id int PRIMARY KEY, author int, title text);

INSERT INTO alt_posts VALUES (1, 1, 'one'), (2, 99, 'two');

-- error: 23503
ALTER TABLE alt_posts ADD CONSTRAINT alt_posts_author_fkey FOREIGN KEY (author) REFERENCES alt_users (id) ON DELETE CASCADE;

DELETE FROM alt_posts WHERE id = 2;

ALTER TABLE alt_posts ADD FOREIGN KEY (author) REFERENCES alt_users (id) ON DELETE CASCADE;

-- error: 23503
INSERT INTO alt_posts VALUES (3, 77, 'three');

-- error: 42830
ALTER TABLE alt_posts ADD FOREIGN KEY (title) REFERENCES alt_users (note);

-- error: 42P01
ALTER TABLE alt_posts ADD FOREIGN KEY (author) REFERENCES alt_nowhere (id);

DELETE FROM alt_users WHERE id = 1;

SELECT * FROM alt_posts;

-- error: 2BP01
ALTER TABLE alt_users DROP CONSTRAINT alt_users_pkey;

ALTER TABLE alt_users DROP CONSTRAINT alt_users_email_key;

-- error: 42704
ALTER TABLE alt_users DROP CONSTRAINT alt_users_email_key;

ALTER TABLE alt_users DROP CONSTRAINT IF EXISTS alt_users_email_key;

ALTER TABLE alt_users RENAME CONSTRAINT alt_users_age_check TO alt_users_adult;

-- error: 42704
ALTER TABLE alt_users RENAME CONSTRAINT alt_users_age_check TO alt_users_other;

-- error: 42710
ALTER TABLE alt_users RENAME CONSTRAINT alt_users_adult TO alt_users_two;

-- error: 23514
INSERT INTO alt_users (id, email, age) VALUES (8, 'g@x', -1);

ALTER TABLE alt_users DROP CONSTRAINT alt_users_adult, DROP CONSTRAINT alt_users_two;

INSERT INTO alt_users (id, email, age) VALUES (8, 'g@x', -1);

ALTER TABLE alt_users RENAME CONSTRAINT alt_users_email_uq TO alt_users_mail_key;

-- error: 23505
INSERT INTO alt_users (id, email) VALUES (9, 'g@x');

ALTER TABLE IF EXISTS alt_nowhere ADD CHECK (x > 0);

-- error: 42P01
ALTER TABLE alt_nowhere ADD CHECK (x > 0);

ALTER TABLE alt_users ADD COLUMN city text, ADD CONSTRAINT alt_users_city_check CHECK (city <> ''), ALTER COLUMN note SET DEFAULT 'n/a';

-- error: 23514
INSERT INTO alt_users (id, email, city) VALUES (10, 'h@x', '');

INSERT INTO alt_users (id, email, city) VALUES (10, 'h@x', 'Oslo') RETURNING id, note, city;

ALTER TABLE alt_users RENAME COLUMN city TO town;

ALTER TABLE alt_users RENAME TO alt_people;

-- error: 23514
INSERT INTO alt_people (id, email, town) VALUES (11, 'i@x', '');

SELECT id, email, age, score, note, town FROM alt_people ORDER BY id;

CREATE TABLE alt_tags (id int PRIMARY KEY, name text UNIQUE);

CREATE TABLE alt_post_tags (post int, tag text REFERENCES alt_tags (name), PRIMARY KEY (post, tag));

-- error: 2BP01
ALTER TABLE alt_tags DROP CONSTRAINT alt_tags_name_key;

ALTER TABLE alt_tags ADD CONSTRAINT alt_tags_name_upper CHECK (name = upper(name)), ALTER COLUMN name SET NOT NULL;

-- error: 23514
INSERT INTO alt_tags VALUES (1, 'lower');

-- error: 23502
INSERT INTO alt_tags VALUES (1, NULL);

INSERT INTO alt_tags VALUES (1, 'UPPER');

DROP TABLE alt_post_tags;

DROP TABLE alt_tags;

DROP TABLE alt_posts;

DROP TABLE alt_people;
