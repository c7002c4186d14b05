// Session settings from the startup packet: libpq's `options` (PGOPTIONS) read as PostgreSQL reads
// them, unknown names refused, and RESET returning to the connection's startup value.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ChorusError } from '../../src/errors.js';
import { commandLineOptions, SessionSettings } from '../../src/session/settings/settings.js';
import { initParser } from '../../src/sql/parse/parser.js';

before(async () => {
  await initParser();
});

describe('startup options', () => {
  test('-c name=value, -cname=value and --name=value; dashes in names read as underscores', () => {
    assert.deepEqual(commandLineOptions('-c statement_timeout=5s  -cwork_mem=8MB --lock-timeout=1s'), [
      ['statement_timeout', '5s'],
      ['work_mem', '8MB'],
      ['lock_timeout', '1s'],
    ]);
  });

  test('a backslash keeps a space in a value', () => {
    assert.deepEqual(commandLineOptions('-c application_name=my\\ app'), [['application_name', 'my app']]);
  });

  test('anything else is refused', () => {
    assert.throws(() => commandLineOptions('statement_timeout=5s'), ChorusError);
    assert.throws(() => commandLineOptions('-c statement_timeout'), ChorusError);
  });

  test('an unknown name in options is refused with 42704', () => {
    assert.throws(
      () => new SessionSettings({ user: 'u', options: '-c no_such_setting=1' }),
      (e: unknown) => e instanceof ChorusError && e.sqlstate === '42704',
    );
  });

  test('RESET and RESET ALL return to the startup value, not the built-in default', () => {
    const s = new SessionSettings({
      user: 'u',
      options: '-c statement_timeout=5s',
      application_name: 'app1',
    });
    assert.equal(s.get('statement_timeout'), '5s');
    s.apply('SET statement_timeout = 1000', false);
    assert.equal(s.get('statement_timeout'), '1s');
    s.apply('RESET statement_timeout', false);
    assert.equal(s.get('statement_timeout'), '5s');
    s.apply("SET application_name = 'other'", false);
    s.apply('RESET ALL', false);
    assert.equal(s.get('application_name'), 'app1');
    assert.equal(s.get('statement_timeout'), '5s');
  });
});
