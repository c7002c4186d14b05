// PostgreSQL dialect layer: token-level rewrites of PostgreSQL spellings SQLite lacks (casts,
// SERIAL, storage options, multi-table DROP/TRUNCATE, date/time functions, ...). Owned by the
// dialect work; the plan cache calls expandPgStatement on every statement before planning.

import type { StatementText } from './lexer.js';

/**
 * One PostgreSQL statement as one or more SQLite-ready statements (e.g. `DROP TABLE a, b` becomes
 * two). Constructs that cannot be supported throw FeatureNotSupportedError (0A000) naming them.
 */
export function expandPgStatement(stmt: StatementText): StatementText[] {
  return [stmt];
}
