// PostgreSQL 19's `WAIT FOR LSN 'lsn' [WITH (TIMEOUT 't', NO_THROW, MODE 'm')]` (and the shorter
// `WAIT FOR LSN 'lsn' [TIMEOUT ms]`): a standby waits until it applied a position of its primary's
// history. PostgreSQL 15's parser does not know the statement, so it is read from its tokens here.

import { ChorusError, FeatureNotSupportedError, SyntaxError42601 } from '../../errors.js';
import { isTrivia, type StatementText, type Token } from '../../sql/lexer.js';
import { T } from '../../sql/types/pg-types.js';
import type { StatementResult } from '../result.js';

/** The longest wait WAIT FOR takes (no timeout, or 0, waits this long: PostgreSQL waits forever). */
export const waitForLsnMsMax = 3_600_000;

export interface WaitForLsn {
  kind: 'wait_for_lsn';
  lsn: number;
  /** Milliseconds; 0 = as long as waitForLsnMsMax. */
  timeoutMs: number;
  /** NO_THROW: a timeout or a node not in recovery answers a status instead of an error. */
  noThrow: boolean;
}

/** What WAIT FOR needs of the node: a standby's applied position and a wait on it (null elsewhere). */
export interface ReplayPosition {
  position(): number;
  waitFor(lsn: number, timeoutMs: number): Promise<boolean>;
}

/** `WAIT` is the first word (cheap check, for statement.ts). */
export function isWaitFor(s: StatementText): boolean {
  const first = s.tokens.find((t) => !isTrivia(t));
  return first?.kind === 'ident' && first.value === 'WAIT';
}

/**
 * A ChorusDB position as text: its number (the primary's commit count, as the views show it) or
 * PostgreSQL's pg_lsn form 'X/Y' (hex), read as X * 2^32 + Y.
 */
export function parseLsn(text: string): number {
  const bad = (): never => {
    throw new ChorusError('22P02', `invalid input syntax for type pg_lsn: "${text}"`);
  };
  const t = text.trim();
  let n: number;
  if (/^\d{1,16}$/.test(t)) n = Number(t);
  else {
    const m = /^([0-9a-f]{1,8})\/([0-9a-f]{1,8})$/i.exec(t);
    if (!m) return bad();
    n = Number.parseInt(m[1]!, 16) * 2 ** 32 + Number.parseInt(m[2]!, 16);
  }
  return Number.isSafeInteger(n) ? n : bad();
}

/** A position in pg_lsn's text form ('0/0000002A' for 42), for messages as PostgreSQL prints them. */
export function lsnText(n: number): string {
  const hi = Math.floor(n / 2 ** 32);
  const lo = n % 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** A timeout as PostgreSQL's time settings read it: a number of ms, or with a unit ('2s', '100ms'). */
function timeoutOf(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(text);
  if (!m) throw new ChorusError('22023', `invalid value for parameter "timeout": "${text}"`);
  const unit = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  const ms = Math.round(Number(m[1]) * unit);
  if (ms > waitForLsnMsMax)
    throw new ChorusError(
      '22023',
      `timeout ${ms} ms is more than WAIT FOR takes here (${waitForLsnMsMax} ms)`,
    );
  return ms;
}

/** Parses WAIT FOR; 42601 for anything else that starts with WAIT. */
export function parseWaitFor(s: StatementText): WaitForLsn {
  const sig = s.tokens.filter((t) => !isTrivia(t) && t.kind !== 'semi');
  let i = 0;
  const at = (): Token | undefined => sig[i];
  const syntax = (): never => {
    const t = at();
    throw new SyntaxError42601(t ? `syntax error at or near "${t.text}"` : 'syntax error at end of input', {
      position: t ? [...s.sql.slice(0, t.start)].length + 1 : [...s.sql].length + 1,
    });
  };
  const word = (w: string): boolean => at()?.kind === 'ident' && at()!.value === w && ++i > 0;
  const expect = (w: string): void => {
    if (!word(w)) syntax();
  };
  const text = (kinds: Token['kind'][]): string => {
    const t = at();
    if (!t || !kinds.includes(t.kind)) return syntax();
    i++;
    return t.kind === 'string' ? t.value : t.text;
  };
  expect('WAIT');
  expect('FOR');
  expect('LSN');
  const out: WaitForLsn = {
    kind: 'wait_for_lsn',
    lsn: parseLsn(text(['string'])),
    timeoutMs: 0,
    noThrow: false,
  };
  if (word('TIMEOUT')) out.timeoutMs = timeoutOf(text(['number', 'string']));
  else if (word('WITH')) {
    if (at()?.kind !== 'lparen') syntax();
    i++;
    for (;;) {
      if (word('TIMEOUT')) out.timeoutMs = timeoutOf(text(['number', 'string']));
      else if (word('NO_THROW')) out.noThrow = true;
      else if (word('MODE')) {
        const mode = text(['string']).toLowerCase();
        // A standby writes a transaction to disk by applying it: flushed = replayed here.
        if (mode !== 'standby_replay' && mode !== 'standby_flush')
          throw new FeatureNotSupportedError(`WAIT FOR LSN ... MODE '${mode}'`, {
            hint: "ChorusDB waits for a standby's applied position: MODE 'standby_replay' (or 'standby_flush').",
          });
      } else syntax();
      if (at()?.kind === 'comma') i++;
      else break;
    }
    if (at()?.kind !== 'rparen') syntax();
    i++;
  }
  if (at()) syntax();
  return out;
}

/** Runs WAIT FOR: one row, `status` = success | timeout | not in recovery, as PostgreSQL 19 answers. */
export async function runWaitFor(
  st: WaitForLsn,
  standby: ReplayPosition | null,
  inBlock: boolean,
): Promise<StatementResult> {
  const status = (v: string): StatementResult => ({
    tag: 'WAIT',
    columns: [{ name: 'status', declType: null, table: null, pgType: { type: T.text, typmod: -1 } }],
    rows: [[v]],
    notices: [],
  });
  if (inBlock)
    throw new ChorusError('25001', 'WAIT FOR cannot run inside a transaction block', {
      hint: 'A ChorusDB transaction reads the snapshot it took when it began: wait before BEGIN.',
    });
  if (!standby) {
    if (st.noThrow) return status('not in recovery');
    throw new ChorusError('55000', 'recovery is not in progress', {
      hint: 'Waiting for the replay LSN can only be executed during recovery (on a standby).',
    });
  }
  if (await standby.waitFor(st.lsn, st.timeoutMs > 0 ? st.timeoutMs : waitForLsnMsMax))
    return status('success');
  if (st.noThrow) return status('timeout');
  throw new ChorusError(
    '57014',
    `timed out while waiting for target LSN ${lsnText(st.lsn)} to be replayed; current standby_replay LSN ${lsnText(standby.position())}`,
  );
}
