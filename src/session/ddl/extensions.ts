// CREATE / DROP EXTENSION for the extensions whose functions ChorusDB has built in: the fact that
// one was created is kept in _chorus_extensions and replicated as a DDL entry, as PostgreSQL keeps
// pg_extension; any other extension is refused as PostgreSQL refuses one that is not installed.

import type * as P from '@pgsql/types';
import { ChorusError } from '../../errors.js';
import { quoteLiteral } from '../../sql/lexer.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { notice, result, type StatementResult } from '../result.js';

/** Extensions available here, with the version PostgreSQL 15 ships and what ChorusDB provides of them. */
export const availableExtensions: ReadonlyMap<string, { version: string; provides: string }> = new Map([
  ['pgcrypto', { version: '1.3', provides: 'gen_random_uuid()' }],
  ['uuid-ossp', { version: '1.1', provides: 'uuid_generate_v4()' }],
  ['plpgsql', { version: '1.0', provides: 'nothing: ChorusDB has no procedural languages' }],
]);

/** Installed in every database, as in PostgreSQL. */
const alwaysInstalled = new Set(['plpgsql']);

function installed(engine: StorageEngine, name: string): boolean {
  return (
    alwaysInstalled.has(name) ||
    engine.writer.prepare('SELECT 1 FROM _chorus_extensions WHERE name = ?').get(name) !== undefined
  );
}

export function createExtension(engine: StorageEngine, s: P.CreateExtensionStmt): StatementResult {
  const name = s.extname ?? '';
  const ext = availableExtensions.get(name);
  if (!ext) {
    throw new ChorusError('0A000', `extension "${name}" is not available`, {
      hint: `ChorusDB provides these extensions: ${[...availableExtensions.keys()].join(', ')}.`,
    });
  }
  if (installed(engine, name)) {
    if (s.if_not_exists)
      return {
        ...result('CREATE EXTENSION', null),
        notices: [notice(`extension "${name}" already exists, skipping`, { code: '42710' })],
      };
    throw new ChorusError('42710', `extension "${name}" already exists`);
  }
  const sql = `INSERT INTO _chorus_extensions (name, version) VALUES (${quoteLiteral(name)}, ${quoteLiteral(ext.version)}) ON CONFLICT (name) DO NOTHING`;
  engine.writer.exec(sql);
  engine.logDdl('', sql);
  return result('CREATE EXTENSION', null);
}

export function dropExtensions(engine: StorageEngine, d: P.DropStmt): StatementResult {
  const names = (d.objects ?? []).map((o) => (o as { String: P.String }).String.sval ?? '');
  const notices = [];
  const drop: string[] = [];
  for (const name of names) {
    if (alwaysInstalled.has(name))
      throw new ChorusError('2BP01', `cannot drop extension ${name} because other objects depend on it`);
    if (!installed(engine, name)) {
      if (!d.missing_ok) throw new ChorusError('42704', `extension "${name}" does not exist`);
      notices.push(notice(`extension "${name}" does not exist, skipping`));
      continue;
    }
    drop.push(name);
  }
  if (drop.length > 0) {
    const sql = `DELETE FROM _chorus_extensions WHERE name IN (${drop.map(quoteLiteral).join(', ')})`;
    engine.writer.exec(sql);
    engine.logDdl('', sql);
  }
  return { ...result('DROP EXTENSION', null), notices };
}
