// COPY's pure parts: statement parsing (options, old spelling, unsupported forms), text and CSV
// field decoding (escapes, quoting, NULLs), lines split across CopyData chunks, and row formatting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { significant, splitStatements } from '../../src/sql/lexer.js';
import {
  CopyInParser,
  formatCopyRow,
  formatCsvField,
  formatTextField,
  parseCsvLine,
  parseTextLine,
} from '../../src/wire/copy.js';
import { type CopyOptions, parseCopyStatement } from '../../src/wire/copy-statement.js';

function parse(sql: string) {
  const st = splitStatements(sql)[0]!;
  return parseCopyStatement(significant(st.tokens), st.sql);
}

const text: CopyOptions = {
  format: 'text',
  delimiter: '\t',
  null: '\\N',
  header: false,
  quote: '"',
  escape: '"',
};
const csv: CopyOptions = { format: 'csv', delimiter: ',', null: '', header: false, quote: '"', escape: '"' };

describe('COPY statement', () => {
  test('FROM STDIN with defaults', () => {
    const s = parse('COPY t FROM STDIN;');
    assert.equal(s.direction, 'from');
    assert.deepEqual(s.table, ['t']);
    assert.equal(s.columns, null);
    assert.deepEqual(s.options, text);
  });
  test('column list, schema, quoted names', () => {
    const s = parse('copy public."My T" (a, "B c") from stdin');
    assert.deepEqual(s.table, ['public', 'My T']);
    assert.deepEqual(s.columns, ['a', 'B c']);
  });
  test('option list', () => {
    const s = parse("COPY t FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL 'NA', HEADER true, FREEZE on)");
    assert.deepEqual(s.options, { ...csv, delimiter: ';', null: 'NA', header: true });
    assert.equal(parse('COPY t FROM STDIN (FORMAT csv, HEADER)').options.header, true);
    assert.equal(parse('COPY t FROM STDIN (FORMAT csv, HEADER false)').options.header, false);
  });
  test('old spelling', () => {
    assert.deepEqual(parse('COPY t FROM STDIN WITH CSV HEADER').options, { ...csv, header: true });
    assert.deepEqual(parse('COPY t FROM STDIN CSV').options, csv);
    assert.deepEqual(parse("COPY t FROM STDIN DELIMITER AS ','").options, { ...text, delimiter: ',' });
    assert.deepEqual(parse("COPY t FROM STDIN WITH NULL AS ''").options, { ...text, null: '' });
  });
  test('TO STDOUT: table, columns, query', () => {
    const a = parse('COPY t (a) TO STDOUT WITH (FORMAT csv, HEADER)');
    assert.equal(a.direction, 'to');
    assert.deepEqual(a.columns, ['a']);
    const b = parse("COPY (SELECT a, 'x;y' FROM t WHERE (a > 1)) TO STDOUT");
    assert.equal(b.direction === 'to' && b.query, "SELECT a, 'x;y' FROM t WHERE (a > 1)");
  });
  test('files, PROGRAM and BINARY are 0A000', () => {
    for (const sql of [
      "COPY t FROM '/tmp/x'",
      "COPY t TO '/tmp/x'",
      "COPY t FROM PROGRAM 'cat'",
      "COPY t TO PROGRAM 'cat'",
      'COPY t FROM STDIN (FORMAT binary)',
      'COPY t FROM STDIN BINARY',
      'COPY BINARY t FROM STDIN',
    ]) {
      assert.throws(
        () => parse(sql),
        (e: { sqlstate: string }) => e.sqlstate === '0A000',
        sql,
      );
    }
  });
  test('syntax errors', () => {
    for (const sql of [
      'COPY FROM STDIN',
      'COPY t STDIN',
      'COPY t FROM STDOUT',
      'COPY t FROM STDIN (FORMAT)',
    ]) {
      assert.throws(
        () => parse(sql),
        (e: { sqlstate: string }) => e.sqlstate === '42601',
        sql,
      );
    }
    assert.throws(() => parse("COPY t FROM STDIN (DELIMITER 'ab')"), { message: /single one-byte/ });
    assert.throws(() => parse('COPY t FROM STDIN (FORMAT xml)'), { message: /not recognized/ });
  });
});

describe('text format', () => {
  test('fields, NULL and escapes', () => {
    assert.deepEqual(parseTextLine('1\tabc\t\\N\t', text), ['1', 'abc', null, '']);
    assert.deepEqual(parseTextLine('a\\tb\\nc\\\\d\\r\\b\\f\\v', text), ['a\tb\nc\\d\r\b\f\v']);
    assert.deepEqual(parseTextLine('\\101\\x41\\x4a\\7z\\q', text), ['AAJ\x07zq']);
    assert.deepEqual(parseTextLine('a\\\tb\tc', text), ['a\tb', 'c']);
    // \N is NULL only as the whole raw field; an escaped backslash followed by N is text.
    assert.deepEqual(parseTextLine('\\\\N\t\\N', text), ['\\N', null]);
    assert.deepEqual(parseTextLine('x,NA', { delimiter: ',', null: 'NA' }), ['x', null]);
  });
  test('format escapes round-trip', () => {
    const v = 'a\tb\nc\\d\re\b\f\v';
    const line = formatTextField(v, text);
    assert.equal(line, 'a\\tb\\nc\\\\d\\re\\b\\f\\v');
    assert.deepEqual(parseTextLine(line, text), [v]);
    assert.equal(formatTextField(null, text), '\\N');
    assert.equal(formatCopyRow(['1', null, 'x y'], text), '1\t\\N\tx y\n');
  });
});

describe('CSV format', () => {
  test('quotes, NULL is the unquoted empty string', () => {
    assert.deepEqual(parseCsvLine('1,"a,b","say ""hi""",,""', csv), ['1', 'a,b', 'say "hi"', null, '']);
    assert.deepEqual(parseCsvLine('"multi\nline",x', csv), ['multi\nline', 'x']);
    assert.deepEqual(parseCsvLine('NA,"NA"', { ...csv, null: 'NA' }), [null, 'NA']);
    assert.throws(() => parseCsvLine('"open', csv), { message: /unterminated/ });
  });
  test('format quoting', () => {
    assert.equal(formatCsvField('plain', csv), 'plain');
    assert.equal(formatCsvField('a,b', csv), '"a,b"');
    assert.equal(formatCsvField('q"q', csv), '"q""q"');
    assert.equal(formatCsvField('l\nl', csv), '"l\nl"');
    assert.equal(formatCsvField('', csv), '""');
    assert.equal(formatCsvField(null, csv), '');
    assert.equal(formatCopyRow(['1', null, ''], csv), '1,,""\n');
  });
});

describe('CopyInParser', () => {
  test('lines split across chunks, CRLF, last line without newline', () => {
    const p = new CopyInParser(text);
    assert.deepEqual(p.push(Buffer.from('1\ta')), []);
    assert.deepEqual(p.push(Buffer.from('b\n2\t')), [['1', 'ab']]);
    assert.deepEqual(p.push(Buffer.from('\\N\r\n3\tc')), [['2', null]]);
    assert.deepEqual(p.finish(), [['3', 'c']]);
  });
  test('UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('1\tã漢\n', 'utf8');
    const p = new CopyInParser(text);
    const rows = [...p.push(bytes.subarray(0, 4)), ...p.push(bytes.subarray(4))];
    assert.deepEqual(rows, [['1', 'ã漢']]);
  });
  test('end marker stops the data', () => {
    const p = new CopyInParser(text);
    assert.deepEqual(p.push(Buffer.from('1\n\\.\n2\n')), [['1']]);
    assert.deepEqual(p.push(Buffer.from('3\n')), []);
    assert.deepEqual(p.finish(), []);
  });
  test('CSV: header skipped, quoted newline across chunks', () => {
    const p = new CopyInParser({ ...csv, header: true });
    assert.deepEqual(p.push(Buffer.from('id,name\n1,"two\n')), []);
    assert.deepEqual(p.push(Buffer.from('lines"\n2,x\n')), [
      ['1', 'two\nlines'],
      ['2', 'x'],
    ]);
    assert.deepEqual(p.finish(), []);
  });
  test('CSV: unterminated quote at the end is an error', () => {
    const p = new CopyInParser(csv);
    p.push(Buffer.from('1,"abc'));
    assert.throws(
      () => p.finish(),
      (e: { sqlstate: string }) => e.sqlstate === '22P04',
    );
  });
  test('an incomplete line over the limit is refused', () => {
    const p = new CopyInParser(text, 10);
    p.push(Buffer.from('12345'));
    assert.throws(
      () => p.push(Buffer.from('678901')),
      (e: { sqlstate: string }) => e.sqlstate === '54000',
    );
  });
});
