// Per-session run-time parameters: SET, SHOW and RESET, with the values PostgreSQL 15 clients
// expect to find (and that the wire layer reports in ParameterStatus).

import { ChorusError } from '../errors.js';
import { isKeyword, type Token } from '../sql/lexer.js';
import { checkTimeZoneSetting } from '../sql/types/timezone/timezone.js';
import { pgServerVersion } from '../storage/sql-functions.js';

export const defaultSettings: Readonly<Record<string, string>> = {
  server_version: pgServerVersion,
  server_version_num: '150000',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  datestyle: 'ISO, MDY',
  intervalstyle: 'postgres',
  timezone: 'UTC',
  integer_datetimes: 'on',
  standard_conforming_strings: 'on',
  is_superuser: 'on',
  application_name: '',
  search_path: '"$user", public',
  transaction_isolation: 'serializable',
  default_transaction_isolation: 'serializable',
  default_transaction_read_only: 'off',
  transaction_read_only: 'off',
  statement_timeout: '0',
  lock_timeout: '0',
  extra_float_digits: '1',
  max_identifier_length: '63',
  lc_collate: 'C',
  lc_ctype: 'C',
  max_connections: '100',
};

/** Parameters the server reports to clients in ParameterStatus at startup (PostgreSQL's list). */
export const reportedSettings = [
  'server_version',
  'server_encoding',
  'client_encoding',
  'application_name',
  'datestyle',
  'intervalstyle',
  'integer_datetimes',
  'standard_conforming_strings',
  'timezone',
  'is_superuser',
];

/** Canonical display names (SHOW prints the name as PostgreSQL spells it). */
const displayName: Record<string, string> = {
  datestyle: 'DateStyle',
  intervalstyle: 'IntervalStyle',
  timezone: 'TimeZone',
};

export function settingDisplayName(name: string): string {
  return displayName[name] ?? name;
}

export class SessionSettings {
  private readonly values = new Map<string, string>();

  constructor(startup: Record<string, string>) {
    for (const [k, v] of Object.entries(startup)) {
      const key = k.toLowerCase();
      if (key === 'user' || key === 'database' || key === 'options' || key === 'replication') continue;
      this.values.set(key, v);
    }
  }

  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.values.get(key) ?? defaultSettings[key];
  }

  /** SET [SESSION|LOCAL] name {TO|=} value[, ...] | SET TIME ZONE value */
  set(sig: Token[]): void {
    let i = 1;
    if (isKeyword(sig[i], 'SESSION', 'LOCAL')) i++;
    let name: string;
    if (isKeyword(sig[i], 'TIME') && isKeyword(sig[i + 1], 'ZONE')) {
      name = 'timezone';
      i += 2;
    } else if (isKeyword(sig[i], 'TRANSACTION', 'SESSION')) {
      return; // SET TRANSACTION ISOLATION LEVEL ... : accepted; every write transaction is serializable.
    } else {
      const parts: string[] = [];
      while (sig[i] && (sig[i]!.kind === 'ident' || sig[i]!.kind === 'qident' || sig[i]!.kind === 'dot')) {
        parts.push(sig[i]!.kind === 'qident' ? sig[i]!.value : sig[i]!.text);
        i++;
      }
      name = parts.join('').toLowerCase();
      if (!name) throw new ChorusError('42601', 'syntax error in SET');
      if (sig[i]?.text === '=' || isKeyword(sig[i], 'TO')) i++;
      else throw new ChorusError('42601', `syntax error at or near "${sig[i]?.text ?? 'end of input'}"`);
    }
    const value = sig
      .slice(i)
      .map((t) => (t.kind === 'string' || t.kind === 'qident' ? t.value : t.text))
      .join('')
      .replaceAll(',', ', ');
    if (isKeyword(sig[i], 'DEFAULT') || isKeyword(sig[i], 'LOCAL')) this.values.delete(name);
    else this.values.set(name, name === 'timezone' ? checkTimeZoneSetting(value) : value);
  }

  /** The reported settings (ParameterStatus) whose values differ from `before`. */
  changedReported(before: ReadonlyMap<string, string>): [string, string][] {
    const out: [string, string][] = [];
    for (const name of reportedSettings) {
      const v = this.get(name) ?? '';
      if (before.get(name) !== v) out.push([settingDisplayName(name), v]);
    }
    return out;
  }

  /** The current values of the reported settings. */
  reportedValues(): Map<string, string> {
    return new Map(reportedSettings.map((n) => [n, this.get(n) ?? '']));
  }

  reset(sig: Token[]): void {
    if (isKeyword(sig[1], 'ALL')) this.values.clear();
    else if (sig[1])
      this.values.delete((sig[1].kind === 'qident' ? sig[1].value : sig[1].text).toLowerCase());
  }

  show(sig: Token[]): [string, string] {
    if (isKeyword(sig[1], 'TIME') && isKeyword(sig[2], 'ZONE')) return ['TimeZone', this.get('timezone')!];
    const name = sig
      .slice(1)
      .map((t) => (t.kind === 'qident' ? t.value : t.text))
      .join('')
      .toLowerCase();
    const v = this.get(name);
    if (v === undefined) throw new ChorusError('42704', `unrecognized configuration parameter "${name}"`);
    return [settingDisplayName(name), v];
  }
}
