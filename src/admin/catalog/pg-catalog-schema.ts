// pg_class, pg_attribute, pg_attrdef, pg_index and pg_constraint, built from the snapshot of
// SQLite's schema (pg-catalog-snapshot.ts).

import { Oid } from '../../sql/types/oids.js';
import { T, typeByOid } from '../../sql/types/pg-types.js';
import type { AdminRegistry, AdminValue } from '../registry.js';
import { displayCheck, displayDefault } from './catalog-exprs.js';
import { catalogSequences, enumTypeOf } from './catalog-objects.js';
import {
  attrdefOidOffset,
  baseTypes,
  btreeAmOid,
  cols,
  constraintOidOffset,
  firstUserOid,
  heapAmOid,
  ownerOid,
  publicNamespaceOid,
  tf,
} from './pg-catalog-common.js';
import { indexExprText, setCheckDisplay } from './pg-catalog-definitions.js';
import { btreeOpclass } from './pg-catalog-extra.js';
import {
  type CatalogColumn,
  type CatalogIndex,
  type CatalogRelation,
  catalogSnapshot,
  relationOf,
} from './pg-catalog-snapshot.js';

export function registerSchemaRelations(registry: AdminRegistry): void {
  setCheckDisplay(displayCheck);
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_class',
    columns: cols(
      'pg_catalog.pg_class',
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
        namespace: number = publicNamespaceOid,
      ): AdminValue[] => [
        oid,
        name,
        namespace,
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
        const r = row(
          rel.oid,
          rel.name,
          rel.kind === 'r' ? heapAmOid : 0,
          rel.rowCount,
          rel.indexes.length > 0,
          rel.kind,
          rel.columns.length,
          withTriggers.has(rel.oid),
          rel.namespaceOid,
        );
        r[18] = rel.checks.length;
        out.push(r);
        for (const ix of rel.indexes)
          out.push(
            row(
              ix.oid,
              ix.name,
              btreeAmOid,
              rel.rowCount,
              false,
              'i',
              ix.columns.length,
              false,
              rel.namespaceOid,
            ),
          );
      }
      for (const seq of catalogSequences(snap))
        out.push(row(seq.oid, seq.name, 0, 1, false, 'S', 3, false, seq.namespaceOid));
      return out;
    },
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_attribute',
    columns: cols(
      'pg_catalog.pg_attribute',
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
        typeByOid(c.typeOid)?.elem || enumTypeOf(c.typeOid)?.array ? 1 : 0,
        -1,
        c.typmod,
        tf((typeLen.get(c.typeOid) ?? -1) > 0 && (typeLen.get(c.typeOid) ?? 0) <= 8),
        'i',
        'p',
        '',
        tf(c.notNull),
        tf(c.default !== null),
        'f',
        c.identity,
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
      const snap = catalogSnapshot();
      for (const seq of catalogSequences(snap)) {
        sequenceColumns.forEach(([name, typeOid], i) => {
          out.push(row(seq.oid, { ...sequenceColumn, name, typeOid, attnum: i + 1 }));
        });
      }
      for (const rel of snap.relations) {
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
    columns: cols('pg_catalog.pg_attrdef', 'oid adrelid adnum adbin'),
    rows: () =>
      catalogSnapshot().relations.flatMap((rel) =>
        rel.columns
          .filter((c) => c.default !== null)
          .map((c): AdminValue[] => [
            attrdefOidOffset + (rel.oid - firstUserOid) * 1000 + c.attnum,
            rel.oid,
            c.attnum,
            showDefault(c),
          ]),
      ),
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_index',
    columns: cols(
      'pg_catalog.pg_index',
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
          keyTypes(rel, ix)
            .map((t) => (collatable.has(t) ? '100' : '0'))
            .join(' '),
          keyTypes(rel, ix)
            .map((t) => String(btreeOpclass(t)))
            .join(' '),
          ix.attnums.map((_, i) => (ix.descending[i] ? '3' : '0')).join(' '),
          ix.expressions.some((e) => e !== null)
            ? ix.expressions.flatMap((e) => (e ? [indexExprText(e.text)] : [])).join(', ')
            : null,
          ix.partial,
        ]),
      ),
  });
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_constraint',
    columns: cols(
      'pg_catalog.pg_constraint',
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
            rel.namespaceOid,
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
        for (const ch of rel.checks) {
          const attnums = rel.columns
            .filter((c) => new RegExp(`(^|[^\\w"])("?)${escapeRe(c.name)}\\2($|[^\\w"])`).test(ch.expression))
            .map((c) => c.attnum);
          out.push([
            ch.oid,
            ch.name,
            rel.namespaceOid,
            'c',
            'f',
            'f',
            't',
            rel.oid,
            0,
            0,
            0,
            0,
            ' ',
            ' ',
            ' ',
            't',
            0,
            'f',
            `{${attnums.join(',')}}`,
            null,
            null,
            null,
            null,
            null,
            null,
            ch.expression,
          ]);
        }
        for (const f of rel.foreignKeys) {
          const refPk = relationOfSnap(f.refTableOid)?.indexes.find((i) => i.primary || i.unique);
          out.push([
            f.oid,
            f.name,
            rel.namespaceOid,
            'f',
            f.deferrable ? 't' : 'f',
            f.deferred ? 't' : 'f',
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
}

const collatable = new Set<number>([Oid.text, Oid.varchar, Oid.bpchar]);

/** A sequence's columns (last_value, log_cnt, is_called), as pg_attribute lists them. */
const sequenceColumns: [string, number][] = [
  ['last_value', Oid.int8],
  ['log_cnt', Oid.int8],
  ['is_called', Oid.bool],
];
const sequenceColumn: CatalogColumn = {
  attnum: 0,
  name: '',
  typeOid: 0,
  typmod: -1,
  notNull: true,
  default: null,
  generated: '',
  serial: false,
  identity: '',
  defaultRaw: null,
};

/** The type of each key column of an index (an expression's result type for an expression). */
function keyTypes(rel: CatalogRelation, ix: CatalogIndex): number[] {
  return ix.attnums.map((a, i) => ix.expressions[i]?.typeOid ?? typeOfAttnum(rel, a));
}

function typeOfAttnum(rel: CatalogRelation, attnum: number): number {
  return rel.columns.find((c) => c.attnum === attnum)?.typeOid ?? 0;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A column default as pg_attrdef.adbin shows it (through pg_get_expr): PostgreSQL's spelling. */
function showDefault(c: CatalogColumn): string | null {
  if (c.default === null) return null;
  if (c.defaultRaw === null) return c.default;
  return displayDefault(
    c.defaultRaw,
    c.typeOid ? { type: typeByOid(c.typeOid) ?? T.text, typmod: c.typmod } : null,
  );
}

function relationOfSnap(oid: number): CatalogRelation | undefined {
  return relationOf(oid, catalogSnapshot());
}
