// DDL on a session's temporary objects: CREATE TEMP TABLE / VIEW (and ... AS SELECT), CREATE INDEX
// and ALTER TABLE ... ADD COLUMN on a temporary table, DROP and TRUNCATE of them. Run on the writer
// connection in SQLite's temp schema, with none of what replicated DDL does (no table registry,
// capture triggers, replication log or sequences). Null when a statement touches no temp object.

import type Database from 'better-sqlite3';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import {
  type DropStatement,
  type QualifiedName,
  readDrop,
  readTruncate,
} from '../../sql/analyze/ddl/drop-statements.js';
import { tempSchemaMarker } from '../../sql/analyze/ddl/names.js';
import { parseViewMeta } from '../../sql/analyze/ddl/stored-text.js';
import { relationsNamed } from '../../sql/analyze/query/view-text.js';
import { isKeyword, quoteIdent } from '../../sql/lexer.js';
import { withConstants } from '../ddl/ddl-constants.js';
import type { Prepared } from '../planning/prepared.js';
import { type Notice, notice, type StatementResult } from '../result.js';
import type { TempObjects } from './temp-objects.js';

const done = (tag: string, notices: Notice[] = []): StatementResult => ({
  tag,
  columns: null,
  rows: [],
  notices,
});

/**
 * Run `p` if it creates or acts on a temporary object of the session; null otherwise. `populate`:
 * the bound values of a CREATE TABLE ... AS query.
 */
export function runTempDdl(
  db: Database.Database,
  temp: TempObjects,
  p: Prepared,
  populate: unknown[],
  names: Catalog,
): StatementResult | null {
  const ddl = p.ddl;
  if (ddl?.temporary) return create(db, temp, p, populate);
  if (ddl && temp.isStored(ddl.table)) {
    if (ddl.alter || !/^\s*ALTER TABLE/i.test(ddl.sql))
      throw new FeatureNotSupportedError('this ALTER TABLE form on a temporary table', {
        hint: 'ADD COLUMN is supported; otherwise create the temporary table again.',
      });
    db.exec(withConstants(db, ddl.sql, ddl.constants ?? []));
    temp.changed();
    return done('ALTER TABLE');
  }
  if (!temp.active) return null;
  const kind = p.cls.kind;
  if (kind === 'drop_table' || kind === 'drop_view' || kind === 'drop_index') {
    const drop = readDrop(p.text);
    return drop ? dropTemp(db, temp, drop, names) : null;
  }
  if (kind === 'truncate') return truncateTemp(db, temp, p, names);
  // Token-path DDL naming a temporary table (ALTER TABLE ... ADD PRIMARY KEY, CREATE TRIGGER):
  // run as is, it would act on a permanent table of the same name.
  const table = p.cls.table;
  if (table !== null && temp.kindOf(table) !== undefined && !p.cls.sig.some((t) => isKeyword(t, 'CREATE')))
    throw new FeatureNotSupportedError(`${p.cls.kind.replace('_', ' ').toUpperCase()} on a temporary table`);
  return null;
}

function create(db: Database.Database, temp: TempObjects, p: Prepared, populate: unknown[]): StatementResult {
  const ddl = p.ddl!;
  const own = (sql: string): string => sql.replaceAll(tempSchemaMarker, temp.schema);
  const stored = own(ddl.table);
  const name = stored.slice(temp.schema.length + 1);
  const kind = p.cls.kind;
  const tag =
    kind === 'create_view' ? 'CREATE VIEW' : kind === 'create_index' ? 'CREATE INDEX' : 'CREATE TABLE';
  if (kind !== 'create_index' && temp.kindOf(name) !== undefined && !/^DROP VIEW/.test(ddl.sql)) {
    if (ddl.ifNotExists)
      return done(tag, [notice(`relation "${name}" already exists, skipping`, { code: '42P07' })]);
    throw new ChorusError('42P07', `relation "${name}" already exists`);
  }
  db.exec(own(withConstants(db, ddl.sql, ddl.constants ?? [])));
  let out = done(tag, ddl.notice ? [notice(ddl.notice)] : []);
  if (ddl.populate) {
    const n = db.prepare(own(ddl.populate.sql)).run(...populate).changes;
    out = { ...out, tag: `SELECT ${n}` };
  } else if (ddl.tableAs) out = { ...out, tag: 'CREATE TABLE AS' };
  temp.changed();
  if (kind === 'create_table') temp.setOnCommit(name, ddl.onCommit);
  return out;
}

/** The session's temp object a name means (unqualified: pg_temp comes first), if any. */
function tempTarget(temp: TempObjects, q: QualifiedName): string | undefined {
  if (q.schema !== null && q.schema !== 'pg_temp' && q.schema !== temp.schema) return undefined;
  return temp.kindOf(q.name) !== undefined ? q.name : undefined;
}

function dropTemp(
  db: Database.Database,
  temp: TempObjects,
  stmt: DropStatement,
  names: Catalog,
): StatementResult | null {
  if (stmt.kind === 'index') return dropTempIndex(db, temp, stmt);
  const targets = stmt.names.map((q) => tempTarget(temp, q));
  if (targets.every((t) => t === undefined)) return null;
  const notices: Notice[] = [];
  const dropping: string[] = [];
  stmt.names.forEach((q, i) => {
    const t = targets[i];
    if (t !== undefined) {
      const kind = temp.kindOf(t)!;
      if (kind !== stmt.kind)
        throw new ChorusError('42809', `"${t}" is not a ${stmt.kind}`, {
          hint: `Use DROP ${kind.toUpperCase()} to remove a ${kind}.`,
        });
      if (!dropping.includes(t)) dropping.push(t);
      return;
    }
    if (q.schema === 'pg_temp' || q.schema === temp.schema || !names.relation(q.schema, q.name)) {
      if (!stmt.ifExists) throw new ChorusError('42P01', `${stmt.kind} "${q.name}" does not exist`);
      notices.push(notice(`${stmt.kind} "${q.name}" does not exist, skipping`));
      return;
    }
    throw new FeatureNotSupportedError('DROP of temporary and permanent relations in one statement', {
      hint: 'Drop them in separate statements.',
    });
  });
  const deps = dependents(db, temp, stmt.kind, dropping);
  if (deps.length > 0 && !stmt.cascade) {
    const what =
      dropping.length === 1
        ? `cannot drop ${stmt.kind} ${dropping[0]} because other objects depend on it`
        : 'cannot drop desired object(s) because other objects depend on them';
    throw new ChorusError('2BP01', what, {
      detail: deps.map((d) => `${d.text} depends on ${d.on}`).join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  }
  const fk = deps.find((d) => !d.view);
  if (fk)
    throw new FeatureNotSupportedError(`DROP ... CASCADE to ${fk.text}`, {
      hint: 'Drop the referencing temporary table first.',
    });
  if (deps.length === 1) notices.push(notice(`drop cascades to ${deps[0]!.text}`));
  else if (deps.length > 1)
    notices.push(
      notice(`drop cascades to ${deps.length} other objects`, {
        detail: deps.map((d) => `drop cascades to ${d.text}`).join('\n'),
      }),
    );
  for (const d of deps.reverse()) db.exec(`DROP VIEW temp.${quoteIdent(temp.storedName(d.view!))}`);
  for (const t of dropping) db.exec(`DROP ${stmt.kind.toUpperCase()} temp.${quoteIdent(temp.storedName(t))}`);
  temp.changed();
  return done(`DROP ${stmt.kind.toUpperCase()}`, notices);
}

interface Dependent {
  text: string;
  on: string;
  view?: string;
}

/** Temporary views over the dropped relations (transitively), other temp tables' foreign keys. */
function dependents(db: Database.Database, temp: TempObjects, kind: string, targets: string[]): Dependent[] {
  const views = temp
    .list()
    .filter((r) => r.kind === 'view')
    .map((r) => {
      const sql = db.prepare('SELECT sql FROM sqlite_temp_schema WHERE name = ?').pluck().get(r.storedName);
      const meta = parseViewMeta(String(sql ?? ''));
      return { name: r.name, refs: meta ? relationsNamed(meta.definition) : new Set<string>() };
    });
  const dropping = new Set(targets);
  const queue = targets.map((name) => ({ name, what: `${kind} ${name}`, table: kind === 'table' }));
  const out: Dependent[] = [];
  for (let i = 0; i < queue.length; i++) {
    const obj = queue[i]!;
    if (obj.table) {
      for (const fk of temp.referencing(temp.storedName(obj.name))) {
        const from = fk.table.slice(temp.schema.length + 1);
        if (!dropping.has(from)) out.push({ text: `constraint ${fk.name} on table ${from}`, on: obj.what });
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

function dropTempIndex(
  db: Database.Database,
  temp: TempObjects,
  stmt: DropStatement,
): StatementResult | null {
  const find = db.prepare("SELECT 1 FROM sqlite_temp_schema WHERE type = 'index' AND name = ?").pluck();
  const found = stmt.names.map((q) =>
    q.schema === null || q.schema === 'pg_temp' || q.schema === temp.schema
      ? find.get(temp.storedName(q.name)) !== undefined
      : false,
  );
  if (!found.some(Boolean)) return null;
  if (!found.every(Boolean))
    throw new FeatureNotSupportedError('DROP INDEX of temporary and other indexes in one statement', {
      hint: 'Drop them in separate statements.',
    });
  for (const q of stmt.names) db.exec(`DROP INDEX IF EXISTS temp.${quoteIdent(temp.storedName(q.name))}`);
  temp.changed();
  return done('DROP INDEX');
}

function truncateTemp(
  db: Database.Database,
  temp: TempObjects,
  p: Prepared,
  names: Catalog,
): StatementResult | null {
  const stmt = readTruncate(p.text);
  if (!stmt) return null;
  const tables = stmt.tables.map((q) => tempTarget(temp, q));
  if (tables.every((t) => t === undefined)) return null;
  stmt.tables.forEach((q, i) => {
    if (tables[i] !== undefined) return;
    if (names.relation(q.schema, q.name))
      throw new FeatureNotSupportedError('TRUNCATE of temporary and permanent tables in one statement', {
        hint: 'Truncate them in separate statements.',
      });
    throw new ChorusError('42P01', `relation "${q.name}" does not exist`);
  });
  for (const t of tables) {
    const stored = temp.storedName(t!);
    if (temp.kindOf(t!) !== 'table') throw new ChorusError('42809', `"${t}" is not a table`);
    db.exec(`DELETE FROM temp.${quoteIdent(stored)}`);
    if (stmt.restartIdentity) {
      const seq = db.prepare("SELECT 1 FROM sqlite_temp_schema WHERE name = 'sqlite_sequence'").get();
      if (seq) db.prepare('DELETE FROM temp.sqlite_sequence WHERE name = ?').run(stored);
    }
  }
  return done('TRUNCATE TABLE');
}
