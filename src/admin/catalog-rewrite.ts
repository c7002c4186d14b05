// Rewrites of the catalog queries psql and drivers send (pg_catalog function prefixes, regclass
// casts, OPERATOR(pg_catalog.~), COLLATE pg_catalog.default) into SQL over the pg_catalog
// emulation. Owned by the catalog work; prepareStatement calls it on every statement's tokens.

import type { Token } from '../sql/lexer.js';

export function rewriteCatalogQuery(tokens: Token[]): Token[] {
  return tokens;
}
