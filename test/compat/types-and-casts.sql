-- Types and casts: `x::type` and CAST with PostgreSQL type names, literal casts (and the SQLSTATEs of
-- bad input), integer and numeric arithmetic, booleans, NULL handling (NULLIF, COALESCE, IS DISTINCT
-- FROM), GREATEST / LEAST, ROUND on numerics, bytea literals.
CREATE TABLE compat_types (
  id INTEGER PRIMARY KEY,
  small SMALLINT,
  big BIGINT,
  price NUMERIC(10, 2),
  ratio DOUBLE PRECISION,
  flag BOOLEAN,
  label VARCHAR(20),
  code CHAR(3),
  note TEXT,
  uid UUID,
  raw BYTEA
);

INSERT INTO compat_types VALUES
  (1, 7, 9007199254740993, 19.99, 0.25, true, 'first', 'abc', 'hello', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00ff'::bytea),
  (2, -3, -42, 0.5, 1.5, false, 'second', 'xyz', NULL, NULL, decode('414243', 'hex')),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

SELECT id, small, big, price, ratio, flag, label, code, note, uid, raw FROM compat_types ORDER BY id;

SELECT '42'::int + 1 AS a, CAST('12' AS bigint) AS b, 3.7::text AS c, '2.5'::float8 * 2 AS d, (1 + 1)::text AS e;

SELECT 2.5::int AS half_up, 3.49::integer AS down, 1e3::bigint AS sci, ' 17 '::int AS padded, '-8'::smallint AS neg;

SELECT 'true'::boolean AS t, 'f'::bool AS f, CAST('yes' AS boolean) AS y, 'off'::boolean AS o;

SELECT 10::numeric / 4 AS quarter, count(*)::numeric / 4 AS share FROM compat_types;

SELECT 7 / 2 AS int_div, -7 / 2 AS neg_div, 7 % 3 AS modulo, -7 % 3 AS neg_mod, 7.0 / 2 AS exact_div, mod(17, 5) AS mod_fn;

SELECT abs(-3) AS a, ceil(1.2) AS c, floor(1.8) AS f, round(2.567, 2) AS r, round(2.5) AS r0, sign(-4) AS s;

SELECT power(2, 10) AS p, sqrt(16) AS s;

SELECT round(price * 3, 1) AS tripled, round(price / 3, 3) AS third FROM compat_types WHERE price IS NOT NULL ORDER BY id;

SELECT id, big::text AS big_text, small::numeric AS small_num, ratio::text AS ratio_text FROM compat_types ORDER BY id;

-- skip-compare: ChorusDB keeps no numeric scale: a numeric(10,2) 0.50 is stored and printed as 0.5 (PostgreSQL: 0.50)
SELECT id, price::text AS price_text FROM compat_types ORDER BY id;

SELECT id, COALESCE(note, label, 'none') AS c, NULLIF(small, 7) AS n, NULLIF(label, 'x') AS m FROM compat_types ORDER BY id;

SELECT id, small IS NULL AS is_null, note IS NOT NULL AS has_note FROM compat_types ORDER BY id;

SELECT id, small IS DISTINCT FROM 7 AS distinct7, small IS NOT DISTINCT FROM NULL AS nd FROM compat_types ORDER BY id;

SELECT greatest(1, 5, 3) AS g, least(4, 2, 9) AS l, greatest(2, NULL, 1) AS g_null, least('b', 'a', 'c') AS l_text;

SELECT id, greatest(small, 0) AS clamped FROM compat_types ORDER BY id;

SELECT id FROM compat_types WHERE flag ORDER BY id;

SELECT id FROM compat_types WHERE NOT flag ORDER BY id;

SELECT id FROM compat_types WHERE flag IS NOT TRUE ORDER BY id;

SELECT count(*) FILTER (WHERE flag) AS flagged, count(flag) AS known, count(*) AS all_rows FROM compat_types;

SELECT true AS t, false AS f, NOT true AS nt, true AND NULL AS tn, false OR NULL AS fn;

SELECT 1 < 2 AS lt, 'a' < 'b' AS text_lt, 2 BETWEEN 1 AND 3 AS btw, 5 IN (1, 2, 3) AS in_list;

SELECT CASE WHEN NULL THEN 'yes' ELSE 'no' END AS case_null, NULL = NULL AS eq_null;

SELECT upper(uid::text) AS u FROM compat_types WHERE uid IS NOT NULL;

SELECT id, length(raw) AS raw_len, encode(raw, 'hex') AS hex, encode(raw, 'base64') AS b64 FROM compat_types ORDER BY id;

-- error: 22023
SELECT '\xZZ'::bytea AS bad;

SELECT 9223372036854775807 AS max_bigint, -2147483648 AS min_int, 2147483648 AS past_int;

-- error: 22P02
SELECT 'abc'::int AS bad;

-- error: 22P02
SELECT CAST('1.5' AS integer) AS bad;

-- error: 22P02
SELECT 'twelve'::numeric AS bad;

-- error: 22P02
SELECT 'maybe'::boolean AS bad;

-- error: 22003
SELECT '3000000000'::int AS too_big;

DROP TABLE compat_types;
