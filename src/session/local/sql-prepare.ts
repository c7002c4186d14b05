// SQL-level prepared statements (PREPARE name [(types)] AS ..., EXECUTE name (args), DEALLOCATE):
// the session's named plans, made at PREPARE (errors then, as in PostgreSQL) and re-made after DDL.

import { ChorusError } from '../../errors.js';
import type { Prepared } from '../planning/prepared.js';
import type { BindValue } from '../read-protocol.js';
import type { LocalArg } from './statement.js';

/** SQL prepared statements one session may hold. */
export const sqlPreparedStatementsMax = 10_000;

export type SqlPrepared = Map<string, Prepared>;

export function prepareNamed(store: SqlPrepared, name: string, plan: () => Prepared): void {
  if (store.has(name)) throw new ChorusError('42P05', `prepared statement "${name}" already exists`);
  if (store.size >= sqlPreparedStatementsMax)
    throw new ChorusError('54000', `too many prepared statements (limit ${sqlPreparedStatementsMax})`);
  store.set(name, plan());
}

/** The statement EXECUTE names and its arguments as parameter values (text, read by their types). */
export function executePrepared(
  store: SqlPrepared,
  name: string,
  args: readonly LocalArg[],
  params: readonly BindValue[],
): { prepared: Prepared; values: BindValue[] } {
  const prepared = store.get(name);
  if (!prepared) throw new ChorusError('26000', `prepared statement "${name}" does not exist`);
  if (args.length !== prepared.paramCount)
    throw new ChorusError('42601', `wrong number of parameters for prepared statement "${name}"`, {
      detail: `Expected ${prepared.paramCount} parameters but got ${args.length}.`,
    });
  const values = args.map((a) => ('param' in a ? (params[a.param - 1] ?? null) : a.text));
  return { prepared, values };
}

export function deallocate(store: SqlPrepared, name: string | null): void {
  if (name === null) store.clear();
  else if (!store.delete(name)) throw new ChorusError('26000', `prepared statement "${name}" does not exist`);
}
