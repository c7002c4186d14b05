-- Catalog queries the ORMs' schema tools send (drizzle-kit, typeorm; traces of issue 14), over
-- a schema with a non-public schema, an enum, a serial key, a DESC index and a foreign key.

CREATE SCHEMA oc_app;

CREATE TABLE oc_app.__oc_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL);

CREATE TYPE oc_mood AS ENUM ('calm', 'busy');

CREATE TABLE oc_authors (id serial PRIMARY KEY, name varchar(40) NOT NULL, mood oc_mood DEFAULT 'calm' NOT NULL, tags text[]);

CREATE INDEX oc_authors_name ON oc_authors (name DESC, id);

CREATE TABLE oc_posts (id serial PRIMARY KEY, author_id integer REFERENCES oc_authors (id) ON DELETE CASCADE, title text);

-- Several set-returning functions in one select list run in lockstep, padded with NULL.
SELECT unnest(ARRAY[1, 2, 3]) AS a, unnest(ARRAY['x', 'y']) AS b, generate_subscripts(ARRAY[5, 6, 7], 1) + 1 AS g;

SELECT v.x, unnest(ARRAY[v.x, v.x + 1]) AS u, regexp_split_to_table('p,q,r', ',') AS r FROM (VALUES (1), (2)) AS v(x) ORDER BY 1, 2, 3;

SELECT count(*) FROM oc_authors WHERE EXISTS (SELECT FROM oc_posts);

-- drizzle-kit: the columns of a table.
SELECT 
    a.attrelid::regclass::text AS table_name,
    a.attname AS column_name,
    CASE 
        WHEN NOT a.attisdropped THEN 
            CASE 
                WHEN a.attnotnull THEN 'NO'
                ELSE 'YES'
            END 
        ELSE NULL 
    END AS is_nullable,
    a.attndims AS array_dimensions,
    CASE 
        WHEN a.atttypid = ANY ('{int,int8,int2}'::regtype[]) 
        AND EXISTS (
            SELECT FROM pg_attrdef ad
            WHERE ad.adrelid = a.attrelid 
            AND ad.adnum = a.attnum 
            AND pg_get_expr(ad.adbin, ad.adrelid) = 'nextval(''' 
                || pg_get_serial_sequence(a.attrelid::regclass::text, a.attname)::regclass || '''::regclass)'
        )
        THEN CASE a.atttypid
            WHEN 'int'::regtype THEN 'serial'
            WHEN 'int8'::regtype THEN 'bigserial'
            WHEN 'int2'::regtype THEN 'smallserial'
        END
        ELSE format_type(a.atttypid, a.atttypmod)
    END AS data_type,
    pg_get_serial_sequence('"public"."oc_authors"', a.attname)::regclass AS seq_name,
    c.column_default,
    c.data_type AS additional_dt,
    c.udt_name AS enum_name,
    c.is_generated,
    c.generation_expression,
    c.is_identity,
    c.identity_generation,
    c.identity_start,
    c.identity_increment,
    c.identity_maximum,
    c.identity_minimum,
    c.identity_cycle,
    enum_ns.nspname AS type_schema
FROM 
    pg_attribute a
JOIN 
    pg_class cls ON cls.oid = a.attrelid
JOIN 
    pg_namespace ns ON ns.oid = cls.relnamespace
LEFT JOIN 
    information_schema.columns c ON c.column_name = a.attname 
        AND c.table_schema = ns.nspname 
        AND c.table_name = cls.relname
LEFT JOIN 
    pg_type enum_t ON enum_t.oid = a.atttypid
LEFT JOIN 
    pg_namespace enum_ns ON enum_ns.oid = enum_t.typnamespace
WHERE 
    a.attnum > 0
    AND NOT a.attisdropped
    AND cls.relkind IN ('r', 'v', 'm')  -- Include regular tables ('r'), views ('v'), and materialized views ('m')
    AND ns.nspname = 'public'
    AND cls.relname = 'oc_authors'
ORDER BY 
    a.attnum;;

-- drizzle-kit: the indexes of a table (index_order left out: catalog int2vector subscripts count from 1).
SELECT  DISTINCT ON (t.relname, ic.relname, k.i) t.relname as table_name, ic.relname AS indexname,
        i.indisunique as is_unique,
        am.amname as method,
        ic.reloptions as with,
        coalesce(a.attname, pg_get_indexdef(i.indexrelid, k.i, false)) AS column_name,
          CASE
        WHEN pg_get_expr(i.indexprs, i.indrelid) IS NOT NULL THEN 1
        ELSE 0
    END AS is_expression,
        i.indoption[k.i-1] & 1 = 1 AS descending,
        i.indoption[k.i-1] & 2 = 2 AS nulls_first,
        pg_get_expr(
                              i.indpred,
                              i.indrelid
                          ) as where,
         opc.opcname
      FROM pg_class t
          LEFT JOIN pg_index i ON t.oid = i.indrelid
          LEFT JOIN pg_class ic ON ic.oid = i.indexrelid
		  CROSS JOIN LATERAL (SELECT unnest(i.indkey), generate_subscripts(i.indkey, 1) + 1) AS k(attnum, i)
          LEFT JOIN pg_attribute AS a
            ON i.indrelid = a.attrelid AND k.attnum = a.attnum
          JOIN pg_namespace c on c.oid = t.relnamespace
        LEFT JOIN pg_am AS am ON ic.relam = am.oid
        JOIN pg_opclass opc ON opc.oid = ANY(i.indclass)
      WHERE
      c.nspname = 'public' AND
      t.relname = 'oc_authors';

-- drizzle-kit: user schemas, sequences, enums, indexes.
select s.nspname as table_schema
  from pg_catalog.pg_namespace s
  join pg_catalog.pg_user u on u.usesysid = s.nspowner
  where nspname not in ('information_schema', 'pg_catalog', 'public')
        and nspname not like 'pg_toast%'
        and nspname not like 'pg_temp_%'
  order by table_schema;

select schemaname, sequencename, start_value, min_value, max_value, increment_by, cycle, cache_size from pg_sequences as seq WHERE schemaname in ('public', 'oc_app') and sequencename ~ '^(__)?oc_' order by schemaname, sequencename;

select n.nspname as enum_schema,
  t.typname as enum_name,
  e.enumlabel as enum_value,
  e.enumsortorder as sort_order
  from pg_type t
  join pg_enum e on t.oid = e.enumtypid
  join pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = 'public'
  order by enum_schema, enum_name, sort_order;

SELECT
          idx.indexrelname AS index_name,
          idx.relname AS table_name,
          schemaname,
          CASE WHEN con.conname IS NOT NULL THEN 1 ELSE 0 END AS generated_by_constraint
        FROM
          pg_stat_user_indexes idx
        LEFT JOIN
          pg_constraint con ON con.conindid = idx.indexrelid
        WHERE idx.relname = 'dz_tags' and schemaname = 'public'
        group by index_name, table_name,schemaname, generated_by_constraint;

SELECT pg_get_indexdef('oc_authors_name'::regclass);

SELECT pg_get_serial_sequence('oc_app.__oc_migrations', 'id'), 'oc_app.__oc_migrations'::regclass::text;

SELECT relname, relnamespace::regnamespace::text, relkind FROM pg_class WHERE relname ~ '^(__)?oc_' ORDER BY 1;

SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_name ~ '^(__)?oc_' ORDER BY 1, 2;

SELECT schemaname, tablename FROM pg_tables WHERE tablename ~ '^(__)?oc_' ORDER BY 1, 2;

SELECT sequence_schema, sequence_name FROM information_schema.sequences WHERE sequence_name ~ '^(__)?oc_' ORDER BY 1, 2;

SELECT typname, typtype, typcategory, typlen, (SELECT x.typname FROM pg_type x WHERE x.oid = t.typarray) AS arr FROM pg_type t WHERE typname LIKE '%oc_mood' ORDER BY 1;

-- typeorm: the foreign keys of its tables.
SELECT "con"."conname" AS "constraint_name", "con"."nspname" AS "table_schema", "con"."relname" AS "table_name", "att2"."attname" AS "column_name", "ns"."nspname" AS "referenced_table_schema", "cl"."relname" AS "referenced_table_name", "att"."attname" AS "referenced_column_name", "con"."confdeltype" AS "on_delete", "con"."confupdtype" AS "on_update", "con"."condeferrable" AS "deferrable", "con"."condeferred" AS "deferred" FROM ( SELECT UNNEST ("con1"."conkey") AS "parent", UNNEST ("con1"."confkey") AS "child", "con1"."confrelid", "con1"."conrelid", "con1"."conname", "con1"."contype", "ns"."nspname", "cl"."relname", "con1"."condeferrable", CASE WHEN "con1"."condeferred" THEN 'INITIALLY DEFERRED' ELSE 'INITIALLY IMMEDIATE' END as condeferred, CASE "con1"."confdeltype" WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END as "confdeltype", CASE "con1"."confupdtype" WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END as "confupdtype" FROM "pg_class" "cl" INNER JOIN "pg_namespace" "ns" ON "cl"."relnamespace" = "ns"."oid" INNER JOIN "pg_constraint" "con1" ON "con1"."conrelid" = "cl"."oid" WHERE "con1"."contype" = 'f' AND (("ns"."nspname" = 'public' AND "cl"."relname" = 'oc_authors') OR ("ns"."nspname" = 'public' AND "cl"."relname" = 'oc_posts')) ) "con" INNER JOIN "pg_attribute" "att" ON "att"."attrelid" = "con"."confrelid" AND "att"."attnum" = "con"."child" INNER JOIN "pg_class" "cl" ON "cl"."oid" = "con"."confrelid"  AND "cl"."relispartition" = 'f'INNER JOIN "pg_namespace" "ns" ON "cl"."relnamespace" = "ns"."oid" INNER JOIN "pg_attribute" "att2" ON "att2"."attrelid" = "con"."conrelid" AND "att2"."attnum" = "con"."parent";

-- drizzle-kit: a table's constraints, one added by ALTER TABLE; indexes backing constraints.
ALTER TABLE oc_posts ADD CONSTRAINT oc_posts_author_title_uq UNIQUE (author_id, title);

SELECT c.column_name, c.data_type, constraint_type, constraint_name, constraint_schema
      FROM information_schema.table_constraints tc
      JOIN information_schema.constraint_column_usage AS ccu USING (constraint_schema, constraint_name)
      JOIN information_schema.columns AS c ON c.table_schema = tc.constraint_schema
        AND tc.table_name = c.table_name AND ccu.column_name = c.column_name
      WHERE tc.table_name = 'oc_posts' and constraint_schema = 'public' ORDER BY 4, 1;

SELECT
          idx.indexrelname AS index_name,
          idx.relname AS table_name,
          schemaname,
          CASE WHEN con.conname IS NOT NULL THEN 1 ELSE 0 END AS generated_by_constraint
        FROM
          pg_stat_user_indexes idx
        LEFT JOIN
          pg_constraint con ON con.conindid = idx.indexrelid
        WHERE idx.relname = 'oc_posts' and schemaname = 'public'
        group by index_name, table_name,schemaname, generated_by_constraint ORDER BY 1;

DROP TABLE oc_posts;

DROP TABLE oc_authors;

DROP TYPE oc_mood;

DROP TABLE oc_app.__oc_migrations;

DROP SCHEMA oc_app;
