// ALTER TABLE actions SQLite has no statement for (constraints, column types, defaults, NOT NULL),
// as edits of the table's stored definition: the same edits run on the origin (inside the client's
// transaction, after the session checked the rows) and on every peer (from the log). Rows stay
// where they are: the definition text is rewritten in place when the file format allows it,
// values are converted by UPDATE, and only what changes the format (dropping a PRIMARY KEY or
// UNIQUE constraint of the table text) copies the table (table-rebuild.ts). See DESIGN.md.

import type Database from 'better-sqlite3';
import { ChorusError } from '../errors.js';
import { quoteIdent } from '../sql/lexer.js';
import { constraintIndexes, constraintIndexSql, tableTextConstraints } from './constraints.js';
import { columnIndex, parseTableDef, type TableDef, tableDefSql } from './table-def.js';
import { rebuildTable, writeTableText } from './table-rebuild.js';

/** One change of a table's definition, as it travels in the log (a `tableOp` of kind `alter`). */
export type TableEdit =
  /** New declared type; `convert` turns an old value (the column's name in it) into the new form. */
  | { kind: 'set_type'; column: string; type: string; convert: string | null; default?: string | null }
  | { kind: 'set_default'; column: string; default: string | null }
  | { kind: 'set_not_null'; column: string; notNull: boolean }
  /** A CHECK or FOREIGN KEY table constraint: `body` is its text after the name. */
  | { kind: 'add_constraint'; name: string; body: string }
  | { kind: 'add_unique'; name: string; columns: string[] }
  | { kind: 'drop_constraint'; name: string }
  | { kind: 'rename_constraint'; from: string; to: string };

/** How an edit that no longer fits the table is treated: an error (origin) or skipped (peer). */
export type EditMode = 'origin' | 'peer';

/** What running the edits did that the caller may report (peers: skipped edits, rows set to NULL). */
export interface AlterOutcome {
  skipped: { edit: TableEdit; reason: string }[];
  /** Peers: values the new type could not hold, set to NULL (row key as JSON, column, old value). */
  nulled: { rowid: number; column: string }[];
}

interface IndexChange {
  drop: string[];
  create: string[];
}

function stored(db: Database.Database, table: string): string {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) as
    | { sql: string }
    | undefined;
  if (!row) throw new ChorusError('42P01', `relation "${table}" does not exist`);
  return row.sql;
}

/** An edit that does not fit the table (42704: no such constraint, 42710: it exists already, ...). */
function misfit(code: string, reason: string): Error {
  return new ChorusError(code, reason);
}

/** Apply one edit to the model (and the index changes it needs); throws when it does not fit. */
function applyEdit(db: Database.Database, table: string, def: TableDef, e: TableEdit, ix: IndexChange): void {
  const col = (name: string) => {
    const i = columnIndex(def, name);
    if (i < 0) throw misfit('42703', `column "${name}" of relation "${table}" does not exist`);
    return def.columns[i]!;
  };
  const indexNames = (): string[] =>
    constraintIndexes(db, table)
      .map((c) => c.name)
      .filter((n) => !ix.drop.includes(n))
      .concat(
        ix.create.map((s) => /^CREATE UNIQUE INDEX "((?:[^"]|"")+)"/.exec(s)![1]!.replaceAll('""', '"')),
      );
  const textNames = (): string[] => tableTextConstraints(def).map((c) => c.name);
  switch (e.kind) {
    case 'set_type': {
      const c = col(e.column);
      c.type = e.type;
      if (e.default !== undefined) c.default = e.default;
      return;
    }
    case 'set_default':
      col(e.column).default = e.default;
      return;
    case 'set_not_null':
      col(e.column).notNull = e.notNull;
      return;
    case 'add_constraint':
    case 'add_unique':
      if (textNames().includes(e.name) || indexNames().includes(e.name))
        throw misfit('42710', `constraint "${e.name}" for relation "${table}" already exists`);
      if (e.kind === 'add_constraint') {
        def.constraints.push({
          name: e.name,
          kind: /^\s*CHECK\b/i.test(e.body) ? 'check' : 'foreign',
          body: e.body,
        });
      } else {
        for (const c of e.columns) col(c);
        ix.create.push(constraintIndexSql(table, e.name, e.columns));
      }
      return;
    case 'drop_constraint':
    case 'rename_constraint': {
      const name = e.kind === 'drop_constraint' ? e.name : e.from;
      if (e.kind === 'rename_constraint' && (textNames().includes(e.to) || indexNames().includes(e.to)))
        throw misfit('42710', `constraint "${e.to}" for relation "${table}" already exists`);
      const created = ix.create.findIndex((s) => s.startsWith(`CREATE UNIQUE INDEX ${quoteIdent(name)} `));
      if (created >= 0 || indexNames().includes(name)) {
        const cols = created >= 0 ? null : constraintIndexes(db, table).find((c) => c.name === name)!.columns;
        const createSql = created >= 0 ? ix.create[created]! : constraintIndexSql(table, name, cols!);
        if (created >= 0) ix.create.splice(created, 1);
        else ix.drop.push(name);
        if (e.kind === 'rename_constraint')
          ix.create.push(createSql.replace(`INDEX ${quoteIdent(name)} `, `INDEX ${quoteIdent(e.to)} `));
        return;
      }
      const t = def.constraints.find((c) => (c.name ?? '') === name);
      const inText = tableTextConstraints(def).find((c) => c.name === name);
      if (!inText) throw misfit('42704', `constraint "${name}" of relation "${table}" does not exist`);
      if (inText.storage === 'column') {
        const column = col(inText.column!);
        const k = column.other.findIndex((o) => o.includes(inText.body));
        if (e.kind === 'drop_constraint') column.other.splice(k, 1);
        else column.other[k] = `CONSTRAINT ${quoteIdent(e.to)} ${inText.body}`;
        return;
      }
      if (e.kind === 'drop_constraint') def.constraints.splice(def.constraints.indexOf(t!), 1);
      else if (t) t.name = e.to;
      else {
        // An unnamed table constraint takes the name it was known by, then the new one.
        const unnamed = def.constraints.find((c) => c.name === null && c.body === inText.body)!;
        unnamed.name = e.to;
      }
      return;
    }
  }
}

/** Constraints whose text change alters SQLite's file format (their automatic indexes). */
function indexedInText(def: TableDef): string {
  return tableTextConstraints(def)
    .filter((c) => c.type === 'p' || c.type === 'u')
    .map((c) => `${c.type}:${c.columns.join(',')}`)
    .join(';');
}

/**
 * Run edits on a table inside the caller's transaction (capture triggers dropped by the caller and
 * made again after). On the origin every edit must fit (the session checked them and the rows); on
 * a peer an edit that no longer fits (concurrent DDL) is skipped, and a value the new type cannot
 * hold (a concurrent write) becomes NULL rather than stop the whole change.
 */
export function alterTable(
  db: Database.Database,
  table: string,
  edits: readonly TableEdit[],
  mode: EditMode,
  /** Called once the definition and values are in place, before unique indexes are made. */
  validate?: () => void,
): AlterOutcome {
  const outcome: AlterOutcome = { skipped: [], nulled: [] };
  const before = stored(db, table);
  const def = parseTableDef(before);
  const ix: IndexChange = { drop: [], create: [] };
  const applied: TableEdit[] = [];
  for (const e of edits) {
    const snapshot = structuredClone(def);
    const ixBefore = { drop: [...ix.drop], create: [...ix.create] };
    try {
      applyEdit(db, table, def, e, ix);
      applied.push(e);
    } catch (err) {
      if (mode === 'origin') throw err;
      Object.assign(def, snapshot);
      ix.drop = ixBefore.drop;
      ix.create = ixBefore.create;
      outcome.skipped.push({ edit: e, reason: (err as Error).message });
    }
  }
  for (const name of ix.drop) db.exec(`DROP INDEX ${quoteIdent(name)}`);
  const after = tableDefSql(def, table);
  if (after !== tableDefSql(parseTableDef(before), table)) {
    if (indexedInText(def) === indexedInText(parseTableDef(before))) writeTableText(db, table, after);
    else rebuildTable(db, table, def);
  }
  convertValues(db, table, applied, mode, outcome);
  validate?.();
  for (const sql of ix.create) {
    try {
      db.exec(sql);
    } catch (err) {
      if (mode === 'origin') throw err;
      outcome.skipped.push({
        edit: { kind: 'add_unique', name: sql, columns: [] },
        reason: (err as Error).message,
      });
    }
  }
  return outcome;
}

/** Convert the values of columns whose type changed (after the new definition is in place). */
function convertValues(
  db: Database.Database,
  table: string,
  edits: readonly TableEdit[],
  mode: EditMode,
  outcome: AlterOutcome,
): void {
  const sets = edits.flatMap((e) =>
    e.kind === 'set_type' && e.convert !== null ? [{ column: e.column, sql: e.convert }] : [],
  );
  if (sets.length === 0) return;
  const t = quoteIdent(table);
  const all = `UPDATE ${t} SET ${sets.map((s) => `${quoteIdent(s.column)} = ${s.sql}`).join(', ')}`;
  if (mode === 'origin') {
    db.exec(all);
    return;
  }
  db.exec('SAVEPOINT chorus_convert');
  try {
    db.exec(all);
    db.exec('RELEASE chorus_convert');
    return;
  } catch {
    db.exec('ROLLBACK TO chorus_convert');
    db.exec('RELEASE chorus_convert');
  }
  // A peer holds a value written concurrently with the change that the new type cannot hold:
  // row by row, such a value becomes NULL (the same on every node: it fails everywhere).
  const rowids = db.prepare(`SELECT rowid FROM ${t}`).pluck().all() as number[];
  for (const s of sets) {
    const one = db.prepare(`UPDATE ${t} SET ${quoteIdent(s.column)} = ${s.sql} WHERE rowid = ?`);
    const nul = db.prepare(`UPDATE ${t} SET ${quoteIdent(s.column)} = NULL WHERE rowid = ?`);
    for (const rowid of rowids) {
      try {
        one.run(rowid);
      } catch {
        try {
          nul.run(rowid);
          outcome.nulled.push({ rowid, column: s.column });
        } catch {
          // NOT NULL as well: the row keeps its old value (reported by the caller).
          outcome.skipped.push({
            edit: { kind: 'set_type', column: s.column, type: '', convert: null },
            reason: `row ${rowid}`,
          });
        }
      }
    }
  }
}
