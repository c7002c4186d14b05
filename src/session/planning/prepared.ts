// The shape of a prepared statement: what kind it is, where it runs (session command, admin handler,
// reader or writer), the SQL SQLite will see, its parameters and, for the front end, its plan.

import type { AdminFunction, AdminType, AdminValue } from '../../admin/registry.js';
import type { LiteralKind } from '../../sql/analyze/context.js';
import type { DdlPlan } from '../../sql/analyze/ddl/ddl.js';
import type { Plan } from '../../sql/analyze/statement.js';
import type { Classified } from '../../sql/classify.js';
import type { Token } from '../../sql/lexer.js';
import type { LocalStatement } from '../local/statement.js';

export type ParamStyle = 'none' | 'positional' | 'dollar';

/** An argument of a direct admin call: a literal, or a reference to a bound parameter ($n / ?). */
export type AdminArg = { value: AdminValue } | { param: number };

export type Route =
  | { type: 'session' }
  | {
      type: 'admin-call';
      fn: AdminFunction;
      positional: AdminArg[];
      named: Map<string, AdminArg>;
      /** `AS alias` after the call: names the result column of a one-column function. */
      alias?: string;
    }
  | { type: 'sql'; onAdmin: boolean };

export interface Prepared {
  /** The statement as the client wrote it. */
  text: string;
  tokens: Token[];
  cls: Classified;
  route: Route;
  /** The SQL handed to SQLite (guards and rewrites applied). */
  execSql: string;
  paramStyle: ParamStyle;
  paramCount: number;
  /** Calls something that may block for long (pg_sleep): never run inline on the protocol thread. */
  mayBlock: boolean;
  /** Column types of the SQL-defined admin views this statement reads (by column name). */
  viewColumnTypes: ReadonlyMap<string, AdminType> | null;
  /**
   * Learned on first execution: a read-only statement that returns rows (it can run on a reader).
   * Whether a text reads or writes does not depend on the schema, so the answer is kept.
   */
  isRead?: boolean;
  /** The PostgreSQL front end's plan (queries and DML it analyzed). */
  plan?: Plan;
  /** DDL the front end translated (CREATE TABLE / INDEX / VIEW): SQLite statements to run. */
  ddl?: DdlPlan;
  /** Parameter types the client declared in Parse (0: infer). */
  declaredOids?: readonly number[];
  /** The text the plan was made from, when it differs from `text` (a normalized simple query). */
  sourceText?: string;
  /** A normalized simple query's literals (its parameters), by kind: planned again with them. */
  literalKinds?: readonly LiteralKind[];
  /** A statement on the session's own objects (cursors, PREPARE, advisory locks): see local/. */
  local?: LocalStatement;
}
