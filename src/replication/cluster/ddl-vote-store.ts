// Where a master keeps what the DDL lock must not forget over a restart (replication/cluster/ddl-lock.ts):
// the vote it gives a peer and the DDL it knows of but has not applied, in a small file in the data
// directory, written (and fsynced) when either changes.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DdlLockState, DdlVoteStore } from './ddl-lock.js';

export const ddlVoteFile = 'ddl-lock-vote.json';

export function fileVoteStore(dataDir: string): DdlVoteStore {
  const file = join(dataDir, ddlVoteFile);
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      // A torn or damaged file is not "no vote out": the caller stays quiet for a lease.
      return JSON.parse(text) as DdlLockState;
    },
    save(state) {
      const tmp = `${file}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, JSON.stringify(state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      // The rename itself must survive a power loss.
      const dir = openSync(dataDir, 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    },
  };
}

/** A store in memory (simulations: it survives a simulated restart). */
export function memoryVoteStore(): DdlVoteStore {
  let held: DdlLockState | null = null;
  return {
    load: () => held,
    save: (state) => {
      held = structuredClone(state);
    },
  };
}
