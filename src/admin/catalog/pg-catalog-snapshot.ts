// The user schema as pg_catalog sees it: a snapshot of SQLite's schema (tables, views, columns,
// indexes, foreign keys) cached per schema_version. The pg_get_*def texts built from it are in
// pg-catalog-definitions.ts.

import Database from 'better-sqlite3';
import {
  defaultFromComment,
  identityColumns,
  indexExprsFromSql,
  parseViewMeta,
} from '../../sql/analyze/ddl/stored-text.js';
import { qualifiedText, splitStorageName, storageName } from '../../sql/namespaces.js';
import { oidForDeclaredType } from '../../sql/types/column-types.js';
import { rowidKeyType, typeOfDeclared } from '../../sql/types/declared-types.js';
import { Oid } from '../../sql/types/oids.js';
import { enumTypeResolver, listSchemas } from '../../storage/object-catalog.js';
import { constraintIndexMarker } from '../../storage/tables/constraints.js';
import { checkOid, firstUserOid, foreignKeyOid } from './pg-catalog-common.js';
import { checksOf, constraintNames } from './table-text.js';

export interface CatalogColumn {
  attnum: number;
  name: string;
  typeOid: number;
  typmod: number;
  notNull: boolean;
  default: string | null;
  generated: string;
  /** A serial or identity key (SQLite's AUTOINCREMENT rowid): its implicit sequence is `<table>_<column>_seq`. */
  serial: boolean;
  /** attidentity: 'a' GENERATED ALWAYS, 'd' BY DEFAULT, '' none. */
  identity: '' | 'a' | 'd';
  /** The default's text as written (PostgreSQL syntax); `default` is what pg_attrdef shows. */
  defaultRaw: string | null;
}

export interface CatalogCheck {
  oid: number;
  name: string;
  /** The CHECK expression as written (PostgreSQL syntax). */
  expression: string;
}

export interface CatalogIndex {
  oid: number;
  name: string;
  tableOid: number;
  unique: boolean;
  primary: boolean;
  /** 'p' / 'u' when the index backs a constraint, '' for CREATE INDEX. */
  constraint: '' | 'p' | 'u';
  columns: string[];
  attnums: number[];
  /** Per key column: DESC (pg_index.indoption 3: DESC, NULLS FIRST as PostgreSQL's default). */
  descending: boolean[];
  partial: string | null;
  /** Per key column: an expression's PostgreSQL text and result type (null for a plain column). */
  expressions: ({ text: string; typeOid: number } | null)[];
  /** A PRIMARY KEY on a rowid alias has no SQLite index; it is still shown as one. */
  synthetic: boolean;
}

export interface CatalogForeignKey {
  oid: number;
  name: string;
  tableOid: number;
  refTableOid: number;
  refTable: string;
  columns: string[];
  attnums: number[];
  refColumns: string[];
  refAttnums: number[];
  onUpdate: string;
  onDelete: string;
  /** DEFERRABLE / INITIALLY DEFERRED as declared (pg_constraint.condeferrable / condeferred). */
  deferrable: boolean;
  deferred: boolean;
}

export interface CatalogRelation {
  oid: number;
  /** The PostgreSQL name (without its schema). */
  name: string;
  /** Its schema and the schema's OID (pg_class.relnamespace). */
  schema: string;
  namespaceOid: number;
  /** The SQLite name (`schema.name` outside public). */
  storedName: string;
  kind: 'r' | 'v' | 'i';
  sql: string;
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
  checks: CatalogCheck[];
  rowCount: number;
}

export interface CatalogSnapshot {
  relations: CatalogRelation[];
  byOid: Map<number, CatalogRelation | CatalogIndex>;
  byName: Map<string, number>;
}

let catalogPath: string | null = null;
let catalogDb: Database.Database | null = null;
let cached: { version: bigint; snapshot: CatalogSnapshot } | null = null;
/** A session's own connection (its uncommitted DDL), for the duration of one catalog query. */
let scoped: { db: Database.Database; snapshot: CatalogSnapshot | null } | null = null;

/**
 * Run a catalog query as the session that holds the writer sees the schema: its own uncommitted
 * DDL included (PostgreSQL's catalog is transactional; typeorm looks up the table it has just
 * created in its migration's transaction). Queries run synchronously, so the scope is exact.
 */
export function withCatalogConnection<T>(db: Database.Database, f: () => T): T {
  const outer = scoped;
  scoped = { db, snapshot: null };
  // The catalog code reads integers as numbers; the writer's own statements keep their setting
  // (it applies to statements prepared from now on, and the writer prepares none meanwhile).
  db.defaultSafeIntegers(false);
  try {
    return f();
  } finally {
    db.defaultSafeIntegers(true);
    scoped = outer;
  }
}

/**
 * Where the schema lives (the database file of the connection the catalog functions were
 * registered on). In-memory databases have no file another connection could read.
 */
export function setCatalogSource(path: string): void {
  if (!path || path === ':memory:' || path === catalogPath) return;
  catalogDb?.close();
  catalogDb = null;
  cached = null;
  catalogPath = path;
}

function hidden(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith('sqlite_') || n.startsWith('_chorus_');
}

const modifierRe = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/;

/** atttypmod as PostgreSQL stores it: varchar(n) → n + 4, numeric(p, s) → (p << 16 | s) + 4. */
function typmodOf(decl: string, typeOid: number): number {
  const m = modifierRe.exec(decl);
  if (!m) return -1;
  const a = Number(m[1]);
  if (typeOid === Oid.numeric) return ((a << 16) | Number(m[2] ?? 0)) + 4;
  if (typeOid === Oid.varchar || typeOid === Oid.bpchar) return a + 4;
  return -1;
}

export function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** A sequence's name as nextval's regclass text shows it (schema-qualified outside public). */
export function sequenceText(schema: string, name: string): string {
  return schema === 'public' ? quoteName(name) : qualifiedText(schema, name);
}

/** The sequence each serial column owns, by `table\0column` (SQLite-side names). */
function ownedSequenceNames(db: Database.Database): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const rows = db
      .prepare('SELECT name, owner_table, owner_column FROM _chorus_sequences WHERE owner_table IS NOT NULL')
      .all() as { name: string; owner_table: string; owner_column: string }[];
    for (const r of rows) out.set(`${r.owner_table}\0${r.owner_column}`, r.name);
  } catch {
    // A database without ChorusDB's internal tables (none owned).
  }
  return out;
}

/** A serial column's sequence as its default shows it: the one it owns (kept by RENAME), else t_col_seq. */
function serialSequenceText(
  owned: Map<string, string>,
  table: string,
  column: string,
  schema: string,
  bare: string,
): string {
  const stored = owned.get(`${table}\0${column}`);
  if (stored === undefined) return sequenceText(schema, `${bare}_${column}_seq`);
  const s = splitStorageName(stored);
  return sequenceText(s.schema, s.name);
}

/** The connection the snapshot reads (null before the first snapshot or without a source). */
export function catalogConnection(): Database.Database | null {
  return scoped?.db ?? catalogDb;
}

/** The catalog as of now (cached per schema version); empty when no source is known. */
export function catalogSnapshot(): CatalogSnapshot {
  const empty: CatalogSnapshot = { relations: [], byOid: new Map(), byName: new Map() };
  if (scoped) {
    scoped.snapshot ??= buildSnapshot(scoped.db);
    return scoped.snapshot;
  }
  if (!catalogPath) return empty;
  try {
    catalogDb ??= new Database(catalogPath, { readonly: true, fileMustExist: true });
    catalogDb.defaultSafeIntegers(false);
    const version = BigInt(catalogDb.pragma('schema_version', { simple: true }) as number);
    if (cached && cached.version === version) return cached.snapshot;
    const snapshot = buildSnapshot(catalogDb);
    cached = { version, snapshot };
    return snapshot;
  } catch {
    return empty;
  }
}

interface SchemaRow {
  rowid: number;
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

function buildSnapshot(db: Database.Database): CatalogSnapshot {
  const schema = db
    .prepare('SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid')
    .all() as SchemaRow[];
  const oidOf = new Map<string, number>();
  for (const r of schema) oidOf.set(`${r.type}:${r.name.toLowerCase()}`, firstUserOid + r.rowid);
  const relations: CatalogRelation[] = [];
  const byOid = new Map<number, CatalogRelation | CatalogIndex>();
  const byName = new Map<string, number>();
  const schemaOids = new Map(listSchemas(db).map((n) => [n.name, n.oid]));
  const enums = enumTypeResolver(db);
  const owned = ownedSequenceNames(db);
  for (const r of schema) {
    if (hidden(r.name) || hidden(r.tbl_name) || (r.type !== 'table' && r.type !== 'view')) continue;
    const oid = firstUserOid + r.rowid;
    const split = splitStorageName(r.name);
    const bare = split.name;
    const cols = db.prepare('SELECT * FROM pragma_table_xinfo(?)').all(r.name) as {
      cid: number;
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
      hidden: number;
    }[];
    const pkCols = cols.filter((c) => c.pk > 0);
    const rowidKey =
      pkCols.length === 1 && pkCols[0]!.type.toUpperCase() === 'INTEGER' ? pkCols[0]!.name : null;
    const viewMeta = r.type === 'view' && r.sql ? parseViewMeta(r.sql) : null;
    const identities = identityColumns(r.sql ?? '');
    const columns: CatalogColumn[] = cols.map((c, i) => {
      // The PostgreSQL type the front end declared (sql/DESIGN.md), else SQLite's declared type.
      const fromView = viewMeta?.columns[i]?.type;
      const isRowid = c.name === rowidKey;
      const pgType =
        fromView ??
        (isRowid ? { type: rowidKeyType(c.dflt_value), typmod: -1 } : typeOfDeclared(c.type, enums));
      const typeOid = pgType?.type.oid ?? oidForDeclaredType(c.type) ?? Oid.text;
      const serial = isRowid && c.notnull === 0;
      const identity = serial ? (identities.get(c.name) ?? '') : '';
      return {
        attnum: i + 1,
        name: viewMeta?.columns[i]?.name ?? c.name,
        typeOid,
        typmod: pgType ? pgType.typmod : typmodOf(c.type ?? '', typeOid),
        notNull: c.notnull === 1 || c.pk > 0,
        default:
          serial && !identity
            ? `nextval('${serialSequenceText(owned, r.name, c.name, split.schema, bare).replaceAll("'", "''")}'::regclass)`
            : isRowid
              ? null
              : (defaultFromComment(c.dflt_value) ?? c.dflt_value),
        generated: c.hidden === 2 || c.hidden === 3 ? 's' : '',
        serial,
        identity,
        defaultRaw: isRowid ? null : defaultFromComment(c.dflt_value),
      };
    });
    const attnum = (name: string): number =>
      columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.attnum ?? 0;
    const rel: CatalogRelation = {
      oid,
      name: bare,
      schema: split.schema,
      namespaceOid: schemaOids.get(split.schema) ?? 0,
      storedName: r.name,
      kind: r.type === 'view' ? 'v' : 'r',
      sql: r.sql ?? '',
      columns,
      indexes: [],
      foreignKeys: [],
      checks: checksOf(r.sql ?? '').map((c, n) => ({ ...c, oid: checkOid(oid, n) })),
      rowCount: -1,
    };
    if (r.type === 'table') {
      const named = constraintNames(r.sql ?? '');
      const list = db.prepare('SELECT * FROM pragma_index_list(?)').all(r.name) as {
        seq: number;
        name: string;
        unique: number;
        origin: string;
        partial: number;
      }[];
      for (const ix of list.reverse()) {
        const info = db
          .prepare('SELECT name, "desc" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno')
          .all(ix.name) as { name: string | null; desc: number }[];
        const colNames = info.map((c) => c.name ?? 'expr');
        const sqlRow = schema.find((s) => s.type === 'index' && s.name === ix.name);
        // ALTER TABLE ... ADD CONSTRAINT ... UNIQUE is a marked unique index (storage/tables/constraints.ts).
        const addedUnique = sqlRow?.sql?.includes(constraintIndexMarker) === true;
        const constraint = ix.origin === 'pk' ? 'p' : ix.origin === 'u' || addedUnique ? 'u' : '';
        const name =
          constraint === 'p'
            ? (named.primary ?? `${bare}_pkey`)
            : constraint === 'u'
              ? addedUnique
                ? splitStorageName(ix.name).name
                : (named.unique.get(colNames.join(',')) ?? `${bare}_${colNames.join('_')}_key`)
              : splitStorageName(ix.name).name;
        const where = sqlRow?.sql ? /\bWHERE\b([\s\S]*)$/i.exec(sqlRow.sql)?.[1]?.trim() : undefined;
        const exprTexts = indexExprsFromSql(sqlRow?.sql ?? '');
        let nextExpr = 0;
        const expressions = info.map((c) => (c.name === null ? (exprTexts[nextExpr++] ?? null) : null));
        rel.indexes.push({
          oid: oidOf.get(`index:${ix.name.toLowerCase()}`) ?? oid + 1_000_000 + ix.seq,
          name,
          tableOid: oid,
          unique: ix.unique === 1,
          primary: constraint === 'p',
          constraint,
          columns: colNames,
          attnums: colNames.map(attnum),
          descending: info.map((c) => c.desc === 1),
          partial: ix.partial === 1 && where ? where : null,
          expressions,
          synthetic: false,
        });
      }
      const pkCols = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      if (pkCols.length > 0 && !rel.indexes.some((i) => i.primary)) {
        rel.indexes.unshift({
          oid: oid + 1_000_000,
          name: named.primary ?? `${bare}_pkey`,
          tableOid: oid,
          unique: true,
          primary: true,
          constraint: 'p',
          columns: pkCols.map((c) => c.name),
          attnums: pkCols.map((c) => attnum(c.name)),
          descending: pkCols.map(() => false),
          partial: null,
          expressions: pkCols.map(() => null),
          synthetic: true,
        });
      }
      const fks = db.prepare('SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(r.name) as {
        id: number;
        table: string;
        from: string;
        to: string | null;
        on_update: string;
        on_delete: string;
      }[];
      for (const fk of fks) {
        let entry = rel.foreignKeys.find((f) => f.oid === foreignKeyOid(oid, fk.id));
        if (!entry) {
          entry = {
            oid: foreignKeyOid(oid, fk.id),
            name: '',
            tableOid: oid,
            refTableOid: oidOf.get(`table:${fk.table.toLowerCase()}`) ?? 0,
            refTable: fk.table,
            columns: [],
            attnums: [],
            refColumns: [],
            refAttnums: [],
            onUpdate: fk.on_update,
            onDelete: fk.on_delete,
            deferrable: false,
            deferred: false,
          };
          rel.foreignKeys.push(entry);
        }
        entry.columns.push(fk.from);
        entry.attnums.push(attnum(fk.from));
        if (fk.to) entry.refColumns.push(fk.to);
      }
      // pragma_foreign_key_list numbers keys in reverse order of declaration.
      rel.foreignKeys.sort((a, b) => b.oid - a.oid);
      rel.foreignKeys.forEach((f, i) => {
        f.name = named.foreign[i] ?? `${bare}_${f.columns.join('_')}_fkey`;
        const timing = named.foreignTiming[i];
        f.deferrable = timing?.deferrable ?? false;
        f.deferred = timing?.deferred ?? false;
      });
      rel.foreignKeys.sort((a, b) => a.oid - b.oid);
      for (const f of rel.foreignKeys) {
        if (f.refColumns.length === 0) {
          // REFERENCES t without columns: t's primary key.
          const refCols = db
            .prepare('SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk')
            .all(f.refTable) as { name: string }[];
          f.refColumns = refCols.map((c) => c.name);
        }
      }
    }
    relations.push(rel);
    byOid.set(oid, rel);
    byName.set(r.name.toLowerCase(), oid);
    for (const ix of rel.indexes) {
      byOid.set(ix.oid, ix);
      byName.set(storageName(rel.schema, ix.name).toLowerCase(), ix.oid);
    }
  }
  // Referenced attnums, once every table is known.
  for (const rel of relations) {
    for (const f of rel.foreignKeys) {
      const target = byOid.get(f.refTableOid);
      f.refAttnums = f.refColumns.map((c) =>
        target && !isIndex(target)
          ? (target.columns.find((x) => x.name.toLowerCase() === c.toLowerCase())?.attnum ?? 0)
          : 0,
      );
    }
  }
  return { relations, byOid, byName };
}

export function isIndex(x: CatalogRelation | CatalogIndex | undefined): x is CatalogIndex {
  return x !== undefined && 'tableOid' in x;
}

export function relationOf(oid: number, snap: CatalogSnapshot): CatalogRelation | undefined {
  const x = snap.byOid.get(oid);
  return x && !isIndex(x) ? x : undefined;
}

/** The last value each serial key handed out (SQLite's sqlite_sequence), by table name. */
export function serialLastValues(): Map<string, number> {
  const out = new Map<string, number>();
  const db = catalogConnection();
  if (!db) return out;
  try {
    // main's: a temporary table with a serial key gives the connection a temp.sqlite_sequence of
    // its own, which an unqualified name would read instead.
    const rows = db.prepare('SELECT name, seq FROM main.sqlite_sequence').all() as {
      name: string;
      seq: number;
    }[];
    for (const r of rows) out.set(r.name, r.seq);
  } catch {
    // No AUTOINCREMENT table yet: SQLite has not made sqlite_sequence.
  }
  return out;
}
