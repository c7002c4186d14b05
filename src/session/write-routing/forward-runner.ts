// Write routing on the primary: a forwarded client session runs in a real Session of the primary,
// opened as the client's user with its startup settings and given the settings it SET since.
// A routed result is held to a byte limit: past it the statement fails (54000) and is undone.

import { ChorusError } from '../../errors.js';
import {
  type ForwardedResult,
  type ForwardedSession,
  type ForwardedStatement,
  type ForwardRunner,
  rowBytes,
} from '../../replication/standby/write-forward.js';
import { isKeyword } from '../../sql/lexer.js';
import type { Prepared } from '../planning/prepared.js';
import type { BindValue } from '../read-protocol.js';
import type { StatementResult } from '../result.js';
import type { Session } from '../session.js';
import { encodeResult } from './write-route.js';

const dmlKinds = new Set(['insert', 'update', 'delete', 'merge']);

/** A data-changing statement that returns rows: run in a block of its own so a too-large result can undo it. */
function returnsChangedRows(p: Prepared): boolean {
  return dmlKinds.has(p.cls.kind) && p.cls.sig.some((t) => isKeyword(t, 'RETURNING'));
}

class ResultTooLarge extends ChorusError {
  constructor(limit: number) {
    super(
      '54000',
      `the result of a routed statement is larger than ${limit} bytes: the statement was undone`,
      {
        hint: 'Return fewer rows (or run the statement on the primary), or raise [ha] routed_result_bytes_max.',
      },
    );
  }
}

/** Run `body` in a transaction block of its own (when `wrap`): committed after, rolled back on an error. */
async function ownBlock(s: Session, wrap: boolean, body: () => Promise<void>): Promise<void> {
  if (!wrap) return body();
  const run = (sql: string) => s.execute(s.schema.planner.prepareOne(sql));
  await run('BEGIN');
  try {
    await body();
  } catch (e) {
    if (s.txStatus !== 'I') await run('ROLLBACK');
    throw e;
  }
  await run('COMMIT');
}

export function forwardRunner(
  openSession: (startup: Record<string, string>) => Session,
  closeSession: (s: Session) => void,
): ForwardRunner {
  return {
    open(user: string, startup: Record<string, string>): ForwardedSession {
      const s = openSession({ ...startup, user });
      /** The client block's SET LOCAL values: set before each statement that runs in a block. */
      let local: [string, string][] = [];
      const setLocal = (): void => {
        if (s.txStatus !== 'T') return;
        for (const [name, value] of local) s.settings.setConfig(name, value, true, true);
      };
      return {
        applySettings(settings, reset, blockLocal = []) {
          local = blockLocal;
          for (const name of reset) s.settings.setConfig(name, null, false, s.txStatus !== 'I');
          for (const [name, value] of settings) {
            if (name === 'transaction_read_only' || name.startsWith('default_transaction_'))
              s.settings.apply(`SET ${name} TO '${value.replaceAll("'", "''")}'`, s.txStatus !== 'I');
            else s.settings.setConfig(name, value, false, s.txStatus !== 'I');
          }
        },
        async run(
          stmt: ForwardedStatement,
          resultBytesMax: number,
          onResult: (r: ForwardedResult, rows: unknown[][]) => void,
        ) {
          setLocal(); // before planning: search_path and the like decide what the statement names
          let bytes = 0;
          const send = (r: StatementResult): void => {
            for (const row of r.rows) {
              bytes += rowBytes(row);
              if (bytes > resultBytesMax) throw new ResultTooLarge(resultBytesMax);
            }
            onResult(encodeResult(r), r.rows);
          };
          try {
            if (Array.isArray(stmt.batch)) {
              // A chunk of COPY FROM rows: one plan, run once per row, one result.
              const p = s.schema.planner.prepareOne(stmt.text, stmt.oids);
              for (const row of stmt.batch) await s.execute(p, row as BindValue[]);
              send({ tag: `COPY ${stmt.batch.length}`, columns: null, rows: [], notices: [] });
              return;
            }
            if (stmt.simple) {
              const items = s.schema.planner.planSimple(stmt.text);
              const wrap = items.length === 1 && s.txStatus === 'I' && returnsChangedRows(items[0]!.prepared);
              await ownBlock(s, wrap, () => s.executeSimple(items, send));
              return;
            }
            const p = s.schema.planner.prepareOne(stmt.text, stmt.oids);
            await ownBlock(s, s.txStatus === 'I' && returnsChangedRows(p), async () =>
              send(await s.execute(p, stmt.params as BindValue[])),
            );
          } catch (e) {
            // Found after the statement ran: the client's block fails, as for any error in it.
            if (e instanceof ResultTooLarge && s.txStatus === 'T') s.failTransaction();
            throw e;
          }
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
