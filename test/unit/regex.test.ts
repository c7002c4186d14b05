// Unit tests for the regex engine and its SQL functions: PostgreSQL's syntax and errors, its match
// and capture-group rules (expected values produced by PostgreSQL 15.18), SIMILAR TO's translation,
// regexp_replace's replacement escapes and flags, and patterns that are exponential for backtracking
// engines (answers asserted, never times).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ChorusError } from '../../src/errors.js';
import { reAdvanced, reIcase } from '../../src/sql/runtime/regex/engine.js';
import {
  compileRegex,
  parseReFlags,
  RegexCache,
  regexFunctions,
  regexpReplace,
  regexpSubstring,
  similarToRegex,
} from '../../src/sql/runtime/regex.js';

/** The whole match then each group's text (null when unset), or null without a match. */
function match(pattern: string, text: string, cflags = reAdvanced): (string | null)[] | null {
  const re = compileRegex(pattern, cflags);
  const cps = Array.from(text);
  const m = re.exec(re.subject(text), 0, true);
  if (!m) return null;
  const out: (string | null)[] = [];
  for (let g = 0; g <= re.nsub; g++) {
    out.push(m[2 * g]! < 0 ? null : cps.slice(m[2 * g], m[2 * g + 1]).join(''));
  }
  return out;
}

function test1(pattern: string, text: string, cflags = reAdvanced): boolean {
  const re = compileRegex(pattern, cflags);
  return re.test(re.subject(text));
}

function fails(fn: () => unknown, sqlstate: string, message?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ChorusError, String(e));
    assert.equal(e.sqlstate, sqlstate);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

test('leftmost-longest overall match, PostgreSQL capture rules', () => {
  assert.deepEqual(match('(x|xy)+', 'xyxy'), ['xyxy', 'xy']);
  assert.deepEqual(match('(?:x|xy)+', 'xyxy'), ['xyxy']);
  assert.deepEqual(match('(a|ab)(c|bcd)(d*)', 'abcd'), ['abcd', 'ab', 'c', 'd']);
  assert.deepEqual(match('(.*)(\\d+)(.*)', 'abc01234xyz'), ['abc01234xyz', 'abc0123', '4', 'xyz']);
  assert.deepEqual(match('ab|abcd|abc', 'xabcdx'), ['abcd']);
  assert.deepEqual(match('((a)|b)+', 'abab'), ['abab', 'b', null]);
});

test('a non-greedy RE takes the shortest match; parts follow their own preference', () => {
  assert.deepEqual(match('(.*?)(\\d+)(.*)', 'abc01234xyz'), ['abc0', 'abc', '0', '']);
  assert.deepEqual(match('(?:(.*?)(\\d+)(.*)){1,1}', 'abc01234xyz'), ['abc01234xyz', 'abc', '01234', 'xyz']);
  assert.deepEqual(match('Y*?([0-9]{1,3})', 'XY1234Z'), ['Y1', '1']);
  assert.deepEqual(match('Y*([0-9]{1,3})', 'XY1234Z'), ['Y123', '123']);
  assert.deepEqual(match('a*?', 'aaa'), ['']);
  assert.deepEqual(match('a*?b', 'aaab'), ['aaab']);
  assert.deepEqual(match('(a*?)(a*)b', 'xaaab'), ['aaab', '', 'aaa']);
  assert.deepEqual(match('(a*)*b', 'b'), ['b', '']);
});

test('patterns exponential for backtracking engines answer', () => {
  assert.equal(test1('(a+)+$', `${'a'.repeat(38)}!`), false);
  assert.equal(test1('(a+)+$', 'a'.repeat(38)), true);
  assert.equal(test1('^(a|aa)+$', `${'a'.repeat(5000)}b`), false);
  assert.equal(test1('(x+x+)+y', 'x'.repeat(5000)), false);
  assert.deepEqual(match('(a|aa)+$', `${'a'.repeat(64)}`), ['a'.repeat(64), 'a']);
  assert.equal(test1('^(a|b|ab)*c', 'ab'.repeat(20000)), false);
  // Capture groups inside iterations over long texts (one piece per character).
  assert.equal(regexpSubstring(compileRegex('(a)*', reAdvanced), 'a'.repeat(100_000)), 'a');
  assert.equal(regexpSubstring(compileRegex('(a|b)*?c', reAdvanced), `${'ab'.repeat(50_000)}c`), 'b');
});

test('parentheses nested past the stack fail as too complex, as in PostgreSQL', () => {
  fails(
    () => compileRegex(`${'('.repeat(20_000)}a${')'.repeat(20_000)}`, reAdvanced),
    '2201B',
    'invalid regular expression: regular expression is too complex',
  );
  assert.equal(regexpSubstring(compileRegex(`${'('.repeat(500)}a${')'.repeat(500)}`, reAdvanced), 'a'), 'a');
});

test('classes, brackets and the C locale', () => {
  assert.equal(test1('^[[:alpha:]]+$', 'abcXYZ'), true);
  assert.equal(test1('[[:alpha:]]', 'é'), false);
  assert.equal(test1('^.$', 'é'), true);
  assert.equal(test1('^\\w+$', 'a_1'), true);
  assert.equal(test1('[\\D]', '5'), false);
  assert.equal(test1('[]a]', ']'), true);
  assert.equal(test1('[^]a]', ']'), false);
  assert.equal(test1('^[a-]$', '-'), true);
  assert.equal(test1('[[.hyphen.]]', '-'), true);
  assert.equal(test1('[[=a=]]', 'a'), true);
  assert.equal(test1('b', 'ABC', reAdvanced | reIcase), true);
  assert.equal(test1('[[:upper:]]', 'a', reAdvanced | reIcase), true);
  assert.equal(test1('é', 'É', reAdvanced | reIcase), false);
  assert.deepEqual(match('本(.)', '日本語'), ['本語', '語']);
  assert.deepEqual(match('(.)b', '😀b'), ['😀b', '😀']);
});

test('escapes, anchors, word boundaries, lookaround', () => {
  assert.equal(test1('\\x41\\u0042\\103', 'ABC'), true);
  assert.equal(test1('a\\.b', 'axb'), false);
  assert.equal(test1('\\Aab\\Z', 'ab'), true);
  assert.equal(test1('^b', 'a\nb'), false);
  assert.equal(test1('(?n)^b', 'a\nb'), true);
  assert.equal(test1('a.b', 'a\nb'), true);
  assert.equal(test1('(?p)a.b', 'a\nb'), false);
  assert.equal(test1('\\mcat\\M', 'scattered'), false);
  assert.equal(test1('\\ycat\\y', 'a cat!'), true);
  assert.deepEqual(match('\\d+(?= dollars)', 'pay 100 dollars'), ['100']);
  assert.deepEqual(match('foo(?!bar)', 'foobar foobaz'), ['foo']);
  assert.deepEqual(match('(?<=x)a', 'ya xa'), ['a']);
  assert.equal(regexpReplace(compileRegex('(?<!x)a', reAdvanced), 'xa ya', 'A', true), 'xa yA');
  assert.equal(test1('(?x) a b  # comment', 'ab'), true);
  assert.equal(test1('***=a.b', 'axb'), false);
  assert.equal(test1('***=a.b', 'a.b'), true);
  assert.equal(test1('a{', 'a{'), true);
  assert.equal(test1('(?#comment)ab', 'ab'), true);
});

test('invalid patterns fail with 2201B and PostgreSQL wording', () => {
  const cases: [string, string][] = [
    ['(a', 'parentheses () not balanced'],
    ['a)', 'parentheses () not balanced'],
    ['[a', 'brackets [] not balanced'],
    ['a{1', 'braces {} not balanced'],
    ['a{2,1}', 'invalid repetition count(s)'],
    ['a{256}', 'invalid repetition count(s)'],
    ['*a', 'quantifier operand invalid'],
    ['a**', 'quantifier operand invalid'],
    ['a(?i)b', 'quantifier operand invalid'],
    ['^*', 'quantifier operand invalid'],
    ['(?z)a', 'invalid embedded option'],
    ['a\\', 'invalid escape \\ sequence'],
    ['\\q', 'invalid escape \\ sequence'],
    ['[\\m]', 'invalid escape \\ sequence'],
    ['[[:foo:]]', 'invalid character class'],
    ['[z-a]', 'invalid character range'],
    ['[a-c-e]', 'invalid character range'],
    ['[[.bogus.]]', 'invalid collating element'],
    ['(a)\\2', 'invalid backreference number'],
    ['(?:a{255}){200}', 'regular expression is too complex'],
  ];
  for (const [pattern, message] of cases) {
    fails(() => compileRegex(pattern, reAdvanced), '2201B', `invalid regular expression: ${message}`);
  }
});

test('back-references and BRE syntax are refused with 0A000', () => {
  fails(
    () => compileRegex('(a)\\1', reAdvanced),
    '0A000',
    'back-references in regular expressions is not supported',
  );
  fails(() => compileRegex('(?b)a', reAdvanced), '0A000');
  // A syntax error later in the pattern is still reported as PostgreSQL reports it.
  fails(() => compileRegex('(a)\\1[', reAdvanced), '2201B');
});

test('ERE syntax: no escapes, a lone ) is literal', () => {
  assert.equal(test1('(?e)a)', 'a)'), true);
  assert.equal(test1('(?e)a\\d', 'ad'), true);
});

test('regexp_replace: replacement escapes, global, empty matches', () => {
  const re = (p: string): ReturnType<typeof compileRegex> => compileRegex(p, reAdvanced);
  assert.equal(regexpReplace(re('(b)'), 'abc', '[\\1\\2\\\\x\\&\\]', false), 'a[b\\xb\\]c');
  assert.equal(regexpReplace(re('(b)'), 'abc', 'x\\', false), 'ax\\c');
  assert.equal(regexpReplace(re('(\\w+) (\\w+)'), 'Hello World', '\\2 \\1', false), 'World Hello');
  assert.equal(regexpReplace(re('b'), 'abcabc', 'X', true), 'aXcaXc');
  assert.equal(regexpReplace(re('b'), 'abcabc', 'X', false), 'aXcabc');
  assert.equal(regexpReplace(re('x*'), 'abc', '-', true), '-a-b-c-');
  assert.equal(regexpReplace(re('^'), 'abc', '>', true), '>abc');
  assert.equal(regexpReplace(re('\\m'), 'foo bar', '|', true), '|foo |bar');
  assert.equal(regexpReplace(re('😀'), 'a😀b😀', '$', true), 'a$b$');
});

test('substring(text from pattern)', () => {
  const re = (p: string): ReturnType<typeof compileRegex> => compileRegex(p, reAdvanced);
  assert.equal(regexpSubstring(re('o+b'), 'foobar'), 'oob');
  assert.equal(regexpSubstring(re('o(b)'), 'foobar'), 'b');
  assert.equal(regexpSubstring(re('f(x)?o'), 'foo'), null);
  assert.equal(regexpSubstring(re('x'), 'foo'), null);
  assert.equal(regexpSubstring(re(''), 'foo'), '');
});

test('flags: PostgreSQL letters, 22023 for others', () => {
  assert.deepEqual(parseReFlags('gi'), { cflags: reAdvanced | reIcase, glob: true });
  assert.equal(parseReFlags('ic').cflags, reAdvanced);
  fails(() => parseReFlags('z'), '22023', 'invalid regular expression option: "z"');
});

test('SIMILAR TO translation (similar_escape)', () => {
  assert.equal(similarToRegex('a%b_c', null), '^(?:a.*b.c)$');
  assert.equal(similarToRegex('a.b^$', null), '^(?:a\\.b\\^\\$)$');
  assert.equal(similarToRegex('(a|b)', null), '^(?:(?:a|b))$');
  assert.equal(similarToRegex('\\d\\%', null), '^(?:\\d\\%)$');
  assert.equal(similarToRegex('a#%', '#'), '^(?:a\\%)$');
  assert.equal(similarToRegex('a\\b', ''), '^(?:a\\\\b)$');
  assert.equal(similarToRegex('[%\\]', null), '^(?:[%\\])$');
  assert.equal(similarToRegex('[%\\]', '#'), '^(?:[%\\\\])$');
  assert.equal(similarToRegex('a#"b#"c', '#'), '^(?:a){1,1}?(b){1,1}(?:c)$');
  fails(() => similarToRegex('a', 'xy'), '22025', 'invalid escape string');
  fails(() => similarToRegex('#"a#"b#"c', '#'), '2200C');
});

test('the compiled-pattern cache returns the same compiled pattern', () => {
  const cache = new RegexCache();
  const a = cache.get('a+b', reAdvanced);
  assert.equal(cache.get('a+b', reAdvanced), a);
  assert.notEqual(cache.get('a+b', reAdvanced | reIcase), a);
  for (let i = 0; i < 1000; i++) cache.get(`x${i}`, reAdvanced);
  assert.notEqual(cache.get('a+b', reAdvanced), a);
});

test('SQL functions: NULLs, operators, regexp_like, SIMILAR TO', () => {
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  regexFunctions(db);
  const one = (sql: string): unknown => db.prepare(sql).pluck().get();
  assert.equal(one("SELECT pg_regex_match('ABC', 'b', 1, 1)"), 1n);
  assert.equal(one("SELECT pg_regex_match('ABC', 'b', 0, 0)"), 1n);
  assert.equal(one("SELECT pg_regex_match(NULL, 'b', 0, 1)"), null);
  assert.equal(one("SELECT pg_regexp_like('Abc', 'aBC', 'i')"), 1n);
  assert.equal(one("SELECT pg_regexp_replace('abcabc', 'B', 'X', 'gi')"), 'aXcaXc');
  assert.equal(one("SELECT pg_regexp_replace('abc', 'b', 'X', NULL)"), null);
  assert.equal(one("SELECT pg_regexp_substr('XY1234Z', 'Y*?([0-9]{1,3})')"), '1');
  assert.equal(one("SELECT pg_similar('abc', 'a%', NULL, 1)"), 1n);
  assert.equal(one("SELECT pg_similar('5', '\\d', NULL, 1)"), 1n);
  assert.equal(one("SELECT pg_similar('ab', 'a|b', NULL, 1)"), 0n);
  assert.equal(one(`SELECT pg_regex_match('${'a'.repeat(30)}!', '(a+)+$', 0, 1)`), 0n);
  assert.throws(() => one("SELECT pg_regexp_like('a', 'a', 'g')"), /does not support the "global" option/);
  assert.throws(() => one("SELECT pg_regex_match('a', '(a', 0, 1)"), /parentheses \(\) not balanced/);
  db.close();
});
