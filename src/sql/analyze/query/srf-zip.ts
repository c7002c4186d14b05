// Set-returning functions in a select list as FROM items: one function is joined to each row of
// FROM; several run in lockstep as PostgreSQL's ProjectSet does (rows = the longest function's,
// the shorter ones padded with NULL), by numbering rows 1..max(count) and joining each function's
// ordinality to that number.

import { FeatureNotSupportedError } from '../../../errors.js';

/** One set-returning call of a select list, planned as a FROM item under `alias`. */
export interface SrfItem {
  sql: string;
  /** The quoted alias its columns are read through. */
  alias: string;
  /** Its row number (1-based) given the alias; null where the rows cannot be numbered. */
  ordinalitySql: string | null;
  position: number | undefined;
}

/** The FROM clause with the select list's set-returning functions joined in (`seriesAlias` quoted). */
export function srfFrom(from: string, items: readonly SrfItem[], seriesAlias: string): string {
  if (items.length === 1) {
    const item = `${items[0]!.sql} AS ${items[0]!.alias}`;
    return from ? `${from}, ${item}` : item;
  }
  const counts: string[] = [];
  for (const it of items) {
    if (it.ordinalitySql === null) {
      throw new FeatureNotSupportedError('these set-returning functions together in one select list', {
        hint: 'Move the set-returning functions into FROM.',
        position: it.position,
      });
    }
    counts.push(`(SELECT count(*) FROM ${it.sql})`);
  }
  const n = seriesAlias;
  const series = `pg_generate_series(1, max(${counts.join(', ')}), 1, 'int', '') AS ${n}`;
  const joins = items.map((it) => ` LEFT JOIN ${it.sql} AS ${it.alias} ON ${it.ordinalitySql} = ${n}."c1"`);
  return `${from ? `${from}, ` : ''}${series}${joins.join('')}`;
}
