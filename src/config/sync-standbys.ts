// The primary's commit acknowledgement rule ([ha] sync_mode and synchronous_standby_names, in
// PostgreSQL's spelling): which standbys count and how many must hold a commit before the client
// hears of it. Pure parsing, so a bad setting is refused at start with the key named.

import { ConfigError } from '../errors.js';

/**
 * async: on the primary's commit; semi-sync: once a standby received it; sync: once it applied it;
 * quorum: once a majority of the cluster's data nodes (the primary one of them) hold it durably.
 */
export type SyncMode = 'async' | 'semi-sync' | 'sync' | 'quorum';

export interface SyncStandbys {
  /** FIRST: the k highest-priority connected standbys must all hold it; ANY: any k of those named. */
  method: 'first' | 'any';
  k: number;
  /** Standby node ids in priority order, matched case-insensitively; ['*'] matches every standby. */
  names: string[];
}

/** Standbys one synchronous_standby_names may list. */
export const syncStandbyNamesMax = 64;
/** The most standbys a commit may wait for (k of `ANY k (*)`). */
export const syncStandbysCountMax = 256;

const aliases: Record<string, SyncMode> = {
  async: 'async',
  asynchronous: 'async',
  'semi-sync': 'semi-sync',
  semi_sync: 'semi-sync',
  semisync: 'semi-sync',
  'semi-synchronous': 'semi-sync',
  sync: 'sync',
  synchronous: 'sync',
  quorum: 'quorum',
};

export function normalizeSyncMode(value: string): SyncMode {
  const mode = aliases[value.trim().toLowerCase()];
  if (!mode)
    throw new ConfigError(`ha.sync_mode: "${value}" is not a sync mode`, {
      hint: 'Use async, semi-sync, sync or quorum (or asynchronous / synchronous).',
    });
  return mode;
}

const nameRe = /^(\*|"[^"]+"|[A-Za-z0-9_.-]+)$/;

/**
 * Parses synchronous_standby_names: `FIRST k (s1, s2, ...)`, `ANY k (s1, ...)`, `k (s1, ...)`
 * (= FIRST), or a bare list `s1, s2` (= FIRST 1). Unset means ANY 1 (*): any one standby.
 */
export function parseSyncStandbys(text: string | undefined): SyncStandbys {
  if (text === undefined || text.trim() === '') return { method: 'any', k: 1, names: ['*'] };
  const bad = (why: string): never => {
    throw new ConfigError(`ha.synchronous_standby_names = "${text}": ${why}`, {
      hint: "Write it as PostgreSQL does: 'FIRST 1 (s1, s2)', 'ANY 2 (s1, s2, s3)' or 's1, s2'.",
    });
  };
  const m = /^\s*(?:(first|any)\s+)?(?:(\d+)\s*\(\s*(.*?)\s*\)|(.*?))\s*$/is.exec(text);
  if (!m) return bad('cannot parse it');
  const [, methodWord, kText, listInParens, bareList] = m;
  if (methodWord && kText === undefined)
    return bad(`${methodWord.toUpperCase()} needs a count and a list in parentheses`);
  const list = (listInParens ?? bareList ?? '').split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !nameRe.test(s))) return bad('every name must be a node id or *');
  if (list.length > syncStandbyNamesMax) return bad(`more than ${syncStandbyNamesMax} names`);
  const names = list.map((s) => s.replace(/^"|"$/g, ''));
  // Standby names compare case-insensitively (as in PostgreSQL): PG-B and pg-b are one standby.
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) return bad('a name is listed twice');
  if (names.includes('*') && names.length > 1) return bad('* stands alone');
  const k = kText === undefined ? 1 : Number(kText);
  if (!Number.isSafeInteger(k) || k > syncStandbysCountMax)
    return bad(`the count is too large (at most ${syncStandbysCountMax})`);
  if (k < 1) return bad('the count must be at least 1');
  if (!names.includes('*') && k > names.length)
    return bad(`it waits for ${k} standbys but names ${names.length}`);
  return { method: methodWord?.toLowerCase() === 'any' ? 'any' : 'first', k, names };
}
