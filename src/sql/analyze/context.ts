// What analysis of one statement carries around: typed expressions, the catalog it resolves names
// against (an interface owned here, implemented by the session layer), the parameters and their
// inferred types, and the bind sources behind each `?` of the emitted SQL.

import { ChorusError } from '../../errors.js';
import { type PgType, T, type TypeRef } from '../types/pg-types.js';

/** A typed expression: SQLite text over the storage formats, and its PostgreSQL type. */
export interface Typed {
  sql: string;
  type: PgType;
  typmod: number;
  /** An untyped string literal ('...'): its text, converted when the context gives it a type. */
  unknownLiteral?: string;
  /** A bare parameter reference ($n) whose type the context may still choose. */
  param?: number;
  /** Error position (1-based characters) of a literal or parameter: input errors point at it. */
  location?: number;
  /** A plan-time constant in storage form (null: the SQL NULL literal). */
  constant?: StorageValue;
  /** The name PostgreSQL gives this expression as an output column (FigureColname). */
  colname?: string;
  /** A name of FigureColname's low strength (a cast's type name, "case"): an outer cast overrides it. */
  weakName?: boolean;
  /** Contains an aggregate call at this query level. */
  hasAggregate?: boolean;
  /** Contains a window function call. */
  hasWindow?: boolean;
}

export type { StorageValue } from '../types/codec.js';

import type { StorageValue } from '../types/codec.js';

/** A column of a relation in the catalog. */
export interface CatalogColumn {
  name: string;
  /** Null: a column the front end did not declare (SQLite type affinity only); shown as text. */
  type: TypeRef | null;
  notNull: boolean;
  /** SQLite's default expression text (storage form), null when none. */
  defaultSql: string | null;
  /** PostgreSQL's text of the default, when the front end wrote it. */
  defaultPg: string | null;
  /** The rowid key: SQLite assigns it when omitted, if `generated`. */
  rowidKey: boolean;
  /** serial / identity: a value is generated when the column is omitted. */
  generated: boolean;
  /** Position in the table (1-based, as pg_attribute.attnum). */
  attnum: number;
  /** Declared CRDT type name (CRDT_COUNTER, ...), if any. */
  crdt?: string;
  /** A generated (computed) column: never written directly. */
  computed?: boolean;
  /** The column's name in SQLite when it differs (a view's columns are c1..cN). */
  sqlName?: string;
}

export interface CatalogUnique {
  name: string;
  columns: string[];
  primary: boolean;
}

export type RelationKind = 'table' | 'view' | 'admin';

/** A relation a statement can name. */
export interface CatalogRelation {
  /** The SQLite name: bare in public, "schema.name" in another schema (sql/namespaces.ts). */
  name: string;
  /** Its schema and PostgreSQL name, when not public (messages, catalog). */
  schema?: string;
  kind: RelationKind;
  columns: CatalogColumn[];
  /** Primary key column names (empty when none). */
  primaryKey: string[];
  uniques: CatalogUnique[];
  /** The SQL SQLite runs for this relation in FROM (a quoted table name, or a subquery for admin views). */
  fromSql: string;
  /** Admin relations served by JavaScript run on the admin connection. */
  onAdmin?: boolean;
  /** Replicated (captured) table, as opposed to a local-only (UNLOGGED) one. */
  replicated?: boolean;
  /** A view's query as PostgreSQL text: the front end expands it where the view is named. */
  definition?: string;
  /** A session's temporary table or view (session/temp/): never replicated, read on the writer. */
  temporary?: boolean;
}

/** What analysis needs to know about the database: implemented by the session layer. */
export interface Catalog {
  /** A relation by name (unquoted names arrive folded to lower case); schema may be null. */
  relation(schema: string | null, name: string): CatalogRelation | undefined;
  /**
   * A `replicate.<name>(args)` in FROM: the admin function's rows as a relation, its arguments
   * (constants) bound; undefined when there is no such function.
   */
  adminFunction?(
    name: string,
    positional: readonly AdminArgument[],
    named: ReadonlyMap<string, AdminArgument>,
  ): CatalogRelation | undefined;
  /** Increases whenever the schema changes; plans record the version they were made against. */
  readonly version: number;
  /** The session's search_path as existing schemas, in order (pg_catalog implicit, not listed). */
  searchPath?(): readonly string[];
  /** The session's own temporary schema (pg_temp_<id>), when it has temporary objects. */
  tempSchema?(): string | undefined;
  /** Does a schema of this name exist (public always does)? */
  schemaExists?(name: string): boolean;
  /** A sequence by name (schema null: along the search path). */
  sequence?(schema: string | null, name: string): CatalogSequence | undefined;
  /** An enum type by name (schema null: along the search path). */
  enumType?(schema: string | null, name: string): CatalogEnum | undefined;
  /** An enum type by its OID. */
  enumByOid?(oid: number): CatalogEnum | undefined;
  /** A type the catalog defines (an enum type or its array type) by OID. */
  userType?(oid: number): PgType | undefined;
  /** The sequence of a serial / identity column (table by its SQLite-side name). */
  ownedSequence?(table: string, column: string): CatalogSequence | undefined;
}

/** A sequence as analysis needs it. */
export interface CatalogSequence {
  schema: string;
  name: string;
  /** SQLite-side name (_chorus_sequences.name). */
  storedName: string;
  oid: number;
  /** The table (SQLite name) and column of a serial / identity column that owns it. */
  ownerTable: string | null;
  ownerColumn: string | null;
}

/** An enum type: its labels in sort order, and the type the analyzer uses (types/enum.ts). */
export interface CatalogEnum {
  schema: string;
  name: string;
  storedName: string;
  oid: number;
  arrayOid: number;
  labels: string[];
  type: PgType;
}

/** A constant argument of an admin function. */
export type AdminArgument = string | number | bigint | boolean | null;

/** Where the value of one `?` in the emitted SQL comes from. */
export type BindSource =
  | { kind: 'param'; index: number } // client parameter $n (0-based index)
  | { kind: 'now' } // the transaction's start time (µs, timestamptz storage)
  | { kind: 'statement_now' } // the statement's start time (statement_timestamp())
  | { kind: 'clock_now' } // the current time (clock_timestamp())
  | { kind: 'execution' } // a number unique to this execution of the statement
  | { kind: 'xact_id' } // a number unique to the session's transaction (txid_current())
  | { kind: 'timezone' } // the session's TimeZone
  | { kind: 'setting'; name: string; missingOk?: boolean } // another session setting
  | { kind: 'current_setting'; name: BindSource; missingOk?: BindSource } // current_setting($1, ...)
  | { kind: 'set_config'; name: BindSource; value: BindSource; isLocal: BindSource } // set_config()
  | { kind: 'value'; value: StorageValue }; // a constant kept out of the SQL text

/** Kinds of literals a normalized simple query turned into parameters (see sql/normalize.ts). */
export type LiteralKind = 'int4' | 'int8' | 'numeric' | 'string';

export const bindMarker = '\u0000';

/** Per-statement analysis state: parameters, bind sources, and the options of the session. */
export class AnalyzeState {
  /** Inferred (or declared) type of each parameter $n at index n-1. */
  readonly paramTypes: (TypeRef | undefined)[];
  readonly sources: BindSource[] = [];
  private aliases = 0;
  /** Reads a relation served by JavaScript (it runs on the admin connection). */
  usesAdmin = false;
  /** Calls nextval / currval / setval / lastval: runs on the writer, where sequences live. */
  usesSequences = false;
  /** Names a session's temporary relation: runs on the writer, where they live. */
  usesTemp = false;
  /** The statement stores the SQL of its expressions (CHECK, index expressions): their kind. */
  storedExpressions: string | null = null;

  constructor(
    readonly catalog: Catalog,
    readonly text: string,
    declaredParams: readonly (TypeRef | undefined)[],
    /** Literal parameters of a normalized simple query (index n-1), typed like the literals they replaced. */
    readonly literals: readonly LiteralKind[] | null,
  ) {
    this.paramTypes = [...declaredParams];
  }

  /** A marker in the SQL text for one bind value; finishSql turns markers into `?` in order. */
  marker(source: BindSource): string {
    this.sources.push(source);
    return `${bindMarker}${this.sources.length - 1}${bindMarker}`;
  }

  /** A table alias no user name can collide with. */
  uniqueAlias(): string {
    return `_q${++this.aliases}`;
  }

  paramMarker(n: number): string {
    return this.marker({ kind: 'param', index: n - 1 });
  }

  literalKind(n: number): LiteralKind | undefined {
    return this.literals?.[n - 1];
  }

  setParamType(n: number, type: TypeRef): void {
    if (n < 1) throw new ChorusError('42P02', `there is no parameter $${n}`);
    this.paramTypes[n - 1] = type;
  }

  /** Final SQL: markers become positional `?`, and the bind order lists their sources. */
  finishSql(sql: string): { sql: string; bind: BindSource[] } {
    if (!sql.includes(bindMarker)) return { sql, bind: [] };
    const bind: BindSource[] = [];
    const parts = sql.split(bindMarker);
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) out += parts[i];
      else {
        bind.push(this.sources[Number(parts[i])]!);
        out += '?';
      }
    }
    return { sql: out, bind };
  }

  /**
   * Parameter types after analysis. A client parameter no context typed is PostgreSQL's 42P18; a
   * literal of a normalized simple query stays text, as an untyped literal would.
   */
  finalParamTypes(count: number): TypeRef[] {
    const out: TypeRef[] = [];
    for (let i = 0; i < count; i++) {
      const t = this.paramTypes[i];
      if ((t === undefined || t.type === T.unknown) && !this.literals?.[i]) {
        throw new ChorusError('42P18', `could not determine data type of parameter $${i + 1}`);
      }
      out.push(t && t.type !== T.unknown ? t : { type: T.text, typmod: -1 });
    }
    return out;
  }
}

export function typed(sql: string, type: PgType, typmod = -1, extra: Partial<Typed> = {}): Typed {
  return { sql, type, typmod, ...extra };
}

export function typeRefOf(t: Typed): TypeRef {
  return { type: t.type, typmod: t.typmod };
}
