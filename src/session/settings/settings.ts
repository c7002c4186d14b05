// Per-session run-time parameters: SET, SET LOCAL, RESET and SHOW with PostgreSQL's rules. A SET
// inside a transaction block is undone if the block rolls back (or rolls back to a savepoint
// taken before it); SET LOCAL lasts until the block ends; values are checked and printed as
// PostgreSQL checks and prints them (setting-defs.ts says which values ChorusDB honours).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { nodeOf, parseSql } from '../../sql/parse/parser.js';
import type { Notice } from '../result.js';
import { plannerSetting, type SettingDef, settingDefs } from './setting-defs.js';

/** Parameters the server reports to clients in ParameterStatus (PostgreSQL's list). */
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

export function settingDisplayName(name: string): string {
  return settingDefs.get(name)?.display ?? name;
}

/** What a SET TRANSACTION (or transaction_read_only) asks of the open transaction. */
export interface TransactionRequest {
  readOnly?: boolean;
}

type Values = Map<string, string>;

interface Snapshot {
  name: string;
  values: Values;
  local: Values;
}

/**
 * Settings with a second name: ChorusDB's `chorus.synchronous_commit` is PostgreSQL's
 * `synchronous_commit` (one value, SET / SHOW / RESET under either name).
 */
const settingAliases: ReadonlyMap<string, string> = new Map([
  ['chorus.synchronous_commit', 'synchronous_commit'],
]);

/** The (lower-case) name a SHOW statement names: `all`, or a setting as written. */
function shownName(sql: string): string {
  const [, body] = nodeOf(parseSql(sql)[0]!.stmt);
  return ((body as P.VariableShowStmt).name ?? '').toLowerCase();
}

/** The columns a SHOW statement returns (a Describe of it before it runs). */
export function showColumns(sql: string): string[] {
  const name = shownName(sql);
  return name === 'all' ? ['name', 'setting', 'description'] : [settingDisplayName(name)];
}

/** The setting a (lower-case) name stands for. */
function canonical(key: string): string {
  return settingAliases.get(key) ?? key;
}

function defOf(name: string): SettingDef | undefined {
  return settingDefs.get(name) ?? plannerSetting(name);
}

/** A value as PostgreSQL flattens SET's arguments: a list joined with ", ", identifiers quoted in lists. */
function settingValue(args: readonly P.Node[], name: string): string {
  const parts = args.map((a) => {
    const [tag, body] = nodeOf(a);
    if (tag === 'A_Const') {
      const c = body as P.A_Const;
      if (c.sval) return c.sval.sval ?? '';
      if (c.ival) return String(c.ival.ival ?? 0);
      if (c.fval) return c.fval.fval ?? '';
      if (c.boolval) return c.boolval.boolval ? 'on' : 'off';
    }
    if (tag === 'TypeCast' && name === 'timezone') {
      // SET TIME ZONE INTERVAL '...': what PostgreSQL hands check_timezone.
      const arg = (body as P.TypeCast).arg;
      const s = arg ? (nodeOf(arg)[1] as P.A_Const).sval?.sval : undefined;
      if (s !== undefined) return `INTERVAL '${s}'`;
    }
    throw new ChorusError('42601', `invalid value for parameter "${name}"`);
  });
  if (parts.length > 1 && name === 'search_path')
    return parts.map((p) => (/^[a-z_][a-z0-9_]*$/.test(p) ? p : `"${p.replaceAll('"', '""')}"`)).join(', ');
  return parts.join(', ');
}

/**
 * The startup packet's `options` (libpq's PGOPTIONS): `-c name=value` and `--name=value`, separated
 * by spaces (a backslash keeps the next character, as in PostgreSQL's pg_split_opts).
 */
export function commandLineOptions(options: string): [string, string][] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < options.length; i++) {
    const c = options[i]!;
    if (c === '\\' && i + 1 < options.length) {
      word += options[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === '-c') w = words[++i] ?? '';
    else if (w.startsWith('-c')) w = w.slice(2);
    else if (w.startsWith('--')) w = w.slice(2);
    else throw new ChorusError('42601', `invalid command-line argument for server process: ${w}`);
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ChorusError('42601', `invalid command-line argument for server process: ${w}`);
    // PostgreSQL reads '-' in a name as '_'.
    out.push([w.slice(0, eq).replaceAll('-', '_').toLowerCase(), w.slice(eq + 1)]);
  }
  return out;
}

export class SessionSettings {
  /** Values set for the session (and by the open block, undone if it rolls back). */
  private values: Values = new Map();
  /** SET LOCAL values of the open block. */
  private local: Values = new Map();
  /** The session's values when the open block began; null outside a block. */
  private atBegin: Values | null = null;
  private savepoints: Snapshot[] = [];

  /** Values the connection's startup packet gave (what RESET returns to). */
  private startup: Values = new Map();
  /** Custom settings (`a.b`) set once: they stay defined, empty, as PostgreSQL's placeholders do. */
  private placeholders = new Set<string>();
  /** Before set_config() changed settings in a statement outside a block (undone if it fails). */
  private statementBefore: { values: Values; local: Values; placeholders: Set<string> } | null = null;

  constructor(startup: Record<string, string>) {
    const given: [string, string][] = [];
    for (const [k, v] of Object.entries(startup)) {
      const key = k.toLowerCase();
      if (key === 'options') given.push(...commandLineOptions(v));
      else if (key !== 'user' && key !== 'database' && key !== 'replication') given.push([key, v]);
    }
    for (const [k, v] of given) {
      const key = canonical(k);
      this.startup.set(key, this.checked(key, v));
    }
  }

  /** Values SET for the session (not the startup packet's), for write routing to replay upstream. */
  sessionValues(): ReadonlyMap<string, string> {
    return this.values;
  }

  /**
   * The open block's SET LOCAL values, for write routing to replay upstream (not its transaction
   * modes: the primary's block has its own).
   */
  localValues(): [string, string][] {
    return [...this.local].filter(
      ([k]) => !k.startsWith('transaction_') && !k.startsWith('default_transaction_'),
    );
  }

  get(name: string): string | undefined {
    const key = canonical(name.toLowerCase());
    // Outside a block, the mode the next transaction would take.
    if (key === 'transaction_read_only' && !this.local.has(key))
      return this.get('default_transaction_read_only');
    return (
      this.local.get(key) ??
      this.values.get(key) ??
      this.startup.get(key) ??
      defOf(key)?.default ??
      (this.placeholders.has(key) ? '' : undefined)
    );
  }

  /**
   * set_config(name, value, is_local): SET (or SET LOCAL) from inside a statement; a NULL value
   * resets. Outside a block the change is undone if the statement fails, and a local one ends with
   * the statement (see statementEnded). Returns the value as current_setting() shows it.
   */
  setConfig(name: string, value: string | null, isLocal: boolean, inBlock: boolean): string {
    const key = canonical(name.toLowerCase());
    if (key === 'transaction_read_only' || key.startsWith('default_transaction_')) {
      throw new FeatureNotSupportedError(`set_config() of ${key}`, { hint: 'Use SET TRANSACTION or SET.' });
    }
    const v =
      value === null
        ? (this.startup.get(key) ?? (key.includes('.') ? '' : (defOf(key)?.default ?? '')))
        : this.checked(key, value);
    if (value === null) this.checked(key, v);
    if (!inBlock && this.statementBefore === null) {
      this.statementBefore = {
        values: new Map(this.values),
        local: new Map(this.local),
        placeholders: new Set(this.placeholders),
      };
    }
    if (key.includes('.')) this.placeholders.add(key);
    if (isLocal) this.local.set(key, v);
    else {
      this.local.delete(key);
      this.values.set(key, v);
    }
    return this.get(key) ?? v;
  }

  /** A statement outside a block ended: set_config()'s changes stay if it succeeded (not local ones). */
  statementEnded(ok: boolean): void {
    const before = this.statementBefore;
    if (before === null) return;
    this.statementBefore = null;
    if (!ok) {
      this.values = before.values;
      this.placeholders = before.placeholders;
    }
    this.local = before.local;
  }

  /** A value for `name` as SET would store it; 42704 / 55P02 / 22023 / 0A000 as PostgreSQL. */
  private checked(name: string, value: string): string {
    if (name.includes('.')) return value;
    const def = defOf(name);
    if (!def) throw new ChorusError('42704', `unrecognized configuration parameter "${name}"`);
    if (def.fixed) throw new ChorusError('55P02', `parameter "${name}" cannot be changed`);
    return def.check ? def.check(value, this.get(name) ?? def.default) : value;
  }

  /**
   * SET / RESET (VariableSetStmt). `inBlock`: a transaction block is open. Returns its notices
   * and what it asks of the open transaction (SET TRANSACTION READ ONLY).
   */
  apply(sql: string, inBlock: boolean): { notices: Notice[]; transaction?: TransactionRequest } {
    const [tag, body] = nodeOf(parseSql(sql)[0]!.stmt);
    if (tag !== 'VariableSetStmt') throw new ChorusError('42601', 'not a SET statement');
    const s = body as P.VariableSetStmt;
    const name = canonical((s.name ?? '').toLowerCase());
    switch (s.kind) {
      case 'VAR_RESET_ALL':
        this.values.clear();
        this.local.clear();
        return { notices: [] };
      case 'VAR_SET_MULTI':
        return this.characteristics(name, s.args ?? [], inBlock);
      default:
    }
    if (s.is_local && !inBlock) {
      return {
        notices: [
          { severity: 'WARNING', code: '25P01', message: 'SET LOCAL can only be used in transaction blocks' },
        ],
      };
    }
    const reset = s.kind === 'VAR_RESET' || s.kind === 'VAR_SET_DEFAULT';
    const value = reset ? null : this.checked(name, settingValue(s.args ?? [], name));
    if (reset) this.checked(name, this.startup.get(name) ?? defOf(name)?.default ?? '');
    if (name === 'transaction_read_only') {
      if (!inBlock) return { notices: [] };
      return { notices: [], transaction: { readOnly: value === 'on' } };
    }
    if (name.includes('.')) this.placeholders.add(name);
    const target = s.is_local ? this.local : this.values;
    if (!s.is_local) this.local.delete(name);
    if (value === null) target.delete(name);
    else target.set(name, value);
    return { notices: [] };
  }

  /** SET TRANSACTION ... / SET SESSION CHARACTERISTICS AS TRANSACTION ... */
  private characteristics(
    what: string,
    args: readonly P.Node[],
    inBlock: boolean,
  ): { notices: Notice[]; transaction?: TransactionRequest } {
    const session = what === 'session characteristics';
    if (!session && !inBlock) {
      return {
        notices: [
          {
            severity: 'WARNING',
            code: '25P01',
            message: 'SET TRANSACTION can only be used in transaction blocks',
          },
        ],
      };
    }
    const request: TransactionRequest = {};
    for (const a of args) {
      const d = nodeOf(a)[1] as P.DefElem;
      const c = d.arg ? (nodeOf(d.arg)[1] as P.A_Const) : undefined;
      const v = c?.sval?.sval ?? String(c?.ival?.ival ?? 0);
      const name = d.defname ?? '';
      const value = this.checked(name, name === 'transaction_read_only' ? (v === '1' ? 'on' : 'off') : v);
      if (session) this.values.set(`default_${name}`, this.checked(`default_${name}`, value));
      else if (name === 'transaction_read_only') request.readOnly = value === 'on';
      else this.local.set(name, value);
    }
    return session ? { notices: [] } : { notices: [], transaction: request };
  }

  /** SHOW name (VariableShowStmt); SHOW ALL lists every parameter. */
  show(sql: string): { columns: string[]; rows: string[][] } {
    const name = shownName(sql);
    if (name === 'all') {
      const rows = [...settingDefs.keys()].sort().map((n) => [settingDisplayName(n), this.get(n) ?? '', '']);
      return { columns: ['name', 'setting', 'description'], rows };
    }
    const v = this.get(name);
    if (v === undefined) throw new ChorusError('42704', `unrecognized configuration parameter "${name}"`);
    return { columns: [settingDisplayName(name)], rows: [[v]] };
  }

  /** A transaction block began (read only or not: SHOW transaction_read_only). */
  begin(readOnly: boolean): void {
    this.atBegin = new Map(this.values);
    this.local = new Map([['transaction_read_only', readOnly ? 'on' : 'off']]);
    this.savepoints = [];
  }

  /** The open block became read only (SET TRANSACTION READ ONLY). */
  markReadOnly(): void {
    this.local.set('transaction_read_only', 'on');
  }

  /** The open block became read-write again (SET TRANSACTION READ WRITE before any query). */
  markReadWrite(): void {
    this.local.set('transaction_read_only', 'off');
  }

  /** The block ended: its SETs stay if it committed; SET LOCAL values go either way. */
  end(committed: boolean): void {
    if (!committed && this.atBegin) this.values = this.atBegin;
    this.atBegin = null;
    this.local = new Map();
    this.savepoints = [];
  }

  savepoint(name: string): void {
    this.savepoints.push({ name, values: new Map(this.values), local: new Map(this.local) });
  }

  /** ROLLBACK TO SAVEPOINT: the values as they were when it was taken (it stays). */
  rollbackTo(name: string): void {
    const i = this.findSavepoint(name);
    if (i < 0) return;
    const s = this.savepoints[i]!;
    this.values = new Map(s.values);
    this.local = new Map(s.local);
    this.savepoints.length = i + 1;
  }

  /** RELEASE SAVEPOINT: forgets it and the ones taken after it; values stay. */
  release(name: string): void {
    const i = this.findSavepoint(name);
    if (i >= 0) this.savepoints.length = i;
  }

  private findSavepoint(name: string): number {
    for (let i = this.savepoints.length - 1; i >= 0; i--)
      if (this.savepoints[i]!.name.toLowerCase() === name.toLowerCase()) return i;
    return -1;
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
}
