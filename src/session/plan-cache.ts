// Statement plans shared by all sessions, keyed by text. Simple-protocol statements are first
// normalized (literals -> parameters) so that texts differing only in literals share one plan.

import type { AdminRegistry } from '../admin/registry.js';
import { SyntaxError42601 } from '../errors.js';
import { queryStatementsMax, statementCacheEntriesMax, statementTextBytesMax } from '../limits.js';
import { isDdl } from '../sql/classify.js';
import { splitStatements, tokenize } from '../sql/lexer.js';
import { normalizeLiterals } from '../sql/normalize.js';
import { expandPgStatement } from '../sql/pg-dialect.js';
import { type Prepared, prepareStatement } from './prepare.js';
import type { BindValue } from './read-protocol.js';

export interface PlannedStatement {
  prepared: Prepared;
  params: readonly BindValue[];
}

export class PlanCache {
  private readonly plans = new Map<string, Prepared>();
  /** Normalized texts SQLite refused to compile (e.g. a type modifier became a parameter). */
  private readonly unnormalizable = new Set<string>();
  /** Bound on remembered plans (LRU) and on remembered unnormalizable texts. */
  private readonly plansMax = statementCacheEntriesMax * 4;

  constructor(
    private readonly registry: AdminRegistry,
    private readonly compile: (sql: string) => unknown,
  ) {}

  private lookup(key: string): Prepared | undefined {
    const p = this.plans.get(key);
    if (p) {
      this.plans.delete(key);
      this.plans.set(key, p);
    }
    return p;
  }

  private remember(key: string, p: Prepared): Prepared {
    if (this.plans.size >= this.plansMax) {
      const oldest = this.plans.keys().next().value;
      if (oldest !== undefined) this.plans.delete(oldest);
    }
    this.plans.set(key, p);
    return p;
  }

  /** Exactly one statement (extended protocol Parse, HTTP with params). */
  prepareOne(sql: string): Prepared {
    const cached = this.lookup(sql);
    if (cached) return cached;
    checkSize(sql);
    const stmts = splitStatements(sql).flatMap(expandPgStatement);
    if (stmts.length > 1)
      throw new SyntaxError42601('cannot insert multiple commands into a prepared statement');
    const one = stmts[0];
    if (!one) return this.remember(sql, prepareStatement('', [], this.registry));
    return this.remember(sql, prepareStatement(one.sql, one.tokens, this.registry));
  }

  /** A simple-protocol Query: split, normalize literals, plan each statement. */
  planSimple(sql: string): PlannedStatement[] {
    checkSize(sql);
    const stmts = splitStatements(sql).flatMap(expandPgStatement);
    if (stmts.length > queryStatementsMax) {
      throw new SyntaxError42601(`too many statements in one query (limit ${queryStatementsMax})`);
    }
    return stmts.map((s) => {
      const norm = normalizeLiterals(s.tokens);
      if (norm && !this.unnormalizable.has(norm.sql)) {
        let p = this.lookup(norm.sql);
        if (!p) {
          p = prepareStatement(norm.sql, tokenize(norm.sql), this.registry);
          if (
            p.route.type === 'sql' &&
            !p.route.onAdmin &&
            !isDdl(p.cls.kind) &&
            p.paramCount === norm.params.length
          ) {
            try {
              this.compile(p.execSql);
              this.remember(norm.sql, p);
            } catch {
              if (this.unnormalizable.size >= this.plansMax) this.unnormalizable.clear();
              this.unnormalizable.add(norm.sql);
              p = undefined;
            }
          } else {
            if (this.unnormalizable.size >= this.plansMax) this.unnormalizable.clear();
            this.unnormalizable.add(norm.sql);
            p = undefined;
          }
        }
        if (p) return { prepared: p, params: norm.params };
      }
      const cached = this.lookup(s.sql);
      return {
        prepared: cached ?? this.remember(s.sql, prepareStatement(s.sql, s.tokens, this.registry)),
        params: [],
      };
    });
  }
}

function checkSize(sql: string): void {
  // Cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
  if (sql.length * 3 > statementTextBytesMax && Buffer.byteLength(sql) > statementTextBytesMax) {
    throw new SyntaxError42601(`statement text exceeds ${statementTextBytesMax} bytes`);
  }
}
