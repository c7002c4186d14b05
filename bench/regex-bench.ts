// Benchmarks the regex engine (src/sql/runtime/regex/): patterns that are exponential for a
// backtracking engine (timed here, never in tests), per-call cost of ~ and regexp_replace on short
// strings next to JavaScript's RegExp on the same pattern, and long texts. Information only: the exit
// code is 1 only if an answer is wrong. Run: `npm run build && node dist/bench/regex-bench.js`.
import { performance } from 'node:perf_hooks';
import { reAdvanced } from '../src/sql/runtime/regex/engine.js';
import { compileRegex, regexpReplace } from '../src/sql/runtime/regex.js';

let wrong = 0;
function check(what: string, got: unknown, want: unknown): void {
  if (got !== want) {
    wrong++;
    console.log(`WRONG ${what}: ${String(got)} (want ${String(want)})`);
  }
}

function timeOnce(fn: () => unknown): [unknown, number] {
  const t = performance.now();
  const v = fn();
  return [v, performance.now() - t];
}

console.log('pathological patterns (answer, ms including compile):');
for (const [pattern, text, want] of [
  ['(a+)+$', `${'a'.repeat(38)}!`, false],
  ['(a+)+$', `${'a'.repeat(100_000)}!`, false],
  ['^(a|aa)+$', `${'a'.repeat(100_000)}b`, false],
  ['(x+x+)+y', 'x'.repeat(100_000), false],
  ['^(a|b|ab)*c', 'ab'.repeat(500_000), false],
] as const) {
  const [got, ms] = timeOnce(() => {
    const re = compileRegex(pattern, reAdvanced);
    return re.test(re.subject(text));
  });
  check(pattern, got, want);
  console.log(
    `  ${pattern.padEnd(14)} on ${String(text.length).padStart(7)} chars: ${got} in ${ms.toFixed(1)} ms`,
  );
}

console.log('per call, short strings (µs): ~ / JavaScript RegExp.test / regexp_replace g');
for (const [pattern, js, text] of [
  ['^[a-z.]+@[a-z]+\\.com$', /^[a-z.]+@[a-z]+\.com$/, 'alan.turing@example.com'],
  ['foo', /foo/, 'the quick brown fox jumps over the lazy dog and foo'],
  ['(\\d+)-(\\d+)', /(\d+)-(\d+)/, 'call me at 555-1234 tomorrow please'],
] as const) {
  const re = compileRegex(pattern, reAdvanced);
  const calls = 100_000;
  let hits = 0;
  let t = performance.now();
  for (let i = 0; i < calls; i++) if (re.test(re.subject(text))) hits++;
  const ours = ((performance.now() - t) * 1000) / calls;
  t = performance.now();
  for (let i = 0; i < calls; i++) if (js.test(text)) hits++;
  const theirs = ((performance.now() - t) * 1000) / calls;
  t = performance.now();
  for (let i = 0; i < calls / 10; i++) regexpReplace(re, text, '<\\&>', true);
  const replace = ((performance.now() - t) * 1000) / (calls / 10);
  check(`${pattern} hits`, hits, 2 * calls);
  console.log(`  ${pattern.padEnd(24)} ${ours.toFixed(2)} / ${theirs.toFixed(2)} / ${replace.toFixed(2)}`);
}

const big = `${'lorem ipsum dolor sit amet '.repeat(40_000)}`;
const [count, ms] = timeOnce(
  () => regexpReplace(compileRegex('\\m\\w', reAdvanced), big, '#', true).split('#').length,
);
check('words', count, 5 * 40_000 + 1);
console.log(`regexp_replace('\\m\\w', g) over ${big.length} chars: ${ms.toFixed(0)} ms`);
process.exit(wrong > 0 ? 1 : 0);
