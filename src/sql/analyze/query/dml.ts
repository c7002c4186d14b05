// INSERT, UPDATE and DELETE: every value assigned to a column converted to the column's type as
// PostgreSQL assigns it (22P02, 22003, 22001 and numeric(p,s) rounding), DEFAULT resolved to the
// column's default, omitted columns defaulted as PostgreSQL defaults them (now() at the transaction's
// time), ON CONFLICT, RETURNING, UPDATE ... FROM and DELETE ... USING.

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError, UndefinedTableError } from '../../../errors.js';
import { nodeOf } from '../../parse/parser.js';
import { runtimeType } from '../../types/enum.js';
import { formatType, ref, T } from '../../types/pg-types.js';
import type { CatalogColumn, CatalogRelation, Typed } from '../context.js';
import { coerce, requireBool } from '../expr/coercion/coerce.js';
import { type Analyzer, exprPos, type Level, pos, strings } from '../level.js';
import { checkInternal, quoteId, type RangeItem, Scope } from '../scope.js';
import { fromClause } from './from.js';
import { finalizeOutput, type OutColumn, selectStmt, withClause } from './select.js';

interface DmlResult {
  sql: string;
  columns: OutColumn[] | null;
  table: string;
}

function targetTable(an: Analyzer, r: P.RangeVar, verb: string): { rel: CatalogRelation; alias: string } {
  const st = an.st;
  const position = pos(st, r.location);
  checkInternal(r.relname!, position);
  const rel = st.catalog.relation(r.schemaname ?? null, r.relname!);
  if (!rel) throw new UndefinedTableError(r.relname!, { position });
  if (rel.temporary) st.usesTemp = true;
  if (rel.kind === 'view') throw new ChorusError('55000', `cannot ${verb} view "${rel.name}"`, { position });
  if (rel.kind !== 'table')
    throw new ChorusError('42809', `cannot ${verb} relation "${rel.name}"`, { position });
  return { rel, alias: r.alias?.aliasname ?? r.relname! };
}

/**
 * What RETURNING sees: SQLite's RETURNING names the target table itself, never its alias (the
 * target's columns are qualified by its SQLite name; the alias still resolves).
 */
function returningScope(scope: Scope, rel: CatalogRelation, alias: string): Scope {
  const out = new Scope(scope);
  out.add(tableItem(rel, alias, quoteId(rel.name)));
  // UPDATE ... FROM / DELETE ... USING: PostgreSQL's RETURNING (and its *) sees the other tables
  // too; SQLite's cannot. Their columns are here as a mark, refused by refuseOtherTables.
  for (const item of scope.items.slice(1)) {
    out.items.push({ ...item, columns: item.columns.map((c) => ({ ...c, sql: otherTableMark })) });
  }
  return out;
}

const otherTableMark = '\u0001other-table\u0001';

/** A RETURNING that reads the FROM / USING tables is refused (it would lose their columns). */
function refuseOtherTables(ret: { sql: string }, clause: string): void {
  if (ret.sql.includes(otherTableMark)) {
    throw new FeatureNotSupportedError(`RETURNING columns of the ${clause} tables`, {
      hint: "Return the target table's columns (not *), and join the others in a following query.",
    });
  }
}

function tableItem(rel: CatalogRelation, alias: string, qualifier = quoteId(alias)): RangeItem {
  const a = qualifier;
  return {
    alias,
    relation: rel,
    visible: true,
    columns: rel.columns.map((c) => ({
      name: c.name,
      type: c.type ?? ref(T.text),
      sql: `${a}.${quoteId(c.name)}`,
      catalog: c,
      relation: rel,
    })),
  };
}

function columnNamed(rel: CatalogRelation, name: string, position?: number): CatalogColumn {
  const c = rel.columns.find((x) => x.name === name);
  if (!c)
    throw new ChorusError('42703', `column "${name}" of relation "${rel.name}" does not exist`, { position });
  return c;
}

/** A value assigned to a column: assignment cast, typmod, and the rowid key's NOT NULL. */
export function assign(
  an: Analyzer,
  rel: CatalogRelation,
  col: CatalogColumn,
  e: Typed,
  position?: number,
): string {
  const type = col.type ?? ref(T.text);
  let out: Typed;
  try {
    out = coerce(an.st, e, type, 'assignment', position);
  } catch (err) {
    // No assignment cast (42846) or a mismatch (42804): PostgreSQL names the column and both types.
    if (err instanceof ChorusError && (err.sqlstate === '42804' || err.sqlstate === '42846')) {
      const target = formatType(type.type, type.typmod);
      throw new ChorusError(
        '42804',
        `column "${col.name}" is of type ${target} but expression is of type ${formatType(e.type, e.typmod)}`,
        { hint: 'You will need to rewrite or cast the expression.', position },
      );
    }
    throw err;
  }
  if (col.computed) {
    throw new ChorusError('428C9', `column "${col.name}" can only be updated to DEFAULT`, {
      detail: `Column "${col.name}" is a generated column.`,
      position,
    });
  }
  // SQLite would assign a rowid for NULL: PostgreSQL refuses it.
  if (col.rowidKey) return `pg_not_null(${out.sql}, ${sqlText(col.name)}, ${sqlText(rel.name)})`;
  return out.sql;
}

function sqlText(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The SQL of a column's default (SetToDefault, or an omitted column). */
function defaultOf(an: Analyzer, rel: CatalogRelation, col: CatalogColumn): string {
  if (col.defaultPg) return an.defaultExpr(rel, col);
  if (col.rowidKey && col.generated) return 'NULL';
  if (col.rowidKey) {
    return `pg_not_null(NULL, ${sqlText(col.name)}, ${sqlText(rel.name)})`;
  }
  return col.defaultSql ?? 'NULL';
}

function isSetToDefault(n: P.Node): boolean {
  return Object.keys(n)[0] === 'SetToDefault';
}

function returning(
  an: Analyzer,
  list: readonly P.Node[] | undefined,
  lv: Level,
): { sql: string; columns: OutColumn[] | null } {
  if (!list || list.length === 0) return { sql: '', columns: null };
  const items: string[] = [];
  const columns: OutColumn[] = [];
  for (const n of list) {
    const rt = nodeOf(n)[1] as P.ResTarget;
    const [vtag, vbody] = nodeOf(rt.val!);
    if (vtag === 'ColumnRef' && strings((vbody as P.ColumnRef).fields).at(-1) === '*') {
      const fields = strings((vbody as P.ColumnRef).fields);
      for (const c of lv.scope.star(fields.length > 1 ? fields[fields.length - 2] : undefined)) {
        items.push(`${c.sql} AS "c${items.length + 1}"`);
        columns.push({ name: c.name, type: c.type });
      }
      continue;
    }
    const e = finalizeOutput(an, an.expr(rt.val!, lv));
    items.push(`${e.sql} AS "c${items.length + 1}"`);
    columns.push({ name: rt.name ?? e.colname ?? '?column?', type: { type: e.type, typmod: e.typmod } });
  }
  return { sql: ` RETURNING ${items.join(', ')}`, columns };
}

function withPrefix(an: Analyzer, w: P.WithClause | undefined, scope: Scope): string {
  return w ? withClause(an, w, scope) : '';
}

export function insertStmt(an: Analyzer, s: P.InsertStmt): DmlResult {
  const st = an.st;
  const scope = new Scope(null);
  const prefix = withPrefix(an, s.withClause, scope);
  const { rel, alias } = targetTable(an, s.relation!, 'insert into');
  if (s.override && s.override !== 'OVERRIDING_NOT_SET')
    throw new FeatureNotSupportedError('OVERRIDING ... VALUE');
  const explicit = (s.cols ?? []).map((n) => nodeOf(n)[1] as P.ResTarget);
  const targets: CatalogColumn[] = explicit.length
    ? explicit.map((rt) => {
        if (rt.indirection && rt.indirection.length > 0)
          throw new FeatureNotSupportedError('INSERT into a subfield or array element');
        return columnNamed(rel, rt.name!, pos(st, rt.location));
      })
    : s.selectStmt
      ? rel.columns.filter((c) => !c.computed)
      : []; // DEFAULT VALUES: every column takes its default
  const seen = new Set<string>();
  for (const c of targets) {
    if (seen.has(c.name)) throw new ChorusError('42701', `column "${c.name}" specified more than once`);
    seen.add(c.name);
  }
  const omitted = rel.columns.filter(
    (c) => !seen.has(c.name) && !c.computed && (c.defaultPg || (c.rowidKey && !c.generated)),
  );
  const allCols = [...targets, ...omitted];
  const colList = allCols.map((c) => quoteId(c.name)).join(', ');
  const lv = an.level(new Scope(scope), 'VALUES');
  const arbiter = s.onConflictClause ? conflictTarget(rel, s.onConflictClause) : null;
  // DO UPDATE: where each key column's value is, in the proposed rows.
  const keyAt =
    arbiter && s.onConflictClause?.action === 'ONCONFLICT_UPDATE'
      ? arbiter.keys.map((k) => allCols.findIndex((c) => c.name === k))
      : null;
  let source: string;
  const sel = s.selectStmt ? (nodeOf(s.selectStmt)[1] as P.SelectStmt) : null;
  if (!sel) {
    source =
      omitted.length > 0
        ? `VALUES (${omitted.map((c) => defaultOf(an, rel, c)).join(', ')})`
        : 'DEFAULT VALUES';
  } else if (sel.valuesLists && !sel.op?.startsWith('SETOP_U') && (sel.op ?? 'SETOP_NONE') === 'SETOP_NONE') {
    const rows = sel.valuesLists.map((r) => (nodeOf(r)[1] as P.List).items ?? []);
    const rowSql = rows.map((items) => {
      if (items.length > targets.length) {
        throw new ChorusError('42601', 'INSERT has more expressions than target columns', {
          position: pos(st, locationOf(items[targets.length]!)),
        });
      }
      if (items.length < targets.length && explicit.length > 0) {
        throw new ChorusError('42601', 'INSERT has more target columns than expressions');
      }
      const values = targets.map((c, i) => {
        const n = items[i];
        if (n === undefined || isSetToDefault(n)) return defaultOf(an, rel, c);
        return assign(an, rel, c, an.expr(n, lv), pos(st, locationOf(n)));
      });
      for (const c of omitted) values.push(defaultOf(an, rel, c));
      return `(${values.join(', ')})`;
    });
    source = `VALUES ${rowSql.join(', ')}`;
    if (keyAt && rows.length > 1 && keyAt.every((i) => i >= 0)) {
      const v = st.uniqueAlias();
      source = `SELECT * FROM (${source}) AS "${v}" WHERE ${onceEach(
        an,
        keyAt.map((i) => `"${v}"."column${i + 1}"`),
      )}`;
    }
  } else {
    const r = selectStmt(
      an,
      sel,
      scope,
      targets.map((c) => c.type),
    );
    if (r.columns.length > targets.length)
      throw new ChorusError('42601', 'INSERT has more expressions than target columns');
    if (r.columns.length < targets.length && explicit.length > 0) {
      throw new ChorusError('42601', 'INSERT has more target columns than expressions');
    }
    const q = st.uniqueAlias();
    const values = targets.slice(0, r.columns.length).map((c, i) =>
      assign(an, rel, c, {
        sql: `"${q}"."c${i + 1}"`,
        type: r.columns[i]!.type.type,
        typmod: r.columns[i]!.type.typmod,
      }),
    );
    for (const c of targets.slice(r.columns.length)) values.push(defaultOf(an, rel, c));
    for (const c of omitted) values.push(defaultOf(an, rel, c));
    // `WHERE 1`: SQLite needs it to tell an upsert's ON from a join's (documented SQLite quirk).
    const once = keyAt?.every((i) => i >= 0)
      ? onceEach(
          an,
          keyAt.map((i) => values[i]!),
        )
      : '1';
    source = `SELECT ${values.join(', ')} FROM (${r.sql}) AS "${q}" WHERE ${once}`;
  }
  // RETURNING sees the target table (by its alias); ON CONFLICT DO UPDATE also sees `excluded`.
  // (SQLite's RETURNING of an INSERT names the table itself, not its alias.)
  const tableScope = new Scope(scope);
  tableScope.add(tableItem(rel, alias, quoteId(rel.name)));
  const conflictScope = new Scope(scope);
  conflictScope.add(tableItem(rel, alias));
  const conflict =
    s.onConflictClause && arbiter
      ? onConflict(an, rel, s.onConflictClause, arbiter.target, conflictScope)
      : '';
  const ret = returning(an, s.returningList, an.level(tableScope, 'RETURNING'));
  const sql = `${prefix}INSERT INTO ${quoteId(rel.name)} AS ${quoteId(alias)} ${allCols.length > 0 && source !== 'DEFAULT VALUES' ? `(${colList}) ` : ''}${source}${conflict}${ret.sql}`;
  return { sql, columns: ret.columns, table: rel.name };
}

function locationOf(n: P.Node): number | undefined {
  const body = nodeOf(n)[1] as { location?: number };
  return body.location;
}

/** The arbiter of ON CONFLICT: its SQL target and the key columns (none for a bare DO NOTHING). */
function conflictTarget(rel: CatalogRelation, c: P.OnConflictClause): { target: string; keys: string[] } {
  const infer = c.infer;
  if (infer?.conname) {
    const u = rel.uniques.find((x) => x.name === infer.conname);
    if (!u)
      throw new ChorusError('42704', `constraint "${infer.conname}" for table "${rel.name}" does not exist`);
    return { target: `(${u.columns.map(quoteId).join(', ')})`, keys: u.columns };
  }
  if (infer?.indexElems && infer.indexElems.length > 0) {
    const cols = infer.indexElems.map((n) => {
      const ie = nodeOf(n)[1] as P.IndexElem;
      if (!ie.name) throw new FeatureNotSupportedError('ON CONFLICT on an expression');
      return columnNamed(rel, ie.name).name;
    });
    const match = rel.uniques.some(
      (u) => u.columns.length === cols.length && u.columns.every((x) => cols.includes(x)),
    );
    if (!match) {
      throw new ChorusError(
        '42P10',
        'there is no unique or exclusion constraint matching the ON CONFLICT specification',
      );
    }
    if (infer.whereClause)
      throw new FeatureNotSupportedError('ON CONFLICT ... WHERE (partial index inference)');
    return { target: `(${cols.map(quoteId).join(', ')})`, keys: cols };
  }
  if (c.action === 'ONCONFLICT_UPDATE') {
    throw new ChorusError(
      '42601',
      'ON CONFLICT DO UPDATE requires inference specification or constraint name',
      {
        hint: 'For example, ON CONFLICT (column_name).',
      },
    );
  }
  return { target: '', keys: [] };
}

/**
 * The proposed rows of an INSERT ... ON CONFLICT DO UPDATE, checked as PostgreSQL checks them:
 * two with the same key would make the command affect one row twice (21000), where SQLite would
 * apply both. `keyValues` are the SQL of the key columns' values in one row of `source`.
 */
function onceEach(an: Analyzer, keyValues: readonly string[]): string {
  return `pg_upsert_once(${an.st.marker({ kind: 'execution' })}, ${keyValues.join(', ')})`;
}

function onConflict(
  an: Analyzer,
  rel: CatalogRelation,
  c: P.OnConflictClause,
  target: string,
  scope: Scope,
): string {
  const st = an.st;
  if (c.action === 'ONCONFLICT_NOTHING') return ` ON CONFLICT${target ? ` ${target}` : ''} DO NOTHING`;
  // DO UPDATE: the row's columns by the table's alias, and the proposed row as `excluded`.
  const ex = tableItem(rel, 'excluded');
  for (const col of ex.columns) col.sql = `"excluded".${quoteId(col.name)}`;
  scope.add(ex);
  const lv = an.level(scope, 'ON CONFLICT DO UPDATE');
  const sets = setList(an, rel, c.targetList ?? [], lv);
  let where = '';
  if (c.whereClause)
    where = ` WHERE ${requireBool(st, an.expr(c.whereClause, lv), 'WHERE', exprPos(st, c.whereClause)).sql}`;
  return ` ON CONFLICT ${target} DO UPDATE SET ${sets}${where}`;
}

/** SET a = x, (b, c) = (y, z) of UPDATE and ON CONFLICT DO UPDATE. */
function setList(an: Analyzer, rel: CatalogRelation, list: readonly P.Node[], lv: Level): string {
  const st = an.st;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const n of list) {
    const rt = nodeOf(n)[1] as P.ResTarget;
    const position = pos(st, rt.location);
    const col = columnNamed(rel, rt.name!, position);
    if (rt.indirection && rt.indirection.length > 0) {
      if (seen.has(col.name))
        throw new ChorusError('42601', `multiple assignments to same column "${col.name}"`, { position });
      seen.add(col.name);
      out.push(`${quoteId(col.name)} = ${elementAssignment(an, col, rt, lv, position)}`);
      continue;
    }
    if (seen.has(col.name))
      throw new ChorusError('42601', `multiple assignments to same column "${col.name}"`, { position });
    seen.add(col.name);
    const [vtag, vbody] = nodeOf(rt.val!);
    if (vtag === 'MultiAssignRef') {
      const m = vbody as P.MultiAssignRef;
      const [stag, sbody] = nodeOf(m.source!);
      if (stag !== 'RowExpr')
        throw new FeatureNotSupportedError('(columns) = (subquery) assignments', { position });
      const item = ((sbody as P.RowExpr).args ?? [])[(m.colno ?? 1) - 1]!;
      out.push(
        `${quoteId(col.name)} = ${isSetToDefault(item) ? defaultOf(an, rel, col) : assign(an, rel, col, an.expr(item, lv), position)}`,
      );
      continue;
    }
    const value = isSetToDefault(rt.val!)
      ? defaultOf(an, rel, col)
      : assign(an, rel, col, an.expr(rt.val!, lv), position);
    out.push(`${quoteId(col.name)} = ${value}`);
  }
  return out.join(', ');
}

/** SET a[i] = x: the array with element i replaced (NULLs fill the gap past its end). */
function elementAssignment(
  an: Analyzer,
  col: CatalogColumn,
  rt: P.ResTarget,
  lv: Level,
  position?: number,
): string {
  const st = an.st;
  const [tag, body] = nodeOf(rt.indirection![0]!);
  const elem = col.type?.type.elem;
  const idx = body as P.A_Indices;
  if (tag !== 'A_Indices' || !elem || rt.indirection!.length > 1 || idx.is_slice) {
    throw new FeatureNotSupportedError('assignment to a subfield, a slice or several subscripts', {
      position,
    });
  }
  const i = coerce(st, an.expr(idx.uidx!, lv), ref(T.int4), 'implicit', position);
  const v = coerce(
    st,
    an.expr(rt.val!, lv),
    { type: elem, typmod: col.type!.typmod },
    'assignment',
    position,
  );
  return `pg_array_set(${quoteId(col.name)}, ${i.sql}, ${v.sql}, ${runtimeType(elem).oid})`;
}

export function updateStmt(an: Analyzer, s: P.UpdateStmt): DmlResult {
  const st = an.st;
  const scope = new Scope(null);
  const prefix = withPrefix(an, s.withClause, scope);
  const { rel, alias } = targetTable(an, s.relation!, 'update');
  scope.add(tableItem(rel, alias));
  const from = s.fromClause && s.fromClause.length > 0 ? fromClause(an, s.fromClause, scope) : '';
  const lv = an.level(scope, 'UPDATE');
  const sets = setList(an, rel, s.targetList ?? [], lv);
  let where = '';
  if (s.whereClause)
    where = ` WHERE ${requireBool(st, an.expr(s.whereClause, an.level(scope, 'WHERE')), 'WHERE', exprPos(st, s.whereClause)).sql}`;
  const ret = returning(an, s.returningList, an.level(returningScope(scope, rel, alias), 'RETURNING'));
  refuseOtherTables(ret, 'UPDATE ... FROM');
  const sql = `${prefix}UPDATE ${quoteId(rel.name)} AS ${quoteId(alias)} SET ${sets}${from ? ` FROM ${from}` : ''}${where}${ret.sql}`;
  return { sql, columns: ret.columns, table: rel.name };
}

export function deleteStmt(an: Analyzer, s: P.DeleteStmt): DmlResult {
  const st = an.st;
  const scope = new Scope(null);
  const prefix = withPrefix(an, s.withClause, scope);
  const { rel, alias } = targetTable(an, s.relation!, 'delete from');
  scope.add(tableItem(rel, alias));
  const using = s.usingClause && s.usingClause.length > 0 ? fromClause(an, s.usingClause, scope) : '';
  let cond = '';
  if (s.whereClause)
    cond = requireBool(
      st,
      an.expr(s.whereClause, an.level(scope, 'WHERE')),
      'WHERE',
      exprPos(st, s.whereClause),
    ).sql;
  const ret = returning(an, s.returningList, an.level(returningScope(scope, rel, alias), 'RETURNING'));
  refuseOtherTables(ret, 'DELETE ... USING');
  const a = quoteId(alias);
  let sql: string;
  if (using) {
    // SQLite has no DELETE ... USING: the rows to delete are those the join finds.
    const inner = `SELECT ${a}.rowid FROM ${quoteId(rel.name)} AS ${a}, ${using}${cond ? ` WHERE ${cond}` : ''}`;
    sql = `${prefix}DELETE FROM ${quoteId(rel.name)} AS ${a} WHERE ${a}.rowid IN (${inner})${ret.sql}`;
  } else {
    sql = `${prefix}DELETE FROM ${quoteId(rel.name)} AS ${a}${cond ? ` WHERE ${cond}` : ''}${ret.sql}`;
  }
  return { sql, columns: ret.columns, table: rel.name };
}
