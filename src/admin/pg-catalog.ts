// The slice of PostgreSQL's system catalog that drivers and psql read: pg_catalog.pg_type for the
// types this node sends, and pg_class, pg_attribute, pg_index, pg_constraint, ... built from
// SQLite's own schema (sqlite_schema and the table pragmas), so psql's \dt, \d, \l, \dn and \du
// work. Internal objects (_chorus_*, sqlite_*) are never shown. Booleans are the text 't'/'f' (what
// psql compares against); catalog-rewrite.ts turns bare boolean predicates into `= 't'`.

import Database from 'better-sqlite3';
import { Oid, oidForDeclaredType } from '../wire/types.js';
import type { AdminColumn, AdminRegistry, AdminValue } from './registry.js';

interface TypeRow {
  oid: number;
  name: string;
  len: number;
  category: string;
  arrayOid: number;
}

// PostgreSQL 15's own OIDs, lengths and categories for these types.
const baseTypes: TypeRow[] = [
  { oid: Oid.bool, name: 'bool', len: 1, category: 'B', arrayOid: 1000 },
  { oid: Oid.bytea, name: 'bytea', len: -1, category: 'U', arrayOid: 1001 },
  { oid: Oid.name, name: 'name', len: 64, category: 'S', arrayOid: 1003 },
  { oid: Oid.int8, name: 'int8', len: 8, category: 'N', arrayOid: 1016 },
  { oid: Oid.int2, name: 'int2', len: 2, category: 'N', arrayOid: 1005 },
  { oid: Oid.int4, name: 'int4', len: 4, category: 'N', arrayOid: 1007 },
  { oid: Oid.text, name: 'text', len: -1, category: 'S', arrayOid: 1009 },
  { oid: Oid.oid, name: 'oid', len: 4, category: 'N', arrayOid: 1028 },
  { oid: Oid.json, name: 'json', len: -1, category: 'U', arrayOid: 199 },
  { oid: Oid.float4, name: 'float4', len: 4, category: 'N', arrayOid: 1021 },
  { oid: Oid.float8, name: 'float8', len: 8, category: 'N', arrayOid: 1022 },
  { oid: Oid.bpchar, name: 'bpchar', len: -1, category: 'S', arrayOid: 1014 },
  { oid: Oid.varchar, name: 'varchar', len: -1, category: 'S', arrayOid: 1015 },
  { oid: Oid.date, name: 'date', len: 4, category: 'D', arrayOid: 1182 },
  { oid: Oid.time, name: 'time', len: 8, category: 'D', arrayOid: 1183 },
  { oid: Oid.timestamp, name: 'timestamp', len: 8, category: 'D', arrayOid: 1115 },
  { oid: Oid.timestamptz, name: 'timestamptz', len: 8, category: 'D', arrayOid: 1185 },
  { oid: Oid.interval, name: 'interval', len: 16, category: 'T', arrayOid: 1187 },
  { oid: Oid.numeric, name: 'numeric', len: -1, category: 'N', arrayOid: 1231 },
  { oid: Oid.uuid, name: 'uuid', len: 16, category: 'U', arrayOid: 2951 },
  { oid: Oid.jsonb, name: 'jsonb', len: -1, category: 'U', arrayOid: 3807 },
];

const pgCatalogNamespaceOid = 11;

export function registerPgCatalog(registry: AdminRegistry): void {
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_type',
    columns: [
      { name: 'oid', type: 'int4' },
      { name: 'typname', type: 'text' },
      { name: 'typnamespace', type: 'int4' },
      { name: 'typlen', type: 'int4' },
      { name: 'typtype', type: 'text' },
      { name: 'typcategory', type: 'text' },
      { name: 'typelem', type: 'int4' },
      { name: 'typarray', type: 'int4' },
      { name: 'typdelim', type: 'text' },
      { name: 'typcollation', type: 'int4' },
      { name: 'typbasetype', type: 'int4' },
      { name: 'typtypmod', type: 'int4' },
      { name: 'typnotnull', type: 'text' },
      { name: 'typrelid', type: 'int4' },
    ],
    rows: (): AdminValue[][] => {
      const rows: AdminValue[][] = [];
      for (const t of baseTypes) {
        const coll = t.category === 'S' && t.name !== 'name' ? 100 : t.name === 'name' ? 950 : 0;
        rows.push([
          t.oid,
          t.name,
          pgCatalogNamespaceOid,
          t.len,
          'b',
          t.category,
          0,
          t.arrayOid,
          ',',
          coll,
          0,
          -1,
          'f',
          0,
        ]);
        rows.push([
          t.arrayOid,
          `_${t.name}`,
          pgCatalogNamespaceOid,
          -1,
          'b',
          'A',
          t.oid,
          0,
          ',',
          coll,
          0,
          -1,
          'f',
          0,
        ]);
      }
      return rows;
    },
  });
  registerSchemaCatalog(registry);
}

// ---------------------------------------------------------------------------------------------
// pg_class, pg_attribute, ... from SQLite's schema.

/** OID of the public schema (as in PostgreSQL). */
export const publicNamespaceOid = 2200;
/** OID of the bootstrap superuser every object is owned by. */
export const ownerOid = 10;
const firstUserOid = 16384;
const heapAmOid = 2;
const btreeAmOid = 403;

export interface CatalogColumn {
  attnum: number;
  name: string;
  typeOid: number;
  typmod: number;
  notNull: boolean;
  default: string | null;
  generated: string;
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
  partial: string | null;
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
}

export interface CatalogRelation {
  oid: number;
  name: string;
  kind: 'r' | 'v' | 'i';
  sql: string;
  columns: CatalogColumn[];
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
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

function quoteName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The catalog as of now (cached per schema version); empty when no source is known. */
export function catalogSnapshot(): CatalogSnapshot {
  const empty: CatalogSnapshot = { relations: [], byOid: new Map(), byName: new Map() };
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
  for (const r of schema) {
    if (hidden(r.name) || hidden(r.tbl_name) || (r.type !== 'table' && r.type !== 'view')) continue;
    const oid = firstUserOid + r.rowid;
    const cols = db.prepare('SELECT * FROM pragma_table_xinfo(?)').all(r.name) as {
      cid: number;
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
      hidden: number;
    }[];
    const columns: CatalogColumn[] = cols.map((c, i) => {
      const typeOid = oidForDeclaredType(c.type) ?? Oid.text;
      return {
        attnum: i + 1,
        name: c.name,
        typeOid,
        typmod: typmodOf(c.type ?? '', typeOid),
        notNull: c.notnull === 1 || c.pk > 0,
        default: c.dflt_value,
        generated: c.hidden === 2 || c.hidden === 3 ? 's' : '',
      };
    });
    const attnum = (name: string): number =>
      columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.attnum ?? 0;
    const rel: CatalogRelation = {
      oid,
      name: r.name,
      kind: r.type === 'view' ? 'v' : 'r',
      sql: r.sql ?? '',
      columns,
      indexes: [],
      foreignKeys: [],
      rowCount: -1,
    };
    if (r.type === 'table') {
      const list = db.prepare('SELECT * FROM pragma_index_list(?)').all(r.name) as {
        seq: number;
        name: string;
        unique: number;
        origin: string;
        partial: number;
      }[];
      for (const ix of list.reverse()) {
        const info = db.prepare('SELECT * FROM pragma_index_info(?) ORDER BY seqno').all(ix.name) as {
          name: string | null;
        }[];
        const colNames = info.map((c) => c.name ?? 'expr');
        const constraint = ix.origin === 'pk' ? 'p' : ix.origin === 'u' ? 'u' : '';
        const name =
          constraint === 'p'
            ? `${r.name}_pkey`
            : constraint === 'u'
              ? `${r.name}_${colNames.join('_')}_key`
              : ix.name;
        const sqlRow = schema.find((s) => s.type === 'index' && s.name === ix.name);
        const where = sqlRow?.sql ? /\bWHERE\b([\s\S]*)$/i.exec(sqlRow.sql)?.[1]?.trim() : undefined;
        rel.indexes.push({
          oid: oidOf.get(`index:${ix.name.toLowerCase()}`) ?? oid + 1_000_000 + ix.seq,
          name,
          tableOid: oid,
          unique: ix.unique === 1,
          primary: constraint === 'p',
          constraint,
          columns: colNames,
          attnums: colNames.map(attnum),
          partial: ix.partial === 1 && where ? where : null,
          synthetic: false,
        });
      }
      const pkCols = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      if (pkCols.length > 0 && !rel.indexes.some((i) => i.primary)) {
        rel.indexes.unshift({
          oid: oid + 1_000_000,
          name: `${r.name}_pkey`,
          tableOid: oid,
          unique: true,
          primary: true,
          constraint: 'p',
          columns: pkCols.map((c) => c.name),
          attnums: pkCols.map((c) => attnum(c.name)),
          partial: null,
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
        let entry = rel.foreignKeys.find((f) => f.oid === oid + 2_000_000 + fk.id);
        if (!entry) {
          entry = {
            oid: oid + 2_000_000 + fk.id,
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
          };
          rel.foreignKeys.push(entry);
        }
        entry.columns.push(fk.from);
        entry.attnums.push(attnum(fk.from));
        if (fk.to) entry.refColumns.push(fk.to);
      }
      for (const f of rel.foreignKeys) {
        f.name = `${r.name}_${f.columns.join('_')}_fkey`;
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
      byName.set(ix.name.toLowerCase(), ix.oid);
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

function relationOf(oid: number, snap: CatalogSnapshot): CatalogRelation | undefined {
  const x = snap.byOid.get(oid);
  return x && !isIndex(x) ? x : undefined;
}

/** `CREATE [UNIQUE] INDEX name ON public.t USING btree (a, b)`, as pg_get_indexdef prints it. */
export function indexDefinition(oid: number): string | null {
  const snap = catalogSnapshot();
  const ix = snap.byOid.get(oid);
  if (!isIndex(ix)) return null;
  const table = relationOf(ix.tableOid, snap);
  const where = ix.partial ? ` WHERE (${ix.partial})` : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteName(ix.name)} ON public.${quoteName(table?.name ?? '?')} USING btree (${ix.columns.map(quoteName).join(', ')})${where}`;
}

const fkActions: Record<string, string> = {
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
  RESTRICT: 'RESTRICT',
};

/** pg_get_constraintdef: `PRIMARY KEY (id)`, `UNIQUE (email)`, `FOREIGN KEY (a) REFERENCES t(b)`. */
export function constraintDefinition(oid: number): string | null {
  const snap = catalogSnapshot();
  for (const rel of snap.relations) {
    for (const ix of rel.indexes) {
      if (ix.constraint && ix.oid + constraintOidOffset === oid) {
        return `${ix.constraint === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} (${ix.columns.map(quoteName).join(', ')})`;
      }
    }
    for (const f of rel.foreignKeys) {
      if (f.oid === oid) {
        let def = `FOREIGN KEY (${f.columns.map(quoteName).join(', ')}) REFERENCES ${quoteName(f.refTable)}(${f.refColumns.map(quoteName).join(', ')})`;
        const upd = fkActions[f.onUpdate.toUpperCase()];
        const del = fkActions[f.onDelete.toUpperCase()];
        if (upd) def += ` ON UPDATE ${upd}`;
        if (del) def += ` ON DELETE ${del}`;
        return def;
      }
    }
  }
  return null;
}

/** The name psql prints for a relation OID (`oid::regclass`). */
export function relationName(oid: number): string | null {
  const x = catalogSnapshot().byOid.get(oid);
  return x ? quoteName(x.name) : null;
}

export function relationOid(name: string): number | null {
  let n = name.trim();
  if (n.toLowerCase().startsWith('public.')) n = n.slice(7);
  if (n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1).replaceAll('""', '"');
  else n = n.toLowerCase();
  return catalogSnapshot().byName.get(n.toLowerCase()) ?? null;
}

/** SQL text of a view's query (after AS). */
export function viewDefinition(oid: number): string | null {
  const rel = relationOf(oid, catalogSnapshot());
  if (rel?.kind !== 'v') return null;
  const m = /\bAS\b([\s\S]*)$/i.exec(rel.sql);
  return m ? ` ${m[1]!.trim()}${m[1]!.trim().endsWith(';') ? '' : ';'}` : null;
}

const constraintOidOffset = 3_000_000;
const attrdefOidOffset = 4_000_000;

const tf = (b: boolean): string => (b ? 't' : 'f');

function cols(spec: string): AdminColumn[] {
  return spec.split(/\s+/).map((name) => ({ name, type: 'text' }));
}

function addStatic(registry: AdminRegistry, name: string, spec: string, rows: AdminValue[][] = []): void {
  registry.addView({ kind: 'js', name: `pg_catalog.${name}`, columns: cols(spec), rows: () => rows });
}

function registerSchemaCatalog(registry: AdminRegistry): void {
  addStatic(registry, 'pg_namespace', 'oid nspname nspowner nspacl', [
    [pgCatalogNamespaceOid, 'pg_catalog', ownerOid, null],
    [publicNamespaceOid, 'public', ownerOid, null],
  ]);
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_class',
    columns: cols(
      'oid relname relnamespace reltype reloftype relowner relam relfilenode reltablespace relpages reltuples relallvisible reltoastrelid relhasindex relisshared relpersistence relkind relnatts relchecks relhasrules relhastriggers relhassubclass relrowsecurity relforcerowsecurity relispopulated relreplident relispartition relrewrite relfrozenxid relminmxid relacl reloptions relpartbound',
    ),
    rows: () => {
      const out: AdminValue[][] = [];
      const row = (
        oid: number,
        name: string,
        am: number,
        tuples: number,
        hasIndex: boolean,
        kind: string,
        natts: number,
        triggers = false,
      ): AdminValue[] => [
        oid,
        name,
        publicNamespaceOid,
        0,
        0,
        ownerOid,
        am,
        oid,
        0,
        0,
        tuples,
        0,
        0,
        tf(hasIndex),
        'f',
        'p',
        kind,
        natts,
        0,
        'f',
        tf(triggers),
        'f',
        'f',
        'f',
        't',
        kind === 'r' ? 'd' : 'n',
        'f',
        0,
        0,
        0,
        null,
        null,
        null,
      ];
      const snap = catalogSnapshot();
      // PostgreSQL implements foreign keys with triggers on both tables; psql only looks for
      // foreign keys (and "Referenced by") when relhastriggers is set.
      const withTriggers = new Set<number>();
      for (const rel of snap.relations) {
        for (const f of rel.foreignKeys) {
          withTriggers.add(rel.oid);
          withTriggers.add(f.refTableOid);
        }
      }
      for (const rel of snap.relations) {
        out.push(
          row(
            rel.oid,
            rel.name,
            rel.kind === 'r' ? heapAmOid : 0,
            rel.rowCount,
            rel.indexes.length > 0,
            rel.kind,
            rel.columns.length,
            withTriggers.has(rel.oid),
          ),
        );
        for (const ix of rel.indexes)
          out.push(row(ix.oid, ix.name, btreeAmOid, rel.rowCount, false, 'i', ix.columns.length));
      }
      return out;
    },
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_attribute',
    columns: cols(
      'attrelid attname atttypid attstattarget attlen attnum attndims attcacheoff atttypmod attbyval attalign attstorage attcompression attnotnull atthasdef atthasmissing attidentity attgenerated attisdropped attislocal attinhcount attcollation attacl attoptions attfdwoptions attmissingval',
    ),
    rows: () => {
      const out: AdminValue[][] = [];
      const typeLen = new Map(baseTypes.map((t) => [t.oid, t.len]));
      const collatable = new Set<number>([Oid.text, Oid.varchar, Oid.bpchar]);
      const row = (rel: number, c: CatalogColumn): AdminValue[] => [
        rel,
        c.name,
        c.typeOid,
        -1,
        typeLen.get(c.typeOid) ?? -1,
        c.attnum,
        0,
        -1,
        c.typmod,
        tf((typeLen.get(c.typeOid) ?? -1) > 0 && (typeLen.get(c.typeOid) ?? 0) <= 8),
        'i',
        'p',
        '',
        tf(c.notNull),
        tf(c.default !== null),
        'f',
        '',
        c.generated,
        'f',
        't',
        0,
        collatable.has(c.typeOid) ? 100 : 0,
        null,
        null,
        null,
        null,
      ];
      for (const rel of catalogSnapshot().relations) {
        for (const c of rel.columns) out.push(row(rel.oid, c));
        for (const ix of rel.indexes) {
          ix.attnums.forEach((a, i) => {
            const c = rel.columns.find((x) => x.attnum === a);
            if (c) out.push(row(ix.oid, { ...c, attnum: i + 1, notNull: false, default: null }));
          });
        }
      }
      return out;
    },
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_attrdef',
    columns: cols('oid adrelid adnum adbin'),
    rows: () =>
      catalogSnapshot().relations.flatMap((rel) =>
        rel.columns
          .filter((c) => c.default !== null)
          .map((c): AdminValue[] => [
            attrdefOidOffset + (rel.oid - firstUserOid) * 1000 + c.attnum,
            rel.oid,
            c.attnum,
            c.default,
          ]),
      ),
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_index',
    columns: cols(
      'indexrelid indrelid indnatts indnkeyatts indisunique indnullsnotdistinct indisprimary indisexclusion indimmediate indisclustered indisvalid indcheckxmin indisready indislive indisreplident indkey indcollation indclass indoption indexprs indpred',
    ),
    rows: () =>
      catalogSnapshot().relations.flatMap((rel) =>
        rel.indexes.map((ix): AdminValue[] => [
          ix.oid,
          rel.oid,
          ix.columns.length,
          ix.columns.length,
          tf(ix.unique),
          'f',
          tf(ix.primary),
          'f',
          't',
          'f',
          't',
          'f',
          't',
          't',
          'f',
          ix.attnums.join(' '),
          ix.attnums.map(() => '0').join(' '),
          ix.attnums.map(() => '0').join(' '),
          ix.attnums.map(() => '0').join(' '),
          null,
          ix.partial,
        ]),
      ),
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_constraint',
    columns: cols(
      'oid conname connamespace contype condeferrable condeferred convalidated conrelid contypid conindid conparentid confrelid confupdtype confdeltype confmatchtype conislocal coninhcount connoinherit conkey confkey conpfeqop conppeqop conffeqop confdelsetcols conexclop conbin',
    ),
    rows: () => {
      const out: AdminValue[][] = [];
      const action = (a: string): string =>
        ({ CASCADE: 'c', 'SET NULL': 'n', 'SET DEFAULT': 'd', RESTRICT: 'r' })[a.toUpperCase()] ?? 'a';
      for (const rel of catalogSnapshot().relations) {
        for (const ix of rel.indexes) {
          if (!ix.constraint) continue;
          out.push([
            ix.oid + constraintOidOffset,
            ix.name,
            publicNamespaceOid,
            ix.constraint,
            'f',
            'f',
            't',
            rel.oid,
            0,
            ix.oid,
            0,
            0,
            ' ',
            ' ',
            ' ',
            't',
            0,
            't',
            `{${ix.attnums.join(',')}}`,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
          ]);
        }
        for (const f of rel.foreignKeys) {
          const refPk = relationOfSnap(f.refTableOid)?.indexes.find((i) => i.primary || i.unique);
          out.push([
            f.oid,
            f.name,
            publicNamespaceOid,
            'f',
            'f',
            'f',
            't',
            rel.oid,
            0,
            refPk?.oid ?? 0,
            0,
            f.refTableOid,
            action(f.onUpdate),
            action(f.onDelete),
            's',
            't',
            0,
            't',
            `{${f.attnums.join(',')}}`,
            `{${f.refAttnums.join(',')}}`,
            null,
            null,
            null,
            null,
            null,
            null,
          ]);
        }
      }
      return out;
    },
  });
  addStatic(
    registry,
    'pg_database',
    'oid datname datdba encoding datlocprovider datistemplate datallowconn datconnlimit datfrozenxid datminmxid dattablespace datcollate datctype daticulocale datcollversion datacl',
    [[16383, 'chorus', ownerOid, 6, 'c', 'f', 't', -1, 0, 0, 1663, 'C', 'C', null, null, null]],
  );
  const roleSpec =
    'rolname rolsuper rolinherit rolcreaterole rolcreatedb rolcanlogin rolreplication rolconnlimit rolpassword rolvaliduntil rolbypassrls rolconfig oid';
  const role: AdminValue[] = [
    'postgres',
    't',
    't',
    't',
    't',
    't',
    't',
    -1,
    '********',
    null,
    't',
    null,
    ownerOid,
  ];
  addStatic(registry, 'pg_roles', roleSpec, [role]);
  addStatic(
    registry,
    'pg_authid',
    'oid rolname rolsuper rolinherit rolcreaterole rolcreatedb rolcanlogin rolreplication rolbypassrls rolconnlimit rolpassword rolvaliduntil',
    [[ownerOid, 'postgres', 't', 't', 't', 't', 't', 't', 't', -1, null, null]],
  );
  addStatic(
    registry,
    'pg_user',
    'usename usesysid usecreatedb usesuper userepl usebypassrls passwd valuntil useconfig',
    [['postgres', ownerOid, 't', 't', 't', 't', '********', null, null]],
  );
  addStatic(registry, 'pg_auth_members', 'oid roleid member grantor admin_option');
  addStatic(registry, 'pg_am', 'oid amname amhandler amtype', [
    [heapAmOid, 'heap', 'heap_tableam_handler', 't'],
    [btreeAmOid, 'btree', 'bthandler', 'i'],
  ]);
  addStatic(registry, 'pg_tablespace', 'oid spcname spcowner spcacl spcoptions', [
    [1663, 'pg_default', ownerOid, null, null],
    [1664, 'pg_global', ownerOid, null, null],
  ]);
  addStatic(
    registry,
    'pg_collation',
    'oid collname collnamespace collowner collprovider collisdeterministic collencoding collcollate collctype colliculocale collversion',
    [
      [100, 'default', pgCatalogNamespaceOid, ownerOid, 'd', 't', -1, null, null, null, null],
      [950, 'C', pgCatalogNamespaceOid, ownerOid, 'c', 't', -1, 'C', 'C', null, null],
    ],
  );
  addStatic(registry, 'pg_description', 'objoid classoid objsubid description');
  addStatic(registry, 'pg_shdescription', 'objoid classoid description');
  addStatic(registry, 'pg_inherits', 'inhrelid inhparent inhseqno inhdetachpending');
  addStatic(
    registry,
    'pg_partitioned_table',
    'partrelid partstrat partnatts partdefid partattrs partclass partcollation partexprs',
  );
  addStatic(registry, 'pg_policy', 'oid polname polrelid polcmd polpermissive polroles polqual polwithcheck');
  addStatic(
    registry,
    'pg_statistic_ext',
    'oid stxrelid stxname stxnamespace stxowner stxstattarget stxkeys stxkind stxexprs',
  );
  addStatic(
    registry,
    'pg_publication',
    'oid pubname pubowner puballtables pubinsert pubupdate pubdelete pubtruncate pubviaroot',
  );
  addStatic(registry, 'pg_publication_rel', 'oid prpubid prrelid prqual prattrs');
  addStatic(registry, 'pg_publication_namespace', 'oid pnpubid pnnspid');
  addStatic(
    registry,
    'pg_trigger',
    'oid tgrelid tgparentid tgname tgfoid tgtype tgenabled tgisinternal tgconstrrelid tgconstrindid tgconstraint tgdeferrable tginitdeferred tgnargs tgattr tgargs tgqual tgoldtable tgnewtable',
  );
  addStatic(registry, 'pg_rewrite', 'oid rulename ev_class ev_type ev_enabled is_instead ev_qual ev_action');
  addStatic(registry, 'pg_foreign_table', 'ftrelid ftserver ftoptions');
  addStatic(
    registry,
    'pg_sequence',
    'seqrelid seqtypid seqstart seqincrement seqmax seqmin seqcache seqcycle',
  );
  addStatic(registry, 'pg_depend', 'classid objid objsubid refclassid refobjid refobjsubid deptype');
}

function relationOfSnap(oid: number): CatalogRelation | undefined {
  return relationOf(oid, catalogSnapshot());
}
