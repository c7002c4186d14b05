// ALTER TABLE actions SQLite has no statement for (constraints, column types, defaults, NOT NULL),
// as edits of the table's stored definition: the same edits run on the origin (inside the client's
// transaction, after the session checked the rows) and on every peer (from the log). Rows stay
// where they are: the definition text is rewritten in place when the file format allows it,
// values are converted by UPDATE, and only what changes the format (dropping a PRIMARY KEY or
// UNIQUE constraint of the table text) copies the table (table-rebuild.ts). See DESIGN.md.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { quoteIdent } from '../../sql/lexer.js';
import { refusedRows } from './alter-violations.js';
import { constraintIndexes, constraintIndexSql, tableTextConstraints } from './constraints.js';
import { type Conversion, dropStaged, stageConversions, writeConversions } from './table-convert.js';
import { bodyColumns, columnIndex, parseTableDef, type TableDef, tableDefSql } from './table-def.js';
import { materializeDefaults, rebuildTable, writeTableText } from './table-rebuild.js';

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

/** What running the edits did that the caller may report (peers: edits that no longer fit). */
export interface AlterOutcome {
  skipped: { edit: TableEdit; reason: string }[];
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
 * A peer's treatment of rows the change meets that its origin never saw (written here
 * concurrently with it): the caller records each and removes refused rows, as the applier treats
 * such a row arriving after the change (replication/apply/ddl/ddl-rows.ts).
 */
export interface PeerRows {
  /** A value the new type cannot hold, set to NULL. */
  nulled(rowid: number, column: string, old: unknown): void;
  /** A row the new definition refuses (unique: it lost a unique collision): record and delete it. */
  refuse(rowid: number, constraint: string, unique: boolean): void;
  /**
   * Of rows sharing a new unique constraint's values (over `columns`; null: an expression index), the
   * one that keeps them: the one whose write of those columns is the latest, as a collision arriving
   * later is settled.
   */
  keepOne(rowids: number[], columns: readonly string[] | null): number;
}

/**
 * Run edits on a table inside the caller's transaction (capture triggers dropped by the caller and
 * made again after). On the origin every edit must fit (the session checked them and the rows); on
 * a peer an edit that no longer fits is skipped, and rows the new definition refuses are handed to
 * `peer` before the definition is written.
 */
export function alterTable(
  db: Database.Database,
  table: string,
  edits: readonly TableEdit[],
  mode: EditMode,
  /** Called once the definition and values are in place, before unique indexes are made. */
  validate?: () => void,
  peer?: PeerRows,
): AlterOutcome {
  const outcome: AlterOutcome = { skipped: [] };
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
  const sets: Conversion[] = applied.flatMap((e) =>
    e.kind === 'set_type' && e.convert !== null ? [{ column: e.column, sql: e.convert }] : [],
  );
  try {
    if (sets.length > 0)
      stageConversions(
        db,
        table,
        sets,
        mode === 'peer' && peer ? (r, c, old) => peer.nulled(r, c, old) : null,
      );
    if (mode === 'peer' && peer) settleRows(db, table, parseTableDef(before), def, sets, ix, peer);
    for (const name of ix.drop) db.exec(`DROP INDEX ${quoteIdent(name)}`);
    const after = tableDefSql(def, table);
    if (after !== tableDefSql(parseTableDef(before), table)) {
      materializeDefaults(db, table, parseTableDef(before), def);
      if (indexedInText(def) === indexedInText(parseTableDef(before))) writeTableText(db, table, after);
      else rebuildTable(db, table, def);
    }
    if (sets.length > 0) writeConversions(db, table, sets);
  } finally {
    dropStaged(db);
  }
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

/** The unique constraints the edits create (name and columns, from their index text). */
function createdUnique(ix: IndexChange): { name: string; columns: string[] }[] {
  return ix.create.map((sql) => {
    const m = /^CREATE UNIQUE INDEX "((?:[^"]|"")+)" ON "(?:[^"]|"")+" \((.*)\)$/s.exec(sql)!;
    return { name: m[1]!.replaceAll('""', '"'), columns: bodyColumns(`(${m[2]!})`) };
  });
}

/** Peers: rows the new definition refuses are handed over before anything is written. */
function settleRows(
  db: Database.Database,
  table: string,
  before: TableDef,
  after: TableDef,
  sets: readonly Conversion[],
  ix: IndexChange,
  peer: PeerRows,
): void {
  const found = refusedRows(db, table, before, after, sets, createdUnique(ix));
  for (const r of found.refused) peer.refuse(r.rowid, r.constraint, false);
  const exists = db.prepare(`SELECT 1 FROM ${quoteIdent(table)} WHERE rowid = ?`);
  for (const d of found.duplicates) {
    const alive = d.rowids.filter((r) => exists.get(r) !== undefined);
    if (alive.length < 2) continue;
    const keep = peer.keepOne(alive, d.columns);
    for (const r of alive) if (r !== keep) peer.refuse(r, d.constraint, true);
  }
}
