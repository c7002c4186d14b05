// Where a new relation goes: the schema it names, or the first schema of the session's
// search_path that exists (PostgreSQL's creation namespace), as its SQLite-side name. A temporary
// relation goes to the session's pg_temp schema, named with tempSchemaMarker (session/temp/).

import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema, storageName } from '../../namespaces.js';
import type { Catalog } from '../context.js';

/**
 * The schema part of a new temporary relation's SQLite name in a plan: plans may be shared by
 * sessions, so the session puts its own temp schema (pg_temp_<id>) in its place when it runs one.
 */
export const tempSchemaMarker = '\u0002pg_temp\u0002';

export function creationTarget(
  catalog: Catalog,
  schema: string | null | undefined,
  name: string,
  position?: number,
  temporary = false,
): { schema: string; stored: string; temporary: boolean } {
  if (name.includes('.')) {
    throw new FeatureNotSupportedError(
      `relation name "${name}" with a dot (ChorusDB names objects "schema.name")`,
      {
        position,
      },
    );
  }
  let target: string;
  if (temporary || schema === 'pg_temp' || (schema && schema === catalog.tempSchema?.())) {
    if (schema && schema !== 'pg_temp' && schema !== catalog.tempSchema?.())
      throw new ChorusError('42P16', 'cannot create temporary relation in non-temporary schema', {
        position,
      });
    return { schema: 'pg_temp', stored: `${tempSchemaMarker}.${name}`, temporary: true };
  }
  if (schema) {
    if (schema === 'pg_catalog' || schema === 'information_schema')
      throw new ChorusError('42501', `permission denied to create "${schema}.${name}"`, {
        detail: 'System catalog modifications are currently disallowed.',
      });
    if (schema !== publicSchema && !(catalog.schemaExists?.(schema) ?? false))
      throw new ChorusError('3F000', `schema "${schema}" does not exist`, { position });
    target = schema;
  } else {
    const path = catalog.searchPath?.() ?? [publicSchema];
    if (path.length === 0)
      throw new ChorusError('3F000', 'no schema has been selected to create in', { position });
    target = path[0]!;
  }
  return { schema: target, stored: storageName(target, name), temporary: false };
}
