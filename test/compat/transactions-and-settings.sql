-- Transactions and session settings: BEGIN / START TRANSACTION with ISOLATION LEVEL and READ ONLY,
-- COMMIT / ROLLBACK / END, savepoints, an error failing the block (25P02) until ROLLBACK, SET / SHOW /
-- RESET of the settings drivers and ORMs touch, current_setting(), version-independent functions.
CREATE TABLE compat_accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL CHECK (balance >= 0));

INSERT INTO compat_accounts VALUES (1, 'ann', 100), (2, 'bob', 50);

BEGIN;

UPDATE compat_accounts SET balance = balance - 30 WHERE id = 1;

UPDATE compat_accounts SET balance = balance + 30 WHERE id = 2;

COMMIT;

SELECT id, balance FROM compat_accounts ORDER BY id;

BEGIN ISOLATION LEVEL SERIALIZABLE;

UPDATE compat_accounts SET balance = 0 WHERE id = 1;

ROLLBACK;

SELECT balance FROM compat_accounts WHERE id = 1;

-- skip-compare: ChorusDB answers the command tag BEGIN, PostgreSQL START TRANSACTION (commandTag in src/sql/classify.ts)
START TRANSACTION ISOLATION LEVEL REPEATABLE READ;

SELECT count(*) AS n FROM compat_accounts;

COMMIT;

BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE;

INSERT INTO compat_accounts VALUES (3, 'cid', 10);

END;

BEGIN TRANSACTION READ ONLY;

SELECT owner FROM compat_accounts WHERE id = 3;

-- error: 25006
INSERT INTO compat_accounts VALUES (4, 'dee', 1);

ROLLBACK;

BEGIN;

INSERT INTO compat_accounts VALUES (4, 'dee', 5);

SAVEPOINT before_bad;

-- error: 23514
UPDATE compat_accounts SET balance = balance - 1000 WHERE id = 4;

ROLLBACK TO SAVEPOINT before_bad;

UPDATE compat_accounts SET balance = balance + 1 WHERE id = 4;

RELEASE SAVEPOINT before_bad;

COMMIT;

SELECT id, owner, balance FROM compat_accounts ORDER BY id;

BEGIN;

-- error: 23505
INSERT INTO compat_accounts VALUES (1, 'dup', 1);

-- error: 25P02
SELECT count(*) FROM compat_accounts;

COMMIT;

SELECT count(*) AS n FROM compat_accounts;

-- error: 42601
SELECT * FROM compat_accounts WHERE;

SET TimeZone = 'UTC';

SHOW TimeZone;

SET TIME ZONE 'UTC';

SHOW timezone;

SHOW standard_conforming_strings;

SHOW client_encoding;

SHOW server_encoding;

SHOW DateStyle;

SHOW integer_datetimes;

SHOW IntervalStyle;

SHOW search_path;

-- skip-compare: every ChorusDB write transaction is serializable, so it reports serializable (PostgreSQL's default: read committed)
SHOW transaction_isolation;

SET application_name = 'compat-suite';

SHOW application_name;

SET application_name TO 'compat-again';

SELECT current_setting('application_name') AS app;

SHOW application_name;

RESET application_name;

SET statement_timeout = 0;

SHOW statement_timeout;

SET client_min_messages TO warning;

SHOW client_min_messages;

RESET ALL;

SET search_path TO public;

SHOW search_path;

SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED;

-- error: 42704
SHOW no_such_setting_here;

SELECT current_schema() AS s, version() LIKE 'PostgreSQL %' AS is_pg, pg_backend_pid() > 0 AS has_pid;

SELECT 1 AS one FROM (SELECT pg_sleep(0)) AS slept;

DROP TABLE compat_accounts;

-- Read-only blocks: SET TRANSACTION READ ONLY after a write, READ WRITE only before any query,
-- savepoints in a read-only block.
CREATE TABLE compat_ro (id int PRIMARY KEY, v text);

BEGIN;

INSERT INTO compat_ro VALUES (1, 'a');

SET TRANSACTION READ ONLY;

-- error: 25006
INSERT INTO compat_ro VALUES (2, 'b');

ROLLBACK;

BEGIN READ ONLY;

SAVEPOINT s1;

SELECT count(*) AS n FROM compat_ro;

ROLLBACK TO SAVEPOINT s1;

RELEASE SAVEPOINT s1;

-- error: 3B001
ROLLBACK TO SAVEPOINT s1;

ROLLBACK;

BEGIN READ ONLY;

SET TRANSACTION READ WRITE;

INSERT INTO compat_ro VALUES (3, 'c');

COMMIT;

BEGIN READ ONLY;

SELECT 1 AS one;

-- error: 25001
SET TRANSACTION READ WRITE;

ROLLBACK;

SELECT * FROM compat_ro ORDER BY id;

-- DDL undone by ROLLBACK TO SAVEPOINT is gone for the session's next statements.
BEGIN;

SAVEPOINT a;

CREATE TABLE compat_sp1 (x int);

ROLLBACK TO SAVEPOINT a;

-- error: 42P01
INSERT INTO compat_sp1 VALUES (1);

ROLLBACK;

CREATE TABLE compat_sp2 (x int);

BEGIN;

SAVEPOINT a;

ALTER TABLE compat_sp2 ADD COLUMN y text;

ROLLBACK TO SAVEPOINT a;

SELECT * FROM compat_sp2;

COMMIT;

-- Volatile defaults: PostgreSQL computes one per existing row; SQLite would give all one value.
-- chorus-error: 0A000 ADD COLUMN with a volatile default
ALTER TABLE compat_sp2 ADD COLUMN r float8 DEFAULT random();

-- error: 0A000
ALTER TABLE compat_sp2 ADD COLUMN r2 int DEFAULT (SELECT 1);

-- error: 0A000
CREATE TABLE compat_sp3 (x int DEFAULT (SELECT 1));

-- Error positions count characters (an emoji is one).
-- error: 42703
SELECT '😀😀' || nosuchcol;

-- error: 22P02
SELECT '😀😀' AS e, 1 + 'x';

DROP TABLE compat_ro, compat_sp2;
