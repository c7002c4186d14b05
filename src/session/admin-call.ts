// A direct call of a replicate.* function (`SELECT replicate.f(...)`): its arguments bound from
// literals and client parameters, the function run, its rows described as a statement result.

import type { AdminCallContext, AdminRegistry, AdminValue } from '../admin/registry.js';
import { ChorusError } from '../errors.js';
import type { Prepared } from './planning/prepared.js';
import type { BindValue } from './read-protocol.js';
import type { StatementResult } from './result.js';

/** A direct call of a replicate.* function: bind its arguments, run it, describe its result. */
export async function runAdminCall(
  registry: AdminRegistry,
  user: string,
  p: Prepared,
  params: readonly BindValue[],
  session?: AdminCallContext['session'],
): Promise<StatementResult> {
  if (p.route.type !== 'admin-call') throw new ChorusError('XX000', 'not an admin call');
  const resolve = (a: { value: AdminValue } | { param: number }): AdminValue =>
    'value' in a ? a.value : toAdminValue(params[a.param - 1]);
  const { fn, alias } = p.route;
  const args = registry.bindArguments(
    fn,
    p.route.positional.map(resolve),
    new Map([...p.route.named].map(([k, a]) => [k, resolve(a)])),
  );
  const rows = (await fn.run(args, session ? { user, session } : { user })).map((r) =>
    r.map((v) => (typeof v === 'boolean' ? (v ? 1n : 0n) : v)),
  );
  return {
    tag: `SELECT ${rows.length}`,
    columns: fn.columns.map((c) => ({
      name: alias !== undefined && fn.columns.length === 1 ? alias : c.name,
      declType: null,
      table: `replicate.${fn.name}`,
      adminType: c.type,
    })),
    rows,
    notices: [],
  };
}

export function toAdminValue(v: BindValue | undefined): AdminValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}
