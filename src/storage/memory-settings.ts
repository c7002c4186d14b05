// Memory SQLite may use per connection ([storage] cache_size_mb, mmap_size_mb): the page cache of
// each connection and the size of the database file mapped into memory. Applied to the writer and
// every read connection when it opens (see docs/operator-guide.md "Memory").

import type Database from 'better-sqlite3';
import { defaultCacheSizeMb, defaultMmapSizeMb } from '../config/schema.js';

export interface StorageMemory {
  /** Page cache of each connection, MiB (SQLite's cache_size; private to the connection). */
  cacheSizeMb: number;
  /** Bytes of the database file read through a memory map, MiB (0 = no map; shared by all connections). */
  mmapSizeMb: number;
}

export const defaultStorageMemory: StorageMemory = {
  cacheSizeMb: defaultCacheSizeMb,
  mmapSizeMb: defaultMmapSizeMb,
};

/** Apply the settings to a freshly opened connection (before its first read). */
export function applyStorageMemory(db: Database.Database, m: StorageMemory = defaultStorageMemory): void {
  // A negative cache_size is KiB rather than pages.
  db.pragma(`cache_size = ${-Math.floor(m.cacheSizeMb * 1024)}`);
  db.pragma(`mmap_size = ${Math.floor(m.mmapSizeMb) * 1024 * 1024}`);
}
