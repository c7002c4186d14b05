// Write routing on the primary: a forwarded client session runs in a real Session of the primary,
// opened as the client's user with its startup settings and given the settings it SET since.

import type {
  ForwardedResult,
  ForwardedSession,
  ForwardedStatement,
  ForwardRunner,
} from '../replication/standby/write-forward.js';
import type { BindValue } from './read-protocol.js';
import type { Session } from './session.js';
import { encodeResult } from './write-route.js';

export function forwardRunner(
  openSession: (startup: Record<string, string>) => Session,
  closeSession: (s: Session) => void,
): ForwardRunner {
  return {
    open(user: string, startup: Record<string, string>): ForwardedSession {
      const s = openSession({ ...startup, user });
      return {
        applySettings(settings, reset) {
          for (const name of reset) s.settings.setConfig(name, null, false, s.txStatus !== 'I');
          for (const [name, value] of settings) {
            if (name === 'transaction_read_only' || name.startsWith('default_transaction_'))
              s.settings.apply(`SET ${name} TO '${value.replaceAll("'", "''")}'`, s.txStatus !== 'I');
            else s.settings.setConfig(name, value, false, s.txStatus !== 'I');
          }
        },
        async run(stmt: ForwardedStatement, onResult: (r: ForwardedResult, rows: unknown[][]) => void) {
          const send = (r: import('./result.js').StatementResult): void => onResult(encodeResult(r), r.rows);
          if (stmt.simple) {
            await s.executeSimple(s.schema.planner.planSimple(stmt.text), send);
            return;
          }
          const p = s.schema.planner.prepareOne(stmt.text, stmt.oids);
          send(await s.execute(p, stmt.params as BindValue[]));
        },
        get txStatus() {
          return s.txStatus;
        },
        get lastCommitLsn() {
          return s.lastCommitLsn;
        },
        cancel() {
          s.cancel();
        },
        close() {
          closeSession(s);
        },
      };
    },
  };
}
