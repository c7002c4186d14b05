// Locating the psql binary for tests that drive it (they skip with a printed reason when absent).

import { execFileSync } from 'node:child_process';

/** Absolute path of psql on PATH, or undefined when it is not installed. */
export function findPsql(): string | undefined {
  try {
    const found = execFileSync('which', ['psql'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}
