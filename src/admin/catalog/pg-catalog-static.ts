// The pg_catalog relations that do not depend on the user schema: pg_namespace, pg_database, the
// roles, pg_am, pg_tablespace, pg_collation, and the relations that are always empty here.

import type { AdminRegistry, AdminValue } from '../registry.js';
import { catalogNamespaces } from './catalog-objects.js';
import {
  addStatic,
  btreeAmOid,
  cols,
  heapAmOid,
  ownerOid,
  pgCatalogNamespaceOid,
} from './pg-catalog-common.js';

export function registerNamespaces(registry: AdminRegistry): void {
  registry.addView({
    kind: 'js',
    name: 'pg_catalog.pg_namespace',
    columns: cols('pg_catalog.pg_namespace'),
    rows: () => catalogNamespaces().map((n) => [n.oid, n.name, n.owner, null]),
  });
}

/** Relations psql and drivers query that this node never has rows for, with their columns. */
const emptyRelations: [name: string, spec: string][] = [
  ['pg_description', 'objoid classoid objsubid description'],
  ['pg_shdescription', 'objoid classoid description'],
  ['pg_inherits', 'inhrelid inhparent inhseqno inhdetachpending'],
  [
    'pg_partitioned_table',
    'partrelid partstrat partnatts partdefid partattrs partclass partcollation partexprs',
  ],
  ['pg_policy', 'oid polname polrelid polcmd polpermissive polroles polqual polwithcheck'],
  ['pg_statistic_ext', 'oid stxrelid stxname stxnamespace stxowner stxstattarget stxkeys stxkind stxexprs'],
  [
    'pg_publication',
    'oid pubname pubowner puballtables pubinsert pubupdate pubdelete pubtruncate pubviaroot',
  ],
  ['pg_publication_rel', 'oid prpubid prrelid prqual prattrs'],
  ['pg_publication_namespace', 'oid pnpubid pnnspid'],
  [
    'pg_trigger',
    'oid tgrelid tgparentid tgname tgfoid tgtype tgenabled tgisinternal tgconstrrelid tgconstrindid tgconstraint tgdeferrable tginitdeferred tgnargs tgattr tgargs tgqual tgoldtable tgnewtable',
  ],
  ['pg_rewrite', 'oid rulename ev_class ev_type ev_enabled is_instead ev_qual ev_action'],
  ['pg_foreign_table', 'ftrelid ftserver ftoptions'],
];

export function registerStaticRelations(registry: AdminRegistry): void {
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
  addStatic(registry, 'pg_auth_members', 'roleid member grantor admin_option');
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
  for (const [name, spec] of emptyRelations) addStatic(registry, name, spec);
}
