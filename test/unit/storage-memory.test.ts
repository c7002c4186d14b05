// [storage] cache_size_mb / mmap_size_mb: validated with the key named, defaults, and applied to a
// SQLite connection as the pragmas SQLite reads back.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config/load.js';
import { applyStorageMemory } from '../../src/storage/memory-settings.js';

function withFile<T>(text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-mem-'));
  try {
    const p = join(dir, 'chorus.toml');
    writeFileSync(p, text);
    return fn(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('[storage] defaults: 32 MiB page cache per connection, 1 GiB memory map', () => {
  const c = loadConfig();
  assert.equal(c.storage.cache_size_mb, 32);
  assert.equal(c.storage.mmap_size_mb, 1024);
});

test('[storage] values from the file and from CHORUS_STORAGE__* environment variables', () => {
  withFile('[storage]\ncache_size_mb = 256\nmmap_size_mb = 0\n', (p) => {
    const c = loadConfig({ flags: { config: p } });
    assert.equal(c.storage.cache_size_mb, 256);
    assert.equal(c.storage.mmap_size_mb, 0);
  });
  const c = loadConfig({ env: { CHORUS_STORAGE__CACHE_SIZE_MB: '8' } });
  assert.equal(c.storage.cache_size_mb, 8);
});

test('[storage] bad values are refused with the key and the allowed range named', () => {
  const cases: [string, RegExp][] = [
    ['cache_size_mb = 0', /storage\.cache_size_mb.*at least 1/],
    ['cache_size_mb = 1.5', /storage\.cache_size_mb.*whole number/],
    ['cache_size_mb = "64MB"', /storage\.cache_size_mb/],
    ['cache_size_mb = 100000', /storage\.cache_size_mb.*at most 65536/],
    ['mmap_size_mb = -1', /storage\.mmap_size_mb.*0 \(no map\) or more/],
    ['mmap_size_mb = 4096', /storage\.mmap_size_mb.*at most 2047/],
    ['cache_mb = 4', /unknown config key "storage\.cache_mb"/],
  ];
  for (const [line, message] of cases) {
    withFile(`[storage]\n${line}\n`, (p) => {
      assert.throws(() => loadConfig({ flags: { config: p } }), message, line);
    });
  }
});

test('applyStorageMemory sets cache_size (KiB) and mmap_size (bytes) on a connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-mem-'));
  const db = new Database(join(dir, 'x.db'));
  try {
    applyStorageMemory(db, { cacheSizeMb: 48, mmapSizeMb: 300 });
    assert.equal(db.pragma('cache_size', { simple: true }), -48 * 1024);
    assert.equal(db.pragma('mmap_size', { simple: true }), 300 * 1024 * 1024);
    applyStorageMemory(db, { cacheSizeMb: 1, mmapSizeMb: 0 });
    assert.equal(db.pragma('cache_size', { simple: true }), -1024);
    assert.equal(db.pragma('mmap_size', { simple: true }), 0);
    applyStorageMemory(db);
    assert.equal(db.pragma('cache_size', { simple: true }), -32 * 1024);
    assert.equal(db.pragma('mmap_size', { simple: true }), 1024 * 1024 * 1024);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
