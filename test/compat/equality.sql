-- Equality and order by PostgreSQL's rules where the stored form is not canonical: numeric of
-- different scales (1.5 = 1.50), intervals ('1 day' = '24 hours'), bpchar (trailing spaces do not
-- count), jsonb (1 = 1.0, its own type order) in set operations, DISTINCT, GROUP BY, windows,
-- ORDER BY and DISTINCT aggregates; min / max among equal values; CASE / VALUES / UNION result
-- types; char(n) lengths; cbrt; aggregates of an outer query level.
CREATE TABLE eq_vals (id int PRIMARY KEY, n numeric, i interval, c char(3), b bpchar, j jsonb, v varchar(5), f float8);

INSERT INTO eq_vals VALUES
  (1, 1.5, '1 day', 'a', 'a', '1', 'a', 0),
  (2, 1.50, '24 hours', 'a  ', 'a ', '1.0', 'a ', '-0'),
  (3, 1.500, '1 mon', E'a\t', 'a  ', '[1.0]', 'b', 'NaN'),
  (4, 2, '30 days', 'b', E'a\t', '[1]', NULL, 1),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (6, 'NaN', '-1 day', '', '', '{"a": 1}', '', 'Infinity');

-- Set operations compare by equality; the first of equal values read is shown.
SELECT n FROM eq_vals UNION SELECT n FROM eq_vals ORDER BY 1;

SELECT n FROM eq_vals UNION SELECT 1.5000 ORDER BY 1;

SELECT 1.5000 UNION SELECT n FROM eq_vals ORDER BY 1;

SELECT n FROM eq_vals EXCEPT SELECT 1.5 ORDER BY 1;

SELECT 1.50 INTERSECT SELECT n FROM eq_vals;

SELECT i FROM eq_vals UNION SELECT i FROM eq_vals ORDER BY 1;

SELECT i FROM eq_vals EXCEPT SELECT '1 day'::interval ORDER BY 1;

SELECT c FROM eq_vals UNION SELECT c FROM eq_vals ORDER BY 1;

SELECT b FROM eq_vals UNION SELECT b FROM eq_vals ORDER BY 1;

SELECT b FROM eq_vals INTERSECT SELECT 'a'::bpchar ORDER BY 1;

SELECT j FROM eq_vals UNION SELECT j FROM eq_vals ORDER BY 1;

SELECT j FROM eq_vals EXCEPT SELECT '1'::jsonb ORDER BY 1;

SELECT n, i FROM eq_vals UNION SELECT n, i FROM eq_vals ORDER BY 1, 2;

SELECT 'a'::char(3) UNION SELECT 'a'::char(5);

SELECT 1 UNION SELECT 1.0 UNION SELECT 1.00 ORDER BY 1;

SELECT 0.0 UNION SELECT -0.0 UNION SELECT 0 ORDER BY 1;

SELECT 'NaN'::numeric UNION SELECT 'NaN' UNION SELECT NULL ORDER BY 1;

SELECT ''::bpchar UNION SELECT '  '::bpchar UNION SELECT ''::char(2) ORDER BY 1;

SELECT '{"a": 1.0}'::jsonb UNION SELECT '{"a": 1}' UNION SELECT '{"a": 1.00, "b": null}' ORDER BY 1;

SELECT '1 day'::interval UNION SELECT '24 hours' UNION SELECT '1440 minutes' ORDER BY 1;

SELECT n, i FROM eq_vals UNION SELECT 2.0, '-24 hours'::interval ORDER BY 1, 2;

SELECT n, i FROM eq_vals UNION SELECT 2.0, '-24 hours'::interval ORDER BY 1 DESC, 2 DESC;

SELECT 'a'::char(3) UNION ALL SELECT 'a'::char(5);

-- An untyped literal in a branch takes the other branch's type.
SELECT 'a' UNION SELECT 'b'::char(3) ORDER BY 1;

SELECT 'a' UNION SELECT 'b' UNION SELECT 'c'::char(3) ORDER BY 1;

SELECT '1.5' UNION SELECT 2.50 ORDER BY 1;

SELECT DISTINCT 'a' UNION SELECT 'b'::char(3) ORDER BY 1;

-- error: 42883
SELECT '{}'::json UNION SELECT '{}'::json;

-- Windows: partitions by equality, peers by equal order keys.
SELECT id, n, count(*) OVER (PARTITION BY n), rank() OVER (ORDER BY n) FROM eq_vals ORDER BY id;

SELECT id, i, count(*) OVER (PARTITION BY i), rank() OVER (ORDER BY i), dense_rank() OVER (ORDER BY i DESC) FROM eq_vals ORDER BY id;

SELECT id, c, rank() OVER (ORDER BY c), b, rank() OVER (ORDER BY b), count(*) OVER (PARTITION BY b) FROM eq_vals ORDER BY id;

SELECT id, j, rank() OVER (ORDER BY j), count(*) OVER (PARTITION BY j) FROM eq_vals ORDER BY id;

SELECT id, sum(id) OVER (ORDER BY n), sum(id) OVER (ORDER BY n GROUPS BETWEEN CURRENT ROW AND CURRENT ROW) FROM eq_vals ORDER BY id;

SELECT sum(x) OVER (ORDER BY x), x FROM (VALUES (1.5), (1.50), (2)) v(x) ORDER BY 2, 1;

SELECT min(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), max(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (1.5, 1), (1.50, 2), (1.500, 3), (0.5, 4)) v(x, y) ORDER BY y;

SELECT sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), avg(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES ('1 mon'::interval, 1), ('30 days', 2), ('1 day', 3)) v(x, y) ORDER BY y;

SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND CURRENT ROW), x FROM (VALUES (1), (2), (3)) v(x) ORDER BY x;

-- chorus-error: 0A000 RANGE offsets are measured over integer and float keys only
SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND CURRENT ROW), x FROM (VALUES (1.5), (1.50), (2)) v(x);

-- error: 0A000
SELECT sum(1) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES ('a')) v(x);

-- error: 42883
SELECT count(*) OVER (PARTITION BY x) FROM (VALUES ('{}'::json)) v(x);

-- error: 42883
SELECT count(*) OVER (ORDER BY x) FROM (VALUES ('{}'::json)) v(x);

-- DISTINCT aggregates: distinct by equality, fed in sorted order.
SELECT sum(DISTINCT x) FROM (VALUES (1.5), (1.50), (2), (2.0)) v(x);

SELECT sum(DISTINCT x), avg(DISTINCT x) FROM (VALUES (1.50), (1.5), (2.0), (2)) v(x);

SELECT sum(DISTINCT n), avg(DISTINCT n), count(DISTINCT n) FROM eq_vals WHERE n <> 'NaN';

SELECT sum(DISTINCT i), avg(DISTINCT i), count(DISTINCT i), min(DISTINCT i), max(DISTINCT i) FROM eq_vals;

SELECT count(DISTINCT b), count(DISTINCT c), count(DISTINCT j), count(DISTINCT f) FROM eq_vals;

SELECT string_agg(DISTINCT b, '|'), string_agg(DISTINCT c, '|' ORDER BY c DESC), string_agg(DISTINCT v, ',') FROM eq_vals;

SELECT string_agg(DISTINCT x, ','), string_agg(x, ',' ORDER BY x DESC NULLS LAST) FROM (VALUES ('b'), ('a'), (''), (NULL), ('a')) v(x);

SELECT json_agg(DISTINCT n), jsonb_agg(DISTINCT j), json_agg(DISTINCT i) FROM eq_vals;

SELECT sum(DISTINCT x) FROM (VALUES (0.1::float8), (0.2), (0.3), (0.1)) v(x);

SELECT count(DISTINCT x) FILTER (WHERE x > 1.0), sum(DISTINCT x) FILTER (WHERE x > 1.0) FROM (VALUES (1.0), (1.50), (1.5), (2)) v(x);

-- error: 42P10
SELECT string_agg(DISTINCT x, ',' ORDER BY x || 'x') FROM (VALUES ('b')) v(x);

-- error: 42883
SELECT count(DISTINCT '{}'::json);

-- GROUP BY and DISTINCT.
SELECT b, count(*) FROM eq_vals GROUP BY b ORDER BY 1;

SELECT j, count(*) FROM eq_vals GROUP BY j ORDER BY 1;

SELECT i, count(*) FROM eq_vals GROUP BY i ORDER BY 1;

SELECT DISTINCT b FROM eq_vals ORDER BY 1;

SELECT DISTINCT j FROM eq_vals ORDER BY 1;

SELECT DISTINCT n, i FROM eq_vals ORDER BY 1, 2;

SELECT DISTINCT x FROM (VALUES (1.0), (1.00), (2)) v(x) ORDER BY x LIMIT 1;

SELECT DISTINCT sum(x) FROM (VALUES (1, 1.0), (2, 1.00)) v(g, x) GROUP BY g;

-- error: 42883
SELECT DISTINCT '{}'::json;

-- error: 42883
SELECT x FROM (VALUES ('{}'::json)) v(x) GROUP BY x;

-- ORDER BY: bpchar without its trailing spaces, jsonb by its own order.
SELECT id, c FROM eq_vals ORDER BY c, id;

SELECT id, b FROM eq_vals ORDER BY b, id;

SELECT id, j FROM eq_vals ORDER BY j, id;

SELECT id, j FROM eq_vals ORDER BY j DESC, id;

SELECT x FROM (VALUES ('a'::char(3)), (E'a\t'), ('a')) v(x) ORDER BY x;

SELECT x FROM (VALUES ('[]'::jsonb), ('{}'), ('null'), ('""'), ('0'), ('false'), ('[[]]'), ('{"": null}'), ('"é"'), ('"z"'), ('[null]')) v(x) ORDER BY x;

SELECT x FROM (VALUES ('{"aa": 1, "c": 1}'::jsonb), ('{"b": 1, "d": 1}'), ('{"b": 2}'), ('{"a": 1, "b": 2, "c": 3}'), ('[1, 2, 3]'), ('[1, "a"]'), ('[1, []]'), ('[1, {}]'), ('[1, null]')) v(x) ORDER BY x;

SELECT x FROM (VALUES ('1e400'::jsonb), ('-1e-400'), ('1.00000000000000000001'), ('1')) v(x) ORDER BY x;

SELECT string_agg(x::text, ' ' ORDER BY x) FROM (VALUES ('[1]'::jsonb), ('1'), ('[]'), ('{}')) v(x);

-- error: 42883
SELECT '{}'::json ORDER BY 1;

-- jsonb comparison and containment.
SELECT id, j = '1', j < '[]', j @> '1', j <@ '[1, 2]', j IS DISTINCT FROM '1.0' FROM eq_vals ORDER BY id;

SELECT '1'::jsonb = '1.0', '1'::jsonb > '[]', '1'::jsonb < '[1]', 'null'::jsonb > '[]', '{}'::jsonb > '[1, 2, 3]', '[[1]]'::jsonb > '[1]';

SELECT '[1.0]'::jsonb @> '[1]', '{"a": [1.0]}'::jsonb @> '{"a": [1]}', '1.0'::jsonb @> '1', '1'::jsonb @> '[1]', '[1]'::jsonb @> '1';

-- min / max: PostgreSQL keeps the later of equal values (the earlier for bpchar).
SELECT max(x), min(x) FROM (VALUES ('1 mon'::interval), ('30 days')) v(x);

SELECT max(x), min(x) FROM (VALUES ('30 days'::interval), ('1 mon')) v(x);

SELECT max(x), min(x) FROM (VALUES (1.5), (1.50)) v(x);

SELECT max(x)::text, min(x)::text FROM (VALUES (0::float8), ('-0')) v(x);

SELECT max(x)::text, min(x)::text FROM (VALUES ('-0'::float8), (0)) v(x);

SELECT max(x), min(x) FROM (VALUES ('a'::bpchar), ('a ')) v(x);

SELECT max(x), min(x) FROM (VALUES ('a '::bpchar), ('a')) v(x);

SELECT max(i), min(i), max(n), min(n), max(c), min(c), max(b), min(b), max(f), min(f) FROM eq_vals;

SELECT max('a'), max(NULL), max(1::int2), max('x'::varchar), max('x'::name);

SELECT greatest('1 mon'::interval, '30 days'), greatest('30 days'::interval, '1 mon'), least('1 mon'::interval, '30 days');

SELECT mode() WITHIN GROUP (ORDER BY x) FROM (VALUES ('1 mon'::interval), ('30 days'), ('1 day')) v(x);

-- error: 42883
SELECT max(true);

-- error: 42883
SELECT max(x) FROM (VALUES ('{}'::json)) v(x);

-- error: 42883
SELECT max(x) FROM (VALUES ('1'::jsonb)) v(x);

-- sum / avg of intervals.
SELECT sum(x), avg(x) FROM (VALUES ('1 mon'::interval), ('1 day'), ('1 second'), (NULL)) v(x);

-- error: 22008
SELECT sum(x) FROM (VALUES ('2147483647 days'::interval), ('1 day')) v(x);

-- Result types of CASE, VALUES, COALESCE: select_common_type and its typmod rule.
SELECT id, CASE WHEN id = 1 THEN 'x' ELSE c END, CASE WHEN id > 0 THEN c ELSE v END, CASE WHEN id = 1 THEN c END FROM eq_vals ORDER BY id;

SELECT CASE WHEN true THEN 1::int2 ELSE 2::int4 END, CASE WHEN false THEN 'a'::char(3) ELSE 'b'::varchar END;

SELECT * FROM (VALUES (1, 'a'), (2.5, 'bb'::char(2))) v;

SELECT x FROM (VALUES ('a'::char(3)), ('b'::char(3))) v(x);

SELECT id, coalesce(c, 'zz') FROM eq_vals ORDER BY id;

-- Lengths of char(n): octet_length counts the padding, the others do not.
SELECT octet_length('ab'::char(5)), length('ab'::char(5)), char_length('ab'::char(5)), bit_length('ab'::char(5)), octet_length('ab  '::bpchar);

SELECT id, octet_length(c), length(c), char_length(c), octet_length(b), length(b) FROM eq_vals ORDER BY id;

-- cbrt: exact cubes of powers of two and ten agree; others may differ in the last digit.
SELECT cbrt(8), cbrt(1000), cbrt(-0::float8)::text, cbrt('NaN'), cbrt('Infinity'), round(cbrt(27)::numeric, 12);

-- skip-compare: cbrt is JavaScript's Math.cbrt (3 here, 3.0000000000000004 with glibc's cbrt)
SELECT cbrt(27);

-- An aggregate over outer columns only belongs to the outer query.
-- error: 42803
SELECT 0 + g, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 4)) FROM generate_series(1, 3) AS g;

SELECT (SELECT sum(g)) FROM generate_series(1, 3) AS g;

SELECT g, (SELECT sum(g)) FROM generate_series(1, 3) AS g GROUP BY g ORDER BY 1;

SELECT (SELECT sum(g + x) FROM generate_series(1, 2) AS x) FROM generate_series(1, 3) AS g ORDER BY 1;

SELECT count(*), (SELECT sum(g) FROM generate_series(1, 1)) FROM generate_series(1, 3) AS g;

-- error: 42803
SELECT g FROM generate_series(1, 3) AS g WHERE (SELECT sum(g) FROM generate_series(1, 2)) > 0;

-- interval has no infinity in PostgreSQL 15.
-- error: 22007
SELECT 'infinity'::interval;

DROP TABLE eq_vals;
