// The system information functions ORMs and psql call over the catalog (format_type, pg_get_expr,
// pg_get_constraintdef, obj_description, has_table_privilege, ...), in function-table.ts's line
// format. Their SQLite side (pg_cat_*) is registered by admin/catalog-runtime.ts on every connection.
import type { FunctionLine } from './function-table.js';

const lines = `
format_type(oid,int4) text: pg_cat_format_type($1, $2)
pg_get_expr(pg_node_tree,oid) text: $1
pg_get_expr(pg_node_tree,oid,bool) text: $1
pg_get_indexdef(oid) text: pg_cat_indexdef($1, 0)
pg_get_indexdef(oid,int4,bool) text: pg_cat_indexdef($1, $2)
pg_get_constraintdef(oid) text: pg_cat_constraintdef($1, 0)
pg_get_constraintdef(oid,bool) text: pg_cat_constraintdef($1, $2)
pg_get_viewdef(oid) text: pg_cat_viewdef($1)
pg_get_viewdef(oid,bool) text: pg_cat_viewdef($1)
pg_get_viewdef(text) text: pg_cat_viewdef(pg_cat_regclass($1))
pg_get_viewdef(text,bool) text: pg_cat_viewdef(pg_cat_regclass($1))
pg_get_userbyid(oid) name: pg_cat_userbyid($1)
pg_get_serial_sequence(text,text) text: pg_cat_serial_sequence($1, $2)
pg_get_partkeydef(oid) text: NULL
pg_get_statisticsobjdef_columns(oid) text: NULL
pg_tablespace_location(oid) text: CASE WHEN $1 IS NULL THEN NULL ELSE '' END
pg_encoding_to_char(int4) name: CASE $1 WHEN 6 THEN 'UTF8' WHEN 0 THEN 'SQL_ASCII' ELSE '' END
obj_description(oid,name) text: NULL
obj_description(oid) text: NULL
col_description(oid,int4) text: NULL
shobj_description(oid,name) text: NULL
pg_table_is_visible(oid) bool: pg_cat_visible($1)
pg_type_is_visible(oid) bool: 1
pg_function_is_visible(oid) bool: 1
pg_relation_size(regclass) int8: pg_cat_size($1)
pg_relation_size(regclass,text) int8: pg_cat_size($1)
pg_total_relation_size(regclass) int8: pg_cat_size($1)
pg_table_size(regclass) int8: pg_cat_size($1)
pg_indexes_size(regclass) int8: pg_cat_size($1)
has_table_privilege(text,text) bool: pg_cat_privilege($1, $2)
has_table_privilege(oid,text) bool: pg_cat_privilege($1, $2)
has_table_privilege(name,text,text) bool: pg_cat_privilege($2, $3)
has_table_privilege(name,oid,text) bool: pg_cat_privilege($2, $3)
has_schema_privilege(text,text) bool: pg_cat_privilege($1, $2)
has_schema_privilege(oid,text) bool: pg_cat_privilege($1, $2)
has_schema_privilege(name,text,text) bool: pg_cat_privilege($2, $3)
has_schema_privilege(name,oid,text) bool: pg_cat_privilege($2, $3)
has_database_privilege(text,text) bool: pg_cat_privilege($1, $2)
has_sequence_privilege(text,text) bool: pg_cat_privilege($1, $2)
current_schemas(bool) _name: pg_cat_current_schemas($1)
to_regclass(text) regclass: pg_cat_regclass($1)
to_regnamespace(text) regnamespace: pg_cat_regnamespace($1)
`;

export function catalogFunctionLines(): FunctionLine[] {
  const out: FunctionLine[] = [];
  for (const raw of lines.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([a-z_0-9]+)\(([^)]*)\)\s+(\S+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`bad function line: ${line}`);
    out.push({
      name: m[1]!,
      args: m[2] ? m[2].split(',') : [],
      result: m[3]!,
      kind: 'plain',
      template: m[4]!,
    });
  }
  return out;
}
