// The catalog the front end resolves names against, read from SQLite's schema (tables, views and
// their declared types, keys, unique constraints with their PostgreSQL names, defaults) and from
// the admin registry (replicate.* and pg_replication_* relations). Cached until the schema changes.

import type Database from 'better-sqlite3';
import type { AdminColumn, AdminRegistry, AdminType, AdminView } from '../../admin/registry.js';
import { FeatureNotSupportedError } from '../../errors.js';
import type {
  AdminArgument,
  Catalog,
  CatalogColumn,
  CatalogEnum,
  CatalogRelation,
  CatalogSequence,
  CatalogUnique,
} from '../../sql/analyze/context.js';
import { defaultFromComment, parseViewMeta } from '../../sql/analyze/ddl/stored-text.js';
import { quoteId } from '../../sql/analyze/scope.js';
import {
  identText,
  internalPrefix,
  publicSchema,
  qualifiedText,
  splitStorageName,
  storageName,
} from '../../sql/namespaces.js';
import { catalogType, vectorAsArraySql } from '../../sql/types/catalog-types.js';
import { crdtColumnTypes, rowidKeyType, typeOfDeclared } from '../../sql/types/declared-types.js';
import { A, isArrayType, type PgType, ref, T, type TypeRef } from '../../sql/types/pg-types.js';
import { listEnumTypes, listSchemas, listSequences } from '../../storage/object-catalog.js';
import type { ConstraintCatalog, ForeignKey } from '../constraint-errors.js';

const adminTypes: Record<AdminType, TypeRef> = {
  text: ref(T.text),
  int8: ref(T.int8),
  int4: ref(T.int4),
  float8: ref(T.float8),
  numeric: ref(T.numeric),
  bool: ref(T.bool),
  timestamptz: ref(T.timestamptz),
  json: ref(T.json),
  'text[]': ref(A._text),
  'name[]': ref(A._name),
  'int2[]': ref(A._int2),
  'int4[]': ref(A._int4),
  'int8[]': ref(A._int8),
  'oid[]': ref(A._oid),
  'bool[]': ref(A._bool),
};

interface TableInfoRow {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

/** Catalog versions are unique across every catalog of the process (see schema-view.ts). */
let nextCatalogVersion = 1;

/** A catalog version no other catalog has (a session's temporary objects make their own). */
export function newCatalogVersion(): number {
  return nextCatalogVersion++;
}

/** The front end's catalog: relations, columns, keys and constraint names from SQLite's schema. */
export class SchemaCatalog implements Catalog, ConstraintCatalog {
  private cached = new Map<string, CatalogRelation | null>();
  private fks: Map<string, ForeignKey[]> | null = null;
  private objects: {
    schemas: Set<string>;
    sequences: Map<string, CatalogSequence>;
    enums: Map<string, CatalogEnum>;
    /** Enum types and their array types by OID. */
    enumOids: Map<number, PgType>;
  } | null = null;
  private currentVersion = nextCatalogVersion++;

  /** Reads SQLite's temp schema (a session's temporary objects, session/temp/) instead of main's. */
  private readonly temp: boolean;
  private readonly schemaTable: string;

  /** `db`: the connection the schema is read through (committed schema, or a writer's view). */
  constructor(
    private readonly db: Database.Database,
    private readonly registry: AdminRegistry,
    opts: { temp?: boolean } = {},
  ) {
    this.temp = opts.temp ?? false;
    this.schemaTable = this.temp ? 'sqlite_temp_schema' : 'sqlite_schema';
  }

  get version(): number {
    return this.currentVersion;
  }

  /** The schema changed (DDL committed here or applied from a peer): forget everything. */
  invalidate(): void {
    this.cached = new Map();
    this.fks = null;
    this.objects = null;
    this.currentVersion = nextCatalogVersion++;
  }

  /** Foreign keys of a table, with their names (PostgreSQL's defaults for unnamed ones). */
  foreignKeys(table: string): ForeignKey[] {
    return this.allForeignKeys().get(table) ?? [];
  }

  referencing(table: string): ForeignKey[] {
    return [...this.allForeignKeys().values()].flat().filter((fk) => fk.refTable === table);
  }

  private allForeignKeys(): Map<string, ForeignKey[]> {
    if (this.fks) return this.fks;
    const out = new Map<string, ForeignKey[]>();
    const tables = this.db.prepare(
      `SELECT name, sql FROM ${this.schemaTable} WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_chorus\\_%' ESCAPE '\\'`,
    );
    tables.safeIntegers(false);
    const list = this.db.prepare(
      'SELECT id, seq, "table" AS ref, "from" AS col, "to" AS refcol FROM pragma_foreign_key_list(?) ORDER BY id, seq',
    );
    list.safeIntegers(false);
    for (const t of tables.all() as { name: string; sql: string }[]) {
      const names = [...t.sql.matchAll(/CONSTRAINT\s+"((?:[^"]|"")+)"\s+FOREIGN KEY/g)].map((m) =>
        m[1]!.replaceAll('""', '"'),
      );
      const byId = new Map<number, ForeignKey>();
      for (const r of list.all(t.name) as { id: number; ref: string; col: string; refcol: string | null }[]) {
        let fk = byId.get(r.id);
        if (!fk) {
          fk = { name: '', table: t.name, columns: [], refTable: r.ref, refColumns: [] };
          byId.set(r.id, fk);
        }
        fk.columns.push(r.col);
        fk.refColumns.push(r.refcol ?? '');
      }
      // pragma_foreign_key_list numbers keys in reverse order of declaration.
      const fks = [...byId.entries()].sort((a, b) => b[0] - a[0]).map(([, fk]) => fk);
      fks.forEach((fk, i) => {
        fk.name = names[i] ?? `${t.name}_${fk.columns.join('_')}_fkey`;
        if (fk.refColumns.some((c) => c === ''))
          fk.refColumns = this.relation(null, fk.refTable)?.primaryKey ?? fk.refColumns;
      });
      out.set(t.name, fks);
    }
    this.fks = out;
    return out;
  }

  adminFunction(
    name: string,
    positional: readonly AdminArgument[],
    named: ReadonlyMap<string, AdminArgument>,
  ): CatalogRelation | undefined {
    const fn = this.registry.functions.get(name);
    if (!fn) return undefined;
    if (fn.mutates) {
      throw new FeatureNotSupportedError(`replicate.${fn.name}() inside a larger query`, {
        hint: `Call it on its own: SELECT replicate.${fn.name}(...)`,
      });
    }
    const args = this.registry.bindArguments(fn, [...positional], new Map(named));
    const call = `"replicate.${fn.name}"(${args.map(adminLiteral).join(', ')})`;
    return adminRows(`replicate.${fn.name}`, fn.columns, call, true);
  }

  relation(schema: string | null, name: string): CatalogRelation | undefined {
    const key = `${schema ?? ''}.${name}`;
    let r = this.cached.get(key);
    if (r === undefined) {
      r = this.load(schema, name);
      this.cached.set(key, r);
    }
    return r ?? undefined;
  }

  private load(schema: string | null, name: string): CatalogRelation | null {
    if (schema === 'replicate' || (schema === null && name.startsWith('pg_replication_'))) {
      const view = this.registry.views.get(schema ? `${schema}.${name}` : name);
      return view ? adminRelation(view) : null;
    }
    // pg_catalog is searched before the user's schemas (PostgreSQL puts it first implicitly).
    if (schema === 'pg_catalog' || schema === 'information_schema' || schema === null) {
      const view = this.registry.views.get(`${schema ?? 'pg_catalog'}.${name}`);
      if (view) return adminRelation(view);
      if (schema !== null) return null;
    }
    if (name.toLowerCase().startsWith(internalPrefix)) return null;
    if (schema !== null && schema !== publicSchema && !this.schemaExists(schema)) return null;
    const stored = storageName(schema, name);
    const stmt = this.db.prepare(
      `SELECT type, sql FROM ${this.schemaTable} WHERE name = ? AND type IN ('table', 'view')`,
    );
    stmt.safeIntegers(false);
    const row = stmt.get(stored) as { type: string; sql: string } | undefined;
    if (!row) return null;
    const rel = row.type === 'view' ? this.view(stored, row.sql) : this.table(stored, row.sql);
    const parts = splitStorageName(stored);
    if (this.temp) return { ...rel, schema: parts.schema, replicated: false, temporary: true };
    return parts.schema === publicSchema ? rel : { ...rel, schema: parts.schema };
  }

  private loadObjects(): NonNullable<SchemaCatalog['objects']> {
    if (this.objects) return this.objects;
    const seqs = new Map<string, CatalogSequence>();
    for (const d of listSequences(this.db)) seqs.set(d.storedName, d);
    const enums = new Map<string, CatalogEnum>();
    const enumOids = new Map<number, PgType>();
    for (const e of listEnumTypes(this.db)) {
      enums.set(e.storedName, e);
      enumOids.set(e.oid, e.type);
      enumOids.set(e.arrayOid, e.type.enumInfo!.arrayType);
    }
    const schemas = new Set(listSchemas(this.db).map((x) => x.name));
    this.objects = { schemas, sequences: seqs, enums, enumOids };
    return this.objects;
  }

  schemaExists(name: string): boolean {
    return name === publicSchema || this.loadObjects().schemas.has(name);
  }

  /** A sequence by schema (null: public) and name. */
  sequence(schema: string | null, name: string): CatalogSequence | undefined {
    return this.loadObjects().sequences.get(storageName(schema, name));
  }

  /** The sequence a serial / identity column takes its values from. */
  ownedSequence(table: string, column: string): CatalogSequence | undefined {
    for (const s of this.loadObjects().sequences.values())
      if (s.ownerTable === table && s.ownerColumn === column) return s;
    return undefined;
  }

  enumType(schema: string | null, name: string): CatalogEnum | undefined {
    return this.loadObjects().enums.get(storageName(schema, name));
  }

  enumByOid(oid: number): CatalogEnum | undefined {
    const t = this.loadObjects().enumOids.get(oid);
    return t?.enumInfo ? this.enumType(t.enumInfo.schema, t.name) : undefined;
  }

  /** An enum type or the array type of one, by OID. */
  userType(oid: number): PgType | undefined {
    return this.loadObjects().enumOids.get(oid);
  }

  /** The enum type of a column declared `ENUM_TEXT(oid)` (declared-types.ts typeOfDeclared). */
  private readonly enumOfColumn = (oid: number): PgType | undefined => {
    const t = this.userType(oid);
    return t?.enumInfo ? t : undefined;
  };

  private table(name: string, createSql: string): CatalogRelation {
    const info = this.db.prepare(`SELECT * FROM pragma_table_xinfo(?)`);
    info.safeIntegers(false);
    const rows = (info.all(name) as TableInfoRow[]).filter(
      (r) => r.hidden === 0 || r.hidden === 2 || r.hidden === 3,
    );
    const pk = rows.filter((r) => r.pk > 0).sort((a, b) => a.pk - b.pk);
    const rowid = pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER';
    const columns: CatalogColumn[] = rows.map((r, i) => {
      const isRowid = rowid && r.pk > 0;
      const declared = r.type.toUpperCase().replace(/\s*\(.*$/, '');
      const seq = isRowid && !this.temp ? this.ownedSequence(name, r.name) : undefined;
      return {
        name: r.name,
        type: isRowid ? ref(rowidKeyType(r.dflt_value)) : typeOfDeclared(r.type, this.enumOfColumn),
        notNull: r.notnull === 1 || r.pk > 0,
        defaultSql: isRowid ? null : r.dflt_value,
        // A serial / identity key takes its values from its sequence, as in PostgreSQL.
        defaultPg: seq ? nextvalDefault(seq) : isRowid ? null : defaultFromComment(r.dflt_value),
        rowidKey: isRowid,
        generated: isRowid && r.notnull === 0,
        attnum: i + 1,
        crdt: crdtColumnTypes.has(declared) ? declared : undefined,
        computed: r.hidden === 2 || r.hidden === 3,
      };
    });
    return {
      name,
      kind: 'table',
      columns,
      primaryKey: pk.map((r) => r.name),
      uniques: this.uniques(
        name,
        createSql,
        pk.map((r) => r.name),
      ),
      fromSql: quoteId(name),
      replicated: true,
    };
  }

  /** Unique constraints with their PostgreSQL names: named table constraints, then unique indexes. */
  private uniques(table: string, createSql: string, primaryKey: string[]): CatalogUnique[] {
    const out: CatalogUnique[] = [];
    const named = /CONSTRAINT\s+"((?:[^"]|"")+)"\s+(PRIMARY KEY|UNIQUE)\s*\(([^)]*)\)/g;
    let pkNamed = false;
    for (const m of createSql.matchAll(named)) {
      const columns = [...m[3]!.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][\w$]*)/g)].map((c) =>
        (c[1] ?? c[2])!.replaceAll('""', '"'),
      );
      const primary = m[2] === 'PRIMARY KEY';
      if (primary) pkNamed = true;
      out.push({ name: m[1]!.replaceAll('""', '"'), columns, primary });
    }
    const serialKey = /CONSTRAINT\s+"((?:[^"]|"")+)"\s+PRIMARY KEY AUTOINCREMENT/.exec(createSql);
    if (serialKey && primaryKey.length === 1) {
      out.push({ name: serialKey[1]!.replaceAll('""', '"'), columns: primaryKey, primary: true });
      pkNamed = true;
    }
    if (!pkNamed && primaryKey.length > 0)
      out.push({ name: `${splitStorageName(table).name}_pkey`, columns: primaryKey, primary: true });
    const list = this.db.prepare('SELECT name, "unique" AS u, origin FROM pragma_index_list(?)');
    list.safeIntegers(false);
    const cols = this.db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno');
    cols.safeIntegers(false);
    for (const ix of list.all(table) as { name: string; u: number; origin: string }[]) {
      if (ix.u !== 1 || ix.origin === 'pk') continue;
      const columns = (cols.all(ix.name) as { name: string | null }[]).map((c) => c.name ?? '');
      if (columns.some((c) => c === '')) continue; // an expression index
      if (out.some((u) => u.columns.join(',') === columns.join(','))) continue;
      // An index outside public (or a temporary one) is "schema.name" in SQLite.
      const name =
        ix.origin === 'c'
          ? splitStorageName(ix.name).name
          : `${splitStorageName(table).name}_${columns.join('_')}_key`;
      out.push({ name, columns, primary: false });
    }
    return out;
  }

  private view(name: string, createSql: string): CatalogRelation {
    const meta = parseViewMeta(createSql, (oid) => this.userType(oid));
    if (meta) {
      return {
        name,
        kind: 'view',
        columns: meta.columns.map((c, i) => ({
          name: c.name,
          type: c.type,
          notNull: false,
          defaultSql: null,
          defaultPg: null,
          rowidKey: false,
          generated: false,
          attnum: i + 1,
          sqlName: `c${i + 1}`,
        })),
        primaryKey: [],
        uniques: [],
        fromSql: quoteId(name),
        definition: meta.definition,
      };
    }
    // A view the front end did not write: its columns as SQLite declares them.
    const info = this.db.prepare(`SELECT * FROM pragma_table_info(?)`);
    info.safeIntegers(false);
    const rows = info.all(name) as TableInfoRow[];
    return {
      name,
      kind: 'view',
      columns: rows.map((r, i) => ({
        name: r.name,
        type: typeOfDeclared(r.type, this.enumOfColumn),
        notNull: false,
        defaultSql: null,
        defaultPg: null,
        rowidKey: false,
        generated: false,
        attnum: i + 1,
      })),
      primaryKey: [],
      uniques: [],
      fromSql: quoteId(name),
    };
  }
}

/** A serial column's default as PostgreSQL shows it: nextval('t_id_seq'::regclass). */
export function nextvalDefault(seq: CatalogSequence): string {
  const text = seq.schema === publicSchema ? identText(seq.name) : qualifiedText(seq.schema, seq.name);
  return `nextval('${text.replaceAll("'", "''")}'::regclass)`;
}

/** An admin relation: its SQL (or JavaScript table), with timestamptz text converted to storage. */
function adminRelation(view: AdminView): CatalogRelation {
  const inner = view.kind === 'sql' ? `(${view.sql})` : quoteId(view.name);
  return adminRows(view.name, view.columns, inner, view.kind === 'js');
}

/** An admin column's type: a catalog column's PostgreSQL type, or the admin type's. */
function columnType(c: AdminColumn): TypeRef {
  return c.pg ? catalogType(c.pg) : adminTypes[c.type];
}

/** Rows of an admin view or function (`inner`), typed by their admin column types. */
function adminRows(
  name: string,
  cols: readonly AdminColumn[],
  inner: string,
  onAdmin: boolean,
): CatalogRelation {
  const select = cols
    .map((c) =>
      c.pg === 'bool'
        ? `CASE ${quoteId(c.name)} WHEN 't' THEN 1 WHEN 'f' THEN 0 ELSE ${quoteId(c.name)} END AS ${quoteId(c.name)}`
        : c.pg === 'timestamptz' || c.pg === 'time_stamp' || (!c.pg && c.type === 'timestamptz')
          ? `pg_cast_in(${quoteId(c.name)}, ${T.timestamptz.oid}, -1, 'UTC', 0) AS ${quoteId(c.name)}`
          : !c.pg && c.type === 'numeric'
            ? `pg_numeric_from_float(${quoteId(c.name)}) AS ${quoteId(c.name)}`
            : isArrayType(columnType(c).type)
              ? // PostgreSQL's array text ('{1,2}') read into the array's storage form.
                `pg_cast_in(${(c.pg && vectorAsArraySql(c.pg, quoteId(c.name))) || quoteId(c.name)}, ${columnType(c).type.oid}, -1, 'UTC', 0) AS ${quoteId(c.name)}`
              : quoteId(c.name),
    )
    .join(', ');
  return {
    name,
    kind: 'admin',
    columns: cols.map((c, i) => ({
      name: c.name,
      type: columnType(c),
      notNull: false,
      defaultSql: null,
      defaultPg: null,
      rowidKey: false,
      generated: false,
      attnum: i + 1,
    })),
    primaryKey: [],
    uniques: [],
    fromSql: `(SELECT ${select} FROM ${inner})`,
    onAdmin,
  };
}

function adminLiteral(v: AdminArgument): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return String(v);
}
