-- Regular expressions: ~ ~* !~ !~*, regexp_like, regexp_replace (\1 \& \\ in the replacement, flags g
-- i n p w x q), substring(text from pattern), SIMILAR TO. PostgreSQL's matching rules: the leftmost
-- match, longest unless the whole RE prefers shortest, capture groups divided by each part's own
-- preference; its syntax ([[:class:]], \m \M \y \Y \A \Z, lookaround, embedded options); its errors.
-- Patterns that make backtracking engines take exponential time answer at once.

-- Greedy and non-greedy quantifiers; what the first capture group gets.
SELECT substring('xyxy' from '(x|xy)+') AS r;

SELECT substring('xyxy' from '(?:x|xy)+') AS r;

SELECT substring('XY1234Z' from 'Y*([0-9]{1,3})') AS r;

SELECT substring('XY1234Z' from 'Y*?([0-9]{1,3})') AS r;

SELECT substring('abc01234xyz' from '(.*)(\d+)(.*)') AS r;

SELECT substring('abc01234xyz' from '(.*?)(\d+)(.*)') AS r;

SELECT substring('abc01234xyz' from '(?:(.*?)(\d+)(.*)){1,1}') AS r;

SELECT regexp_replace('abc01234xyz', '(.*)(\d+)(.*)', '[\1|\2|\3]') AS r;

SELECT regexp_replace('abc01234xyz', '(.*?)(\d+)(.*)', '[\1|\2|\3]') AS r;

SELECT regexp_replace('abcd', '(a|ab)(c|bcd)(d*)', '\1-\2-\3') AS r;

SELECT substring('aaa' from 'a*?') AS r;

SELECT substring('aaab' from 'a*?b') AS r;

SELECT regexp_replace('xaaab', '(a*?)(a*)b', '<\1|\2>') AS r;

SELECT regexp_replace('foobarbaz', 'b.*?a', 'X') AS r;

SELECT regexp_replace('foobarbaz', 'b.*a', 'X') AS r;

SELECT regexp_replace('aaaa', 'a{2,3}?', 'X', 'g') AS r;

SELECT regexp_replace('aaaa', 'a{2,3}', 'X', 'g') AS r;

SELECT regexp_replace('ababab', '(ab)+?', '<\1>') AS r;

SELECT regexp_replace('abab', '((a)|b)+', '[\1|\2]') AS r;

SELECT regexp_replace('b', '(a*)*b', '[\1]') AS r;

-- Alternation: the longest alternative wins, whatever its place.
SELECT substring('abcd' from 'ab|abcd|abc') AS r;

SELECT regexp_replace('for forward', 'for|forward', '<\&>', 'g') AS r;

SELECT substring('xyz' from '(x|xy|xyz)') AS r;

-- Patterns that are exponential for a backtracking engine.
SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' ~ '(a+)+$' AS r;

SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' ~ '(a+)+$' AS r;

SELECT regexp_replace(repeat('a', 40) || '!', '(a|aa)+$', 'X') AS r;

SELECT repeat('ab', 5000) ~ '^(a|b|ab)*c' AS r;

SELECT length(regexp_replace(repeat('abc', 10000), 'b', '', 'g')) AS r;

SELECT substring(repeat('a', 3000) from '(a)*') AS a, substring(repeat('ab', 1500) || 'c' from '(a|b)*?c') AS b;

-- substring with and without capture groups.
SELECT substring('foobar' from 'o+b') AS r;

SELECT substring('foobar' from 'o(b)') AS r;

SELECT substring('foo' from 'f(x)?o') AS r;

SELECT substring('foo' from 'x') AS r;

SELECT substring('foo' from '') AS r;

SELECT substring('foobar' from '(?:o)(b)(a)') AS r;

SELECT substring('日本語テキスト' from '本(.)') AS r;

-- regexp_replace: replacement escapes, g and i.
SELECT regexp_replace('abc', '(b)', '[\1\2\\x\&\]') AS r;

SELECT regexp_replace('Hello World', '(\w+) (\w+)', '\2 \1') AS r;

SELECT regexp_replace('abcabc', 'b', 'X', 'g') AS r;

SELECT regexp_replace('abcabc', 'b', 'X') AS r;

SELECT regexp_replace('abc', 'x*', '-', 'g') AS r;

SELECT regexp_replace('abc', '', '-', 'g') AS r;

SELECT regexp_replace('a$b', '\$', '\\$') AS r;

SELECT regexp_replace('ABC abc', 'b', 'X', 'gi') AS r;

SELECT regexp_replace('naïve café', '[^a-z ]', '?', 'g') AS r;

-- Case-insensitivity (ASCII letters only: the database's locale is C).
SELECT 'ABC' ~* 'b' AS a, 'ABC' !~* 'b' AS b, 'ABC' ~ 'b' AS c, 'ABC' !~ 'b' AS d;

SELECT 'É' ~* 'é' AS r;

SELECT 'abc' ~ '(?i)B' AS a, 'ABC' ~* '(?c)b' AS b;

SELECT 'a' ~* '[[:upper:]]' AS a, 'a' ~ '[[:upper:]]' AS b;

SELECT regexp_like('Abc', 'aBC', 'i') AS a, regexp_like('Abc', 'aBC') AS b, regexp_like('abc', 'b') AS c;

-- Character classes and bracket expressions.
SELECT regexp_replace('a1 b2_c3!', '[[:alpha:]]', '.', 'g') AS r;

SELECT regexp_replace('a1 b2_c3!', '\d', '#', 'g') AS r;

SELECT regexp_replace('a1 b2_c3!', '\W', '', 'g') AS r;

SELECT regexp_replace('a1 b2_c3!', '[^[:alnum:]]', '', 'g') AS r;

SELECT regexp_replace(E'tab\tand  space', '\s+', '_', 'g') AS r;

SELECT 'é' ~ '[[:alpha:]]' AS a, 'é' ~ '^.$' AS b;

SELECT regexp_replace('x-y+z', '[a\-z]', '*', 'g') AS r;

SELECT regexp_replace('a]b', '[]]', 'X') AS r;

SELECT regexp_replace('x[.]y', '[[.period.]]', '!') AS r;

SELECT regexp_replace('a1b22c333', '[\d]{2,}', '#', 'g') AS r;

-- Anchors, newline-sensitive modes.
SELECT regexp_replace('aaa', '^a', 'X', 'g') AS a, regexp_replace('aaa', 'a$', 'X', 'g') AS b;

SELECT regexp_replace(E'ab\nab', '^a', 'X', 'g') AS r;

SELECT regexp_replace(E'ab\nab', '^a', 'X', 'gn') AS r;

SELECT regexp_replace(E'ab\ncd', '.$', 'X', 'gn') AS r;

SELECT regexp_replace(E'a\nb', '.', '>', 'g') AS a, regexp_replace(E'a\nb', '[^x]', '>', 'gp') AS b;

SELECT regexp_replace(E'a\nb', '$', '<', 'gw') AS r;

SELECT regexp_replace('abcabc', '\Aa|c\Z', 'X', 'g') AS r;

-- Word boundaries.
SELECT regexp_replace('foo bar', '\m', '|', 'g') AS a, regexp_replace('foo bar', '\M', '|', 'g') AS b;

SELECT regexp_replace('foo bar', '\y', '|', 'g') AS a, regexp_replace('foo bar', '\Y', '|', 'g') AS b;

SELECT regexp_replace('the cat scattered', '\mcat\M', 'dog', 'g') AS r;

SELECT regexp_replace('foo bar', '[[:<:]]', '|', 'g') AS r;

-- Lookahead and lookbehind constraints.
SELECT regexp_replace('price: 100 dollars', '\d+(?= dollars)', 'N') AS r;

SELECT regexp_replace('foobar foobaz', 'foo(?!bar)', 'X', 'g') AS r;

SELECT regexp_replace('xa ya', '(?<=x)a', 'A', 'g') AS a, regexp_replace('xa ya', '(?<!x)a', 'A', 'g') AS b;

-- Expanded syntax, literal patterns, embedded options.
SELECT 'abc' ~ '(?x) a b  c  # a comment' AS r;

SELECT regexp_replace('a.b', '***=.', '!') AS a, regexp_replace('a.b', '.', '!', 'q') AS b;

SELECT regexp_replace('AbC', '(?i)b', 'x') AS r;

SELECT 'a+' ~ '***:a\+' AS r;

-- SIMILAR TO (whole-string match).
SELECT 'abc' SIMILAR TO 'a%' AS a, 'abc' SIMILAR TO 'b%' AS b, 'abc' NOT SIMILAR TO 'a%' AS c;

SELECT 'abc' SIMILAR TO '%(b|d)%' AS a, 'abc' SIMILAR TO 'a_c' AS b, 'ab' SIMILAR TO 'a|b' AS c;

SELECT 'a.c' SIMILAR TO 'a.c' AS a, 'abc' SIMILAR TO 'a.c' AS b, '^a$' SIMILAR TO '^a$' AS c;

SELECT '5' SIMILAR TO '\d' AS a, 'd' SIMILAR TO '\d' AS b;

SELECT 'a%' SIMILAR TO 'a#%' ESCAPE '#' AS a, 'ab' SIMILAR TO 'a#%' ESCAPE '#' AS b;

SELECT 'aaa' SIMILAR TO 'a{2,3}' AS a, 'abcab' SIMILAR TO '[a-c]+' AS b, 'ab' SIMILAR TO 'a*b+' AS c;

SELECT 'a\b' SIMILAR TO 'a\b' ESCAPE '' AS r;

-- NULL inputs.
SELECT NULL::text ~ 'a' AS a, 'a' ~ NULL::text AS b, NULL::text SIMILAR TO 'a' AS c;

SELECT regexp_replace(NULL, 'a', 'b') AS a, regexp_replace('a', NULL, 'b') AS b, regexp_replace('a', 'a', NULL) AS c;

SELECT regexp_replace('a', 'a', 'b', NULL) AS a, substring(NULL from 'a') AS b, substring('a' from NULL) AS c;

SELECT regexp_like(NULL, 'a') AS a, regexp_like('a', 'a', NULL) AS b;

-- Invalid patterns (2201B, PostgreSQL's wording) and options.
-- error: 2201B
SELECT 'a' ~ '(a' AS r;

-- error: 2201B
SELECT 'a' ~ 'a)' AS r;

-- error: 2201B
SELECT 'a' ~ '[a' AS r;

-- error: 2201B
SELECT 'a' ~ 'a{2,1}' AS r;

-- error: 2201B
SELECT 'a' ~ '*a' AS r;

-- error: 2201B
SELECT 'a' ~ 'a**' AS r;

-- error: 2201B
SELECT 'a' ~ '[[:foo:]]' AS r;

-- error: 2201B
SELECT 'a' ~ '[z-a]' AS r;

-- error: 2201B
SELECT 'a' ~ 'a\' AS r;

-- error: 2201B
SELECT 'a' ~ '\q' AS r;

-- error: 2201B
SELECT 'a' ~ '(?z)a' AS r;

-- error: 2201B
SELECT 'a' ~ 'a(?i)b' AS r;

-- error: 2201B
SELECT 'a' ~ 'a{256}' AS r;

-- error: 2201B
SELECT 'a' ~ 'a{1' AS r;

-- error: 2201B
SELECT 'a' ~ '(a)\2' AS r;

-- error: 2201B
SELECT 'aaa' ~ '(?:a{255}){200}' AS r;

-- error: 22023
SELECT regexp_replace('a', 'a', 'b', 'z') AS r;

-- error: 22023
SELECT regexp_like('a', 'a', 'g') AS r;

-- error: 22025
SELECT 'abc' SIMILAR TO 'abc' ESCAPE 'xy' AS r;

-- Back-references and BRE syntax are refused rather than answered differently.
-- chorus-error: 0A000 back-references in regular expressions are not supported
SELECT 'aa' ~ '(a)\1' AS r;

-- chorus-error: 0A000 the 'e' and 'b' flags select BRE syntax, not supported
SELECT regexp_replace('a+', 'a+', 'X', 'e') AS r;

-- A pattern from a table column.
CREATE TABLE compat_regex (id INTEGER PRIMARY KEY, pattern TEXT, subject TEXT);

INSERT INTO compat_regex VALUES
  (1, '^[a-z]+$', 'hello'),
  (2, '(\d+)-(\d+)', 'call 555-1234 now'),
  (3, 'x(y)?z', 'xz'),
  (4, '(?i)HELLO', 'say hello');

SELECT id, subject ~ pattern AS m, substring(subject from pattern) AS s,
  regexp_replace(subject, pattern, '<\&>') AS r
FROM compat_regex ORDER BY id;

DROP TABLE compat_regex;

-- regexp_count / regexp_instr / regexp_substr (PostgreSQL 15)
SELECT regexp_count('aaa', 'a*'), regexp_count('abcabc','b',3), regexp_instr('abcabc','(b)(c)',1,2,1,'',2), regexp_substr('abcabc','(b)(c)',1,2,'',2), regexp_substr('abc','(x)?b',1,1,'',1), regexp_instr('abc','b',1,1,0,'',5), regexp_count('', 'x*'), regexp_substr('Hello World', '[A-Z][a-z]+', 1, 2), regexp_instr('ABC', 'b', 1, 1, 0, 'i'), regexp_count('héllo wörld', '[ö]');

-- error: 22023
SELECT regexp_count('abc','b',1,'g');

-- error: 22023
SELECT regexp_instr('abc','b',0);

-- error: 22023
SELECT regexp_instr('abc','b',1,0);

-- error: 22023
SELECT regexp_instr('abc','b',1,1,2);

-- error: 22023
SELECT regexp_instr('abc','b',1,1,0,'',-1);

-- error: 22023
SELECT regexp_substr('abc','b',1,0);

SELECT regexp_count(NULL, 'b'), regexp_substr('abc', NULL);

-- chorus-error: 0A000 a PostgreSQL function ChorusDB does not implement
SELECT to_tsvector('simple', 'a b');

-- error: 42883
SELECT nosuchfunction(1);
