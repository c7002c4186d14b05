-- SELECT DISTINCT ON: the first row of each group in ORDER BY order (equal numerics 1.5 / 1.50 are one group).
CREATE TABLE don (id int PRIMARY KEY, grp text, n numeric, at int, v text);

INSERT INTO don VALUES (1, 'a', 1.5, 10, 'x'), (2, 'a', 1.50, 20, 'y'), (3, 'b', 2, 5, 'z'), (4, 'b', 2.0, 50, 'w'), (5, NULL, 3, 1, 'q'), (6, NULL, 3, 2, 'r');

SELECT DISTINCT ON (grp) grp, v FROM don ORDER BY grp, at DESC;

SELECT DISTINCT ON (grp) id, v FROM don ORDER BY grp, at;

SELECT DISTINCT ON (n) n, id FROM don ORDER BY n, id DESC;

SELECT DISTINCT ON (1) grp, v FROM don ORDER BY 1, id;

SELECT DISTINCT ON (grp, n) grp, n, id FROM don ORDER BY n, grp, id LIMIT 2;

SELECT DISTINCT ON (grp) grp, count(*) OVER () FROM don ORDER BY grp, id;

SELECT DISTINCT ON (at > 10) at > 10 AS big, id FROM don ORDER BY at > 10, id;

-- error: 42P10
SELECT DISTINCT ON (grp) grp, v FROM don ORDER BY id;

SELECT DISTINCT ON (lower(grp)) grp, v FROM don ORDER BY lower(grp), v DESC;

SELECT DISTINCT ON (grp) grp FROM don WHERE id > $$0$$::int ORDER BY grp;

SELECT count(*) FROM (SELECT DISTINCT ON (grp) * FROM don) s;

-- error: 42P10
SELECT DISTINCT ON (grp) grp, v FROM don ORDER BY v, grp;

-- INTERSECT ALL / EXCEPT ALL: min(l, r) and l - r copies of each row (NULLs equal, 1.5 = 1.50).
SELECT * FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x) INTERSECT ALL SELECT * FROM (VALUES (1), (1), (NULL), (3)) b(x) ORDER BY 1;

SELECT * FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x) EXCEPT ALL SELECT * FROM (VALUES (1), (NULL), (3)) b(x) ORDER BY 1;

SELECT 1.5 INTERSECT ALL SELECT 1.50;

SELECT x, y FROM (VALUES (1, 'a'), (1, 'a'), (2, 'b')) t(x, y) EXCEPT ALL SELECT 1, 'a' ORDER BY 1, 2;

SELECT 1 UNION ALL SELECT 1 INTERSECT ALL SELECT 1;

SELECT count(*) FROM (SELECT g FROM generate_series(1, 10) g EXCEPT ALL SELECT g FROM generate_series(1, 10, 2) g) s;

