// DDL of the objects ChorusDB keeps beside SQLite's schema: CREATE / DROP SCHEMA, CREATE / ALTER /
// DROP SEQUENCE (sequence-ddl.ts), enum types (enum-ddl.ts), extensions (extensions.ts), and the type statements it refuses
// (composite types, domains).
// Each runs in the session's write transaction and is logged as DDL entries for the peers.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import type { StatementKind } from '../../sql/classify.js';
import { quoteIdent, quoteLiteral } from '../../sql/lexer.js';
import { isReservedSchemaName, objectOid, splitStorageName, systemSchemas } from '../../sql/namespaces.js';
import { nodeOf, parseSql } from '../../sql/parse/parser.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { sequenceParams } from '../../storage/sequences/sequence-math.js';
import type { ConstraintCatalog } from '../constraint-errors.js';
import { type Notice, notice, result, type StatementResult } from '../result.js';
import { runDrop } from './drop.js';
import { alterEnum, createEnum, dropEnumTypes, renameEnumType } from './enum-ddl.js';
import { createExtension, dropExtensions } from './extensions.js';
import {
  alterSequence,
  createSequence,
  creationName,
  dropSequences,
  findSequence,
  oidTaken,
  readSequenceOptions,
} from './sequence-ddl.js';

const objectKinds: ReadonlySet<StatementKind> = new Set([
  'create_schema',
  'drop_schema',
  'alter_schema',
  'create_sequence',
  'alter_sequence',
  'drop_sequence',
  'create_type',
  'alter_type',
  'drop_type',
  'create_domain',
  'create_extension',
  'drop_extension',
]);

export function isObjectDdl(kind: StatementKind): boolean {
  return objectKinds.has(kind);
}

function strs(list: readonly P.Node[] | undefined): string[] {
  return (list ?? []).map((n) => (n as { String: P.String }).String.sval ?? '');
}

export function runObjectDdl(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  names: Catalog,
  text: string,
): StatementResult {
  const stmts = parseSql(text);
  if (stmts.length !== 1) throw new ChorusError('42601', 'cannot run several statements as one');
  const [tag, body] = nodeOf(stmts[0]!.stmt);
  switch (tag) {
    case 'CreateSchemaStmt':
      return createSchema(engine, body as P.CreateSchemaStmt);
    case 'CreateExtensionStmt':
      return createExtension(engine, body as P.CreateExtensionStmt);
    case 'CreateSeqStmt':
      return createSequenceStmt(engine, names, body as P.CreateSeqStmt);
    case 'AlterSeqStmt':
      return alterSequenceStmt(engine, names, body as P.AlterSeqStmt);
    case 'DropStmt':
      return dropObjects(engine, catalog, names, body as P.DropStmt);
    case 'CreateEnumStmt':
      return createEnum(engine, names, body as P.CreateEnumStmt);
    case 'AlterEnumStmt':
      return alterEnum(engine, names, body as P.AlterEnumStmt);
    case 'CompositeTypeStmt':
      throw new FeatureNotSupportedError('composite types (CREATE TYPE ... AS (...))');
    case 'CreateDomainStmt':
      throw new FeatureNotSupportedError('CREATE DOMAIN', {
        hint: 'Use the base type with a CHECK constraint.',
      });
    case 'RenameStmt':
      if ((body as P.RenameStmt).renameType === 'OBJECT_TYPE')
        return renameEnumType(engine, names, body as P.RenameStmt);
      throw new FeatureNotSupportedError(
        `${text.trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase()} ... RENAME`,
      );
    case 'AlterObjectSchemaStmt':
    case 'AlterOwnerStmt':
      throw new FeatureNotSupportedError(
        `${text.trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase()} ... RENAME / SET SCHEMA / OWNER`,
      );
    default:
      throw new FeatureNotSupportedError(`statement ${tag}`);
  }
}

/**
 * `ALTER TABLE t ALTER [COLUMN] c RESTART [WITH n]` (only that): the column's sequence restarts.
 * Null when the statement is another ALTER TABLE.
 */
export function alterIdentityRestart(
  engine: StorageEngine,
  names: Catalog,
  text: string,
): StatementResult | null {
  const stmts = parseSql(text);
  const [tag, body] = stmts.length === 1 ? nodeOf(stmts[0]!.stmt) : ['', null];
  if (tag !== 'AlterTableStmt') return null;
  const a = body as P.AlterTableStmt;
  const cmds = (a.cmds ?? []).map((n) => nodeOf(n)[1] as P.AlterTableCmd);
  if (cmds.length === 0 || cmds.some((c) => c.subtype !== 'AT_SetIdentity')) return null;
  const rv = a.relation!;
  const rel = names.relation(rv.schemaname ?? null, rv.relname!);
  if (rel?.kind !== 'table') throw new ChorusError('42P01', `relation "${rv.relname}" does not exist`);
  for (const c of cmds) {
    const seq = names.ownedSequence?.(rel.name, c.name!);
    const def = seq ? engine.sequences.get(seq.storedName) : undefined;
    if (!def || def.identity === 'serial' || def.identity === null)
      throw new ChorusError(
        '55000',
        `column "${c.name}" of relation "${rv.relname}" is not an identity column`,
      );
    const opts = ((c.def ? (nodeOf(c.def)[1] as P.List).items : []) ?? []).map(
      (n) => nodeOf(n)[1] as P.DefElem,
    );
    for (const o of opts) {
      if (o.defname !== 'restart') throw new FeatureNotSupportedError(`ALTER COLUMN ... SET ${o.defname}`);
      const value = o.arg ? BigInt((nodeOf(o.arg)[1] as P.Integer).ival ?? 0) : def.start;
      if (value < def.min || value > def.max)
        throw new ChorusError(
          '22023',
          `RESTART value (${value}) cannot be ${value < def.min ? 'less than MINVALUE' : 'greater than MAXVALUE'} (${value < def.min ? def.min : def.max})`,
        );
      engine.sequences.reset(def, { value, called: false });
    }
  }
  return result('ALTER TABLE', null);
}

function createSchema(engine: StorageEngine, s: P.CreateSchemaStmt): StatementResult {
  const name = s.schemaname ?? s.authrole?.rolename;
  if (!name) throw new FeatureNotSupportedError('CREATE SCHEMA AUTHORIZATION of a role that is not named');
  if (s.schemaElts?.length) throw new FeatureNotSupportedError('CREATE SCHEMA with schema elements');
  if (isReservedSchemaName(name)) {
    throw new ChorusError('42939', `unacceptable schema name "${name}"`, {
      detail: 'The prefix "pg_" is reserved for system schemas.',
    });
  }
  if (name.includes('.'))
    throw new FeatureNotSupportedError(
      `schema name "${name}" with a dot (ChorusDB names objects "schema.name")`,
    );
  const exists =
    systemSchemas.has(name) ||
    engine.writer.prepare('SELECT 1 FROM _chorus_schemas WHERE name = ?').get(name);
  if (exists) {
    if (s.if_not_exists) {
      return {
        ...result('CREATE SCHEMA', null),
        notices: [notice(`schema "${name}" already exists, skipping`, { code: '42P06' })],
      };
    }
    throw new ChorusError('42P06', `schema "${name}" already exists`);
  }
  const oid = objectOid('schema', name, oidTaken(engine));
  const sql = `INSERT INTO _chorus_schemas (name, oid) VALUES (${quoteLiteral(name)}, ${oid}) ON CONFLICT (name) DO NOTHING`;
  engine.writer.exec(sql);
  engine.logDdl('', sql);
  return result('CREATE SCHEMA', null);
}

function createSequenceStmt(engine: StorageEngine, names: Catalog, s: P.CreateSeqStmt): StatementResult {
  const rv = s.sequence!;
  if (rv.relpersistence === 't') throw new FeatureNotSupportedError('CREATE TEMPORARY SEQUENCE');
  const stored = creationName(names, rv.schemaname, rv.relname!);
  const { schema, name } = splitStorageName(stored);
  const taken =
    engine.writer.prepare('SELECT 1 FROM _chorus_sequences WHERE name = ?').get(stored) ??
    engine.writer.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(stored);
  if (taken) {
    if (s.if_not_exists) {
      return {
        ...result('CREATE SEQUENCE', null),
        notices: [notice(`relation "${name}" already exists, skipping`, { code: '42P07' })],
      };
    }
    throw new ChorusError('42P07', `relation "${name}" already exists`);
  }
  const read = readSequenceOptions(s.options, names, false);
  const params = sequenceParams(name, read.opts, null);
  void schema;
  createSequence(engine, {
    name: stored,
    params,
    ownerTable: read.ownedBy?.table ?? null,
    ownerColumn: read.ownedBy?.column ?? null,
    identity: null,
  });
  engine.sequences.load();
  return result('CREATE SEQUENCE', null);
}

function alterSequenceStmt(engine: StorageEngine, names: Catalog, s: P.AlterSeqStmt): StatementResult {
  const rv = s.sequence!;
  const stored = findSequence(names, rv);
  if (!stored) {
    const shown = rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname!;
    if (s.missing_ok) {
      return {
        ...result('ALTER SEQUENCE', null),
        notices: [notice(`relation "${shown}" does not exist, skipping`)],
      };
    }
    throw new ChorusError('42P01', `relation "${shown}" does not exist`);
  }
  alterSequence(engine, stored, readSequenceOptions(s.options, names, true));
  return result('ALTER SEQUENCE', null);
}

function dropObjects(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  names: Catalog,
  d: P.DropStmt,
): StatementResult {
  const cascade = d.behavior === 'DROP_CASCADE';
  switch (d.removeType) {
    case 'OBJECT_EXTENSION':
      return dropExtensions(engine, d);
    case 'OBJECT_SCHEMA':
      return dropSchemas(engine, catalog, strs(d.objects), d.missing_ok === true, cascade);
    case 'OBJECT_SEQUENCE':
      return dropSequenceStmt(engine, names, d);
    case 'OBJECT_TYPE':
      return dropEnumTypes(engine, names, d);
    case 'OBJECT_DOMAIN': {
      // No domains exist: IF EXISTS skips each, otherwise the first is missing.
      const kind = 'type';
      const notices: Notice[] = [];
      for (const o of d.objects ?? []) {
        const tn = nodeOf(o)[1] as P.TypeName;
        const parts = strs(tn.names);
        const shown = parts.join('.');
        if (!d.missing_ok) throw new ChorusError('42704', `${kind} "${shown}" does not exist`);
        notices.push(notice(`${kind} "${shown}" does not exist, skipping`));
      }
      return { ...result('DROP DOMAIN', null), notices };
    }
    default:
      throw new FeatureNotSupportedError(`DROP ${String(d.removeType).replace('OBJECT_', '')}`);
  }
}

function dropSequenceStmt(engine: StorageEngine, names: Catalog, d: P.DropStmt): StatementResult {
  const notices: Notice[] = [];
  const targets: string[] = [];
  for (const o of d.objects ?? []) {
    const parts = strs((nodeOf(o)[1] as P.List).items);
    const rv: P.RangeVar =
      parts.length === 2 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
    const stored = findSequence(names, rv);
    if (!stored) {
      if (!d.missing_ok) throw new ChorusError('42P01', `sequence "${rv.relname}" does not exist`);
      notices.push(notice(`sequence "${rv.relname}" does not exist, skipping`));
      continue;
    }
    const def = engine.sequences.get(stored);
    if (def?.ownerTable && def.identity && d.behavior !== 'DROP_CASCADE') {
      throw new ChorusError('2BP01', `cannot drop sequence ${stored} because other objects depend on it`, {
        detail: `default value for column ${def.ownerColumn} of table ${def.ownerTable} depends on sequence ${stored}`,
        hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
      });
    }
    if (def?.ownerTable && def.identity)
      throw new FeatureNotSupportedError(
        "DROP SEQUENCE ... CASCADE of a serial or identity column's sequence",
      );
    if (!targets.includes(stored)) targets.push(stored);
  }
  dropSequences(engine, targets);
  engine.sequences.load();
  return { ...result('DROP SEQUENCE', null), notices };
}

/** Objects of a schema: its tables and views, its sequences (not owned by its tables). */
function schemaObjects(engine: StorageEngine, schema: string): { kind: string; name: string }[] {
  const like = `${schema.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}.%`;
  const rels = engine.writer
    .prepare(
      "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name LIKE ? ESCAPE '\\' ORDER BY rowid",
    )
    .all(like) as { type: string; name: string }[];
  const seqs = engine.writer
    .prepare(
      "SELECT name FROM _chorus_sequences WHERE name LIKE ? ESCAPE '\\' AND (owner_table IS NULL OR identity IS NULL) ORDER BY name",
    )
    .pluck()
    .all(like) as string[];
  return [
    ...rels.map((r) => ({ kind: r.type, name: r.name })),
    ...seqs.map((name) => ({ kind: 'sequence', name })),
  ];
}

function dropSchemas(
  engine: StorageEngine,
  catalog: ConstraintCatalog,
  list: string[],
  ifExists: boolean,
  cascade: boolean,
): StatementResult {
  const notices: Notice[] = [];
  const targets: string[] = [];
  for (const name of list) {
    if (name === 'pg_catalog' || name === 'information_schema') {
      throw new ChorusError(
        '2BP01',
        `cannot drop schema ${name} because it is required by the database system`,
      );
    }
    if (name === 'public') throw new FeatureNotSupportedError('DROP SCHEMA public');
    if (!engine.writer.prepare('SELECT 1 FROM _chorus_schemas WHERE name = ?').get(name)) {
      if (!ifExists) throw new ChorusError('3F000', `schema "${name}" does not exist`);
      notices.push(notice(`schema "${name}" does not exist, skipping`));
      continue;
    }
    if (!targets.includes(name)) targets.push(name);
  }
  const deps = targets.flatMap((s) => schemaObjects(engine, s).map((o) => ({ ...o, schema: s })));
  if (deps.length > 0 && !cascade) {
    const what =
      targets.length === 1
        ? `cannot drop schema ${targets[0]} because other objects depend on it`
        : 'cannot drop desired object(s) because other objects depend on them';
    throw new ChorusError('2BP01', what, {
      detail: deps.map((o) => `${o.kind} ${o.name} depends on schema ${o.schema}`).join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  }
  if (deps.length === 1) notices.push(notice(`drop cascades to ${deps[0]!.kind} ${deps[0]!.name}`));
  else if (deps.length > 1) {
    notices.push(
      notice(`drop cascades to ${deps.length} other objects`, {
        detail: deps.map((o) => `drop cascades to ${o.kind} ${o.name}`).join('\n'),
      }),
    );
  }
  const views = deps.filter((o) => o.kind === 'view').map((o) => o.name);
  const tables = deps.filter((o) => o.kind === 'table').map((o) => o.name);
  const asNames = (xs: string[]) => xs.map((n) => ({ schema: null, name: n }));
  if (views.length > 0)
    runDrop(engine, catalog, { kind: 'view', names: asNames(views), ifExists: true, cascade: true });
  if (tables.length > 0)
    runDrop(engine, catalog, { kind: 'table', names: asNames(tables), ifExists: true, cascade: true });
  dropSequences(
    engine,
    deps.filter((o) => o.kind === 'sequence').map((o) => o.name),
  );
  for (const name of targets) {
    const sql = `DELETE FROM _chorus_schemas WHERE name = ${quoteLiteral(name)}`;
    engine.writer.exec(sql);
    engine.logDdl('', sql);
  }
  engine.syncSchema();
  void quoteIdent;
  return { ...result('DROP SCHEMA', null), notices };
}
