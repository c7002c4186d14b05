-- The catalog as ORMs and migration tools read it: information_schema and pg_catalog over a few
-- tables with keys, foreign keys, uniques, checks, defaults, indexes, an identity column and a view,
-- queried with the introspection queries kysely, knex, typeorm and drizzle-kit send (filtered to
-- these tables, as they filter to the user's schema). table_catalog and owners are left out: the
-- database and user names differ between the two servers.

CREATE TABLE catalog_users (
  id serial PRIMARY KEY,
  email varchar(100) NOT NULL UNIQUE,
  name text DEFAULT 'x',
  score numeric(10,2) CHECK (score > 0),
  created timestamptz DEFAULT now(),
  active boolean DEFAULT true,
  n int DEFAULT -1,
  ratio float8 DEFAULT 1.5,
  code char(3),
  born date,
  at time(3),
  doc jsonb DEFAULT '{}'
);

CREATE TABLE catalog_posts (
  id bigserial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES catalog_users(id) ON DELETE CASCADE,
  title text,
  body text,
  CONSTRAINT catalog_posts_title_uq UNIQUE (title, user_id)
);

CREATE TABLE catalog_ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int CHECK (v >= 0));

CREATE INDEX catalog_posts_title_idx ON catalog_posts (title);

CREATE VIEW catalog_v AS SELECT id, email FROM catalog_users;

INSERT INTO catalog_users (email, score) VALUES ('a@x', 1), ('b@x', 2);

-- information_schema

SELECT table_schema, table_name, table_type, is_typed
FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'catalog%' ORDER BY table_name;

SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
  character_maximum_length, character_octet_length, numeric_precision, numeric_precision_radix,
  numeric_scale, datetime_precision, udt_schema, udt_name, dtd_identifier, is_identity,
  identity_generation, identity_start, identity_increment, identity_maximum, identity_minimum,
  identity_cycle, is_generated
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name IN ('catalog_users', 'catalog_posts', 'catalog_ident')
ORDER BY table_name, ordinal_position;

SELECT column_name, data_type, udt_name, is_nullable
FROM information_schema.columns WHERE table_name = 'catalog_v' ORDER BY ordinal_position;

SELECT constraint_schema, constraint_name, table_name, constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct
FROM information_schema.table_constraints
WHERE table_name LIKE 'catalog%' AND constraint_name NOT LIKE '%not_null' ORDER BY table_name, constraint_name;

SELECT table_name, constraint_type, count(*)
FROM information_schema.table_constraints
WHERE table_name LIKE 'catalog%' AND constraint_name LIKE '%not_null' GROUP BY 1, 2 ORDER BY 1;

SELECT constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint
FROM information_schema.key_column_usage WHERE table_name LIKE 'catalog%' ORDER BY constraint_name, ordinal_position;

SELECT constraint_name, unique_constraint_schema, unique_constraint_name, match_option, update_rule, delete_rule
FROM information_schema.referential_constraints WHERE constraint_name LIKE 'catalog%' ORDER BY 1;

SELECT table_name, column_name, constraint_name
FROM information_schema.constraint_column_usage WHERE constraint_name LIKE 'catalog%' ORDER BY 3, 1, 2;

SELECT constraint_name, check_clause
FROM information_schema.check_constraints WHERE constraint_name LIKE 'catalog%' ORDER BY 1;

SELECT schema_name FROM information_schema.schemata
WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1;

SELECT sequence_schema, sequence_name, data_type, numeric_precision, numeric_precision_radix, numeric_scale,
  start_value, minimum_value, maximum_value, increment, cycle_option
FROM information_schema.sequences WHERE sequence_name LIKE 'catalog%' ORDER BY 2;

SELECT count(*) FROM information_schema.routines WHERE routine_schema = 'public';

-- knex: hasTable, hasColumn, columnInfo
SELECT count(*) FROM (select * from information_schema.tables where table_name = 'catalog_users' and table_schema = current_schema()) t;

SELECT count(*) FROM (select * from information_schema.columns where table_name = 'catalog_users' and column_name = 'email' and table_schema = current_schema()) c;

SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
FROM (select * from information_schema.columns where table_name = 'catalog_posts' and table_catalog = current_database() and table_schema = current_schema()) c
ORDER BY ordinal_position;

-- typeorm: hasTable, hasSchema, loadTables (tables and columns)
SELECT count(*) FROM (SELECT * FROM "information_schema"."tables" WHERE "table_schema" = 'public' AND "table_name" = 'catalog_posts') t;

SELECT count(*) FROM (SELECT * FROM "information_schema"."schemata" WHERE "schema_name" = 'public') s;

SELECT "table_schema", "table_name", obj_description((quote_ident("table_schema") || '.' || quote_ident("table_name"))::regclass, 'pg_class') AS table_comment
FROM "information_schema"."tables"
WHERE ("table_schema" = 'public' AND "table_name" = 'catalog_users') OR ("table_schema" = 'public' AND "table_name" = 'catalog_posts')
ORDER BY 2;

SELECT columns.table_name, columns.column_name, columns.column_default,
  pg_catalog.col_description((quote_ident(table_catalog) || '.' || quote_ident(table_schema) || '.' || quote_ident(table_name))::regclass::oid, ordinal_position) AS description,
  ('"' || "udt_schema" || '"."' || "udt_name" || '"')::"regtype"::text AS "regtype",
  pg_catalog.format_type("col_attr"."atttypid", "col_attr"."atttypmod") AS "format_type"
FROM "information_schema"."columns"
LEFT JOIN "pg_catalog"."pg_attribute" AS "col_attr" ON "col_attr"."attname" = "columns"."column_name"
  AND "col_attr"."attrelid" = (
    SELECT "cls"."oid" FROM "pg_catalog"."pg_class" AS "cls"
    LEFT JOIN "pg_catalog"."pg_namespace" AS "ns" ON "ns"."oid" = "cls"."relnamespace"
    WHERE "cls"."relname" = "columns"."table_name" AND "ns"."nspname" = "columns"."table_schema")
WHERE ("table_schema" = 'public' AND "table_name" = 'catalog_users') OR ("table_schema" = 'public' AND "table_name" = 'catalog_posts')
ORDER BY 1, ordinal_position;

-- kysely: introspection.getTables()
select "a"."attname" as "column", "a"."attnotnull" as "not_null", "a"."atthasdef" as "has_default",
  "c"."relname" as "table", "c"."relkind" as "table_type", "ns"."nspname" as "schema", "typ"."typname" as "type",
  "dtns"."nspname" as "type_schema", col_description(a.attrelid, a.attnum) as "column_description",
  pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname) as "auto_incrementing"
from "pg_catalog"."pg_attribute" as "a"
inner join "pg_catalog"."pg_class" as "c" on "a"."attrelid" = "c"."oid"
inner join "pg_catalog"."pg_namespace" as "ns" on "c"."relnamespace" = "ns"."oid"
inner join "pg_catalog"."pg_type" as "typ" on "a"."atttypid" = "typ"."oid"
inner join "pg_catalog"."pg_namespace" as "dtns" on "typ"."typnamespace" = "dtns"."oid"
where "c"."relkind" in ('r', 'v', 'p', 'f') and "ns"."nspname" !~ '^pg_' and "ns"."nspname" != 'information_schema'
  and "ns"."nspname" != 'crdb_internal' and has_schema_privilege(ns.nspname, 'USAGE')
  and "a"."attnum" >= 0 and "a"."attisdropped" != true
  and "c"."relname" != 'kysely_migration' and "c"."relname" != 'kysely_migration_lock'
  and "c"."relname" like 'catalog%'
order by "ns"."nspname", "c"."relname", "a"."attnum";

select "nspname" from "pg_catalog"."pg_namespace" where nspname in ('public', 'pg_catalog', 'information_schema') order by 1;

-- drizzle-kit pull / push
SELECT n.nspname AS table_schema, c.relname AS table_name,
  CASE WHEN c.relkind = 'r' THEN 'table' WHEN c.relkind = 'v' THEN 'view' WHEN c.relkind = 'm' THEN 'materialized_view' END AS type,
  c.relrowsecurity AS rls_enabled
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm') AND n.nspname = 'public' AND c.relname LIKE 'catalog%' ORDER BY 2;

select s.nspname as table_schema from pg_catalog.pg_namespace s join pg_catalog.pg_user u on u.usesysid = s.nspowner
where nspname not in ('information_schema', 'pg_catalog', 'public') and nspname not like 'pg_toast%' and nspname not like 'pg_temp_%'
order by table_schema;

select schemaname, sequencename, start_value, min_value, max_value, increment_by, cycle, cache_size
from pg_sequences as seq WHERE schemaname = 'public' AND sequencename LIKE 'catalog%' ORDER BY 2;

select n.nspname as enum_schema, t.typname as enum_name, e.enumlabel as enum_value, e.enumsortorder as sort_order
from pg_type t join pg_enum e on t.oid = e.enumtypid join pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' order by enum_schema, enum_name, sort_order;

SELECT schemaname, tablename, policyname as name, permissive as "as", roles as to, cmd as for, qual as using, with_check as "withCheck"
FROM pg_policies WHERE schemaname = 'public';

SELECT c.column_name, c.data_type, constraint_type, constraint_name, constraint_schema
FROM information_schema.table_constraints tc
JOIN information_schema.constraint_column_usage AS ccu USING (constraint_schema, constraint_name)
JOIN information_schema.columns AS c ON c.table_schema = tc.constraint_schema AND tc.table_name = c.table_name AND ccu.column_name = c.column_name
WHERE tc.table_name = 'catalog_posts' and constraint_schema = 'public' ORDER BY 4, 1;

SELECT tc.constraint_name, tc.constraint_type, pg_get_constraintdef(con.oid) AS constraint_definition
FROM information_schema.table_constraints AS tc
JOIN pg_constraint AS con ON tc.constraint_name = con.conname
  AND con.conrelid = (SELECT oid FROM pg_class WHERE relname = tc.table_name
    AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = tc.constraint_schema))
WHERE tc.table_name IN ('catalog_users', 'catalog_ident') AND tc.constraint_schema = 'public'
  AND tc.constraint_type = 'CHECK' AND con.contype = 'c'
ORDER BY 1;

SELECT conname AS primary_key FROM pg_constraint join pg_class on (pg_class.oid = conrelid)
WHERE contype = 'p' AND connamespace = 'public'::regnamespace AND pg_class.relname = 'catalog_users';

SELECT idx.indexrelname AS index_name, idx.relname AS table_name, schemaname,
  CASE WHEN con.conname IS NOT NULL THEN 1 ELSE 0 END AS generated_by_constraint
FROM pg_stat_user_indexes idx LEFT JOIN pg_constraint con ON con.conindid = idx.indexrelid
WHERE idx.relname = 'catalog_posts' and schemaname = 'public'
group by index_name, table_name, schemaname, generated_by_constraint ORDER BY 1;

-- pg_catalog directly: types, casts, functions
SELECT count(*) FROM pg_class WHERE relname LIKE 'catalog%';

SELECT relname, relkind, relnatts, relchecks, relhasindex, relispartition, relpersistence
FROM "pg_class" WHERE relname LIKE 'catalog%' ORDER BY 1;

SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnum, a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated, a.attisdropped
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = 'catalog_users'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;

SELECT attname, attidentity, atthasdef FROM pg_attribute WHERE attrelid = 'catalog_ident'::regclass AND attnum > 0 ORDER BY attnum;

SELECT a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = 'catalog_users'::regclass ORDER BY d.adnum;

-- indkey (int2vector) is read as an int2[]: its elements and = ANY / unnest as in PostgreSQL; its
-- own text form ('3 2') and zero-based subscripts differ (docs/sql.md).
SELECT c.relname, i.indisunique, i.indisprimary, i.indnatts, array_to_string(i.indkey, ' ') AS indkey, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'catalog_posts'::regclass ORDER BY 1;

SELECT c.relname, a.attname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = 'catalog_posts'::regclass ORDER BY 1, 2;

SELECT c.conname, a.attname
FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) AS k(attnum)
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
WHERE c.conrelid = 'catalog_posts'::regclass ORDER BY 1, 2;

SELECT conname, contype, confupdtype, confdeltype, confmatchtype, conkey::text, confkey::text, pg_get_constraintdef(oid), pg_get_constraintdef(oid, true)
FROM pg_constraint WHERE conrelid = 'catalog_users'::regclass OR conrelid = 'catalog_posts'::regclass ORDER BY conname;

SELECT c.relname AS child, f.relname AS parent
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
WHERE k.contype = 'f' AND c.relname LIKE 'catalog%';

SELECT seqtypid::regtype, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle
FROM pg_sequence WHERE seqrelid = 'catalog_users_id_seq'::regclass;

SELECT 'catalog_users'::regclass::text, 'public.catalog_users'::regclass = 'catalog_users'::regclass, 'public'::regnamespace::text;

SELECT pg_get_serial_sequence('catalog_users', 'id'), pg_get_serial_sequence('public.catalog_posts', 'id'),
  pg_get_serial_sequence('catalog_ident', 'id'), pg_get_serial_sequence('catalog_users', 'email');

-- error: 42703
SELECT pg_get_serial_sequence('catalog_users', 'nope');

-- error: 42P01
SELECT 'catalog_nope'::regclass;

SELECT has_table_privilege('catalog_users', 'SELECT'), pg_table_is_visible('catalog_users'::regclass),
  pg_relation_size('catalog_posts'), obj_description('catalog_users'::regclass, 'pg_class'),
  col_description('catalog_users'::regclass, 1), current_schemas(false)::text, current_schemas(true)::text;

SELECT tablename, hasindexes FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'catalog%' ORDER BY 1;

SELECT viewname FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'catalog%';

SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_posts' ORDER BY 1;

SELECT relname, n_live_tup >= 0 FROM pg_stat_user_tables WHERE relname LIKE 'catalog%' ORDER BY 1;

SELECT c.relname, CASE WHEN c.relkind = 'r' THEN 'table' ELSE 'other' END, count(a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relname LIKE 'catalog%' GROUP BY c.relname, c.relkind ORDER BY 1;

DROP VIEW catalog_v;

DROP TABLE catalog_posts;

DROP TABLE catalog_users;

DROP TABLE catalog_ident;
