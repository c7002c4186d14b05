// Read-your-writes tokens in SQL: replicate.last_commit_lsn() (the calling session's last commit,
// local or routed, as the primary numbers its commits) and replicate.wait_for_lsn(lsn, timeout_ms).

import { ChorusError } from '../errors.js';
import type { AdminCallContext, AdminRegistry, AdminValue } from './registry.js';
import { cols, int8 } from './replication-views.js';

/** Longest wait replicate.wait_for_lsn() accepts. */
export const waitForLsnTimeoutMsMax = 3_600_000;

function session(ctx: AdminCallContext | undefined): NonNullable<AdminCallContext['session']> {
  if (!ctx?.session) throw new ChorusError('0A000', 'this function is only supported as a direct call');
  return ctx.session;
}

function count(v: AdminValue, name: string): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new ChorusError('22023', `${name} must be a non-negative integer`);
  return n;
}

export function registerLsnFunctions(registry: AdminRegistry): void {
  registry.addFunction({
    name: 'last_commit_lsn',
    params: [],
    mutates: false,
    columns: cols('last_commit_lsn int8'),
    run: (_args, ctx) => [[int8(session(ctx).lastCommitLsn)]],
  });
  registry.addFunction({
    name: 'wait_for_lsn',
    params: [{ name: 'lsn' }, { name: 'timeout_ms', default: 5000n }],
    mutates: false,
    columns: cols('wait_for_lsn bool'),
    run: async ([lsn, timeout], ctx) => {
      const ms = count(timeout ?? 0n, 'timeout_ms');
      if (ms > waitForLsnTimeoutMsMax)
        throw new ChorusError('22023', `timeout_ms must be at most ${waitForLsnTimeoutMsMax}`);
      return [[await session(ctx).waitForLsn(count(lsn ?? null, 'lsn'), ms)]];
    },
  });
}
