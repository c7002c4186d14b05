// DROP TABLE / VIEW / INDEX and TRUNCATE with PostgreSQL's rules. Every name is checked before
// anything is dropped; objects that depend on a dropped relation (views over it, other tables'
// foreign keys to it) make the statement fail unless CASCADE is given; a truncated table must
// not be referenced by a table left alone. SQLite itself would drop a table under a view or a
// foreign key and leave them naming nothing, which PostgreSQL never allows.

import { ChorusError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import type { DropKind, DropStatement } from '../../sql/analyze/ddl/drop-statements.js';
import { parseViewMeta } from '../../sql/analyze/ddl/stored-text.js';
import { relationsNamed } from '../../sql/analyze/query/view-text.js';
import { quoteIdent } from '../../sql/lexer.js';
import { internalPrefix, storageName } from '../../sql/namespaces.js';
import { defaultEnv } from '../../sql/types/values.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import type { ConstraintCatalog } from '../constraint-errors.js';
import { type Notice, notice, result, type StatementResult } from '../result.js';
import { runAlter } from './alter.js';
import { dropSequences, ownedSequences } from './sequence-ddl.js';

interface Dependent {
  /** How PostgreSQL describes the dependent object: `view v`, `constraint c on table t`. */
  text: string;
  /** What it depends on: `table t`, `view v`. */
  on: string;
  /** A view, dropped by CASCADE. */
  view?: string;
  /** A foreign key of another table, dropped by CASCADE (ALTER TABLE ... DROP CONSTRAINT). */
  foreignKey?: { table: string; name: string };
}

const dropHint: Record<DropKind, string> = {
  table: 'Use DROP TABLE to remove a table.',
  view: 'Use DROP VIEW to remove a view.',
  index: 'Use DROP INDEX to remove an index.',
  trigger: 'Use DROP TRIGGER to remove a trigger.',
};

function kindOf(type: string | undefined): DropKind | null {
  return type === 'table' || type === 'view' || type === 'index' || type === 'trigger' ? type : null;
}

function isInternal(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(internalPrefix) || lower.startsWith('sqlite_');
}

/** The statement's objects that exist; NOTICEs for missing ones under IF EXISTS. */
function resolveTargets(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  stmt: DropStatement,
  notices: Notice[],
  names: Catalog | undefined,
): string[] {
  const db = engine.writer;
  const find = db.prepare('SELECT type FROM sqlite_schema WHERE name = ?').pluck();
  const targets: string[] = [];
  for (const q of stmt.names) {
    if (q.schema !== null && q.schema !== 'public' && !(names?.schemaExists?.(q.schema) ?? false)) {
      if (!stmt.ifExists) throw new ChorusError('3F000', `schema "${q.schema}" does not exist`);
      notices.push(notice(`schema "${q.schema}" does not exist, skipping`));
      continue;
    }
    // Unqualified: the first schema of the search path that has an object of that name.
    const schemas = q.schema !== null ? [q.schema] : (names?.searchPath?.() ?? ['public']);
    const stored =
      schemas.map((sch) => storageName(sch, q.name)).find((n) => find.get(n) !== undefined) ??
      storageName(q.schema, q.name);
    const found = isInternal(q.name) ? null : kindOf(find.get(stored) as string | undefined);
    if (found === stmt.kind) {
      if (!targets.includes(stored)) targets.push(stored);
      continue;
    }
    if (found)
      throw new ChorusError(
        '42809',
        `"${q.name}" is not ${stmt.kind === 'index' ? 'an' : 'a'} ${stmt.kind}`,
        {
          hint: dropHint[found],
        },
      );
    if (stmt.kind === 'index') constraintIndex(engine, catalog, q.name);
    if (stmt.ifExists) {
      notices.push(notice(`${stmt.kind} "${q.name}" does not exist, skipping`));
      continue;
    }
    throw new ChorusError(
      stmt.kind === 'index' ? '42704' : '42P01',
      `${stmt.kind} "${q.name}" does not exist`,
    );
  }
  return targets;
}

/** DROP INDEX of a primary key's or unique constraint's index: PostgreSQL refuses it (2BP01). */
function constraintIndex(engine: StorageEngine, catalog: ConstraintCatalog, name: string): void {
  const tables = engine.writer
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
    .pluck()
    .all() as string[];
  for (const t of tables) {
    if (isInternal(t)) continue;
    const u = catalog.relation(null, t)?.uniques.find((x) => x.name === name);
    if (u) {
      throw new ChorusError(
        '2BP01',
        `cannot drop index ${name} because constraint ${name} on table ${t} requires it`,
        {
          hint: `You can drop constraint ${name} on table ${t} instead.`,
        },
      );
    }
  }
}

/** Views over the dropped relations (transitively) and other tables' foreign keys to them. */
function dependentsOf(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  kind: DropKind,
  targets: string[],
): Dependent[] {
  if (kind === 'index') return [];
  const views = (
    engine.writer.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'view'").all() as {
      name: string;
      sql: string;
    }[]
  ).map((v) => {
    const meta = parseViewMeta(v.sql);
    return { name: v.name, refs: meta ? relationsNamed(meta.definition) : new Set<string>() };
  });
  const dropping = new Set(targets);
  const queue = targets.map((name) => ({ name, what: `${kind} ${name}`, table: kind === 'table' }));
  const out: Dependent[] = [];
  for (let i = 0; i < queue.length; i++) {
    const obj = queue[i]!;
    if (obj.table) {
      for (const fk of catalog.referencing(obj.name)) {
        if (!dropping.has(fk.table))
          out.push({
            text: `constraint ${fk.name} on table ${fk.table}`,
            on: obj.what,
            foreignKey: { table: fk.table, name: fk.name },
          });
      }
    }
    for (const v of views) {
      if (dropping.has(v.name) || !v.refs.has(obj.name)) continue;
      dropping.add(v.name);
      out.push({ text: `view ${v.name}`, on: obj.what, view: v.name });
      queue.push({ name: v.name, what: `view ${v.name}`, table: false });
    }
  }
  return out;
}

/** DROP TRIGGER name ON table: ChorusDB's own capture triggers are not the user's to see. */
function dropTrigger(engine: StorageEngine, stmt: DropStatement): StatementResult {
  const db = engine.writer;
  const notices: Notice[] = [];
  for (const q of stmt.names) {
    const on = q.on!;
    const table =
      on.schema === null || on.schema === 'public'
        ? (db
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ?")
            .pluck()
            .get(on.name) as string | undefined)
        : undefined;
    if (!table || isInternal(table)) {
      const shown = on.schema ? `${on.schema}.${on.name}` : on.name;
      if (!stmt.ifExists) throw new ChorusError('42P01', `relation "${shown}" does not exist`);
      notices.push(notice(`relation "${shown}" does not exist, skipping`));
      continue;
    }
    const found = db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND name = ? AND tbl_name = ?")
      .get(q.name, table);
    if (!found || isInternal(q.name)) {
      if (!stmt.ifExists)
        throw new ChorusError('42704', `trigger "${q.name}" for table "${table}" does not exist`);
      notices.push(notice(`trigger "${q.name}" for relation "${table}" does not exist, skipping`));
      continue;
    }
    const sql = `DROP TRIGGER ${quoteIdent(q.name)}`;
    db.exec(sql);
    if (!engine.isLocalOnly(table)) engine.logDdl(table, sql);
  }
  engine.syncSchema();
  return { ...result('DROP TRIGGER', null), notices };
}

/** Run a DROP TABLE / VIEW / INDEX / TRIGGER list as one statement with one command tag. */
export function runDrop(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  stmt: DropStatement,
  names?: Catalog,
): StatementResult {
  if (stmt.kind === 'trigger') return dropTrigger(engine, stmt);
  const db = engine.writer;
  const notices: Notice[] = [];
  const targets = resolveTargets(engine, catalog, stmt, notices, names);
  const deps = dependentsOf(engine, catalog, stmt.kind, targets);
  if (deps.length > 0 && !stmt.cascade) {
    const what =
      targets.length === 1
        ? `cannot drop ${stmt.kind} ${targets[0]} because other objects depend on it`
        : 'cannot drop desired object(s) because other objects depend on them';
    throw new ChorusError('2BP01', what, {
      detail: deps.map((d) => `${d.text} depends on ${d.on}`).join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  }
  if (deps.length === 1) notices.push(notice(`drop cascades to ${deps[0]!.text}`));
  else if (deps.length > 1) {
    const detail = deps.map((d) => `drop cascades to ${d.text}`).join('\n');
    notices.push(notice(`drop cascades to ${deps.length} other objects`, { detail }));
  }
  // Foreign keys of other tables first (the table's DROP would otherwise act on their rows), each
  // dropped as ALTER TABLE ... DROP CONSTRAINT is, and replicated as such.
  for (const d of deps) {
    const fk = d.foreignKey;
    if (!fk) continue;
    runAlter(
      engine,
      catalog,
      {
        table: fk.table,
        missing: false,
        actions: [{ kind: 'drop_constraint', name: fk.name, missingOk: false, cascade: false }],
      },
      defaultEnv,
    );
  }
  const tableOf = db.prepare('SELECT tbl_name FROM sqlite_schema WHERE name = ?').pluck();
  const drops = [
    ...deps
      .filter((d) => d.view !== undefined)
      .reverse()
      .map((d) => ({ kind: 'view' as DropKind, name: d.view! })),
    ...targets.map((name) => ({ kind: stmt.kind, name })),
  ];
  for (const d of drops) {
    const local = engine.isLocalOnly(d.kind === 'index' ? (tableOf.get(d.name) as string) : d.name);
    const sql = `DROP ${d.kind.toUpperCase()} ${quoteIdent(d.name)}`;
    db.exec(sql);
    if (!local) engine.logDdl(d.kind === 'table' ? d.name : '', sql);
  }
  // A serial or identity column's sequence goes with its table.
  if (stmt.kind === 'table') dropSequences(engine, ownedSequences(engine, targets));
  engine.syncSchema();
  return { ...result(`DROP ${stmt.kind.toUpperCase()}`, null), notices };
}

/**
 * The tables a TRUNCATE empties, in an order that deletes referencing rows first: with CASCADE
 * the tables that reference them are added (NOTICE each); without it they must be in the list.
 */
export function truncateOrder(
  catalog: ConstraintCatalog,
  tables: string[],
  cascade: boolean,
  notices: Notice[],
): string[] {
  const list = [...new Set(tables)];
  for (let i = 0; i < list.length; i++) {
    for (const fk of catalog.referencing(list[i]!)) {
      if (list.includes(fk.table)) continue;
      if (!cascade) {
        throw new ChorusError('0A000', 'cannot truncate a table referenced in a foreign key constraint', {
          detail: `Table "${fk.table}" references "${list[i]}".`,
          hint: `Truncate table "${fk.table}" at the same time, or use TRUNCATE ... CASCADE.`,
        });
      }
      list.push(fk.table);
      notices.push(notice(`truncate cascades to table "${fk.table}"`));
    }
  }
  // Referencing tables first, so that no delete trips a foreign key to a table not yet emptied.
  const ordered: string[] = [];
  const left = new Set(list);
  while (left.size > 0) {
    const next =
      [...left].find((t) => !catalog.referencing(t).some((fk) => fk.table !== t && left.has(fk.table))) ??
      [...left][0]!;
    ordered.push(next);
    left.delete(next);
  }
  return ordered;
}
