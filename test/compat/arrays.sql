-- Arrays: literals and their text form (quoting, NULL elements), ARRAY[...] and ARRAY(SELECT ...),
-- casts between array types, subscripts and slices, = ANY / <> ALL with PostgreSQL's NULL rules,
-- comparison and ordering (element by element, then length), the array functions and operators,
-- unnest / generate_subscripts in FROM and in the select list, array_agg, the regexp functions that
-- return arrays, and array columns (CREATE TABLE, INSERT, UPDATE, SELECT, GROUP BY, ORDER BY).

-- Literals and their output
SELECT '{1,2,3}'::int[] AS a, '{}'::int[] AS e, '{a,"b c",NULL,"NULL",""}'::text[] AS t;

SELECT ARRAY['a b', NULL, 'x"y', '', 'null', 'a,b', 'a{', 'back\slash'] AS q;

SELECT '{ 1 , 2 }'::int[] AS spaced, '{"1",  "2"}'::int8[] AS quoted;

SELECT '{1.50,2}'::numeric[] AS n, '{1.5,NaN,-Infinity}'::float8[] AS f, '{t,f,NULL}'::bool[] AS b;

SELECT '{2024-01-02}'::date[] AS d, '{"2024-01-02 03:04:05"}'::timestamp[] AS ts;

SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[] AS u, '{"{\"a\": 1}",null}'::jsonb[] AS j;

SELECT '{1 day,2 hours}'::interval[] AS i, '{"\\x0102"}'::bytea[] AS by;

SELECT ARRAY[1,2]::bigint[] AS big, ARRAY['1','2']::int[] AS fromtext, ARRAY[1.5, 2]::int[] AS rounded;

SELECT ARRAY[]::int[] AS empty, ARRAY[NULL]::text[] AS onenull;

SELECT '{abc,de}'::varchar(2)[] AS trunc;

SELECT '{1,2}'::int[]::text AS astext, '{1,2}'::int[]::text[] AS astextarray;

SELECT pg_typeof(ARRAY[1,2]) AS t1, pg_typeof(ARRAY[1,2.5]) AS t2, pg_typeof(ARRAY['a']) AS t3;

SELECT ARRAY[1, 2.5] AS mixed, ARRAY[1::int2, 2::int8] AS widened;

-- error: 22P02
SELECT '1'::int[];

-- error: 22P02
SELECT '{1,2'::int[];

-- error: 22P02
SELECT '{1,,2}'::int[];

-- error: 22P02
SELECT '{1}x'::int[];

-- error: 22P02
SELECT '{1, x}'::int[];

-- error: 42P18
SELECT ARRAY[];

SELECT '{abc}'::varchar(2)[]::varchar(2)[] || '{abcd}'::varchar(3)[]::varchar(2)[] AS truncated;

-- chorus-error: 0A000 multidimensional arrays are not supported
SELECT '{{1,2},{3,4}}'::int[];

-- Subscripts and slices
SELECT (ARRAY[10,20,30])[2] AS second, (ARRAY[10,20,30])[0] AS zero, (ARRAY[10,20,30])[4] AS past;

SELECT (ARRAY[10,20,30])[2:3] AS s1, (ARRAY[10,20,30])[:2] AS s2, (ARRAY[10,20,30])[2:] AS s3, (ARRAY[10,20,30])[3:1] AS s4;

SELECT ('{a,b}'::text[])[NULL::int] AS nullsub, (NULL::int[])[1] AS nullarr;

-- error: 42804
SELECT (1)[1];

-- = ANY / <> ALL
SELECT 2 = ANY(ARRAY[1,2,3]) AS a, 4 = ANY(ARRAY[1,2,3]) AS b, 4 = ANY(ARRAY[1,NULL]) AS c, 1 = ANY(ARRAY[1,NULL]) AS d;

SELECT 4 <> ALL(ARRAY[1,2,3]) AS a, 2 <> ALL(ARRAY[1,2,3]) AS b, 4 <> ALL(ARRAY[1,NULL]) AS c;

SELECT 1 = ANY(NULL::int[]) AS a, 1 = ALL(NULL::int[]) AS b, NULL::int = ANY('{}'::int[]) AS c, 1 = ALL('{}'::int[]) AS d;

SELECT 3 > ANY(ARRAY[1,5]) AS a, 3 > ALL(ARRAY[1,5]) AS b, 'abc' LIKE ANY(ARRAY['a%','x%']) AS c;

SELECT 1.50 = ANY(ARRAY[1.5, 2]) AS numeq, 'a' = ANY('{a,b}') AS untyped, 2 = ANY('{1,2}') AS untyped_int;

SELECT 1 = ANY(ARRAY[1.0, 2.0]) AS cross_type, 'b'::varchar = ANY(ARRAY['a','b']::text[]) AS vc;

-- error: 42809
SELECT 1 = ANY(1);

-- Comparison and ordering: element by element, NULL after values, then length
SELECT ARRAY[1,2] = ARRAY[1,2] AS eq, ARRAY[1,2] < ARRAY[1,3] AS lt, ARRAY[1,2] < ARRAY[1,2,0] AS shorter,
       ARRAY[2] > ARRAY[1,9] AS first, ARRAY[1,NULL] > ARRAY[1,5] AS nullbig, ARRAY[10] > ARRAY[9] AS num;

SELECT ARRAY[1.5] = ARRAY[1.50] AS numeric_eq, '{-0}'::float8[] = '{0}'::float8[] AS zero_eq,
       ARRAY['a'] < ARRAY['b'] AS text_lt, ARRAY[1,2] <> ARRAY[1] AS ne;

SELECT ARRAY[1,2] IS DISTINCT FROM ARRAY[1,2] AS d1, ARRAY[1,NULL] IS NOT DISTINCT FROM ARRAY[1,NULL] AS d2;

SELECT x FROM (VALUES (ARRAY[2,1]), (ARRAY[1,2,3]), (ARRAY[1,2]), (ARRAY[10]), (NULL), (ARRAY[]::int[]), (ARRAY[1,NULL])) v(x) ORDER BY x;

SELECT x FROM (VALUES (ARRAY[2,1]), (ARRAY[1,2,3]), (ARRAY[1,2])) v(x) ORDER BY x DESC;

SELECT x, count(*) FROM (VALUES (ARRAY[1.5]), (ARRAY[1.50]), (ARRAY[2.0])) v(x) GROUP BY x ORDER BY x;

SELECT DISTINCT x FROM (VALUES (ARRAY['a','b']), (ARRAY['a','b']), (ARRAY['b'])) v(x) ORDER BY x;

-- Functions
SELECT array_length(ARRAY[1,2,3], 1) AS l1, array_length(ARRAY[1,2,3], 2) AS l2, array_length('{}'::int[], 1) AS l0,
       cardinality(ARRAY[1,2,3]) AS c, cardinality('{}'::int[]) AS c0, cardinality(NULL::int[]) AS cn;

SELECT array_upper(ARRAY[1,2,3], 1) AS u, array_lower(ARRAY[1,2,3], 1) AS lo, array_ndims(ARRAY[1,2]) AS nd,
       array_dims(ARRAY[1,2,3]) AS dims, array_ndims('{}'::int[]) AS nd0, array_dims('{}'::int[]) AS dims0;

SELECT array_position(ARRAY['a','b','c','b'], 'b') AS p, array_position(ARRAY['a','b','c','b'], 'b', 3) AS p3,
       array_position(ARRAY[1,NULL,3], NULL) AS pnull, array_position(ARRAY[1,2], 5) AS missing;

SELECT array_positions(ARRAY['a','b','c','b'], 'b') AS ps, array_positions(ARRAY[1,2], 5) AS none;

SELECT array_append(ARRAY[1,2], 3) AS app, array_prepend(0, ARRAY[1,2]) AS pre, array_cat(ARRAY[1], ARRAY[2,3]) AS cat,
       array_append(NULL::int[], 1) AS appnull, array_cat(NULL::int[], ARRAY[1]) AS catnull;

SELECT ARRAY[1,2] || ARRAY[3] AS c1, ARRAY[1,2] || 3 AS c2, 0 || ARRAY[1,2] AS c3, ARRAY['a'] || 'b'::text AS c4,
       ARRAY[1] || '{2,3}' AS c5, ARRAY[1] || 2.5 AS widened;

SELECT array_remove(ARRAY[1,2,3,2], 2) AS r, array_remove(ARRAY[1,NULL,2], NULL) AS rnull,
       array_replace(ARRAY[1,2,3,2], 2, 9) AS rep;

SELECT array_to_string(ARRAY[1,2,3], ',') AS s, array_to_string(ARRAY['a',NULL,'c'], '-') AS skip,
       array_to_string(ARRAY['a',NULL,'c'], '-', '*') AS star, array_to_string('{}'::int[], ',') AS empty;

SELECT string_to_array('a,b,,c', ',') AS s1, string_to_array('a,b,c', ',', 'b') AS s2, string_to_array('abc', NULL) AS chars,
       string_to_array('abc', '') AS whole, string_to_array('', ',') AS empty, string_to_array(NULL, ',') AS nul;

SELECT ARRAY[1,2,3] @> ARRAY[2,1] AS c1, ARRAY[1,2] @> ARRAY[3] AS c2, ARRAY[1] <@ ARRAY[1,2] AS c3,
       ARRAY[1,2] && ARRAY[2,5] AS o1, ARRAY[1,2] && ARRAY[5] AS o2, ARRAY[1,NULL] @> ARRAY[NULL::int] AS cnull;

SELECT '{a,b}'::text[] @> '{a}' AS untyped, ARRAY[1.5] @> ARRAY[1.50] AS numeric_contains;

-- unnest in FROM (with ORDINALITY, column aliases) and in the select list
SELECT * FROM unnest(ARRAY['x','y','z']) AS u;

SELECT * FROM unnest(ARRAY['x','y','z']) WITH ORDINALITY AS u(v, n);

SELECT u.v, u.n FROM unnest(ARRAY[10,NULL,30]) WITH ORDINALITY AS u(v, n) WHERE u.n > 1;

SELECT unnest(ARRAY[1,2,3]) AS x;

SELECT unnest('{}'::int[]) AS x;

SELECT n, unnest(ARRAY[n, n * 10]) AS v FROM (VALUES (1), (2)) t(n) ORDER BY n, v;

SELECT x FROM (VALUES (1), (2), (3), (4)) t(x) WHERE x IN (SELECT unnest(ARRAY[2,4])) ORDER BY x;

SELECT * FROM generate_subscripts(ARRAY['a','b','c'], 1) AS s;

SELECT unnest(ARRAY[1.50, 2]) AS n;

SELECT unnest(ARRAY[1.50, 2]) AS n, unnest(ARRAY['2024-01-01'::date]) AS d;

-- error: 0A000
SELECT 1 WHERE unnest(ARRAY[true]);

-- array_agg and ARRAY(SELECT ...)
SELECT array_agg(x) AS a, array_agg(x ORDER BY x DESC) AS d, array_agg(DISTINCT x ORDER BY x) AS dd
FROM (VALUES (3), (1), (NULL), (3)) t(x);

SELECT array_agg(x) AS none FROM (VALUES (1)) t(x) WHERE x > 5;

SELECT g, array_agg(v ORDER BY v) AS vs FROM (VALUES (1, 'b'), (1, 'a'), (2, 'c')) t(g, v) GROUP BY g ORDER BY g;

SELECT ARRAY(SELECT x FROM (VALUES (3), (1), (2)) t(x) ORDER BY x) AS a, ARRAY(SELECT 1 WHERE false) AS e;

SELECT array_agg(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS w FROM (VALUES (1), (2), (3)) t(x);

-- Regular expressions returning arrays and rows
SELECT regexp_match('foobarbequebaz', 'bar.*que') AS m1, regexp_match('foobarbequebaz', '(bar)(beque)') AS m2,
       regexp_match('abc', 'x') AS nomatch, regexp_match('ABC', 'b', 'i') AS ci, regexp_match('ab', '(a)(x)?') AS optgroup;

SELECT regexp_matches('foobarbequebazilbarfbonk', '(b[^b]+)(b[^b]+)', 'g') AS m;

SELECT regexp_matches('abc', 'b') AS m;

SELECT * FROM regexp_matches('a1b22c333', '\d+', 'g') AS m;

SELECT regexp_split_to_array('hello world  foo', '\s+') AS a, regexp_split_to_array('abc', '') AS chars,
       regexp_split_to_array('a,b,', ',') AS trailing;

SELECT regexp_split_to_table('the quick brown', '\s+') AS w;

SELECT * FROM regexp_split_to_table('a1b2c', '\d') WITH ORDINALITY AS t(piece, n);

-- error: 22023
SELECT regexp_match('abc', 'b', 'g');

-- Array columns
CREATE TABLE arrays_t (id int PRIMARY KEY, tags text[], nums int[], prices numeric(10,2)[], ids uuid[], doc jsonb[], at timestamptz[], short varchar(2)[]);

INSERT INTO arrays_t VALUES
  (1, '{red,green}', ARRAY[1,2,3], '{1.5,2}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['{"a":1}'::jsonb], '{"2024-01-02 03:04:05+00"}'),
  (2, ARRAY['blue', NULL, 'x"y'], '{}', NULL, NULL, NULL, NULL),
  (3, '{red}', '{5}', '{3}', '{}', '{}', '{}');

SELECT * FROM arrays_t ORDER BY id;

SELECT id FROM arrays_t WHERE 'red' = ANY(tags) ORDER BY id;

SELECT id FROM arrays_t WHERE tags @> '{red}' ORDER BY id;

SELECT id, tags[1] AS first, cardinality(nums) AS n, prices[1] AS p FROM arrays_t ORDER BY id;

UPDATE arrays_t SET tags = array_append(tags, 'new'), nums[1] = 9 WHERE id = 3;

UPDATE arrays_t SET tags = array_append(tags, 'new') WHERE id = 3 RETURNING tags;

SELECT id, t FROM arrays_t, unnest(tags) AS t ORDER BY id, t;

SELECT tags, count(*) FROM arrays_t GROUP BY tags ORDER BY tags;

SELECT id FROM arrays_t ORDER BY nums DESC, id;

-- error: 22P02
INSERT INTO arrays_t (id, nums) VALUES (4, '{1,x}');

-- error: 42804
INSERT INTO arrays_t (id, nums) VALUES (4, 5);

-- error: 22001
INSERT INTO arrays_t (id, short) VALUES (4, '{ab,abc}');

INSERT INTO arrays_t (id, short, nums) VALUES (4, '{ab,"a "}', '{1,2}') RETURNING short, nums[5];

UPDATE arrays_t SET nums[4] = 7 WHERE id = 4 RETURNING nums;

-- error: 22004
UPDATE arrays_t SET nums[NULL] = 7 WHERE id = 4;

SELECT id, nums FROM arrays_t WHERE nums = '{1,2,NULL,7}' OR nums = '{5}' ORDER BY id;

SELECT a.attname::text AS attname, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname = 'arrays_t' AND a.attnum > 0 ORDER BY a.attnum;

DROP TABLE arrays_t;

-- Arrays among other expressions: COALESCE, CASE, UNION, INSERT ... SELECT, JSON, time zones
CREATE TABLE arrays_c (id int PRIMARY KEY, tags text[], n numeric[]);

INSERT INTO arrays_c VALUES (1, '{a,"b c"}', '{1.5}'), (2, '{}', NULL), (3, NULL, '{1.50,2}');

SELECT unnest(tags) AS t, id FROM arrays_c ORDER BY id, t;

SELECT n, count(*) FROM arrays_c GROUP BY n ORDER BY n NULLS FIRST;

-- error: 22P02
INSERT INTO arrays_c SELECT id + 10, tags || 'z', n FROM arrays_c;

INSERT INTO arrays_c SELECT id + 10, tags || 'z'::text, n FROM arrays_c;

SELECT id, tags, n FROM arrays_c WHERE id > 10 ORDER BY id;

SELECT max(id) FILTER (WHERE 'a' = ANY(tags)) AS m FROM arrays_c;

SELECT coalesce(tags, '{}') AS c FROM arrays_c ORDER BY id;

SELECT CASE WHEN id = 1 THEN tags ELSE '{x}' END AS c FROM arrays_c ORDER BY id;

SELECT tags FROM arrays_c UNION SELECT '{q}' ORDER BY 1;

SELECT n FROM arrays_c UNION SELECT '{1.5}' ORDER BY 1;

SELECT id, tags FROM arrays_c ORDER BY tags NULLS FIRST, id;

SELECT to_json(ARRAY[1,2]) AS j, to_jsonb(ARRAY['a']) AS jb, json_agg(tags) AS ja FROM arrays_c WHERE id = 1;

SELECT pg_typeof(tags) AS t, pg_typeof(tags[1]) AS e FROM arrays_c WHERE id = 1;

-- chorus-error: 0A000 array_agg of arrays builds a multidimensional array
SELECT array_agg(tags ORDER BY id) AS a FROM arrays_c WHERE id = 1;

DROP TABLE arrays_c;

-- error: 42883
SELECT '{1,2}'::int[] = '{1,2}'::bigint[] AS cross_type;

-- error: 42883
SELECT ARRAY[1,2] @> ARRAY[1::bigint] AS cross_type;

SELECT array_position(ARRAY[1.5, 2], 1.50) AS p, ARRAY['a']::varchar[] || 'b'::text AS widened;

SET TIME ZONE 'America/New_York';

SELECT '{"2024-01-01 00:00:00+00"}'::timestamptz[] AS tz, array_to_string(ARRAY['2024-01-01 00:00:00+00'::timestamptz], ',') AS s;

RESET TIME ZONE;
