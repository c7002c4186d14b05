// Transaction control of a session: BEGIN / COMMIT / ROLLBACK (AND CHAIN), savepoints, read-only
// blocks, a block failed by an error (25P02), and a routed block that mirrors the primary's state.

import { wallClockUs } from '../clock/clock.js';
import { ChorusError } from '../errors.js';
import { commandTag } from '../sql/classify.js';
import { isKeyword, type Token } from '../sql/lexer.js';
import type { Prepared } from './planning/prepared.js';
import { result, type StatementResult } from './result.js';
import type { TxStatus } from './session-state.js';
import { SessionWrites } from './session-writes.js';
import type { SessionSettings } from './settings/settings.js';

/** Transaction blocks of a session, over its write path. */
export abstract class SessionTransactions extends SessionWrites {
  /** The routed transaction's state upstream is this session's. */
  protected mirror(status: TxStatus, committed: boolean): void {
    if (status === 'I') {
      if (this.state !== 'idle') {
        this.state = 'idle';
        this.txStartUs = null;
        this.readOnlyTx = false;
        this.endBlock(committed);
        if (committed) this.local.committed();
      }
      return;
    }
    if (this.state === 'idle') {
      this.txStartUs = wallClockUs();
      this.settings.begin(false);
    }
    this.state = status === 'T' ? 'tx' : 'failed';
  }

  /** An error found outside the session (e.g. bad COPY data) fails the open transaction block. */
  failTransaction(): void {
    this.onError();
  }

  protected onError(): void {
    if (this.state === 'tx') {
      this.state = 'failed';
      // Without savepoints nothing can be salvaged: free the writer for others right away.
      if (this.holdsWriter && this.savepoints === 0) this.releaseWriter(false);
    } else if (this.state === 'idle' && this.holdsWriter) {
      this.releaseWriter(false);
    }
  }

  /** SET TRANSACTION READ ONLY / READ WRITE (or SET transaction_read_only) in an open block. */
  protected setReadOnly(readOnly: boolean): void {
    if (readOnly) {
      this.readOnlyTx = true;
      this.settings.markReadOnly();
      return;
    }
    if (!this.readOnlyTx) return;
    if (this.txQueried)
      throw new ChorusError('25001', 'transaction read-write mode must be set before any query');
    this.readOnlyTx = false;
    this.settings.markReadWrite();
  }

  protected begin(sig: Token[], statementUs: bigint, chainedReadOnly?: boolean): StatementResult {
    const tag = isKeyword(sig[0], 'START') ? 'START TRANSACTION' : 'BEGIN';
    if (this.state !== 'idle') {
      return {
        ...result(tag, null),
        notices: [
          { severity: 'WARNING', code: '25001', message: 'there is already a transaction in progress' },
        ],
      };
    }
    this.state = 'tx';
    this.txQueried = false;
    this.readOnlySavepoints = [];
    this.txStartUs = statementUs;
    const mode = sig.findIndex((t, i) => isKeyword(t, 'READ') && isKeyword(sig[i + 1], 'ONLY', 'WRITE'));
    this.readOnlyTx =
      chainedReadOnly ??
      (mode >= 0
        ? isKeyword(sig[mode + 1], 'ONLY')
        : this.settings.get('default_transaction_read_only') === 'on');
    this.settings.begin(this.readOnlyTx);
    return result(tag, null);
  }

  protected async commit(): Promise<StatementResult> {
    if (this.state === 'idle')
      return {
        ...result('COMMIT', null),
        notices: [{ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' }],
      };
    const failed = this.state === 'failed';
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    const syncCommit = this.settings.get('synchronous_commit'); // a SET LOCAL one counts: read before the block ends
    this.endBlock(!failed);
    await this.awaitQuorum(this.releaseWriter(!failed), syncCommit, true);
    return result(failed ? 'ROLLBACK' : 'COMMIT', null);
  }

  /** A transaction block ended: its SET LOCALs, cursors and transaction-level locks end with it. */
  protected endBlock(committed: boolean): void {
    this.settings.end(committed);
    this.local.transactionEnded(committed);
  }

  protected rollback(): StatementResult {
    if (this.state === 'idle')
      return {
        ...result('ROLLBACK', null),
        notices: [{ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' }],
      };
    this.state = 'idle';
    this.txStartUs = null;
    this.readOnlyTx = false;
    this.endBlock(false);
    this.releaseWriter(false);
    return result('ROLLBACK', null);
  }

  protected async savepoint(p: Prepared): Promise<StatementResult> {
    const kind = p.cls.kind;
    if (this.state === 'idle') {
      throw new ChorusError(
        '25P01',
        `${kind === 'savepoint' ? 'SAVEPOINT' : kind === 'release' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT'} can only be used in transaction blocks`,
      );
    }
    const last = p.cls.sig[p.cls.sig.length - 1];
    const name = last?.kind === 'qident' ? last.value : (last?.text ?? '').toLowerCase();
    this.local.savepoint(kind, name);
    if (!this.holdsWriter && this.readOnlyTx) {
      if (readOnlySavepoint(this.readOnlySavepoints, this.settings, kind, name)) this.state = 'tx';
      return result(commandTag(p.cls, 0), null);
    }
    if (kind === 'savepoint' && !this.holdsWriter) await this.ensureWriter(false);
    if (!this.holdsWriter) throw new ChorusError('3B001', `savepoint "${name}" does not exist`);
    this.host.engine.writer.exec(p.execSql);
    if (kind === 'rollback_to') this.schema.temp?.rolledBack();
    if (kind === 'rollback_to' && this.schemaChanged) {
      // DDL after the savepoint was undone: this session's statements see the schema as it is now.
      this.host.writerCache.clear();
      this.schema.changed();
    }
    if (kind === 'savepoint') {
      this.savepoints++;
      this.settings.savepoint(name);
    } else if (kind === 'release') {
      this.savepoints = Math.max(0, this.savepoints - 1);
      this.settings.release(name);
    } else this.settings.rollbackTo(name);
    if (kind === 'rollback_to') this.state = 'tx';
    return result(commandTag(p.cls, 0), null);
  }
}

/** COMMIT / ROLLBACK [WORK | TRANSACTION] AND CHAIN (not AND NO CHAIN). */
export function andChain(sig: readonly Token[]): boolean {
  const i = sig.findIndex((t) => isKeyword(t, 'CHAIN'));
  return i > 0 && !isKeyword(sig[i - 1], 'NO');
}

/**
 * A savepoint in a read-only block that holds no writer: only its name (and settings) to keep.
 * True when it was a ROLLBACK TO (the block is no longer failed).
 */
function readOnlySavepoint(
  stack: string[],
  settings: Pick<SessionSettings, 'savepoint' | 'release' | 'rollbackTo'>,
  kind: string,
  name: string,
): boolean {
  if (kind === 'savepoint') {
    stack.push(name);
    settings.savepoint(name);
    return false;
  }
  const at = stack.lastIndexOf(name);
  if (at < 0) throw new ChorusError('3B001', `savepoint "${name}" does not exist`);
  if (kind === 'release') {
    stack.length = at;
    settings.release(name);
    return false;
  }
  stack.length = at + 1;
  settings.rollbackTo(name);
  return true;
}
