// Column names and types of the pg_catalog and information_schema relations, as PostgreSQL 15
// declares them (generated from a PostgreSQL 15 catalog): `name:type`, the type a PostgreSQL type
// name, `elem[]` for arrays, or an information_schema domain (catalog-types.ts maps them).

export const catalogSpecs: Readonly<Record<string, string>> = {
  'information_schema.check_constraints':
    'constraint_catalog:sql_identifier constraint_schema:sql_identifier constraint_name:sql_identifier check_clause:character_data',
  'information_schema.column_udt_usage':
    'udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier column_name:sql_identifier',
  'information_schema.columns':
    'table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier column_name:sql_identifier ordinal_position:cardinal_number column_default:character_data is_nullable:yes_or_no data_type:character_data character_maximum_length:cardinal_number character_octet_length:cardinal_number numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number datetime_precision:cardinal_number interval_type:character_data interval_precision:cardinal_number character_set_catalog:sql_identifier character_set_schema:sql_identifier character_set_name:sql_identifier collation_catalog:sql_identifier collation_schema:sql_identifier collation_name:sql_identifier domain_catalog:sql_identifier domain_schema:sql_identifier domain_name:sql_identifier udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier scope_catalog:sql_identifier scope_schema:sql_identifier scope_name:sql_identifier maximum_cardinality:cardinal_number dtd_identifier:sql_identifier is_self_referencing:yes_or_no is_identity:yes_or_no identity_generation:character_data identity_start:character_data identity_increment:character_data identity_maximum:character_data identity_minimum:character_data identity_cycle:yes_or_no is_generated:character_data generation_expression:character_data is_updatable:yes_or_no',
  'information_schema.constraint_column_usage':
    'table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier column_name:sql_identifier constraint_catalog:sql_identifier constraint_schema:sql_identifier constraint_name:sql_identifier',
  'information_schema.domains':
    'domain_catalog:sql_identifier domain_schema:sql_identifier domain_name:sql_identifier data_type:character_data character_maximum_length:cardinal_number character_octet_length:cardinal_number character_set_catalog:sql_identifier character_set_schema:sql_identifier character_set_name:sql_identifier collation_catalog:sql_identifier collation_schema:sql_identifier collation_name:sql_identifier numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number datetime_precision:cardinal_number interval_type:character_data interval_precision:cardinal_number domain_default:character_data udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier scope_catalog:sql_identifier scope_schema:sql_identifier scope_name:sql_identifier maximum_cardinality:cardinal_number dtd_identifier:sql_identifier',
  'information_schema.element_types':
    'object_catalog:sql_identifier object_schema:sql_identifier object_name:sql_identifier object_type:character_data collection_type_identifier:sql_identifier data_type:character_data character_maximum_length:cardinal_number character_octet_length:cardinal_number character_set_catalog:sql_identifier character_set_schema:sql_identifier character_set_name:sql_identifier collation_catalog:sql_identifier collation_schema:sql_identifier collation_name:sql_identifier numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number datetime_precision:cardinal_number interval_type:character_data interval_precision:cardinal_number domain_default:character_data udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier scope_catalog:sql_identifier scope_schema:sql_identifier scope_name:sql_identifier maximum_cardinality:cardinal_number dtd_identifier:sql_identifier',
  'information_schema.key_column_usage':
    'constraint_catalog:sql_identifier constraint_schema:sql_identifier constraint_name:sql_identifier table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier column_name:sql_identifier ordinal_position:cardinal_number position_in_unique_constraint:cardinal_number',
  'information_schema.parameters':
    'specific_catalog:sql_identifier specific_schema:sql_identifier specific_name:sql_identifier ordinal_position:cardinal_number parameter_mode:character_data is_result:yes_or_no as_locator:yes_or_no parameter_name:sql_identifier data_type:character_data character_maximum_length:cardinal_number character_octet_length:cardinal_number character_set_catalog:sql_identifier character_set_schema:sql_identifier character_set_name:sql_identifier collation_catalog:sql_identifier collation_schema:sql_identifier collation_name:sql_identifier numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number datetime_precision:cardinal_number interval_type:character_data interval_precision:cardinal_number udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier scope_catalog:sql_identifier scope_schema:sql_identifier scope_name:sql_identifier maximum_cardinality:cardinal_number dtd_identifier:sql_identifier parameter_default:character_data',
  'information_schema.referential_constraints':
    'constraint_catalog:sql_identifier constraint_schema:sql_identifier constraint_name:sql_identifier unique_constraint_catalog:sql_identifier unique_constraint_schema:sql_identifier unique_constraint_name:sql_identifier match_option:character_data update_rule:character_data delete_rule:character_data',
  'information_schema.routines':
    'specific_catalog:sql_identifier specific_schema:sql_identifier specific_name:sql_identifier routine_catalog:sql_identifier routine_schema:sql_identifier routine_name:sql_identifier routine_type:character_data module_catalog:sql_identifier module_schema:sql_identifier module_name:sql_identifier udt_catalog:sql_identifier udt_schema:sql_identifier udt_name:sql_identifier data_type:character_data character_maximum_length:cardinal_number character_octet_length:cardinal_number character_set_catalog:sql_identifier character_set_schema:sql_identifier character_set_name:sql_identifier collation_catalog:sql_identifier collation_schema:sql_identifier collation_name:sql_identifier numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number datetime_precision:cardinal_number interval_type:character_data interval_precision:cardinal_number type_udt_catalog:sql_identifier type_udt_schema:sql_identifier type_udt_name:sql_identifier scope_catalog:sql_identifier scope_schema:sql_identifier scope_name:sql_identifier maximum_cardinality:cardinal_number dtd_identifier:sql_identifier routine_body:character_data routine_definition:character_data external_name:character_data external_language:character_data parameter_style:character_data is_deterministic:yes_or_no sql_data_access:character_data is_null_call:yes_or_no sql_path:character_data schema_level_routine:yes_or_no max_dynamic_result_sets:cardinal_number is_user_defined_cast:yes_or_no is_implicitly_invocable:yes_or_no security_type:character_data to_sql_specific_catalog:sql_identifier to_sql_specific_schema:sql_identifier to_sql_specific_name:sql_identifier as_locator:yes_or_no created:time_stamp last_altered:time_stamp new_savepoint_level:yes_or_no is_udt_dependent:yes_or_no result_cast_from_data_type:character_data result_cast_as_locator:yes_or_no result_cast_char_max_length:cardinal_number result_cast_char_octet_length:cardinal_number result_cast_char_set_catalog:sql_identifier result_cast_char_set_schema:sql_identifier result_cast_char_set_name:sql_identifier result_cast_collation_catalog:sql_identifier result_cast_collation_schema:sql_identifier result_cast_collation_name:sql_identifier result_cast_numeric_precision:cardinal_number result_cast_numeric_precision_radix:cardinal_number result_cast_numeric_scale:cardinal_number result_cast_datetime_precision:cardinal_number result_cast_interval_type:character_data result_cast_interval_precision:cardinal_number result_cast_type_udt_catalog:sql_identifier result_cast_type_udt_schema:sql_identifier result_cast_type_udt_name:sql_identifier result_cast_scope_catalog:sql_identifier result_cast_scope_schema:sql_identifier result_cast_scope_name:sql_identifier result_cast_maximum_cardinality:cardinal_number result_cast_dtd_identifier:sql_identifier',
  'information_schema.schemata':
    'catalog_name:sql_identifier schema_name:sql_identifier schema_owner:sql_identifier default_character_set_catalog:sql_identifier default_character_set_schema:sql_identifier default_character_set_name:sql_identifier sql_path:character_data',
  'information_schema.sequences':
    'sequence_catalog:sql_identifier sequence_schema:sql_identifier sequence_name:sql_identifier data_type:character_data numeric_precision:cardinal_number numeric_precision_radix:cardinal_number numeric_scale:cardinal_number start_value:character_data minimum_value:character_data maximum_value:character_data increment:character_data cycle_option:yes_or_no',
  'information_schema.table_constraints':
    'constraint_catalog:sql_identifier constraint_schema:sql_identifier constraint_name:sql_identifier table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier constraint_type:character_data is_deferrable:yes_or_no initially_deferred:yes_or_no enforced:yes_or_no nulls_distinct:yes_or_no',
  'information_schema.tables':
    'table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier table_type:character_data self_referencing_column_name:sql_identifier reference_generation:character_data user_defined_type_catalog:sql_identifier user_defined_type_schema:sql_identifier user_defined_type_name:sql_identifier is_insertable_into:yes_or_no is_typed:yes_or_no commit_action:character_data',
  'information_schema.triggers':
    'trigger_catalog:sql_identifier trigger_schema:sql_identifier trigger_name:sql_identifier event_manipulation:character_data event_object_catalog:sql_identifier event_object_schema:sql_identifier event_object_table:sql_identifier action_order:cardinal_number action_condition:character_data action_statement:character_data action_orientation:character_data action_timing:character_data action_reference_old_table:sql_identifier action_reference_new_table:sql_identifier action_reference_old_row:sql_identifier action_reference_new_row:sql_identifier created:time_stamp',
  'information_schema.views':
    'table_catalog:sql_identifier table_schema:sql_identifier table_name:sql_identifier view_definition:character_data check_option:character_data is_updatable:yes_or_no is_insertable_into:yes_or_no is_trigger_updatable:yes_or_no is_trigger_deletable:yes_or_no is_trigger_insertable_into:yes_or_no',
  'pg_catalog.pg_am': 'oid:oid amname:name amhandler:regproc amtype:char',
  'pg_catalog.pg_attrdef': 'oid:oid adrelid:oid adnum:int2 adbin:pg_node_tree',
  'pg_catalog.pg_attribute':
    'attrelid:oid attname:name atttypid:oid attstattarget:int4 attlen:int2 attnum:int2 attndims:int4 attcacheoff:int4 atttypmod:int4 attbyval:bool attalign:char attstorage:char attcompression:char attnotnull:bool atthasdef:bool atthasmissing:bool attidentity:char attgenerated:char attisdropped:bool attislocal:bool attinhcount:int4 attcollation:oid attacl:aclitem[] attoptions:text[] attfdwoptions:text[] attmissingval:anyarray',
  'pg_catalog.pg_auth_members': 'roleid:oid member:oid grantor:oid admin_option:bool',
  'pg_catalog.pg_authid':
    'oid:oid rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool rolreplication:bool rolbypassrls:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz',
  'pg_catalog.pg_class':
    'oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid relfilenode:oid reltablespace:oid relpages:int4 reltuples:float4 relallvisible:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool relforcerowsecurity:bool relispopulated:bool relreplident:char relispartition:bool relrewrite:oid relfrozenxid:xid relminmxid:xid relacl:aclitem[] reloptions:text[] relpartbound:pg_node_tree',
  'pg_catalog.pg_collation':
    'oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool collencoding:int4 collcollate:text collctype:text colliculocale:text collversion:text',
  'pg_catalog.pg_constraint':
    'oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool convalidated:bool conrelid:oid contypid:oid conindid:oid conparentid:oid confrelid:oid confupdtype:char confdeltype:char confmatchtype:char conislocal:bool coninhcount:int4 connoinherit:bool conkey:int2[] confkey:int2[] conpfeqop:oid[] conppeqop:oid[] conffeqop:oid[] confdelsetcols:int2[] conexclop:oid[] conbin:pg_node_tree',
  'pg_catalog.pg_database':
    'oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool datallowconn:bool datconnlimit:int4 datfrozenxid:xid datminmxid:xid dattablespace:oid datcollate:text datctype:text daticulocale:text datcollversion:text datacl:aclitem[]',
  'pg_catalog.pg_depend':
    'classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 deptype:char',
  'pg_catalog.pg_description': 'objoid:oid classoid:oid objsubid:int4 description:text',
  'pg_catalog.pg_enum': 'oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name',
  'pg_catalog.pg_extension':
    'oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion:text extconfig:oid[] extcondition:text[]',
  'pg_catalog.pg_foreign_table': 'ftrelid:oid ftserver:oid ftoptions:text[]',
  'pg_catalog.pg_index':
    'indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool indimmediate:bool indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool indisreplident:bool indkey:int2vector indcollation:oidvector indclass:oidvector indoption:int2vector indexprs:pg_node_tree indpred:pg_node_tree',
  'pg_catalog.pg_indexes': 'schemaname:name tablename:name indexname:name tablespace:name indexdef:text',
  'pg_catalog.pg_inherits': 'inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool',
  'pg_catalog.pg_matviews':
    'schemaname:name matviewname:name matviewowner:name tablespace:name hasindexes:bool ispopulated:bool definition:text',
  'pg_catalog.pg_namespace': 'oid:oid nspname:name nspowner:oid nspacl:aclitem[]',
  'pg_catalog.pg_opclass':
    'oid:oid opcmethod:oid opcname:name opcnamespace:oid opcowner:oid opcfamily:oid opcintype:oid opcdefault:bool opckeytype:oid',
  'pg_catalog.pg_partitioned_table':
    'partrelid:oid partstrat:char partnatts:int2 partdefid:oid partattrs:int2vector partclass:oidvector partcollation:oidvector partexprs:pg_node_tree',
  'pg_catalog.pg_policies':
    'schemaname:name tablename:name policyname:name permissive:text roles:name[] cmd:text qual:text with_check:text',
  'pg_catalog.pg_policy':
    'oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:oid[] polqual:pg_node_tree polwithcheck:pg_node_tree',
  'pg_catalog.pg_proc':
    'oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 prorows:float4 provariadic:oid prosupport:regproc prokind:char prosecdef:bool proleakproof:bool proisstrict:bool proretset:bool provolatile:char proparallel:char pronargs:int2 pronargdefaults:int2 prorettype:oid proargtypes:oidvector proallargtypes:oid[] proargmodes:char[] proargnames:text[] proargdefaults:pg_node_tree protrftypes:oid[] prosrc:text probin:text prosqlbody:pg_node_tree proconfig:text[] proacl:aclitem[]',
  'pg_catalog.pg_publication':
    'oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool',
  'pg_catalog.pg_publication_namespace': 'oid:oid pnpubid:oid pnnspid:oid',
  'pg_catalog.pg_publication_rel': 'oid:oid prpubid:oid prrelid:oid prqual:pg_node_tree prattrs:int2vector',
  'pg_catalog.pg_range':
    'rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid rngsubopc:oid rngcanonical:regproc rngsubdiff:regproc',
  'pg_catalog.pg_rewrite':
    'oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool ev_qual:pg_node_tree ev_action:pg_node_tree',
  'pg_catalog.pg_roles':
    'rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool rolreplication:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:text[] oid:oid',
  'pg_catalog.pg_sequence':
    'seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 seqcache:int8 seqcycle:bool',
  'pg_catalog.pg_sequences':
    'schemaname:name sequencename:name sequenceowner:name data_type:regtype start_value:int8 min_value:int8 max_value:int8 increment_by:int8 cycle:bool cache_size:int8 last_value:int8',
  'pg_catalog.pg_settings':
    'name:text setting:text unit:text category:text short_desc:text extra_desc:text context:text vartype:text source:text min_val:text max_val:text enumvals:text[] boot_val:text reset_val:text sourcefile:text sourceline:int4 pending_restart:bool',
  'pg_catalog.pg_shdescription': 'objoid:oid classoid:oid description:text',
  'pg_catalog.pg_stat_activity':
    'datid:oid datname:name pid:int4 leader_pid:int4 usesysid:oid usename:name application_name:text client_addr:inet client_hostname:text client_port:int4 backend_start:timestamptz xact_start:timestamptz query_start:timestamptz state_change:timestamptz wait_event_type:text wait_event:text state:text backend_xid:xid backend_xmin:xid query_id:int8 query:text backend_type:text',
  'pg_catalog.pg_stat_user_indexes':
    'relid:oid indexrelid:oid schemaname:name relname:name indexrelname:name idx_scan:int8 idx_tup_read:int8 idx_tup_fetch:int8',
  'pg_catalog.pg_stat_user_tables':
    'relid:oid schemaname:name relname:name seq_scan:int8 seq_tup_read:int8 idx_scan:int8 idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8 n_tup_hot_upd:int8 n_live_tup:int8 n_dead_tup:int8 n_mod_since_analyze:int8 n_ins_since_vacuum:int8 last_vacuum:timestamptz last_autovacuum:timestamptz last_analyze:timestamptz last_autoanalyze:timestamptz vacuum_count:int8 autovacuum_count:int8 analyze_count:int8 autoanalyze_count:int8',
  'pg_catalog.pg_statio_user_tables':
    'relid:oid schemaname:name relname:name heap_blks_read:int8 heap_blks_hit:int8 idx_blks_read:int8 idx_blks_hit:int8 toast_blks_read:int8 toast_blks_hit:int8 tidx_blks_read:int8 tidx_blks_hit:int8',
  'pg_catalog.pg_statistic_ext':
    'oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4 stxkeys:int2vector stxkind:char[] stxexprs:pg_node_tree',
  'pg_catalog.pg_tables':
    'schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool',
  'pg_catalog.pg_tablespace': 'oid:oid spcname:name spcowner:oid spcacl:aclitem[] spcoptions:text[]',
  'pg_catalog.pg_trigger':
    'oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid tgdeferrable:bool tginitdeferred:bool tgnargs:int2 tgattr:int2vector tgargs:bytea tgqual:pg_node_tree tgoldtable:name tgnewtable:name',
  'pg_catalog.pg_type':
    'oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char typcategory:char typispreferred:bool typisdefined:bool typdelim:char typrelid:oid typsubscript:regproc typelem:oid typarray:oid typinput:regproc typoutput:regproc typreceive:regproc typsend:regproc typmodin:regproc typmodout:regproc typanalyze:regproc typalign:char typstorage:char typnotnull:bool typbasetype:oid typtypmod:int4 typndims:int4 typcollation:oid typdefaultbin:pg_node_tree typdefault:text typacl:aclitem[]',
  'pg_catalog.pg_user':
    'usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool passwd:text valuntil:timestamptz useconfig:text[]',
  'pg_catalog.pg_views': 'schemaname:name viewname:name viewowner:name definition:text',
};
