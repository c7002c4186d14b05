// Enum types as DDL: CREATE TYPE ... AS ENUM, ALTER TYPE ... ADD VALUE / RENAME VALUE / RENAME TO,
// DROP TYPE. Each change of the type is one SQL statement over _chorus_enums, run here and logged
// verbatim; RENAME VALUE also rewrites the stored labels of every column of the type, as a table
// operation each peer runs and records for the writes it has not seen (sql/DESIGN.md, "Enum types").

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../errors.js';
import type { Catalog } from '../../sql/analyze/context.js';
import { quoteIdent, quoteLiteral } from '../../sql/lexer.js';
import { objectOid, publicSchema, splitStorageName, storageName } from '../../sql/namespaces.js';
import { checkEnumLabel } from '../../sql/types/enum.js';
import { dropCaptureTriggers } from '../../storage/capture/capture.js';
import type { StorageEngine } from '../../storage/engine/engine.js';
import { recordShapeChange } from '../../storage/tables/shape-changes.js';
import { alterTable, type TableEdit } from '../../storage/tables/table-alter.js';
import { shapeChangesOf, type TableOp } from '../../storage/tables/table-ops.js';
import { type Notice, notice, result, type StatementResult } from '../result.js';
import { creationName, oidTaken } from './sequence-ddl.js';

/** The row that makes a type exist even without labels: no label can be NUL. */
export const enumTypeMarker = '\u0000';
const markerSql = 'char(0)';

type Db = StorageEngine['writer'];

interface EnumRow {
  oid: number;
  array_oid: number;
  label: string;
  sort: number;
}

function strs(list: readonly P.Node[] | undefined): string[] {
  return (list ?? []).map((n) => (n as { String: P.String }).String.sval ?? '');
}

/** The labels of a stored type in sort order, with its OIDs; null when there is no such type. */
function readEnum(db: Db, stored: string): { oid: number; arrayOid: number; labels: EnumRow[] } | null {
  const stmt = db.prepare(
    'SELECT oid, array_oid, label, sort FROM _chorus_enums WHERE type = ? ORDER BY sort, label',
  );
  stmt.safeIntegers(false);
  const rows = stmt.all(stored) as EnumRow[];
  if (!rows.some((r) => r.label === enumTypeMarker)) return null;
  return {
    oid: rows[0]!.oid,
    arrayOid: rows[0]!.array_oid,
    labels: rows.filter((r) => r.label !== enumTypeMarker),
  };
}

/** The stored name of the enum type a (possibly qualified) name means here, or null. */
function findEnum(db: Db, names: Catalog, parts: readonly string[]): string | null {
  const name = parts[parts.length - 1]!;
  const schemas = parts.length > 1 ? [parts[parts.length - 2]!] : (names.searchPath?.() ?? [publicSchema]);
  for (const s of schemas) {
    const stored = storageName(s, name);
    if (readEnum(db, stored)) return stored;
  }
  return null;
}

function missingType(parts: readonly string[]): ChorusError {
  return new ChorusError('42704', `type "${parts.join('.')}" does not exist`);
}

function shown(stored: string): string {
  const { schema, name } = splitStorageName(stored);
  return schema === publicSchema ? name : `${schema}.${name}`;
}

export function createEnum(engine: StorageEngine, names: Catalog, s: P.CreateEnumStmt): StatementResult {
  const db = engine.writer;
  const parts = strs(s.typeName);
  const stored = creationName(
    names,
    parts.length > 1 ? parts[parts.length - 2] : null,
    parts[parts.length - 1]!,
  );
  const { name } = splitStorageName(stored);
  const relation = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE name = ? AND type IN ('table', 'view')")
    .get(stored);
  if (readEnum(db, stored) || relation) throw new ChorusError('42710', `type "${name}" already exists`);
  const labels = strs(s.vals);
  for (const l of labels) checkEnumLabel(l);
  const taken = oidTaken(engine);
  const oid = objectOid('type', stored, taken);
  const arrayOid = objectOid('type', `_${stored}`, (o) => o === oid || taken(o));
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l))
      throw new ChorusError(
        '23505',
        'duplicate key value violates unique constraint "pg_enum_typid_label_index"',
        {
          detail: `Key (enumtypid, enumlabel)=(${oid}, ${l}) already exists.`,
        },
      );
    seen.add(l);
  }
  const row = (label: string, sort: number) =>
    `(${quoteLiteral(stored)}, ${oid}, ${arrayOid}, ${label}, ${sort})`;
  const values = [row(markerSql, 0), ...labels.map((l, i) => row(quoteLiteral(l), i + 1))];
  // Concurrent CREATE TYPE of one name on two nodes: the label lists merge, the lower sort order wins.
  const sql = `INSERT INTO _chorus_enums (type, oid, array_oid, label, sort) VALUES ${values.join(', ')} ON CONFLICT (type, label) DO UPDATE SET sort = min(sort, excluded.sort)`;
  db.exec(sql);
  engine.logDdl('', sql);
  return result('CREATE TYPE', null);
}

/** PostgreSQL's float4 sort orders (pg_enum.enumsortorder is real). */
const f4 = Math.fround;

export function alterEnum(engine: StorageEngine, names: Catalog, s: P.AlterEnumStmt): StatementResult {
  const db = engine.writer;
  const parts = strs(s.typeName);
  const stored = findEnum(db, names, parts);
  if (!stored) throw missingType(parts);
  const type = readEnum(db, stored)!;
  const has = (l: string) => type.labels.some((r) => r.label === l);
  const typeSql = quoteLiteral(stored);
  if (s.oldVal !== undefined) {
    const from = s.oldVal;
    const to = s.newVal!;
    if (!has(from)) throw new ChorusError('22023', `"${from}" is not an existing enum label`);
    if (has(to)) throw new ChorusError('42710', `enum label "${to}" already exists`);
    checkEnumLabel(to);
    const sql = `UPDATE _chorus_enums SET label = ${quoteLiteral(to)} WHERE type = ${typeSql} AND label = ${quoteLiteral(from)}`;
    db.exec(sql);
    engine.logDdl('', sql);
    rewriteLabels(engine, type.oid, type.arrayOid, from, to);
    return result('ALTER TYPE', null);
  }
  const label = s.newVal!;
  if (has(label)) {
    if (s.skipIfNewValExists) {
      return {
        ...result('ALTER TYPE', null),
        notices: [notice(`enum label "${label}" already exists, skipping`, { code: '42710' })],
      };
    }
    throw new ChorusError('42710', `enum label "${label}" already exists`);
  }
  checkEnumLabel(label);
  const placed = newLabelSortOrder(
    type.labels.map((r) => ({ label: r.label, sort: r.sort })),
    s.newValNeighbor,
    s.newValIsAfter === true,
  );
  if (placed.renumbered) {
    const cases = placed.renumbered.map((r) => `WHEN ${quoteLiteral(r.label)} THEN ${r.sort}`).join(' ');
    const renumber = `UPDATE _chorus_enums SET sort = CASE label ${cases} ELSE sort END WHERE type = ${typeSql} AND label <> ${markerSql}`;
    db.exec(renumber);
    engine.logDdl('', renumber);
  }
  const sort = placed.sort;
  // Only where the type still exists (a concurrent DROP TYPE wins); the same label added
  // concurrently elsewhere keeps the lower sort order on every node.
  const sql = `INSERT INTO _chorus_enums (type, oid, array_oid, label, sort) SELECT type, oid, array_oid, ${quoteLiteral(label)}, ${sort} FROM _chorus_enums WHERE type = ${typeSql} AND label = ${markerSql} ON CONFLICT (type, label) DO UPDATE SET sort = min(sort, excluded.sort)`;
  db.exec(sql);
  engine.logDdl('', sql);
  return result('ALTER TYPE', null);
}

/**
 * The sort order of a new label, as PostgreSQL's AddEnumLabel computes it in float4: after the last
 * label, one past it; beside a neighbour, halfway to the next label or one past the end; when no
 * float4 lies between the two, the labels are first numbered 1..n (RenumberEnumType).
 */
export function newLabelSortOrder(
  list: readonly { label: string; sort: number }[],
  neighbor: string | undefined,
  after: boolean,
): { sort: number; renumbered: { label: string; sort: number }[] | null } {
  if (neighbor === undefined)
    return { sort: list.length > 0 ? f4(list[list.length - 1]!.sort + 1) : 1, renumbered: null };
  const at = list.findIndex((r) => r.label === neighbor);
  if (at < 0) throw new ChorusError('22023', `"${neighbor}" is not an existing enum label`);
  const place = (xs: readonly { sort: number }[]): number | null => {
    const nbr = xs[at]!.sort;
    const other = xs[after ? at + 1 : at - 1];
    if (!other) return f4(nbr + (after ? 1 : -1));
    const mid = f4(f4(nbr + other.sort) / 2);
    return mid === nbr || mid === other.sort ? null : mid;
  };
  const first = place(list);
  if (first !== null) return { sort: first, renumbered: null };
  const renumbered = list.map((r, i) => ({ label: r.label, sort: i + 1 }));
  return { sort: place(renumbered)!, renumbered };
}

/** Columns (of user tables) of an enum type or of its array type. */
export function enumColumns(
  db: Db,
  oid: number,
  arrayOid: number,
): { table: string; column: string; declared: string; array: boolean }[] {
  const stmt = db.prepare(
    `SELECT m.name AS tbl, p.name AS col, p.type AS type FROM sqlite_schema m JOIN pragma_table_info(m.name) p
      WHERE m.type = 'table' AND m.name NOT LIKE '\\_chorus\\_%' ESCAPE '\\' AND p.type LIKE 'ENUM\\_TEXT%' ESCAPE '\\'
      ORDER BY m.rowid, p.cid`,
  );
  stmt.safeIntegers(false);
  const out: { table: string; column: string; declared: string; array: boolean }[] = [];
  for (const r of stmt.all() as { tbl: string; col: string; type: string }[]) {
    const m = /^ENUM_TEXT(_ARRAY)?\((\d+)\)$/i.exec(r.type.trim());
    if (!m || Number(m[2]) !== oid) continue;
    out.push({ table: r.tbl, column: r.col, declared: r.type, array: m[1] !== undefined });
  }
  void arrayOid;
  return out;
}

/** RENAME VALUE: every stored `from` becomes `to`, as an ALTER COLUMN TYPE conversion per table. */
function rewriteLabels(engine: StorageEngine, oid: number, arrayOid: number, from: string, to: string): void {
  const db = engine.writer;
  const byTable = new Map<string, TableEdit[]>();
  for (const c of enumColumns(db, oid, arrayOid)) {
    const col = quoteIdent(c.column);
    const swap = (x: string) =>
      `CASE WHEN ${x} = ${quoteLiteral(from)} THEN ${quoteLiteral(to)} ELSE ${x} END`;
    const convert = c.array
      ? `CASE WHEN ${col} IS NULL THEN NULL ELSE (SELECT coalesce(json_group_array(${swap('value')}), '[]') FROM json_each(${col})) END`
      : swap(col);
    const edits = byTable.get(c.table) ?? [];
    edits.push({ kind: 'set_type', column: c.column, type: c.declared, convert });
    byTable.set(c.table, edits);
  }
  for (const [table, edits] of byTable) {
    dropCaptureTriggers(db, table);
    alterTable(db, table, edits, 'origin');
    if (engine.isLocalOnly(table)) continue;
    const op: TableOp = { kind: 'alter', edits };
    engine.logTableOp(table, op);
    for (const s of shapeChangesOf(table, op))
      recordShapeChange(db, s.table, engine.nodeId, engine.nextLocalSeq(), s.change);
  }
  if (byTable.size > 0) engine.syncSchema();
}

/** ALTER TYPE t RENAME TO u: the type keeps its OID, so columns (declared by OID) are unchanged. */
export function renameEnumType(engine: StorageEngine, names: Catalog, s: P.RenameStmt): StatementResult {
  const db = engine.writer;
  const parts = strs((s.object as { List: P.List }).List.items);
  const stored = findEnum(db, names, parts);
  if (!stored) throw missingType(parts);
  const { schema } = splitStorageName(stored);
  const target = storageName(schema, s.newname!);
  const relation = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE name = ? AND type IN ('table', 'view')")
    .get(target);
  if (readEnum(db, target) || relation) throw new ChorusError('42710', `type "${s.newname}" already exists`);
  const sql = `UPDATE _chorus_enums SET type = ${quoteLiteral(target)} WHERE type = ${quoteLiteral(stored)}`;
  db.exec(sql);
  engine.logDdl('', sql);
  return result('ALTER TYPE', null);
}

/** DROP TYPE: refused (2BP01) while a column uses the type; CASCADE to columns is not supported. */
export function dropEnumTypes(engine: StorageEngine, names: Catalog, d: P.DropStmt): StatementResult {
  const db = engine.writer;
  const notices: Notice[] = [];
  const targets: string[] = [];
  for (const o of d.objects ?? []) {
    const parts = strs((o as { TypeName: P.TypeName }).TypeName.names);
    const stored = findEnum(db, names, parts);
    if (!stored) {
      const base = parts[parts.length - 1]!;
      const elem = base.startsWith('_') ? findEnum(db, names, [...parts.slice(0, -1), base.slice(1)]) : null;
      if (elem) {
        throw new ChorusError(
          '2BP01',
          `cannot drop type ${shown(elem)}[] because type ${shown(elem)} requires it`,
          {
            hint: `You can drop type ${shown(elem)} instead.`,
          },
        );
      }
      if (!d.missing_ok) throw missingType(parts);
      notices.push(notice(`type "${parts.join('.')}" does not exist, skipping`));
      continue;
    }
    if (!targets.includes(stored)) targets.push(stored);
  }
  for (const stored of targets) {
    const type = readEnum(db, stored)!;
    const deps = enumColumns(db, type.oid, type.arrayOid);
    if (deps.length === 0) continue;
    if (d.behavior === 'DROP_CASCADE') {
      throw new FeatureNotSupportedError('DROP TYPE ... CASCADE of a type that columns use', {
        hint: 'Drop or alter the columns first (ALTER TABLE ... DROP COLUMN).',
      });
    }
    throw new ChorusError('2BP01', `cannot drop type ${shown(stored)} because other objects depend on it`, {
      detail: deps
        .map(
          (c) =>
            `column ${c.column} of table ${c.table} depends on type ${shown(stored)}${c.array ? '[]' : ''}`,
        )
        .join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  }
  for (const stored of targets) {
    const sql = `DELETE FROM _chorus_enums WHERE type = ${quoteLiteral(stored)}`;
    db.exec(sql);
    engine.logDdl('', sql);
  }
  return { ...result('DROP TYPE', null), notices };
}
