// pg_class, pg_attribute, pg_attrdef, pg_index and pg_constraint, built from the snapshot of
// SQLite's schema (pg-catalog-snapshot.ts).

import { Oid } from '../wire/types.js';
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
import {
  type CatalogColumn,
  type CatalogRelation,
  catalogSnapshot,
  relationOf,
} from './pg-catalog-snapshot.js';
import type { AdminRegistry, AdminValue } from './registry.js';

export function registerSchemaRelations(registry: AdminRegistry): void {
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
}

function relationOfSnap(oid: number): CatalogRelation | undefined {
  return relationOf(oid, catalogSnapshot());
}
