// PostgreSQL schemas over one SQLite database: a table, view or index of schema s other than public
// is the SQLite object named "s.<name>" in main (public's keep their bare names), so the
// replication log, snapshots, capture triggers and foreign keys across schemas work unchanged.
// Also the OIDs ChorusDB gives the objects it adds (schemas, sequences, enum types).

import { ChorusError } from '../errors.js';

/** Prefix of the internal tables (_chorus_meta, ...), hidden from users (storage/engine/internal-schema.ts). */
export const internalPrefix = '_chorus_';

/** The schema every database has; its objects keep their bare names in SQLite. */
export const publicSchema = 'public';
/** PostgreSQL's fixed OIDs of pg_catalog and public. */
export const pgCatalogOid = 11;
export const publicSchemaOid = 2200;
/** PostgreSQL's FirstNormalObjectId: OIDs of user objects start here. */
export const firstUserOid = 16384;
const oidMax = 0x7fffffff;

/** Schema names PostgreSQL reserves (CREATE SCHEMA pg_x is 42939). */
export function isReservedSchemaName(name: string): boolean {
  return name.startsWith('pg_');
}

/** Schemas ChorusDB shows that cannot be created or dropped by users. */
export const systemSchemas: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema', 'public']);

/** The SQLite name of relation `name` in `schema` (null: public). */
export function storageName(schema: string | null, name: string): string {
  return schema === null || schema === publicSchema ? name : `${schema}.${name}`;
}

/** The schema and PostgreSQL name of a SQLite object name (inverse of storageName). */
export function splitStorageName(stored: string): { schema: string; name: string } {
  const dot = stored.indexOf('.');
  if (dot < 0) return { schema: publicSchema, name: stored };
  return { schema: stored.slice(0, dot), name: stored.slice(dot + 1) };
}

/** PostgreSQL's text for a qualified name: each part quoted only when it needs quotes. */
export function qualifiedText(schema: string, name: string): string {
  return `${identText(schema)}.${identText(name)}`;
}

/** quote_ident's rule: lower-case letters, digits and _ (not leading digit) stay bare. */
export function identText(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !reservedWords.has(name)
    ? name
    : `"${name.replaceAll('"', '""')}"`;
}

const reservedWords = new Set([
  'all',
  'analyse',
  'analyze',
  'and',
  'any',
  'array',
  'as',
  'asc',
  'asymmetric',
  'both',
  'case',
  'cast',
  'check',
  'collate',
  'column',
  'constraint',
  'create',
  'current_catalog',
  'current_date',
  'current_role',
  'current_time',
  'current_timestamp',
  'current_user',
  'default',
  'deferrable',
  'desc',
  'distinct',
  'do',
  'else',
  'end',
  'except',
  'false',
  'fetch',
  'for',
  'foreign',
  'from',
  'grant',
  'group',
  'having',
  'in',
  'initially',
  'intersect',
  'into',
  'lateral',
  'leading',
  'limit',
  'localtime',
  'localtimestamp',
  'not',
  'null',
  'offset',
  'on',
  'only',
  'or',
  'order',
  'placing',
  'primary',
  'references',
  'returning',
  'select',
  'session_user',
  'some',
  'symmetric',
  'table',
  'then',
  'to',
  'trailing',
  'true',
  'union',
  'unique',
  'user',
  'using',
  'variadic',
  'when',
  'where',
  'window',
  'with',
]);

/**
 * The OID of a new object: derived from its kind and qualified name (FNV-1a), so two nodes that
 * create the same object concurrently give it the same OID; probed past OIDs already taken here.
 * The origin's choice travels in the replicated DDL, so every node keeps the origin's OID.
 */
export function objectOid(kind: string, qualified: string, taken: (oid: number) => boolean): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(`${kind}:${qualified}`)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const span = oidMax - firstUserOid;
  let oid = firstUserOid + (h % span);
  while (taken(oid)) oid = oid >= oidMax ? firstUserOid : oid + 1;
  return oid;
}

/** The schema names of a search_path value, in order ("$user" kept as is; quotes removed). */
export function parseSearchPath(value: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const p = raw.trim();
    if (p === '') continue;
    out.push(p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p.toLowerCase());
  }
  return out;
}

/** A sequence name as the functions receive it: PostgreSQL text ('s', 'sch.s', '"S"'). */
export function parseSequenceName(text: string): { schema: string | null; name: string } {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let out = '';
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          out += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else out += text[i++];
      }
      i++;
      parts.push(out);
    } else {
      let end = text.indexOf('.', i);
      if (end < 0) end = text.length;
      parts.push(text.slice(i, end).trim().toLowerCase());
      i = end;
    }
    if (text[i] !== '.') break;
    i++;
  }
  if (parts.length === 1) return { schema: null, name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  throw new ChorusError('42601', `improper relation name (too many dotted names): ${text}`);
}
