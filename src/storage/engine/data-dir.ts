// The data directory made ready before anything opens it, with errors that name the path and the
// problem (a file where the directory should be, no permission, a read-only file system).

import { accessSync, constants, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** Create the data directory if needed and check it can be written. */
export function prepareDataDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
    if (!isDir) throw new ConfigError(`data directory ${dir} is a file, not a directory`);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new ConfigError(`data directory ${dir}: a part of the path is a file`);
    if (code !== 'ENOENT') throw new ConfigError(`data directory ${dir}: ${(e as Error).message}`);
  }
  if (!isDir) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new ConfigError(`cannot create data directory ${dir}: ${reason(e)}`);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new ConfigError(`data directory ${dir} is not writable: ${reason(e)}`);
  }
  // SQLite opens a database file it cannot write read-only without a word, and fails at the first
  // write ("attempt to write a readonly database", no path): name the file before that.
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    try {
      accessSync(join(dir, entry.name), constants.W_OK);
    } catch (e) {
      throw new ConfigError(`${join(dir, entry.name)} in the data directory is not writable: ${reason(e)}`, {
        hint: 'The node writes every file of its data directory: give them to the user that runs it.',
      });
    }
  }
}

/** A SQLite open error (SQLITE_CANTOPEN, SQLITE_READONLY) with the database's path in it. */
export function databaseOpenError(e: unknown, dir: string, file: string): Error {
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY'))
    return new ConfigError(`cannot open ${join(dir, file)} for writing: ${(e as Error).message}`, {
      hint: 'Check the data directory is writable and not on a read-only file system.',
    });
  return e as Error;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EROFS') return 'read-only file system';
  if (err.code === 'EEXIST' || err.code === 'ENOTDIR') return 'a part of the path is a file';
  return err.message;
}
