// DDL inside a session's write transaction: run the statement — or the table operation the node
// performs itself because SQLite lacks it (TRUNCATE, ALTER TABLE ... ADD PRIMARY KEY) — keep the
// table registry and capture triggers in step, and log it for replication.

import { ChorusError, SyntaxError42601 } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import { keyColumnType } from '../../sql/analyze/ddl/constraints.js';
import { readDrop, readTruncate } from '../../sql/analyze/ddl/drop-statements.js';
import { commandTag } from '../../sql/classify.js';
import { isKeyword, type Token } from '../../sql/lexer.js';
import { splitStorageName } from '../../sql/namespaces.js';
import { type AddPrimaryKey, parseAddPrimaryKey } from '../../sql/table-statements.js';
import { defaultEnv, type ValueEnv } from '../../sql/types/values.js';
import { dropCaptureTriggers, tableShape } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { truncateKeyless } from '../../storage/tables/keyless-rows.js';
import {
  addPrimaryKey,
  deleteAllRows,
  restartIdentity,
  userTableName,
} from '../../storage/tables/table-ops.js';
import type { ConstraintCatalog } from '../constraint-errors.js';
import type { Prepared } from '../planning/prepared.js';
import type { BindParams } from '../read-protocol.js';
import { type Notice, notice, result, type StatementResult } from '../result.js';
import { runAlter } from './alter.js';
import { withConstants } from './ddl-constants.js';
import { runDrop, truncateOrder } from './drop.js';
import { alterIdentityRestart, isObjectDdl, runObjectDdl } from './objects.js';
import { createColumnSequences, restartOwnedSequences } from './sequence-ddl.js';

export interface DdlOutcome {
  result: StatementResult;
  /** The schema changed: compiled statements everywhere must be re-read after commit. */
  schemaChanged: boolean;
}

/** Notice for a table created without a primary key (it replicates inserts only). */
export function keylessNotice(table: string): string {
  return `table "${table}" has no primary key: it replicates INSERT and TRUNCATE only; UPDATE and DELETE are refused until ALTER TABLE ${table} ADD PRIMARY KEY (...)`;
}

/**
 * CREATE INDEX under a name a relation of its schema has (a table, view, index or sequence, or the
 * index of its table's primary key / unique constraint): 42P07, or with IF NOT EXISTS skipped with
 * PostgreSQL's NOTICE (SQLite knew only its own indexes, and skipped those silently).
 */
function indexNameTaken(
  db: StorageEngine['writer'],
  names: Catalog,
  sql: string,
  table: string,
): StatementResult | null {
  const m = /^CREATE (?:UNIQUE )?INDEX (IF NOT EXISTS )?"((?:[^"]|"")+)"/.exec(sql);
  if (!m) return null;
  const stored = m[2]!.replaceAll('""', '"');
  const { schema, name } = splitStorageName(stored);
  const owner = splitStorageName(table);
  const taken =
    db
      .prepare("SELECT 1 FROM sqlite_schema WHERE name = ? AND type IN ('table', 'view', 'index')")
      .get(stored) !== undefined ||
    names.relation(schema, name) !== undefined ||
    names.sequence?.(schema, name) !== undefined ||
    (names.relation(owner.schema, owner.name)?.uniques ?? []).some((u) => u.name === name);
  if (!taken) return null;
  if (!m[1]) throw new ChorusError('42P07', `relation "${name}" already exists`);
  return {
    ...result('CREATE INDEX', null),
    notices: [notice(`relation "${name}" already exists, skipping`, { code: '42P07' })],
  };
}

export function runDdl(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  p: Prepared,
  bind: BindParams,
  names: Catalog,
  env: ValueEnv = defaultEnv,
): DdlOutcome {
  const db = engine.writer;
  const cls = p.cls;
  if (isObjectDdl(cls.kind))
    return { result: runObjectDdl(engine, catalog, names, p.text), schemaChanged: true };
  if (cls.kind === 'truncate') return { result: truncate(engine, catalog, p, names), schemaChanged: false };
  if (p.ddl?.alter) return { result: runAlter(engine, catalog, p.ddl.alter, env), schemaChanged: true };
  if (cls.kind === 'alter_table') {
    const restart = alterIdentityRestart(engine, names, p.text);
    if (restart) return { result: restart, schemaChanged: false };
    const apk = parseAddPrimaryKey(cls.sig);
    if (apk) return { result: addKey(engine, catalog, apk), schemaChanged: true };
  }
  if (
    cls.kind === 'drop_table' ||
    cls.kind === 'drop_view' ||
    cls.kind === 'drop_index' ||
    cls.kind === 'drop_trigger'
  ) {
    const drop = readDrop(p.text);
    if (drop) return { result: runDrop(engine, catalog, drop, names), schemaChanged: true };
  }
  if (cls.kind === 'create_index' && p.ddl) {
    const skipped = indexNameTaken(db, names, p.ddl.sql, p.ddl.table);
    if (skipped) return { result: skipped, schemaChanged: false };
  }
  const notices: Notice[] = [];
  const table = p.ddl?.table ?? (cls.kind === 'create_index' ? indexTable(cls.sig) : cls.table);
  const existed = table !== null && tableExists(db, table);
  if (cls.kind === 'create_table' && existed && cls.sig.some((t) => isKeyword(t, 'EXISTS'))) {
    const skipped = {
      ...result(p.ddl?.tableAs ? 'CREATE TABLE AS' : 'CREATE TABLE', null),
      notices: [notice(`relation "${table}" already exists, skipping`, { code: '42P07' })],
    };
    return { result: skipped, schemaChanged: false };
  }
  const wasLocal = table !== null && engine.isLocalOnly(table);
  // The front end's DDL may be several statements (CREATE OR REPLACE VIEW); it takes no parameters.
  const sql = p.ddl ? withConstants(db, p.execSql, p.ddl.constants ?? []) : p.execSql;
  if (cls.kind === 'alter_table' && existed && table !== null)
    dropCaptureTriggers(db, userTableName(db, table));
  if (p.ddl) db.exec(sql);
  else db.prepare(sql).run(bind);
  if (cls.kind === 'create_table' && table !== null) {
    if (!cls.unlogged && tableShape(db, table).primaryKey.length === 0)
      notices.push(notice(keylessNotice(table)));
    engine.registerTable(table, cls.unlogged);
  }
  if (cls.kind === 'alter_table' && table !== null) {
    const renamedTo = renameTarget(cls.sig);
    if (renamedTo && wasLocal) engine.registerTable(renamedTo, true);
  }
  engine.syncSchema();
  const localOnly = (cls.kind === 'create_table' && cls.unlogged) || wasLocal;
  // Log the statement as SQLite ran it (rewrites applied), so replicas can run it as is.
  if (!localOnly) engine.logDdl(table ?? '', sql);
  if (p.ddl?.sequences?.length && table !== null)
    createColumnSequences(engine, names, table, p.ddl.sequences, !localOnly);
  // CREATE TABLE ... AS: its rows are inserted (and captured) like any INSERT's; `bind` holds the
  // query's session values.
  if (p.ddl?.populate) {
    const n = db.prepare(p.ddl.populate.sql).run(...(bind as unknown[])).changes;
    return { result: { ...result(`SELECT ${n}`, null), notices }, schemaChanged: true };
  }
  const tag = p.ddl?.tableAs ? 'CREATE TABLE AS' : commandTag(cls, 0);
  return { result: { ...result(tag, null), notices }, schemaChanged: true };
}

/**
 * TRUNCATE: rows of keyed tables are deleted as captured changes (peers apply them with the usual
 * conflict rules); a table without a key is emptied with capture off and the TRUNCATE itself is
 * logged, since its rows cannot be named one by one.
 */
function truncate(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  p: Prepared,
  names: Catalog,
): StatementResult {
  const stmt = readTruncate(p.text);
  if (!stmt) throw new SyntaxError42601(`syntax error in TRUNCATE: ${p.text}`);
  const db = engine.writer;
  const named = stmt.tables.map((t) => {
    if (t.schema !== null && t.schema !== 'public' && !names.schemaExists?.(t.schema))
      throw new ChorusError('3F000', `schema "${t.schema}" does not exist`);
    const rel = names.relation(t.schema, t.name);
    return rel?.kind === 'table' ? rel.name : userTableName(db, t.name);
  });
  const notices: Notice[] = [];
  const tables = truncateOrder(catalog, named, stmt.cascade, notices);
  for (const table of tables) {
    if (!engine.isLocalOnly(table) && tableShape(db, table).primaryKey.length === 0) {
      // Peers remove the rows this node had seen, not those inserted concurrently elsewhere.
      engine.suppressCapture(() => truncateKeyless(db, table, null));
      engine.keylessTruncated(table);
      engine.logTableOp(table, { kind: 'truncate', seen: engine.appliedVector() });
    } else deleteAllRows(db, table);
  }
  if (stmt.restartIdentity) {
    restartIdentity(db, tables);
    restartOwnedSequences(engine, tables);
  }
  return { ...result('TRUNCATE TABLE', null), notices };
}

function addKey(engine: StorageEngine, catalog: ConstraintCatalog, apk: AddPrimaryKey): StatementResult {
  const db = engine.writer;
  const table = userTableName(db, apk.table);
  const rel = catalog.relation(null, table);
  for (const name of apk.columns) {
    const t = rel?.columns.find((c) => c.name === name)?.type;
    if (t) keyColumnType(name, t);
  }
  addPrimaryKey(db, table, apk.columns, apk.constraint);
  engine.syncSchema();
  if (!engine.isLocalOnly(table))
    engine.logTableOp(table, { kind: 'add_primary_key', columns: apk.columns, constraint: apk.constraint });
  return result('ALTER TABLE', null);
}

function tableExists(db: StorageEngine['writer'], name: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE").get(name) !==
    undefined
  );
}

function indexTable(sig: Token[]): string | null {
  const on = sig.findIndex((t) => isKeyword(t, 'ON'));
  const t = on >= 0 ? sig[on + 1] : undefined;
  if (!t) return null;
  return t.kind === 'qident' ? t.value : t.text;
}

function renameTarget(sig: Token[]): string | null {
  const i = sig.findIndex((t, k) => isKeyword(t, 'RENAME') && isKeyword(sig[k + 1], 'TO'));
  const t = i >= 0 ? sig[i + 2] : undefined;
  if (!t || isKeyword(sig[i + 1], 'COLUMN')) return null;
  return t.kind === 'qident' ? t.value : t.text;
}
