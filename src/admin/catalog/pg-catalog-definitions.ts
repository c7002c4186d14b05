// The texts PostgreSQL's catalog functions print from the snapshot: pg_get_indexdef,
// pg_get_constraintdef, pg_get_viewdef, and a relation's name as `oid::regclass` shows it (and back).

import { parseViewMeta } from '../../sql/analyze/ddl/stored-text.js';
import { qualifiedText, splitStorageName } from '../../sql/namespaces.js';
import { type TypeRef, typeByOid } from '../../sql/types/pg-types.js';
import { constraintOidOffset } from './pg-catalog-common.js';
import {
  type CatalogIndex,
  type CatalogRelation,
  catalogSnapshot,
  isIndex,
  quoteName,
  relationOf,
  sequenceText,
} from './pg-catalog-snapshot.js';

/** `CREATE [UNIQUE] INDEX name ON public.t USING btree (a, b)`, as pg_get_indexdef prints it. */
export function indexDefinition(oid: number): string | null {
  const snap = catalogSnapshot();
  const ix = snap.byOid.get(oid);
  if (!isIndex(ix)) return null;
  const table = relationOf(ix.tableOid, snap);
  const where = ix.partial ? ` WHERE (${ix.partial})` : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteName(ix.name)} ON ${qualifiedText(table?.schema ?? 'public', table?.name ?? '?')} USING btree (${ix.columns.map((_, i) => `${indexColumnText(ix, i)}${ix.descending[i] ? ' DESC' : ''}`).join(', ')})${where}`;
}

/** An index expression as pg_get_expr(indexprs) prints it: an operator expression in parentheses. */
export function indexExprText(text: string): string {
  return /^[\w.]+\(.*\)$/s.test(text) ? text : `(${text})`;
}

/**
 * Key column i of an index as pg_get_indexdef prints it: a name, or an expression (one that is
 * not a function call in a second pair of parentheses, as ruleutils does).
 */
export function indexColumnText(ix: CatalogIndex, i: number): string {
  const c = ix.columns[i];
  // A column number past the index's columns is an empty text (PostgreSQL's answer).
  if (c === undefined) return '';
  const e = ix.expressions[i];
  if (!e) return quoteName(c);
  const text = indexExprText(e.text);
  return text === e.text ? text : `(${text})`;
}

const fkActions: Record<string, string> = {
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
  RESTRICT: 'RESTRICT',
};

/**
 * How a CHECK constraint is shown: the main thread sets PostgreSQL's spelling (catalog-exprs.ts,
 * which needs the parser); elsewhere the expression as written.
 */
type CheckFormat = (raw: string, pretty: boolean, columns: ReadonlyMap<string, TypeRef>) => string;

const checkDisplay: { format: CheckFormat } = {
  format: (raw, pretty) => (pretty ? `CHECK (${raw})` : `CHECK ((${raw}))`),
};

export function setCheckDisplay(f: CheckFormat): void {
  checkDisplay.format = f;
}

/** Column types of a relation by name (what a CHECK's literals are compared with). */
export function columnTypes(rel: CatalogRelation): Map<string, TypeRef> {
  return new Map(
    rel.columns.flatMap((c): [string, TypeRef][] => {
      const type = typeByOid(c.typeOid);
      return type ? [[c.name, { type, typmod: c.typmod }]] : [];
    }),
  );
}

/** A referenced table as pg_get_constraintdef names it: schema-qualified outside public. */
function referencedText(stored: string): string {
  const { schema, name } = splitStorageName(stored);
  return sequenceText(schema, name);
}

/** pg_get_constraintdef: `PRIMARY KEY (id)`, `UNIQUE (email)`, `FOREIGN KEY (a) REFERENCES t(b)`, `CHECK (...)`. */
export function constraintDefinition(oid: number, pretty = false): string | null {
  const snap = catalogSnapshot();
  for (const rel of snap.relations) {
    for (const ch of rel.checks)
      if (ch.oid === oid) return checkDisplay.format(ch.expression, pretty, columnTypes(rel));
    for (const ix of rel.indexes) {
      if (ix.constraint && ix.oid + constraintOidOffset === oid) {
        return `${ix.constraint === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} (${ix.columns.map(quoteName).join(', ')})`;
      }
    }
    for (const f of rel.foreignKeys) {
      if (f.oid === oid) {
        let def = `FOREIGN KEY (${f.columns.map(quoteName).join(', ')}) REFERENCES ${referencedText(f.refTable)}(${f.refColumns.map(quoteName).join(', ')})`;
        const upd = fkActions[f.onUpdate.toUpperCase()];
        const del = fkActions[f.onDelete.toUpperCase()];
        if (upd) def += ` ON UPDATE ${upd}`;
        if (del) def += ` ON DELETE ${del}`;
        // ruleutils' order: DEFERRABLE, then INITIALLY DEFERRED (IMMEDIATE is the default, not shown).
        if (f.deferrable) def += ' DEFERRABLE';
        if (f.deferred) def += ' INITIALLY DEFERRED';
        return def;
      }
    }
  }
  return null;
}

/** The name psql prints for a relation OID (`oid::regclass`). */
export function relationName(oid: number): string | null {
  const x = catalogSnapshot().byOid.get(oid);
  return x ? quoteName(x.name) : null;
}

export function relationOid(name: string): number | null {
  let n = name.trim();
  if (n.toLowerCase().startsWith('public.')) n = n.slice(7);
  if (n.startsWith('"') && n.endsWith('"')) n = n.slice(1, -1).replaceAll('""', '"');
  else n = n.toLowerCase();
  return catalogSnapshot().byName.get(n.toLowerCase()) ?? null;
}

/** SQL text of a view's query (after AS). */
export function viewDefinition(oid: number): string | null {
  const rel = relationOf(oid, catalogSnapshot());
  return rel?.kind === 'v' ? viewText(rel.sql) : null;
}

/** A view's query as pg_get_viewdef shows it: the PostgreSQL text the front end kept, as written. */
export function viewText(createSql: string): string | null {
  const meta = parseViewMeta(createSql);
  const query = meta ? meta.definition : /\bAS\b([\s\S]*)$/i.exec(createSql)?.[1];
  if (query === undefined) return null;
  const q = query.trim();
  return ` ${q}${q.endsWith(';') ? '' : ';'}`;
}
