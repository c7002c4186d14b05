// PostgreSQL constructs this node cannot support, refused up front with 0A000 naming the construct
// (rather than whatever syntax error SQLite would give): statements (GRANT, CREATE FUNCTION,
// LOCK, ALTER TABLE ... ALTER COLUMN, ...) and expressions (row locks, arrays, SIMILAR TO,
// data-modifying CTEs).

import { FeatureNotSupportedError } from '../errors.js';
import { isKeyword, type Token } from './lexer.js';
import { matchParen } from './pg-tokens.js';

/** Statement-level: sig is the statement's significant tokens. */
export function rejectUnsupportedStatement(sig: Token[]): void {
  const [a, b, c, d] = sig;
  if (isKeyword(a, 'GRANT', 'REVOKE')) throw new FeatureNotSupportedError(a!.value);
  if (isKeyword(a, 'DO')) throw new FeatureNotSupportedError('DO (anonymous code blocks)');
  if (isKeyword(a, 'COMMENT') && isKeyword(b, 'ON')) throw new FeatureNotSupportedError('COMMENT ON');
  if (isKeyword(a, 'LOCK')) {
    throw new FeatureNotSupportedError('LOCK TABLE (a session takes the single writer at its first write)');
  }
  if (isKeyword(a, 'ALTER') && isKeyword(b, 'TABLE')) {
    // ChorusDB's own ALTER TABLE ... [ALTER COLUMN c] SET REPLICATION ... (admin/conflict-admin.ts).
    if (sig.some((t, k) => isKeyword(t, 'SET') && isKeyword(sig[k + 1], 'REPLICATION'))) return;
    rejectAlterTable(sig);
    return;
  }
  if (!isKeyword(a, 'CREATE')) return;
  let kw = b;
  if (isKeyword(b, 'OR') && isKeyword(c, 'REPLACE')) kw = d;
  if (isKeyword(kw, 'FUNCTION', 'PROCEDURE')) {
    throw new FeatureNotSupportedError(`CREATE ${kw!.value} (user-defined functions)`);
  }
  // CREATE SCHEMA / SEQUENCE / TYPE / DOMAIN: session/ddl/objects.ts.
  if (isKeyword(kw, 'ROLE', 'USER', 'DATABASE')) {
    throw new FeatureNotSupportedError(`CREATE ${kw!.value}`);
  }
  if (isKeyword(kw, 'MATERIALIZED')) throw new FeatureNotSupportedError('CREATE MATERIALIZED VIEW');
  if (isKeyword(kw, 'TABLE')) rejectTableOptions(sig);
}

/** ALTER TABLE actions SQLite has no form of (ADD PRIMARY KEY is handled by the session). */
function rejectAlterTable(sig: Token[]): void {
  let i = 2;
  if (isKeyword(sig[i], 'IF') && isKeyword(sig[i + 1], 'EXISTS')) i += 2;
  if (isKeyword(sig[i], 'ONLY')) i++;
  i++; // name
  if (sig[i]?.kind === 'dot') i += 2;
  const action = sig[i];
  // ALTER [COLUMN] c RESTART [WITH n]: an identity's sequence (session/ddl/objects.ts).
  const restarts = isKeyword(sig[i + 1], 'COLUMN')
    ? isKeyword(sig[i + 3], 'RESTART')
    : isKeyword(sig[i + 2], 'RESTART');
  if (isKeyword(action, 'ALTER') && !restarts)
    throw new FeatureNotSupportedError('ALTER TABLE ... ALTER COLUMN');
  if (isKeyword(action, 'DROP') && isKeyword(sig[i + 1], 'CONSTRAINT')) {
    throw new FeatureNotSupportedError('ALTER TABLE ... DROP CONSTRAINT');
  }
  if (!isKeyword(action, 'ADD')) return;
  let j = i + 1;
  if (isKeyword(sig[j], 'CONSTRAINT')) j += 2;
  if (isKeyword(sig[j], 'UNIQUE', 'CHECK', 'FOREIGN', 'EXCLUDE')) {
    throw new FeatureNotSupportedError(`ALTER TABLE ... ADD ${sig[j]!.value} constraint`);
  }
}

/** CREATE TABLE ... INHERITS (...) / PARTITION BY / PARTITION OF. */
function rejectTableOptions(sig: Token[]): void {
  const open = sig.findIndex((t) => t.kind === 'lparen');
  const partitionOf = sig.findIndex((t, k) => isKeyword(t, 'PARTITION') && isKeyword(sig[k + 1], 'OF'));
  if (partitionOf >= 0 && (open < 0 || partitionOf < open)) {
    throw new FeatureNotSupportedError('CREATE TABLE ... PARTITION OF (partitioning)');
  }
  if (open < 0) return;
  const close = matchParen(sig, open);
  for (let k = close + 1; k > 0 && k < sig.length; k++) {
    if (isKeyword(sig[k], 'INHERITS')) throw new FeatureNotSupportedError('CREATE TABLE ... INHERITS');
    if (isKeyword(sig[k], 'PARTITION') && isKeyword(sig[k + 1], 'BY')) {
      throw new FeatureNotSupportedError('CREATE TABLE ... PARTITION BY (partitioning)');
    }
  }
}

const comparisonOps = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);

/** Expression-level constructs, anywhere in the statement. */
export function rejectUnsupportedExpressions(sig: Token[]): void {
  rejectWritingCte(sig);
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind !== 'ident' || sig[k - 1]?.kind === 'dot') continue;
    const next = sig[k + 1];
    if (t.value === 'FOR' && isKeyword(next, 'UPDATE', 'SHARE', 'NO', 'KEY')) {
      throw new FeatureNotSupportedError(
        'SELECT ... FOR UPDATE/SHARE (row locks; a session takes the single writer at its first write)',
      );
    }
    if (
      t.value === 'ARRAY' &&
      (next?.kind === 'lparen' || (next?.kind === 'qident' && next.text.startsWith('[')))
    ) {
      throw new FeatureNotSupportedError('ARRAY constructors (arrays)');
    }
    const prev = sig[k - 1];
    if (
      (t.value === 'ANY' || t.value === 'ALL' || t.value === 'SOME') &&
      next?.kind === 'lparen' &&
      prev?.kind === 'op' &&
      comparisonOps.has(prev.text)
    ) {
      throw new FeatureNotSupportedError(`${prev.text} ${t.value}(...) (array and subquery comparisons)`);
    }
    if (t.value === 'SIMILAR' && isKeyword(next, 'TO')) throw new FeatureNotSupportedError('SIMILAR TO');
  }
}

/** `WITH x AS (DELETE ... RETURNING ...) SELECT ...`: SQLite's WITH takes only SELECTs. */
function rejectWritingCte(sig: Token[]): void {
  if (!isKeyword(sig[0], 'WITH')) return;
  for (let k = 1; k < sig.length - 1; k++) {
    if (!isKeyword(sig[k], 'AS')) continue;
    let j = k + 1;
    if (isKeyword(sig[j], 'NOT')) j++;
    if (isKeyword(sig[j], 'MATERIALIZED')) j++;
    if (sig[j]?.kind === 'lparen' && isKeyword(sig[j + 1], 'INSERT', 'UPDATE', 'DELETE')) {
      throw new FeatureNotSupportedError(`${sig[j + 1]!.value} inside WITH (data-modifying CTEs)`);
    }
  }
}
