// The COPY statement: parses COPY ... FROM STDIN / TO STDOUT and its options from lexer tokens.
// Files, PROGRAM and BINARY are rejected; data handling lives in copy.ts.

import { ChorusError, FeatureNotSupportedError, SyntaxError42601 } from '../errors.js';
import { isKeyword, type Token } from '../sql/lexer.js';

export interface CopyOptions {
  format: 'text' | 'csv';
  delimiter: string;
  null: string;
  header: boolean;
  quote: string;
  escape: string;
}

export type CopyStatement =
  | {
      direction: 'from';
      /** Table name parts as written (unquoted names lower-cased), e.g. ['public', 't'] or ['t']. */
      table: string[];
      columns: string[] | null;
      options: CopyOptions;
    }
  | {
      direction: 'to';
      table: string[] | null;
      columns: string[] | null;
      /** The query text of COPY (query) TO STDOUT. */
      query: string | null;
      options: CopyOptions;
    };

function syntax(what: string): SyntaxError42601 {
  return new SyntaxError42601(`syntax error in COPY statement: ${what}`);
}

function identName(t: Token | undefined): string | null {
  if (!t) return null;
  if (t.kind === 'qident') return t.value;
  if (t.kind === 'ident') return t.text.toLowerCase();
  return null;
}

/** True when the significant tokens of one statement start with COPY. */
export function isCopyStatement(tokens: readonly Token[]): boolean {
  return isKeyword(tokens[0], 'COPY');
}

function boolOption(t: Token | undefined, name: string): boolean {
  const v = t?.kind === 'string' || t?.kind === 'ident' || t?.kind === 'number' ? t.value.toLowerCase() : '';
  if (['true', 'on', '1', 'yes'].includes(v)) return true;
  if (['false', 'off', '0', 'no'].includes(v)) return false;
  throw new ChorusError('22023', `${name} requires a Boolean value`);
}

function oneChar(t: Token | undefined, name: string): string {
  if (t?.kind !== 'string') throw syntax(`${name} requires a quoted string`);
  if (Buffer.byteLength(t.value, 'utf8') !== 1)
    throw new FeatureNotSupportedError(`COPY ${name.toLowerCase()} must be a single one-byte character`);
  return t.value;
}

/**
 * Parses COPY from the significant tokens of one statement (trailing semicolons allowed). `sql` is
 * the statement text the tokens' offsets refer to. Files, PROGRAM and BINARY raise 0A000.
 */
export function parseCopyStatement(tokens: readonly Token[], sql: string): CopyStatement {
  const ts = tokens.filter((t) => t.kind !== 'semi');
  if (!isKeyword(ts[0], 'COPY')) throw syntax('not a COPY statement');
  let i = 1;
  if (isKeyword(ts[i], 'BINARY')) throw new FeatureNotSupportedError('COPY BINARY');
  let table: string[] | null = null;
  let query: string | null = null;
  let columns: string[] | null = null;
  if (ts[i]?.kind === 'lparen') {
    let depth = 0;
    let j = i;
    for (; j < ts.length; j++) {
      if (ts[j]!.kind === 'lparen') depth++;
      else if (ts[j]!.kind === 'rparen' && --depth === 0) break;
    }
    if (j >= ts.length) throw syntax('unterminated query');
    query = sql.slice(ts[i]!.start + 1, ts[j]!.start).trim();
    if (!query) throw syntax('empty query');
    i = j + 1;
  } else {
    const first = identName(ts[i]);
    if (first === null) throw syntax('expected a table name');
    table = [first];
    i++;
    while (ts[i]?.kind === 'dot') {
      const part = identName(ts[i + 1]);
      if (part === null) throw syntax('expected a name after "."');
      table.push(part);
      i += 2;
    }
    if (ts[i]?.kind === 'lparen') {
      columns = [];
      i++;
      for (;;) {
        const c = identName(ts[i]);
        if (c === null) throw syntax('expected a column name');
        columns.push(c);
        i++;
        if (ts[i]?.kind === 'comma') i++;
        else if (ts[i]?.kind === 'rparen') {
          i++;
          break;
        } else throw syntax('expected "," or ")" in the column list');
      }
    }
  }
  const dir = ts[i];
  if (!isKeyword(dir, 'FROM', 'TO')) throw syntax('expected FROM or TO');
  const direction = dir!.value === 'FROM' ? 'from' : 'to';
  if (direction === 'from' && query !== null) throw syntax('COPY (query) supports only TO');
  i++;
  const target = ts[i];
  if (isKeyword(target, 'PROGRAM')) throw new FeatureNotSupportedError(`COPY ${dir!.value} PROGRAM`);
  if (target?.kind === 'string') {
    throw new FeatureNotSupportedError(`COPY ${dir!.value} a file ('${target.value}')`, {
      hint: `Use COPY ... ${direction === 'from' ? 'FROM STDIN' : 'TO STDOUT'} (psql's \\copy does).`,
    });
  }
  if (!isKeyword(target, direction === 'from' ? 'STDIN' : 'STDOUT')) {
    throw syntax(`expected ${direction === 'from' ? 'STDIN' : 'STDOUT'}`);
  }
  i++;
  const options = parseOptions(ts, i);
  return direction === 'from'
    ? { direction, table: table!, columns, options }
    : { direction, table, columns, query, options };
}

function parseOptions(ts: readonly Token[], start: number): CopyOptions {
  let i = start;
  let format = null as 'text' | 'csv' | null;
  let delimiter: string | null = null;
  let nullStr: string | null = null;
  let header = false;
  let quote: string | null = null;
  let escapeChar: string | null = null;
  if (isKeyword(ts[i], 'WITH')) i++;
  const setFormat = (f: string): void => {
    const v = f.toLowerCase();
    if (v === 'binary') throw new FeatureNotSupportedError('COPY FORMAT binary');
    if (v !== 'text' && v !== 'csv') throw new ChorusError('22023', `COPY format "${f}" not recognized`);
    format = v === 'csv' ? 'csv' : 'text';
  };
  if (ts[i]?.kind === 'lparen') {
    i++;
    for (;;) {
      const name = ts[i];
      if (name?.kind !== 'ident') throw syntax('expected an option name');
      i++;
      const v = ts[i];
      const hasValue = v !== undefined && v.kind !== 'comma' && v.kind !== 'rparen';
      switch (name.value) {
        case 'FORMAT':
          if (!hasValue) throw syntax('FORMAT requires a value');
          setFormat(v!.value);
          break;
        case 'DELIMITER':
          delimiter = oneChar(v, 'DELIMITER');
          break;
        case 'NULL':
          if (v?.kind !== 'string') throw syntax('NULL requires a quoted string');
          nullStr = v.value;
          break;
        case 'HEADER':
          header = hasValue ? boolOption(v, 'header') : true;
          break;
        case 'FREEZE':
          if (hasValue) boolOption(v, 'freeze');
          break;
        case 'QUOTE':
          quote = oneChar(v, 'QUOTE');
          break;
        case 'ESCAPE':
          escapeChar = oneChar(v, 'ESCAPE');
          break;
        case 'ENCODING':
          if (v?.kind !== 'string' || !/^utf-?8$/i.test(v.value))
            throw new FeatureNotSupportedError('COPY ENCODING other than UTF8');
          break;
        default:
          throw new FeatureNotSupportedError(`COPY option ${name.text}`);
      }
      if (hasValue) i++;
      if (ts[i]?.kind === 'comma') i++;
      else if (ts[i]?.kind === 'rparen') {
        i++;
        break;
      } else throw syntax('expected "," or ")" in the option list');
    }
  } else {
    // The pre-9.0 spelling: WITH CSV HEADER DELIMITER AS ',' NULL AS '' ...
    while (i < ts.length) {
      const t = ts[i]!;
      i++;
      const valueAfterAs = (): Token | undefined => {
        if (isKeyword(ts[i], 'AS')) i++;
        return ts[i++];
      };
      if (isKeyword(t, 'BINARY')) throw new FeatureNotSupportedError('COPY BINARY');
      else if (isKeyword(t, 'CSV')) format = 'csv';
      else if (isKeyword(t, 'TEXT')) format = 'text';
      else if (isKeyword(t, 'HEADER')) header = true;
      else if (isKeyword(t, 'FREEZE')) {
        /* accepted, no effect */
      } else if (isKeyword(t, 'DELIMITER')) delimiter = oneChar(valueAfterAs(), 'DELIMITER');
      else if (isKeyword(t, 'NULL')) {
        const v = valueAfterAs();
        if (v?.kind !== 'string') throw syntax('NULL requires a quoted string');
        nullStr = v.value;
      } else if (isKeyword(t, 'QUOTE')) quote = oneChar(valueAfterAs(), 'QUOTE');
      else if (isKeyword(t, 'ESCAPE')) escapeChar = oneChar(valueAfterAs(), 'ESCAPE');
      else if (isKeyword(t, 'FORCE')) throw new FeatureNotSupportedError('COPY FORCE options');
      else throw syntax(`unexpected "${t.text}"`);
    }
  }
  if (i < ts.length) throw syntax(`unexpected "${ts[i]!.text}"`);
  const fmt = (format as 'text' | 'csv' | null) ?? 'text';
  if (fmt === 'text' && (quote !== null || escapeChar !== null))
    throw new FeatureNotSupportedError('COPY QUOTE and ESCAPE are available only in CSV mode');
  const opts: CopyOptions = {
    format: fmt,
    delimiter: delimiter ?? (fmt === 'csv' ? ',' : '\t'),
    null: nullStr ?? (fmt === 'csv' ? '' : '\\N'),
    header,
    quote: quote ?? '"',
    escape: escapeChar ?? quote ?? '"',
  };
  if (opts.delimiter === '\n' || opts.delimiter === '\r')
    throw new ChorusError('22023', 'COPY delimiter cannot be newline or carriage return');
  if (fmt === 'text' && opts.delimiter === '\\')
    throw new ChorusError('22023', 'COPY delimiter cannot be backslash');
  if (fmt === 'csv' && opts.delimiter === opts.quote)
    throw new ChorusError('22023', 'COPY delimiter and quote must be different');
  if (opts.null.includes('\n') || opts.null.includes('\r'))
    throw new ChorusError('22023', 'COPY null representation cannot use newline or carriage return');
  return opts;
}
