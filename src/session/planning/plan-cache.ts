// Statement plans shared by all sessions, keyed by text (and the parameter types a client
// declared). Simple-protocol statements are first normalized (literals -> parameters) so that texts
// differing only in literals share one plan. Plans of the PostgreSQL front end depend on the schema:
// a plan made against an older catalog version is made again from its text when next used.

import type { AdminRegistry } from '../../admin/registry.js';
import { ChorusError, ProgramLimitExceededError, SyntaxError42601 } from '../../errors.js';
import { queryStatementsMax, statementCacheEntriesMax, statementTextBytesMax } from '../../limits.js';
import type { Catalog } from '../../sql/analyze/context.js';
import { isDdl } from '../../sql/classify.js';
import { type StatementText, splitStatements, tokenize } from '../../sql/lexer.js';
import { normalizeForPg, normalizeLiterals } from '../../sql/normalize.js';
import { expandPgStatement } from '../../sql/pg-dialect.js';
import { typeByOid } from '../../sql/types/pg-types.js';
import { codecFor, defaultEnv } from '../../sql/types/values.js';
import { prepareLocal } from '../local/local-prepared.js';
import { localStatementWord } from '../local/statement.js';
import type { BindValue } from '../read-protocol.js';
import { pendingStatement, prepareStatement } from './prepare.js';
import type { Prepared } from './prepared.js';
import { checkPostgresSyntax, planFrontEnd, planFrontEndCandidate } from './statement-path.js';

export interface PlannedStatement {
  prepared: Prepared;
  params: readonly BindValue[];
  /**
   * A statement of a multi-statement query, to be planned again when its turn comes if the
   * statements ahead of it changed the schema: PostgreSQL analyzes each statement of a query just
   * before running it, so a statement after DDL in the same query sees the new schema.
   */
  source?: StatementSource;
  /**
   * Not planned yet: planning failed before the statements ahead of it ran (it names a table
   * they create, or its error must come after their results). `prepared` is only its
   * classification; it is planned from `source` when its turn comes.
   */
  pending?: boolean;
}

/** One statement and the query it came in (error positions count from the query's start). */
export interface StatementSource {
  query: string;
  statement: StatementText;
}

export class PlanCache {
  private readonly plans = new Map<string, Prepared>();
  /** Normalized texts that could not be planned as such (e.g. a type modifier became a parameter). */
  private readonly unnormalizable = new Set<string>();
  /** Bound on remembered plans (LRU) and on remembered unnormalizable texts. */
  private readonly plansMax = statementCacheEntriesMax * 4;

  constructor(
    private readonly registry: AdminRegistry,
    private readonly compile: (sql: string) => unknown,
    private readonly catalog: Catalog,
  ) {}

  withCatalog(catalog: Catalog): PlanCache {
    return new PlanCache(this.registry, this.compile, catalog);
  }

  private lookup(key: string): Prepared | undefined {
    const p = this.plans.get(key);
    if (!p) return undefined;
    // Typed DDL (ALTER TABLE's analysis) was made against a schema too.
    const version = p.plan?.schemaVersion ?? p.ddl?.schemaVersion;
    if (version !== undefined && version !== this.catalog.version) {
      this.plans.delete(key);
      return undefined;
    }
    this.plans.delete(key);
    this.plans.set(key, p);
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

  private forget(norm: string): void {
    if (this.unnormalizable.size >= this.plansMax) this.unnormalizable.clear();
    this.unnormalizable.add(norm);
  }

  /** One statement (extended protocol Parse, HTTP with params), with the parameter types Parse declared. */
  prepareOne(sql: string, declaredOids: readonly number[] = []): Prepared {
    const key = declaredOids.length > 0 ? `${sql}\u0000${declaredOids.join(',')}` : sql;
    const cached = this.lookup(key);
    if (cached) return cached;
    checkSize(sql);
    const stmts = this.expand(splitStatements(sql));
    if (stmts.length > 1)
      throw new SyntaxError42601('cannot insert multiple commands into a prepared statement');
    const one = stmts[0];
    if (!one) return this.remember(key, prepareStatement('', [], this.registry));
    const declared = declaredOids.map((o) => {
      const t = o === 0 ? undefined : (typeByOid(o) ?? this.catalog.userType?.(o));
      return t ? { type: t, typmod: -1 } : undefined;
    });
    const p =
      prepareLocal(one) ??
      planFrontEnd(one, this.catalog, { declaredParams: declared }) ??
      this.tokenPath(one);
    p.declaredOids = declaredOids;
    return this.remember(key, p);
  }

  /** The plan of a statement whose plan was made against an older schema, made again. */
  refresh(p: Prepared): Prepared {
    const version = p.plan?.schemaVersion ?? p.ddl?.schemaVersion;
    if (version === undefined || version === this.catalog.version) return p;
    if (p.literalKinds && p.sourceText) {
      // A normalized simple query: its parameters are the literals it replaced, typed as such.
      const q = planFrontEnd({ sql: p.sourceText, tokens: tokenize(p.sourceText) }, this.catalog, {
        literals: p.literalKinds,
      });
      if (q?.plan) {
        q.sourceText = p.sourceText;
        q.literalKinds = p.literalKinds;
        return q;
      }
    }
    // Parameter types stay as Parse fixed them (declared, or inferred then), as in PostgreSQL: a
    // client's binary parameters were decoded by them.
    const oids = p.plan ? p.plan.paramTypes.map((t) => t.type.oid) : (p.declaredOids ?? []);
    return this.prepareOne(p.sourceText ?? p.text, oids);
  }

  /** Split and expand PostgreSQL-only statement forms the token layer still handles. */
  private expand(split: readonly StatementText[]): StatementText[] {
    return split.flatMap((s) =>
      planFrontEndCandidate(s) || localStatementWord(s) ? [s] : expandPgStatement(s),
    );
  }

  /**
   * The hot path of simple queries (pgbench, ORMs without prepared statements): a statement whose
   * normalized text has a front-end plan already. Only front-end plans are kept under a
   * normalized key, so a hit needs no classification.
   */
  private cachedFrontEnd(s: StatementText): PlannedStatement | null {
    const n = normalizeForPg(s.tokens);
    if (!n) return null;
    const p = this.lookup(`${n.sql}\u0000${n.kinds.join(',')}`);
    return p && literalsRead(p, n.kinds, n.values) ? { prepared: p, params: n.values } : null;
  }

  /** A simple-protocol Query: split, normalize literals, plan each statement. */
  planSimple(sql: string): PlannedStatement[] {
    checkSize(sql);
    const split = splitStatements(sql);
    if (split.length === 1) {
      const hit = this.cachedFrontEnd(split[0]!);
      if (hit) return [hit];
    }
    const stmts = this.expand(split);
    if (stmts.length > queryStatementsMax) {
      throw new SyntaxError42601(`too many statements in one query (limit ${queryStatementsMax})`);
    }
    if (stmts.length === 1) return [this.planInQuery({ query: sql, statement: stmts[0]! })];
    return stmts.map((statement) => {
      const source = { query: sql, statement };
      try {
        return { ...this.planInQuery(source), source };
      } catch {
        // A syntax error refuses the whole query before anything runs, as PostgreSQL's parser
        // does; any other error is raised when the statement's turn comes.
        inQuery(sql, statement, () => checkPostgresSyntax(statement));
        return { prepared: pendingStatement(statement), params: [], source, pending: true };
      }
    });
  }

  /** One statement of a simple query, planned against the current schema. */
  planInQuery(source: StatementSource): PlannedStatement {
    return inQuery(source.query, source.statement, () => this.planOneSimple(source.statement));
  }

  private planOneSimple(s: StatementText): PlannedStatement {
    if (localStatementWord(s)) {
      const cached = this.lookup(s.sql);
      if (cached) return { prepared: cached, params: [] };
      const local = prepareLocal(s);
      if (local) return { prepared: this.remember(s.sql, local), params: [] };
    }
    const pgNorm = planFrontEndCandidate(s) ? normalizeForPg(s.tokens) : null;
    if (pgNorm) {
      const key = `${pgNorm.sql}\u0000${pgNorm.kinds.join(',')}`;
      if (!this.unnormalizable.has(key)) {
        let p = this.lookup(key);
        if (!p) {
          try {
            p =
              planFrontEnd({ sql: pgNorm.sql, tokens: tokenize(pgNorm.sql) }, this.catalog, {
                literals: pgNorm.kinds,
              }) ?? undefined;
          } catch {
            p = undefined; // planned from the original text below (and its error reported from there)
          }
          if (p?.plan) {
            p.sourceText = pgNorm.sql;
            p.literalKinds = pgNorm.kinds;
            this.remember(key, p);
          } else {
            this.forget(key);
            p = undefined;
          }
        }
        // An untyped literal that its type's input function refuses: plan the original text, so the
        // error is raised at planning with the literal's position, as PostgreSQL raises it.
        if (p && literalsRead(p, pgNorm.kinds, pgNorm.values)) return { prepared: p, params: pgNorm.values };
      }
    }
    if (!planFrontEndCandidate(s)) {
      const norm = normalizeLiterals(s.tokens);
      if (norm && !this.unnormalizable.has(norm.sql)) {
        let p = this.lookup(norm.sql);
        if (!p) {
          checkPostgresSyntax(s);
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
              this.forget(norm.sql);
              p = undefined;
            }
          } else {
            this.forget(norm.sql);
            p = undefined;
          }
        }
        if (p) return { prepared: p, params: norm.params };
      }
    }
    const cached = this.lookup(s.sql);
    if (cached) return { prepared: noParameters(s, cached), params: [] };
    const p = noParameters(s, planFrontEnd(s, this.catalog, { literals: [] }) ?? this.tokenPath(s));
    return { prepared: this.remember(s.sql, p), params: [] };
  }

  /** A statement the token-level path runs (its syntax checked by PostgreSQL's parser first). */
  private tokenPath(s: StatementText): Prepared {
    checkPostgresSyntax(s);
    return prepareStatement(s.sql, s.tokens, this.registry);
  }
}

/** A simple query has no parameters: its `$n` is 42P02 at the first one, as in PostgreSQL. */
function noParameters(s: StatementText, p: Prepared): Prepared {
  if (p.paramCount === 0) return p;
  const t = s.tokens.find((x) => x.kind === 'param');
  throw new ChorusError('42P02', `there is no parameter ${t?.text ?? '$1'}`, {
    ...(t ? { position: [...s.sql.slice(0, t.start)].length + 1 } : {}),
  });
}

/** Run `f` for one statement of a query; its errors' positions count from the query's start. */
function inQuery<T>(query: string, s: StatementText, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ChorusError) || e.position === undefined || !s.offset) throw e;
    // PostgreSQL counts characters, not UTF-16 code units.
    throw e.shifted([...query.slice(0, s.offset)].length);
  }
}

function checkSize(sql: string): void {
  // Cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
  if (sql.length * 3 > statementTextBytesMax && Buffer.byteLength(sql) > statementTextBytesMax) {
    throw new ProgramLimitExceededError(`statement text exceeds ${statementTextBytesMax} bytes`);
  }
}

/** Whether every untyped literal of a normalized statement reads as the type its plan gave it. */
function literalsRead(p: Prepared, kinds: readonly string[], values: readonly string[]): boolean {
  const types = p.plan?.paramTypes ?? [];
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== 'string') continue;
    const t = types[i];
    if (!t) continue;
    try {
      codecFor(t.type).input(values[i]!, -1, defaultEnv);
    } catch {
      return false;
    }
  }
  return true;
}
