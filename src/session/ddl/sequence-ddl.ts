// Sequences as DDL: CREATE / ALTER / DROP SEQUENCE and the sequences of serial and identity
// columns. Each change is one SQL statement over _chorus_sequences, run here and logged as a DDL
// entry, so every node runs the same statement (setval / RESTART: see storage/sequences/sequences.ts).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import type { ColumnSequence } from '../../sql/analyze/ddl/ddl.js';
import { quoteLiteral } from '../../sql/lexer.js';
import { objectOid, publicSchema, splitStorageName, storageName } from '../../sql/namespaces.js';
import { nodeOf } from '../../sql/parse/parser.js';
import { T } from '../../sql/types/pg-types.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import {
  type SequenceOptions,
  type SequenceParams,
  sequenceParams,
} from '../../storage/sequences/sequence-math.js';
import { type SequenceDef, sequenceFromRow } from '../../storage/sequences/sequences.js';

const typeOids: Record<string, number> = { int2: T.int2.oid, int4: T.int4.oid, int8: T.int8.oid };

/** A new sequence (CREATE SEQUENCE, or a serial / identity column's). */
export interface NewSequence {
  /** SQLite-side name. */
  name: string;
  params: SequenceParams & { type: string };
  ownerTable: string | null;
  ownerColumn: string | null;
  identity: string | null;
}

function sqlInt(v: bigint): string {
  return v.toString();
}

/** Is any OID taken by a schema, sequence or enum type here? */
export function oidTaken(engine: StorageEngine): (oid: number) => boolean {
  const stmt = engine.writer
    .prepare(
      'SELECT 1 FROM _chorus_schemas WHERE oid = @oid UNION ALL SELECT 1 FROM _chorus_sequences WHERE oid = @oid UNION ALL SELECT 1 FROM _chorus_enums WHERE oid = @oid OR array_oid = @oid',
    )
    .pluck();
  return (oid) => stmt.get({ oid }) !== undefined;
}

/** The sequences of a new table's serial / identity columns (logged after the table, unless local). */
export function createColumnSequences(
  engine: StorageEngine,
  names: Catalog,
  table: string,
  list: readonly ColumnSequence[],
  logged: boolean,
): void {
  for (const c of list) {
    const read = readSequenceOptions(c.options, names, false);
    const params = sequenceParams(splitStorageName(c.name).name, { type: c.type, ...read.opts }, null);
    createSequence(
      engine,
      { name: c.name, params, ownerTable: table, ownerColumn: c.column, identity: c.identity },
      logged,
    );
  }
  engine.sequences.load();
}

/** Create a sequence in the open write transaction and log it. */
export function createSequence(engine: StorageEngine, s: NewSequence, logged = true): void {
  const { schema, name } = splitStorageName(s.name);
  const oid = objectOid('sequence', `${schema}.${name}`, oidTaken(engine));
  const p = s.params;
  // The creating transaction names this sequence's start point: a node's progress through an older
  // sequence of the same name (dropped, or rolled back) does not carry over to it.
  const created = `${engine.nodeId}#${engine.openTxid ?? 0}`;
  const sql = `INSERT INTO _chorus_sequences (name, oid, type_oid, start_value, increment, min_value, max_value, cache, cycle, owner_table, owner_column, identity, reset_value, reset_called, reset_node) VALUES (${quoteLiteral(s.name)}, ${oid}, ${typeOids[p.type] ?? T.int8.oid}, ${sqlInt(p.start)}, ${sqlInt(p.increment)}, ${sqlInt(p.min)}, ${sqlInt(p.max)}, ${sqlInt(p.cache)}, ${p.cycle ? 1 : 0}, ${s.ownerTable === null ? 'NULL' : quoteLiteral(s.ownerTable)}, ${s.ownerColumn === null ? 'NULL' : quoteLiteral(s.ownerColumn)}, ${s.identity === null ? 'NULL' : quoteLiteral(s.identity)}, ${sqlInt(p.start)}, 0, ${quoteLiteral(created)})`;
  engine.writer.exec(sql);
  if (logged) engine.logDdl('', sql);
}

/** Drop sequences by SQLite-side name, logged. */
export function dropSequences(engine: StorageEngine, names: readonly string[]): void {
  for (const n of names) {
    const sql = `DELETE FROM _chorus_sequences WHERE name = ${quoteLiteral(n)}`;
    engine.writer.exec(sql);
    engine.logDdl('', sql);
  }
}

/** Sequences owned by columns of the given tables (dropped with them). */
export function ownedSequences(engine: StorageEngine, tables: readonly string[]): string[] {
  if (tables.length === 0) return [];
  return engine.writer
    .prepare(
      `SELECT name FROM _chorus_sequences WHERE owner_table IN (${tables.map(() => '?').join(', ')}) ORDER BY name`,
    )
    .pluck()
    .all(...tables) as string[];
}

/** RESTART of the sequences owned by the given tables (TRUNCATE ... RESTART IDENTITY). */
export function restartOwnedSequences(engine: StorageEngine, tables: readonly string[]): void {
  for (const n of ownedSequences(engine, tables)) {
    const d = engine.sequences.get(n);
    if (d) engine.sequences.reset(d, { value: d.start, called: false });
  }
}

/** The sequence a statement names: the SQLite-side name, or null when there is none. */
export function findSequence(names: Catalog, rv: P.RangeVar): string | null {
  const s = names.sequence?.(rv.schemaname ?? null, rv.relname!);
  return s ? s.storedName : null;
}

function intArg(d: P.DefElem): bigint {
  const [tag, body] = nodeOf(d.arg!);
  if (tag === 'Integer') return BigInt((body as P.Integer).ival ?? 0);
  if (tag === 'Float') return BigInt((body as P.Float).fval ?? '0');
  throw new ChorusError('42601', `${d.defname} requires a numeric value`);
}

/** CREATE / ALTER SEQUENCE options (and an identity column's). */
export function readSequenceOptions(
  options: readonly P.Node[] | undefined,
  names: Catalog,
  allowRestart: boolean,
): { opts: SequenceOptions; restart?: bigint | null; ownedBy?: { table: string; column: string } | null } {
  const opts: SequenceOptions = {};
  let restart: bigint | null | undefined;
  let ownedBy: { table: string; column: string } | null | undefined;
  const seen = new Set<string>();
  for (const o of options ?? []) {
    const d = nodeOf(o)[1] as P.DefElem;
    const name = d.defname ?? '';
    if (seen.has(name)) throw new ChorusError('42601', 'conflicting or redundant options');
    seen.add(name);
    switch (name) {
      case 'as': {
        const tn = nodeOf(d.arg!)[1] as P.TypeName;
        const t = (tn.names ?? []).map((n) => (n as { String: P.String }).String.sval).pop() ?? '';
        if (!(t in typeOids))
          throw new ChorusError('22023', 'sequence type must be smallint, integer, or bigint');
        opts.type = t;
        break;
      }
      case 'increment':
        opts.increment = intArg(d);
        break;
      case 'start':
        opts.start = intArg(d);
        break;
      case 'minvalue':
        opts.min = d.arg ? intArg(d) : null;
        break;
      case 'maxvalue':
        opts.max = d.arg ? intArg(d) : null;
        break;
      case 'cache':
        opts.cache = intArg(d);
        break;
      case 'cycle':
        opts.cycle = (nodeOf(d.arg!)[1] as P.Boolean).boolval === true;
        break;
      case 'restart':
        if (!allowRestart) throw new ChorusError('42601', 'RESTART is not allowed here');
        restart = d.arg ? intArg(d) : null;
        break;
      case 'owned_by': {
        const parts = ((nodeOf(d.arg!)[1] as P.List).items ?? []).map(
          (i) => (i as { String: P.String }).String.sval ?? '',
        );
        if (parts.length === 1 && parts[0] === 'none') {
          ownedBy = null;
          break;
        }
        if (parts.length < 2) throw new ChorusError('42601', 'invalid OWNED BY option');
        const column = parts.pop()!;
        const rel = names.relation(parts.length === 2 ? parts[0]! : null, parts.at(-1)!);
        if (!rel) throw new ChorusError('42P01', `relation "${parts.join('.')}" does not exist`);
        if (rel.kind !== 'table')
          throw new ChorusError('42809', `sequence cannot be owned by relation "${parts.at(-1)}"`);
        if (!rel.columns.some((c) => c.name === column))
          throw new ChorusError('42703', `column "${column}" of relation "${parts.at(-1)}" does not exist`);
        ownedBy = { table: rel.name, column };
        break;
      }
      case 'sequence_name':
        throw new FeatureNotSupportedError('SEQUENCE NAME in an identity column');
      default:
        throw new FeatureNotSupportedError(`sequence option ${name}`);
    }
  }
  return { opts, restart, ownedBy };
}

/** The SQLite-side name a new object of the current search path (or the named schema) gets. */
export function creationName(names: Catalog, schema: string | null | undefined, name: string): string {
  if (schema) {
    if (schema !== publicSchema && !names.schemaExists?.(schema))
      throw new ChorusError('3F000', `schema "${schema}" does not exist`);
    return storageName(schema, name);
  }
  const first = names.searchPath?.()[0] ?? publicSchema;
  if (!first) throw new ChorusError('3F000', 'no schema has been selected to create in');
  return storageName(first, name);
}

/** ALTER SEQUENCE: a new definition (logged as an UPDATE) and RESTART as a reset. */
export function alterSequence(
  engine: StorageEngine,
  name: string,
  read: ReturnType<typeof readSequenceOptions>,
): void {
  const row = engine.writer
    .prepare('SELECT * FROM _chorus_sequences WHERE name = ?')
    .safeIntegers(true)
    .get(name);
  const old: SequenceDef = sequenceFromRow(row as Parameters<typeof sequenceFromRow>[0]);
  const typeName = old.typeOid === T.int2.oid ? 'int2' : old.typeOid === T.int4.oid ? 'int4' : 'int8';
  const p = sequenceParams(splitStorageName(name).name, read.opts, { ...old, type: typeName });
  const sets = [
    `type_oid = ${typeOids[p.type]}`,
    `start_value = ${p.start}`,
    `increment = ${p.increment}`,
    `min_value = ${p.min}`,
    `max_value = ${p.max}`,
    `cache = ${p.cache}`,
    `cycle = ${p.cycle ? 1 : 0}`,
  ];
  if (read.ownedBy !== undefined) {
    sets.push(`owner_table = ${read.ownedBy ? quoteLiteral(read.ownedBy.table) : 'NULL'}`);
    sets.push(`owner_column = ${read.ownedBy ? quoteLiteral(read.ownedBy.column) : 'NULL'}`);
  }
  const sql = `UPDATE _chorus_sequences SET ${sets.join(', ')} WHERE name = ${quoteLiteral(name)}`;
  engine.writer.exec(sql);
  engine.logDdl('', sql);
  engine.sequences.load();
  if (read.restart !== undefined) {
    const value = read.restart ?? p.start;
    const short = splitStorageName(name).name;
    if (value < p.min)
      throw new ChorusError('22023', `RESTART value (${value}) cannot be less than MINVALUE (${p.min})`);
    if (value > p.max)
      throw new ChorusError('22023', `RESTART value (${value}) cannot be greater than MAXVALUE (${p.max})`);
    void short;
    engine.sequences.reset(engine.sequences.get(name)!, { value, called: false });
  }
}
