// The run-time parameters a session knows, with PostgreSQL 15's defaults, the canonical form SHOW
// prints, and what ChorusDB does with each value: honoured, accepted because it cannot change an
// answer (planner costs, memory sizes), or refused with 0A000 when PostgreSQL would answer
// differently under it and ChorusDB does not (DateStyle other than ISO/MDY, IntervalStyle other
// than postgres, extra_float_digits below 1, bytea_output escape, ...). Unknown names are 42704,
// as in PostgreSQL; names with a dot are custom placeholders, kept as given.

import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import { checkTimeZoneSetting } from '../../sql/types/timezone/timezone.js';
import { pgServerVersion } from '../../storage/sql-functions.js';

export interface SettingDef {
  /** PostgreSQL 15's default, in SHOW's form. */
  default: string;
  /** Canonical form of a new value (SHOW's), or a typed error; identity when absent. */
  check?: (value: string, current: string) => string;
  /** Fixed by the server: SET is 55P02. */
  fixed?: boolean;
  /** Name as SHOW and ParameterStatus spell it, when not all lower case. */
  display?: string;
}

function invalid(name: string, value: string): ChorusError {
  return new ChorusError('22023', `invalid value for parameter "${name}": "${value}"`);
}

function bool(name: string) {
  return (value: string): string => {
    const v = value.trim().toLowerCase();
    if (['on', 'true', 'yes', '1', 't', 'y'].includes(v)) return 'on';
    if (['off', 'false', 'no', '0', 'f', 'n', 'of'].includes(v)) return 'off';
    throw new ChorusError('22023', `parameter "${name}" requires a Boolean value`);
  };
}

function oneOf(name: string, values: readonly string[], supported: readonly string[] = values) {
  return (value: string): string => {
    const v = value.trim().toLowerCase();
    if (!values.includes(v)) {
      const e = invalid(name, value);
      throw new ChorusError('22023', e.message, { hint: `Available values: ${values.join(', ')}.` });
    }
    if (!supported.includes(v)) throw new FeatureNotSupportedError(`${name} = ${v}`);
    return v;
  };
}

function integer(name: string, min: number, max: number, supportedMin = min) {
  return (value: string): string => {
    const v = value.trim();
    if (!/^[+-]?\d+$/.test(v)) throw invalid(name, value);
    const n = Number(v);
    if (n < min || n > max)
      throw new ChorusError(
        '22023',
        `${n} is outside the valid range for parameter "${name}" (${min} .. ${max})`,
      );
    if (n < supportedMin) {
      throw new FeatureNotSupportedError(`${name} = ${n}`, {
        hint: `ChorusDB prints floating-point values exactly (${name} ${supportedMin} or more).`,
      });
    }
    return String(n);
  };
}

const msUnits: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A time in milliseconds ('5s', '90000', '1min'), printed as PostgreSQL prints it ('90s'). */
function milliseconds(name: string) {
  return (value: string): string => {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(value);
    if (!m) throw invalid(name, value);
    const ms = Math.round(Number(m[1]) * (msUnits.find(([u]) => u === m[2])?.[1] ?? 1));
    if (ms < 0 || ms > 2_147_483_647)
      throw new ChorusError(
        '22023',
        `${ms} ms is outside the valid range for parameter "${name}" (0 .. 2147483647)`,
      );
    if (ms === 0) return '0';
    const [unit, size] = msUnits.find(([, size]) => ms % size === 0)!;
    return `${ms / size}${unit}`;
  };
}

const kbUnits: [string, number][] = [
  ['TB', 1024 ** 3],
  ['GB', 1024 ** 2],
  ['MB', 1024],
  ['kB', 1],
];

/** A memory setting counted in kB (work_mem): units as PostgreSQL spells them, shown as it shows them. */
function kilobytes(name: string, minKb: number) {
  return (value: string): string => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/.exec(value);
    if (!m) {
      throw new ChorusError('22023', `invalid value for parameter "${name}": "${value}"`, {
        hint: /^\s*\d/.test(value)
          ? 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
          : undefined,
      });
    }
    const unit = m[2] ?? 'kB';
    const kb = Math.round(
      unit === 'B' ? Number(m[1]) / 1024 : Number(m[1]) * kbUnits.find(([u]) => u === unit)![1],
    );
    if (kb < minKb || kb > 2_147_483_647)
      throw new ChorusError(
        '22023',
        `${kb} kB is outside the valid range for parameter "${name}" (${minKb} .. 2147483647)`,
      );
    const [u, size] = kbUnits.find(([, size]) => kb % size === 0)!;
    return `${kb / size}${u}`;
  };
}

/** Milliseconds of a time setting as SHOW prints it ('90s', '1min', '0'). */
export function settingMs(value: string | undefined): number {
  if (value === undefined || value === '0') return 0;
  const m = /^(\d+)(ms|s|min|h|d)?$/.exec(value ?? '0');
  return m ? Number(m[1]) * (msUnits.find(([u]) => u === (m[2] ?? 'ms'))?.[1] ?? 1) : 0;
}

/** DateStyle: output ISO with field order MDY are what ChorusDB reads and prints. */
function dateStyle(value: string, current: string): string {
  let [output, order] = current.split(', ') as [string, string];
  for (const part of value.split(',')) {
    const p = part.trim().toLowerCase();
    if (p === 'iso') output = 'ISO';
    else if (p === 'sql') output = 'SQL';
    else if (p === 'postgres') output = 'Postgres';
    else if (p === 'german') [output, order] = ['German', 'DMY'];
    else if (p === 'mdy' || p === 'us' || p === 'noneuro' || p === 'noneuropean') order = 'MDY';
    else if (p === 'dmy' || p === 'euro' || p === 'european') order = 'DMY';
    else if (p === 'ymd') order = 'YMD';
    else if (p !== 'default') throw invalid('DateStyle', value);
  }
  if (output !== 'ISO' || order !== 'MDY') {
    throw new FeatureNotSupportedError(`DateStyle "${output}, ${order}"`, {
      hint: 'ChorusDB reads and prints dates as DateStyle "ISO, MDY".',
    });
  }
  return `${output}, ${order}`;
}

/** Encodings ChorusDB can speak: its text is UTF-8; SQL_ASCII passes bytes through unconverted. */
function clientEncoding(value: string): string {
  const v = value.trim().toUpperCase().replace(/[-_]/g, '');
  if (v === 'UTF8' || v === 'UNICODE') return 'UTF8';
  if (v === 'SQLASCII') return 'SQL_ASCII';
  throw new FeatureNotSupportedError(`client_encoding "${value}"`, { hint: 'ChorusDB speaks UTF8.' });
}

/** search_path: any list of names (schemas that do not exist are skipped when names are looked up). */
function searchPath(value: string): string {
  return value
    .split(',')
    .map((p) => p.trim())
    .join(', ');
}

const isolation = oneOf('transaction_isolation', [
  'serializable',
  'repeatable read',
  'read committed',
  'read uncommitted',
]);

/** Every parameter by lower-case name. */
export const settingDefs: ReadonlyMap<string, SettingDef> = new Map<string, SettingDef>([
  ['server_version', { default: pgServerVersion, fixed: true }],
  ['server_version_num', { default: '150000', fixed: true }],
  ['server_encoding', { default: 'UTF8', fixed: true }],
  ['integer_datetimes', { default: 'on', fixed: true }],
  ['lc_collate', { default: 'C', fixed: true }],
  ['lc_ctype', { default: 'C', fixed: true }],
  ['max_identifier_length', { default: '63', fixed: true }],
  ['max_connections', { default: '100', fixed: true }],
  ['block_size', { default: '8192', fixed: true }],
  ['is_superuser', { default: 'on', fixed: true }],
  ['client_encoding', { default: 'UTF8', check: clientEncoding }],
  ['datestyle', { default: 'ISO, MDY', display: 'DateStyle', check: dateStyle }],
  [
    'intervalstyle',
    {
      default: 'postgres',
      display: 'IntervalStyle',
      check: oneOf(
        'IntervalStyle',
        ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'],
        ['postgres'],
      ),
    },
  ],
  ['timezone', { default: 'UTC', display: 'TimeZone', check: (v) => checkTimeZoneSetting(v) }],
  ['extra_float_digits', { default: '1', check: integer('extra_float_digits', -15, 3, 1) }],
  ['bytea_output', { default: 'hex', check: oneOf('bytea_output', ['hex', 'escape'], ['hex']) }],
  ['standard_conforming_strings', { default: 'on', check: onOnly('standard_conforming_strings') }],
  ['application_name', { default: '' }],
  [
    'client_min_messages',
    {
      default: 'notice',
      check: oneOf('client_min_messages', [
        'debug5',
        'debug4',
        'debug3',
        'debug2',
        'debug1',
        'log',
        'notice',
        'warning',
        'error',
      ]),
    },
  ],
  ['search_path', { default: '"$user", public', check: searchPath }],
  ['transaction_isolation', { default: 'serializable', check: isolation }],
  ['default_transaction_isolation', { default: 'serializable', check: isolation }],
  ['transaction_read_only', { default: 'off', check: bool('transaction_read_only') }],
  ['default_transaction_read_only', { default: 'off', check: bool('default_transaction_read_only') }],
  ['transaction_deferrable', { default: 'off', check: bool('transaction_deferrable') }],
  ['default_transaction_deferrable', { default: 'off', check: bool('default_transaction_deferrable') }],
  ['statement_timeout', { default: '0', check: milliseconds('statement_timeout') }],
  ['lock_timeout', { default: '0', check: milliseconds('lock_timeout') }],
  [
    'idle_in_transaction_session_timeout',
    { default: '0', check: milliseconds('idle_in_transaction_session_timeout') },
  ],
  ['idle_session_timeout', { default: '0', check: milliseconds('idle_session_timeout') }],
  // When a commit is acknowledged in primary/standby mode (replication/standby/sync-gate.ts).
  ['synchronous_commit', { default: 'on', check: synchronousCommit }],
  [
    'session_replication_role',
    {
      default: 'origin',
      check: oneOf('session_replication_role', ['origin', 'replica', 'local'], ['origin']),
    },
  ],
  ['row_security', { default: 'on', check: bool('row_security') }],
  ['array_nulls', { default: 'on', check: onOnly('array_nulls') }],
  ['quote_all_identifiers', { default: 'off', check: offOnly('quote_all_identifiers') }],
  ['escape_string_warning', { default: 'on', check: bool('escape_string_warning') }],
  ['check_function_bodies', { default: 'on', check: bool('check_function_bodies') }],
  ['lc_messages', { default: 'C' }],
  ['lc_monetary', { default: 'C', check: cOnly('lc_monetary') }],
  ['lc_numeric', { default: 'C', check: cOnly('lc_numeric') }],
  ['lc_time', { default: 'C', check: cOnly('lc_time') }],
  ['timezone_abbreviations', { default: 'Default' }],
  ['xmloption', { default: 'content', check: oneOf('xmloption', ['content', 'document']) }],
  [
    'plan_cache_mode',
    { default: 'auto', check: oneOf('plan_cache_mode', ['auto', 'force_generic_plan', 'force_custom_plan']) },
  ],
  ['jit', { default: 'on', check: bool('jit') }],
  ['geqo', { default: 'on', check: bool('geqo') }],
  ['work_mem', { default: '4MB', check: kilobytes('work_mem', 64) }],
  ['maintenance_work_mem', { default: '64MB', check: kilobytes('maintenance_work_mem', 1024) }],
  ['temp_buffers', { default: '8MB' }],
  ['effective_cache_size', { default: '4GB' }],
  ['random_page_cost', { default: '4' }],
  ['seq_page_cost', { default: '1' }],
  ['cpu_tuple_cost', { default: '0.01' }],
  ['max_parallel_workers_per_gather', { default: '2' }],
  ['default_statistics_target', { default: '100' }],
  ['join_collapse_limit', { default: '8' }],
  ['from_collapse_limit', { default: '8' }],
  ['tcp_keepalives_idle', { default: '0' }],
  ['tcp_keepalives_interval', { default: '0' }],
  ['tcp_keepalives_count', { default: '0' }],
  ['log_statement', { default: 'none' }],
  ['log_min_duration_statement', { default: '-1' }],
  ['log_min_messages', { default: 'warning' }],
  ['track_activities', { default: 'on', check: bool('track_activities') }],
  ['default_table_access_method', { default: 'heap', check: oneOf('default_table_access_method', ['heap']) }],
  ['default_tablespace', { default: '' }],
  ['temp_tablespaces', { default: '' }],
]);

/** synchronous_commit: PostgreSQL's values, and the booleans it also takes (shown as on / off). */
function synchronousCommit(value: string): string {
  const v = value.trim().toLowerCase();
  if (['local', 'remote_write', 'remote_apply', 'on', 'off'].includes(v)) return v;
  if (['true', 'yes', '1'].includes(v)) return 'on';
  if (['false', 'no', '0'].includes(v)) return 'off';
  throw new ChorusError('22023', invalid('synchronous_commit', value).message, {
    hint: 'Available values: local, remote_write, remote_apply, on, off.',
  });
}

function onOnly(name: string) {
  const b = bool(name);
  return (value: string): string => {
    const v = b(value);
    if (v !== 'on') throw new FeatureNotSupportedError(`${name} = off`);
    return v;
  };
}

function offOnly(name: string) {
  const b = bool(name);
  return (value: string): string => {
    const v = b(value);
    if (v !== 'off') throw new FeatureNotSupportedError(`${name} = on`);
    return v;
  };
}

function cOnly(name: string) {
  return (value: string): string => {
    if (value === 'C' || value === 'POSIX') return value;
    throw new FeatureNotSupportedError(`${name} "${value}"`, { hint: 'ChorusDB formats in the C locale.' });
  };
}

/** Planner settings (enable_seqscan, ...): booleans that cannot change an answer. */
export function plannerSetting(name: string): SettingDef | undefined {
  return name.startsWith('enable_') ? { default: 'on', check: bool(name) } : undefined;
}
