// The Prepared form of a session statement (see statement.ts): routed to the session itself,
// with the $n parameters its arguments use. Plans of these depend on no schema.

import { classify } from '../../sql/classify.js';
import type { StatementText } from '../../sql/lexer.js';
import type { Prepared } from '../planning/prepared.js';
import { type LocalArg, localStatementOf } from './statement.js';

/** A session statement's Prepared, or null when the text is not one. */
export function prepareLocal(s: StatementText): Prepared | null {
  const local = localStatementOf(s);
  if (!local) return null;
  const args: LocalArg[] =
    local.kind === 'advisory'
      ? [
          ...local.settings.flatMap((c) => [c.name, c.value, c.isLocal]),
          ...local.calls.flatMap((c) => c.args),
        ]
      : local.kind === 'execute'
        ? local.args
        : local.kind === 'notification' && local.st.kind === 'notify-call'
          ? [local.st.channel, local.st.payload]
          : [];
  const paramCount = Math.max(0, ...args.map((a) => ('param' in a ? a.param : 0)));
  return {
    text: s.sql,
    tokens: s.tokens,
    cls: classify(s.tokens),
    route: { type: 'session' },
    execSql: '',
    paramStyle: paramCount > 0 ? 'dollar' : 'none',
    paramCount,
    mayBlock: false,
    viewColumnTypes: null,
    local,
  };
}
