-- String functions and operators: ||, length / char_length, upper / lower / initcap, substring
-- (also FROM / FOR), position(... IN ...), strpos, trim / btrim / ltrim / rtrim (also BOTH / LEADING
-- / TRAILING ... FROM), replace, translate, lpad / rpad, left / right, repeat, reverse, split_part,
-- concat / concat_ws, md5, LIKE (case-sensitive) and ILIKE, starts_with, string comparisons.
CREATE TABLE compat_people (
  id INTEGER PRIMARY KEY,
  first_name TEXT NOT NULL,
  last_name TEXT,
  email TEXT
);

INSERT INTO compat_people VALUES
  (1, 'Ada', 'Lovelace', 'ada@Example.com'),
  (2, 'alan', 'Turing', 'alan.turing@example.org'),
  (3, 'Grace', NULL, 'GRACE@EXAMPLE.COM'),
  (4, 'Édith', 'Piaf', NULL);

SELECT id, first_name || ' ' || COALESCE(last_name, '?') AS full_name, length(first_name) AS len, char_length(first_name) AS clen
FROM compat_people ORDER BY id;

SELECT id, upper(first_name) AS u, lower(first_name) AS l, initcap(lower(email)) AS ic FROM compat_people ORDER BY id;

SELECT id FROM compat_people WHERE email LIKE '%example%' ORDER BY id;

SELECT id FROM compat_people WHERE email ILIKE '%example.com' ORDER BY id;

SELECT id FROM compat_people WHERE first_name NOT ILIKE 'a%' ORDER BY id;

SELECT id FROM compat_people WHERE first_name LIKE 'A%' ORDER BY id;

SELECT id FROM compat_people WHERE lower(first_name) ILIKE '%' || 'A' || '%' ORDER BY id;

SELECT 'ABC' LIKE 'a%' AS case_sensitive, 'ABC' ILIKE 'a%' AS case_insensitive, 'a_c' LIKE 'a\_c' AS escaped, '50%' LIKE '50!%' ESCAPE '!' AS bang;

SELECT substring('hello world' FROM 7) AS a, substring('hello world' FROM 1 FOR 5) AS b, substring('hello' FOR 2) AS c, substr('hello', 2, 3) AS d, substring('hello', 4) AS e;

SELECT position('lo' IN 'hello') AS a, position('z' IN 'hello') AS b, strpos('hello', 'l') AS c;

SELECT id, split_part(email, '@', 1) AS local_part, split_part(email, '@', 2) AS domain, position('@' IN email) AS at_sign
FROM compat_people WHERE email IS NOT NULL ORDER BY id;

SELECT trim('  padded  ') AS t, ltrim('xxabc', 'x') AS lt, rtrim('abcyy', 'y') AS rt, btrim('--abc--', '-') AS bt;

SELECT trim(both 'x' from 'xxabcxx') AS b, trim(leading '0' from '000123') AS l, trim(trailing from 'abc   ') AS t;

SELECT replace('a-b-c', '-', '+') AS r, translate('12-34', '-', '') AS t, translate('abc', 'ab', 'xy') AS t2;

SELECT lpad('7', 3, '0') AS lp, rpad('ab', 5, '-*') AS rp, lpad('toolong', 3) AS cut, left('hello', 2) AS l, right('hello', 3) AS r, left('hello', -1) AS l_neg;

SELECT repeat('ab', 3) AS rep, reverse('stressed') AS rev, split_part('a,b,c', ',', 3) AS third, split_part('a,b,c', ',', 5) AS none;

SELECT concat('a', 1, NULL, 'b') AS c, concat_ws('-', 'x', NULL, 'y', 'z') AS cw, 'a' || NULL AS null_concat;

SELECT md5('hello') AS h, starts_with('postgres', 'post') AS sw, 'abc' < 'abd' AS lt, 'B' > 'a' AS upper_gt;

SELECT id, lpad(id::text, 4, '0') AS padded_id FROM compat_people ORDER BY id;

SELECT last_name FROM compat_people WHERE last_name IS NOT NULL ORDER BY last_name DESC;

SELECT first_name, length(first_name) AS n FROM compat_people ORDER BY length(first_name), first_name LIMIT 2;

SELECT 'it''s' AS quoted, E'tab\there' AS escaped, $$dollar 'quoted'$$ AS dollar;

-- error: 22023
SELECT split_part('a,b', ',', 0) AS zero;

DROP TABLE compat_people;
