// The checker of the `ddl` chaos workload (ddl-workload.ts): rows inserted and updated while nodes
// add, rename and drop columns and create a unique index. A pure function of the history and the
// final reads, unit-tested in test/unit/chaos-ddl-checker.test.ts.

import { type CheckResult, type FinalReads, result } from './checkers.js';
import { completions, type Op } from './history.js';

/** Name of column generation g: `c<g>` as added, `r<g>` once renamed. Names are never reused. */
export function ddlColumnName(g: number, renamed: boolean): string {
  return `${renamed ? 'r' : 'c'}${g}`;
}

/** The generation of a workload column's name, or null for the table's fixed columns. */
export function ddlGenerationOf(name: string): { g: number; renamed: boolean } | null {
  const m = /^([cr])(\d+)$/.exec(name);
  return m ? { g: Number(m[2]), renamed: m[1] === 'r' } : null;
}

/** Operation values of the workload, as recorded in the history. */
export interface DdlInsert {
  id: number;
  u: number;
  /** A value written to one workload column in the same INSERT. */
  g?: number;
  column?: string;
  v?: number;
}
export interface DdlWrite {
  id: number;
  g: number;
  column: string;
  v: number;
}
export type DdlChange =
  | { kind: 'add'; g: number; type: string; default: number | null }
  | { kind: 'rename'; g: number }
  | { kind: 'drop'; g: number; column: string }
  | { kind: 'add-unique' }
  | { kind: 'drop-unique' };

/** One node's final read. */
export interface DdlRead {
  /** information_schema.columns of the table in ordinal order: name, data_type, column_default. */
  columns: { name: string; type: string; default: string | null }[];
  /** pg_indexes.indexdef of every index of the table, sorted. */
  indexes: string[];
  /** Every row, by id; values of integer columns as numbers. */
  rows: Record<string, number | null>[];
  /** The table's records in replicate.conflicts: the row id they name (null: none, e.g. ddl_conflict), their kind. */
  conflicts: { id: number | null; type: string }[];
}

function sample<T>(xs: Iterable<T>, n = 10): string {
  const all = [...xs];
  return all.slice(0, n).join(', ') + (all.length > n ? `, ... (${all.length})` : '');
}

interface CellWrite {
  v: number;
  ok: boolean;
  node: number;
  /** History positions of its invocation and acknowledgement (exact order, unlike times). */
  invokedAt: number;
  doneAt: number | null;
}

/**
 * `ddl`: while rows are inserted and updated on every node, nodes add columns (with and without a
 * DEFAULT), rename and drop them, and create and drop a unique index that concurrent inserts may
 * duplicate. Column names are never reused, so a final column names the one generation of writes
 * it holds. After heal:
 * - every node has the same columns (name, type, default, in order) and indexes, and each workload
 *   column is one an ADD (and, for `r<g>`, a RENAME) that did not fail made;
 * - every node holds the same rows;
 * - no acknowledged insert is missing unless replicate.conflicts (on some node) names its row in a
 *   record other than a write_conflict (the unique constraint removes the later of two duplicates); no row was never inserted or failed;
 * - in every row no conflict record names, each cell of a column that exists at the end holds a
 *   value written to that row and column (under either of its names) by a write that did not fail,
 *   or — only if no acknowledged write reached it — the column's default (NULL without one); an
 *   acknowledged write may be replaced only by another write of the same cell, never by an earlier
 *   one of the same node (which it followed).
 */
export function checkDdl(
  ops: readonly Op[],
  reads: FinalReads<DdlRead>,
  name = 'ddl',
  /** Prefix of the workload's operation names ('ddl-unique-' for ddl-unique). */
  prefix = 'ddl-',
): CheckResult {
  const inserts = completions(ops, `${prefix}insert`);
  const writes = completions(ops, `${prefix}write`);
  const changes = completions(ops, `${prefix}change`);
  const attempted = new Set(inserts.map((i) => (i.invoke.value as DdlInsert).id));
  const failed = new Set(
    inserts.filter((i) => i.result?.type === 'fail').map((i) => (i.invoke.value as DdlInsert).id),
  );
  const acked = inserts.filter((i) => i.result?.type === 'ok').map((i) => (i.invoke.value as DdlInsert).id);
  // What the DDL that may have happened made: each column generation's type and default, renames.
  const added = new Map<number, { type: string; default: number | null }>();
  const renamed = new Set<number>();
  for (const c of changes) {
    if (c.result?.type === 'fail') continue;
    const ch = c.invoke.value as DdlChange;
    if (ch.kind === 'add') added.set(ch.g, { type: ch.type, default: ch.default });
    else if (ch.kind === 'rename') renamed.add(ch.g);
  }
  // Writes of each cell (row id, column generation) that did not fail.
  const cells = new Map<string, CellWrite[]>();
  const addWrite = (id: number, g: number, v: number, pair: (typeof writes)[number]): void => {
    const key = `${id}:${g}`;
    const list = cells.get(key) ?? [];
    list.push({
      v,
      ok: pair.result?.type === 'ok',
      node: pair.invoke.node,
      invokedAt: pair.invoke.index,
      doneAt: pair.result?.type === 'ok' ? pair.result.index : null,
    });
    cells.set(key, list);
  };
  for (const w of writes) {
    if (w.result?.type === 'fail') continue;
    const { id, g, v } = w.invoke.value as DdlWrite;
    addWrite(id, g, v, w);
  }
  for (const i of inserts) {
    const { id, g, v } = i.invoke.value as DdlInsert;
    if (i.result?.type !== 'fail' && g !== undefined && v !== undefined) addWrite(id, g, v, i);
  }

  const problems = reads.flatMap((r, i) => (r === null ? [`node ${i}: the final read failed`] : []));
  // Rows a rule removed or changed (unique, constraint...): a write_conflict is LWW, which the
  // cell rule below judges itself.
  const explained = new Set(
    reads.flatMap(
      (r) => r?.conflicts.flatMap((c) => (c.id === null || c.type === 'write_conflict' ? [] : [c.id])) ?? [],
    ),
  );
  let schemaOf0: string | null = null;
  let rowsOf0: string | null = null;
  let cellsChecked = 0;
  reads.forEach((read, node) => {
    if (read === null) return;
    const schema = JSON.stringify({ columns: read.columns, indexes: read.indexes });
    if (schemaOf0 === null) schemaOf0 = schema;
    else if (schema !== schemaOf0) problems.push(`node ${node}: schema differs from node 0's: ${schema}`);
    const rows = JSON.stringify(read.rows);
    if (rowsOf0 === null) rowsOf0 = rows;
    else if (rows !== rowsOf0) problems.push(`node ${node}: rows differ from node 0's`);

    const live: { name: string; g: number }[] = [];
    for (const col of read.columns) {
      const gen = ddlGenerationOf(col.name);
      if (!gen) continue;
      const def = added.get(gen.g);
      if (!def) problems.push(`node ${node}: column ${col.name} was never added (or its ADD failed)`);
      else if (col.type !== def.type.toLowerCase())
        problems.push(`node ${node}: column ${col.name} is ${col.type}, added as ${def.type}`);
      if (gen.renamed && !renamed.has(gen.g))
        problems.push(`node ${node}: column ${col.name}: no RENAME of c${gen.g} that did not fail`);
      live.push({ name: col.name, g: gen.g });
    }

    const present = new Set<number>();
    const lostValues: string[] = [];
    const unwritten: string[] = [];
    for (const row of read.rows) {
      const id = row.id as number;
      if (present.has(id)) problems.push(`node ${node}: row ${id} twice`);
      present.add(id);
      if (explained.has(id)) continue;
      for (const { name, g } of live) {
        cellsChecked++;
        const value = row[name] ?? null;
        const ws = cells.get(`${id}:${g}`) ?? [];
        const unset = added.get(g)?.default ?? null;
        const hit = ws.find((w) => w.v === value);
        if (!hit) {
          if (value !== unset) unwritten.push(`${id}.${name} = ${value}`);
          else if (ws.some((w) => w.ok))
            lostValues.push(
              `${id}.${name} = ${value}, acknowledged ${sample(ws.filter((w) => w.ok).map((w) => w.v))}`,
            );
          continue;
        }
        // An acknowledged write of the same node that began after the final one had completed
        // followed it (same session order, a higher clock): it must have won.
        const later = ws.find(
          (w) => w.ok && w !== hit && w.node === hit.node && hit.doneAt !== null && w.invokedAt > hit.doneAt,
        );
        if (later)
          lostValues.push(`${id}.${name} = ${value}, overwrote the later ${later.v} of node ${later.node}`);
      }
    }
    const lost = acked.filter((id) => !present.has(id) && !explained.has(id));
    const unexpected = [...present].filter((id) => !attempted.has(id) || failed.has(id));
    if (lost.length > 0)
      problems.push(
        `node ${node}: ${lost.length} acknowledged inserts lost without a conflict record: ${sample(lost)}`,
      );
    if (unexpected.length > 0)
      problems.push(
        `node ${node}: ${unexpected.length} rows never inserted or failed: ${sample(unexpected)}`,
      );
    if (lostValues.length > 0)
      problems.push(
        `node ${node}: ${lostValues.length} acknowledged values lost from columns that exist: ${sample(lostValues, 5)}`,
      );
    if (unwritten.length > 0)
      problems.push(
        `node ${node}: ${unwritten.length} cells hold a value never written there (nor the column's default): ${sample(unwritten, 5)}`,
      );
  });
  const ddlOk = changes.filter((c) => c.result?.type === 'ok');
  const kindCount = (k: DdlChange['kind']): number =>
    ddlOk.filter((c) => (c.invoke.value as DdlChange).kind === k).length;
  return result(name, problems, {
    inserts_acknowledged: acked.length,
    writes_acknowledged: writes.filter((w) => w.result?.type === 'ok').length,
    ddl_attempted: changes.length,
    ddl_refused: changes.filter((c) => c.result?.type === 'fail').length,
    adds: kindCount('add'),
    renames: kindCount('rename'),
    drops: kindCount('drop'),
    uniques_added: kindCount('add-unique'),
    rows_in_conflicts: explained.size,
    ddl_conflicts: Math.max(
      0,
      ...reads.map((r) => r?.conflicts.filter((c) => c.type === 'ddl_conflict').length ?? 0),
    ),
    final_columns: reads.find((r) => r !== null)?.columns.length ?? 0,
    cells_checked: cellsChecked,
  });
}
