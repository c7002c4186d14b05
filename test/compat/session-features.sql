-- Session features: advisory locks, SQL-level PREPARE / EXECUTE / DEALLOCATE, cursors (DECLARE /
-- FETCH / MOVE / CLOSE) and DISCARD. One connection runs the whole file (locks are its own).
CREATE TABLE sf_items (id int PRIMARY KEY, v text);

INSERT INTO sf_items SELECT g, 'v' || g FROM generate_series(1, 10) g;

-- Advisory locks: void / boolean results, re-entrant session locks, the (int4, int4) key space.
SELECT pg_advisory_lock(1);

SELECT pg_advisory_lock(1), pg_try_advisory_lock(1) AS again;

SELECT pg_advisory_lock(1, 2) AS pair, pg_try_advisory_lock(5), pg_try_advisory_lock_shared(6);

SELECT pg_advisory_unlock(1), pg_advisory_unlock(1), pg_advisory_unlock(1);

SELECT pg_advisory_unlock(1, 2), pg_advisory_unlock_shared(6), pg_advisory_unlock_shared(5);

SELECT pg_advisory_unlock_all();

SELECT pg_advisory_unlock(5);

SELECT pg_advisory_lock(NULL), pg_try_advisory_lock(NULL, 1);

SELECT pg_advisory_lock('42'), pg_advisory_unlock(42);

SELECT pg_advisory_lock(9223372036854775807), pg_advisory_unlock(9223372036854775807);

SELECT pg_advisory_lock_shared(3), pg_advisory_lock_shared(3), pg_advisory_unlock_shared(3), pg_advisory_unlock_shared(3);

-- error: 42883
SELECT pg_advisory_lock(1.5);

-- error: 42883
SELECT pg_advisory_lock(3000000000, 1);

-- error: 42883
SELECT pg_advisory_lock();

-- error: 22P02
SELECT pg_advisory_lock('x');

-- Transaction-level locks end with the transaction (and with the statement outside a block).
SELECT pg_advisory_xact_lock(7), pg_try_advisory_xact_lock(8), pg_try_advisory_xact_lock_shared(9);

SELECT pg_advisory_unlock(7);

BEGIN;

SELECT pg_advisory_xact_lock(7), pg_advisory_xact_lock_shared(10);

SELECT pg_advisory_unlock(7);

COMMIT;

-- SQL-level prepared statements.
PREPARE sf_p1 (int) AS SELECT id, v FROM sf_items WHERE id = $1;

EXECUTE sf_p1(3);

EXECUTE sf_p1('4');

-- error: 42601
EXECUTE sf_p1;

-- error: 42P05
PREPARE sf_p1 AS SELECT 1;

-- error: 22P02
EXECUTE sf_p1('x');

PREPARE sf_p2 AS INSERT INTO sf_items VALUES ($1, $2) RETURNING id, v;

EXECUTE sf_p2(11, 'eleven');

PREPARE sf_p3 (text, numeric) AS SELECT $1 || '!' AS t, $2 * 2 AS n;

EXECUTE sf_p3('hi', 1.25);

PREPARE sf_p4 AS UPDATE sf_items SET v = v || '+' WHERE id > 9;

EXECUTE sf_p4;

DEALLOCATE sf_p1;

-- error: 26000
DEALLOCATE sf_p1;

-- error: 26000
EXECUTE sf_p1(1);

DEALLOCATE PREPARE sf_p2;

DEALLOCATE ALL;

-- error: 26000
EXECUTE sf_p3('a', 1);

-- error: 42P01
PREPARE sf_p5 AS SELECT * FROM sf_missing;

-- Cursors: outside a block only WITH HOLD.
-- error: 25P01
DECLARE sf_c CURSOR FOR SELECT * FROM sf_items;

BEGIN;

DECLARE sf_c SCROLL CURSOR FOR SELECT * FROM sf_items ORDER BY id;

FETCH sf_c;

FETCH 3 FROM sf_c;

FETCH NEXT IN sf_c;

FETCH PRIOR FROM sf_c;

FETCH BACKWARD 2 sf_c;

FETCH LAST sf_c;

FETCH sf_c;

FETCH sf_c;

FETCH PRIOR sf_c;

FETCH ABSOLUTE 2 sf_c;

FETCH RELATIVE 2 sf_c;

FETCH RELATIVE 0 sf_c;

FETCH RELATIVE -1 sf_c;

FETCH FORWARD 0 sf_c;

MOVE FORWARD 3 sf_c;

FETCH ALL sf_c;

FETCH BACKWARD ALL sf_c;

FETCH FIRST sf_c;

MOVE LAST IN sf_c;

MOVE BACKWARD 4 IN sf_c;

FETCH -1 FROM sf_c;

FETCH ABSOLUTE -2 sf_c;

FETCH ABSOLUTE 0 sf_c;

FETCH ABSOLUTE 100 sf_c;

FETCH FORWARD ALL sf_c;

MOVE ABSOLUTE 3 sf_c;

MOVE ABSOLUTE 99 sf_c;

FETCH 2 FROM sf_c;

-- error: 42P03
DECLARE sf_c CURSOR FOR SELECT 1;

ROLLBACK;

BEGIN;

DECLARE sf_d NO SCROLL CURSOR FOR SELECT id FROM sf_items ORDER BY id;

FETCH 2 sf_d;

-- error: 55000
FETCH PRIOR sf_d;

ROLLBACK;

BEGIN;

DECLARE sf_d NO SCROLL CURSOR FOR SELECT id FROM sf_items ORDER BY id;

FETCH 2 sf_d;

-- error: 55000
FETCH ABSOLUTE 1 sf_d;

ROLLBACK;

-- A cursor reads the rows as they were when it was declared, before the block's own later writes.
BEGIN;

DECLARE sf_e CURSOR FOR SELECT id, v FROM sf_items WHERE id <= 3 ORDER BY id;

UPDATE sf_items SET v = 'changed' WHERE id = 2;

FETCH ALL sf_e;

-- A cursor declared after a write sees it.
DECLARE sf_f CURSOR FOR SELECT id, v FROM sf_items WHERE id <= 3 ORDER BY id;

FETCH ALL FROM sf_f;

CLOSE sf_e;

-- error: 34000
FETCH sf_e;

ROLLBACK;

BEGIN;

DECLARE sf_g CURSOR FOR SELECT id, v, id * 1.5 AS n, v IS NULL AS isnull FROM sf_items WHERE id < 4 ORDER BY id;

DECLARE sf_h CURSOR FOR VALUES (1, 'a'), (2, 'b');

FETCH 2 sf_g;

FETCH ALL sf_h;

CLOSE ALL;

-- error: 34000
FETCH sf_g;

ROLLBACK;

-- WITH HOLD cursors survive COMMIT (not ROLLBACK) and end with CLOSE.
BEGIN;

DECLARE sf_hold CURSOR WITH HOLD FOR SELECT id FROM sf_items ORDER BY id;

FETCH 2 sf_hold;

COMMIT;

FETCH 2 sf_hold;

CLOSE sf_hold;

-- error: 34000
CLOSE sf_hold;

DECLARE sf_auto CURSOR WITH HOLD FOR SELECT id FROM sf_items WHERE id > 8 ORDER BY id;

FETCH ALL sf_auto;

BEGIN;

DECLARE sf_gone CURSOR WITH HOLD FOR SELECT 1;

ROLLBACK;

-- error: 34000
FETCH sf_gone;

FETCH BACKWARD 1 sf_auto;

CLOSE ALL;

-- DISCARD.
PREPARE sf_p6 AS SELECT 1;

SELECT pg_advisory_lock(11);

SET statement_timeout = '5s';

DISCARD ALL;

SHOW statement_timeout;

-- error: 26000
EXECUTE sf_p6;

SELECT pg_advisory_unlock(11);

DISCARD PLANS;

DISCARD SEQUENCES;

DISCARD TEMP;

BEGIN;

-- error: 25001
DISCARD ALL;

ROLLBACK;

DROP TABLE sf_items;
