// Where a new relation goes: the schema it names, or the first schema of the session's
// search_path that exists (PostgreSQL's creation namespace), as its SQLite-side name.

import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { publicSchema, storageName } from '../../../storage/namespaces.js';
import type { Catalog } from '../context.js';

export function creationTarget(
  catalog: Catalog,
  schema: string | null | undefined,
  name: string,
  position?: number,
): { schema: string; stored: string } {
  if (name.includes('.')) {
    throw new FeatureNotSupportedError(
      `relation name "${name}" with a dot (ChorusDB names objects "schema.name")`,
      {
        position,
      },
    );
  }
  let target: string;
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
  return { schema: target, stored: storageName(target, name) };
}
