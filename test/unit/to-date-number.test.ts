// to_date, to_timestamp(text, text) and to_number as pure logic: values and errors (SQLSTATE,
// message, detail, hint) PostgreSQL 15 gives for the same calls (test/compat/to-date-number.sql
// compares thousands more through a real server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import { toNumber } from '../../src/sql/runtime/formatting/to-number.js';
import { toDate, toTimestamp } from '../../src/sql/runtime/formatting/to-timestamp.js';
import { dateOut, timestamptzOut } from '../../src/sql/types/datetime/datetime-format.js';
import { numericToText } from '../../src/sql/types/numeric/numeric.js';
import { sessionTimeZone } from '../../src/sql/types/timezone/timezone.js';

type Fn = 'to_date' | 'to_timestamp' | 'to_number';

/** The call's result as PostgreSQL prints it. */
function run(fn: Fn, input: string, picture: string, tz = 'UTC'): string | null {
  if (fn === 'to_date') return dateOut(toDate(input, picture));
  if (fn === 'to_timestamp') {
    const zone = sessionTimeZone(tz);
    return timestamptzOut(toTimestamp(input, picture, zone), zone);
  }
  const n = toNumber(input, picture);
  return n === null ? null : numericToText(n);
}

const accepted: [Fn, string, string, string, string?][] = [
  ['to_date', '05 Dec 2000', 'DD Mon YYYY', '2000-12-05'],
  ['to_date', '2011 12  18', 'YYYY MM  DD', '2011-12-18'],
  ['to_date', '2011x 12x 18', 'YYYYxMMxDD', '2011-12-18'],
  ['to_date', '1 4 1902', 'Q MM YYYY', '1902-04-01'],
  ['to_date', '3 4 21 01', 'W MM CC YY', '2001-04-15'],
  ['to_date', '2458872', 'J', '2020-01-23'],
  ['to_date', '44-02-01 BC', 'YYYY-MM-DD BC', '0044-02-01 BC'],
  ['to_date', '-44-02-01', 'YYYY-MM-DD', '0044-02-01 BC'],
  ['to_date', '2016 366', 'YYYY DDD', '2016-12-31'],
  ['to_date', '2005527', 'IYYYIWID', '2006-01-01'],
  ['to_date', '2020 1 Monday', 'IYYY IW Day', '2019-12-30'],
  ['to_date', '1,582nd VIII 21', 'Y,YYYth FMRM DD', '1582-08-21'],
  ['to_date', '2000January09Sunday', 'YYYYFMMonthDDFMDay', '2000-01-09'],
  ['to_date', '95-1116', 'YY-MMDD', '1995-11-16'],
  ['to_date', '995-1116', 'YYY-MMDD', '1995-11-16'],
  ['to_date', '9-1116', 'Y-MMDD', '2009-11-16'],
  ['to_date', '2020年01月15日', 'YYYY"年"MM"月"DD"日"', '2020-01-15'],
  ['to_date', 'x', '', '0001-01-01 BC'],
  ['to_date', '21 2020', 'CC YY', '2020-01-01'],
  ['to_date', '-5 01 BC', 'CC YY BC', '0401-01-01'],
  ['to_date', '0 2020', 'CC YYYY', '2020-01-01'],
  ['to_timestamp', '2011-12-18 11:38 PM', 'YYYY-MM-DD HH12:MI PM', '2011-12-18 23:38:00+00'],
  ['to_timestamp', '2011-12-18 11:38 -05:20', 'YYYY-MM-DD HH12:MI TZH:TZM', '2011-12-18 16:58:00+00'],
  ['to_timestamp', '2000 -10', 'YYYY  TZH', '1999-12-31 14:00:00+00'],
  ['to_timestamp', '2018-11-02 12:34:56.123456', 'YYYY-MM-DD HH24:MI:SS.FF2', '2018-11-02 12:34:56.12+00'],
  ['to_timestamp', '2018-11-02 12:34:56.025', 'YYYY-MM-DD HH24:MI:SS.MS', '2018-11-02 12:34:56.025+00'],
  ['to_timestamp', '12:30', 'HH24:MI', '0001-01-01 12:30:00+00 BC'],
  ['to_timestamp', '2020-03-08 02:30', 'YYYY-MM-DD HH24:MI', '2020-03-08 03:30:00-04', 'America/New_York'],
  ['to_timestamp', '2015-02-11 86000', 'YYYY-MM-DD SSSS', '2015-02-11 23:53:20+00'],
  ['to_timestamp', '97/Feb/16', 'FXYY/Mon/DD', '1997-02-16 00:00:00+00'],
  ['to_timestamp', '2011-12-18 11:38 A.M.', 'YYYY-MM-DD HH12:MI P.M.', '2011-12-18 11:38:00+00'],
  ['to_date', '1,9x', 'Y,YYY', '1009-01-01'],
  ['to_date', '97/Feb/16', 'FXYY:Mon:DD', '1997-02-16'],
  ['to_number', '-34,338,492.654,878', '99G999G999D999G999', '-34338492.654878'],
  ['to_number', '<564646.654564>', '999999.999999PR', '-564646.654564'],
  ['to_number', '5.01-', 'FM9.999999MI', '-5.01'],
  ['to_number', '5 4 4 4 4 8 . 7 8', '9 9 9 9 9 9 . 9 9', '544448.78'],
  ['to_number', '.-01', 'S99.99', '-0.01'],
  ['to_number', '$1,234.56', 'L99,999.99', '1234.56'],
  ['to_number', '42nd', '99th', '42'],
  ['to_number', '123456', '99999V99', '1234.5600000000000000'],
  ['to_number', '12', '99V99999999999999999', '0.0000000000000000'],
  ['to_number', '1é23', '999', '1'],
];

interface Expected {
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
}

const refused: [Fn, string, string, Expected, string?][] = [
  [
    'to_date',
    '97/Feb/16',
    'YYMonDD',
    {
      sqlstate: '22007',
      message: 'invalid value "/Feb/16" for "Mon"',
      detail: 'The given value did not match any of the allowed values for this field.',
    },
  ],
  [
    'to_date',
    '2005527',
    'YYYYIWID',
    {
      sqlstate: '22007',
      message: 'invalid combination of date conventions',
      hint: 'Do not mix Gregorian and ISO week date conventions in a formatting template.',
    },
  ],
  [
    'to_date',
    '19971',
    'YYYYMMDD',
    {
      sqlstate: '22007',
      message: 'source string too short for "MM" formatting field',
      detail: 'Field requires 2 characters, but only 1 remain.',
      hint: 'If your source string is not fixed-width, try using the "FM" modifier.',
    },
  ],
  [
    'to_date',
    '19971)24',
    'YYYYMMDD',
    {
      sqlstate: '22007',
      message: 'invalid value "1)" for "MM"',
      detail: 'Field requires 2 characters, but only 1 could be parsed.',
      hint: 'If your source string is not fixed-width, try using the "FM" modifier.',
    },
  ],
  [
    'to_date',
    'Friday 1-January-1999',
    'DY DD MON YYYY',
    { sqlstate: '22007', message: 'invalid value "da" for "DD"', detail: 'Value must be an integer.' },
  ],
  [
    'to_date',
    '1997-11-Jan-16',
    'YYYY-MM-DD-Mon-DD',
    { sqlstate: '22007', message: 'invalid value "Ja" for "DD"', detail: 'Value must be an integer.' },
  ],
  [
    'to_date',
    '10000000000',
    'FMYYYY',
    {
      sqlstate: '22008',
      message: 'value for "YYYY" in source string is out of range',
      detail: 'Value must be in the range -2147483648 to 2147483647.',
    },
  ],
  [
    'to_date',
    '2016-02-30',
    'YYYY-MM-DD',
    { sqlstate: '22008', message: 'date/time field value out of range: "2016-02-30"' },
  ],
  [
    'to_date',
    '2016 367',
    'YYYY DDD',
    { sqlstate: '22008', message: 'date/time field value out of range: "2016 367"' },
  ],
  [
    'to_date',
    '366',
    'DDD',
    { sqlstate: '22007', message: 'cannot calculate day of year without year information' },
  ],
  [
    'to_date',
    '5874898-01-01',
    'YYYY-MM-DD',
    { sqlstate: '22008', message: 'date out of range: "5874898-01-01"' },
  ],
  [
    'to_date',
    '  ',
    'YYYY',
    { sqlstate: '22007', message: 'invalid value "" for "YYYY"', detail: 'Value must be an integer.' },
  ],
  [
    'to_timestamp',
    '2011-12-18 11:38 PST',
    'YYYY-MM-DD HH12:MI TZ',
    { sqlstate: '0A000', message: 'formatting field "TZ" is only supported in to_char' },
  ],
  [
    'to_timestamp',
    '13:00 PM',
    'HH12:MI PM',
    {
      sqlstate: '22007',
      message: 'hour "13" is invalid for the 12-hour clock',
      hint: 'Use the 24-hour clock, or give an hour between 1 and 12.',
    },
  ],
  [
    'to_timestamp',
    '2016-06-13 25:00:00',
    'YYYY-MM-DD HH24:MI:SS',
    { sqlstate: '22008', message: 'date/time field value out of range: "2016-06-13 25:00:00"' },
  ],
  [
    'to_timestamp',
    '2020-06-01 12:00 +16',
    'YYYY-MM-DD HH24:MI TZH',
    { sqlstate: '22009', message: 'time zone displacement out of range: "2020-06-01 12:00 +16"' },
  ],
  ['to_timestamp', '300000-01-01', 'YYYY-MM-DD', { sqlstate: '22008', message: 'timestamp out of range' }],
  [
    'to_date',
    'Monday Monday',
    'Day Day',
    {
      sqlstate: '22007',
      message: 'conflicting values for "Day" field in formatting string',
      detail: 'This value contradicts a previous setting for the same field type.',
    },
  ],
  [
    'to_date',
    '2020 xx 01',
    'YYYY Month DD',
    {
      sqlstate: '22007',
      message: 'invalid value "xx" for "Month"',
      detail: 'The given value did not match any of the allowed values for this field.',
    },
  ],
  [
    'to_date',
    '日本',
    'YYYY',
    { sqlstate: '22007', message: 'invalid value "日�" for "YYYY"', detail: 'Value must be an integer.' },
  ],
  [
    'to_number',
    '12345',
    '99.99',
    {
      sqlstate: '22003',
      message: 'numeric field overflow',
      detail: 'A field with precision 2, scale 0 must round to an absolute value less than 10^2.',
    },
  ],
  ['to_number', '12', 'x', { sqlstate: '22P02', message: 'invalid input syntax for type numeric: " "' }],
  ['to_number', '12', '9EEEE', { sqlstate: '0A000', message: '"EEEE" not supported for input' }],
  ['to_number', '12', 'RN', { sqlstate: '0A000', message: '"RN" not supported for input' }],
  ['to_number', '12', '9.9.9', { sqlstate: '42601', message: 'multiple decimal points' }],
  ['to_number', '12', 'S9MI', { sqlstate: '42601', message: 'cannot use "S" and "MI" together' }],
  ['to_number', '12', '9PR9', { sqlstate: '42601', message: '"9" must be ahead of "PR"' }],
];

describe('to_date / to_timestamp / to_number accept what PostgreSQL accepts', () => {
  for (const [fn, input, picture, want, tz] of accepted) {
    test(`${fn}('${input}', '${picture}')${tz ? ` in ${tz}` : ''}`, () => {
      assert.equal(run(fn, input, picture, tz), want);
    });
  }
  test('an empty picture: to_number gives NULL', () => {
    assert.equal(run('to_number', '12', ''), null);
  });
});

describe('and refuse what it refuses, with its errors', () => {
  for (const [fn, input, picture, want, tz] of refused) {
    test(`${fn}('${input}', '${picture}')`, () => {
      assert.throws(
        () => run(fn, input, picture, tz),
        (e: unknown) => {
          assert.ok(e instanceof ChorusError);
          assert.deepEqual(
            { sqlstate: e.sqlstate, message: e.message, detail: e.detail, hint: e.hint },
            { detail: undefined, hint: undefined, ...want },
          );
          return true;
        },
      );
    });
  }
});
