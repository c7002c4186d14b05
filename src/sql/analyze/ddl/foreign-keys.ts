// FOREIGN KEY constraints as SQLite's: the referenced table and key checked as PostgreSQL checks
// them (including a new table referencing itself), with ON DELETE / ON UPDATE and DEFERRABLE (also
// the column form's, which the parser gives as separate entries: withConstraintAttributes); a
// DEFERRABLE primary key or unique constraint is refused (refuseDeferrableKey).

import type * as P from '@pgsql/types';
import { ChorusError, FeatureNotSupportedError } from '../../../errors.js';
import { storageName } from '../../namespaces.js';
import { nodeOf } from '../../parse/parser.js';
import { type Analyzer, pos, strings } from '../level.js';
import { checkInternal, quoteId } from '../scope.js';

const fkActions: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** The table a CREATE TABLE makes, for its foreign keys that reference itself. */
export interface SelfReference {
  schema: string;
  name: string;
  primaryKey: string[];
  uniques: string[][];
}

export function foreignKey(
  an: Analyzer,
  c: P.Constraint,
  fkCols: readonly string[],
  temporary = false,
  self: SelfReference | null = null,
): string {
  const target = c.pktable!;
  checkInternal(target.relname!, pos(an.st, target.location));
  const pkCols = strings(c.pk_attrs);
  const refd = an.st.catalog.relation(target.schemaname ?? null, target.relname!);
  if (
    !refd &&
    self &&
    target.relname === self.name &&
    (target.schemaname == null || target.schemaname === self.schema)
  )
    return selfForeignKey(c, fkCols, pkCols, self);
  if (refd && (refd.temporary ?? false) !== temporary)
    throw new ChorusError(
      '42P16',
      temporary
        ? 'constraints on temporary tables may reference only temporary tables'
        : 'constraints on permanent tables may reference only permanent tables',
    );
  let cols = pkCols;
  if (cols.length === 0) {
    if (!refd || refd.primaryKey.length === 0) {
      throw new ChorusError('42704', `there is no primary key for referenced table "${target.relname}"`);
    }
    cols = refd.primaryKey;
  }
  if (cols.length !== fkCols.length) {
    throw new ChorusError('42830', 'number of referencing and referenced columns for foreign key disagree');
  }
  if (refd?.kind === 'table' && pkCols.length > 0) {
    for (const n of pkCols) {
      if (!refd.columns.some((x) => x.name === n))
        throw new ChorusError('42703', `column "${n}" referenced in foreign key constraint does not exist`);
    }
    // SQLite would take the key and refuse every later write with "foreign key mismatch".
    const matching = refd.uniques.some(
      (u) => u.columns.length === pkCols.length && pkCols.every((x) => u.columns.includes(x)),
    );
    if (!matching) {
      throw new ChorusError(
        '42830',
        `there is no unique constraint matching given keys for referenced table "${refd.name}"`,
      );
    }
  }
  const refName = refd?.name ?? storageName(target.schemaname ?? null, target.relname!);
  return foreignKeySql(c, fkCols, refName, cols);
}

/** A foreign key of a new table to itself: checked against the keys the statement declares. */
function selfForeignKey(
  c: P.Constraint,
  fkCols: readonly string[],
  pkCols: string[],
  self: SelfReference,
): string {
  let cols = pkCols;
  if (cols.length === 0) {
    if (self.primaryKey.length === 0)
      throw new ChorusError('42704', `there is no primary key for referenced table "${self.name}"`);
    cols = self.primaryKey;
  }
  if (cols.length !== fkCols.length)
    throw new ChorusError('42830', 'number of referencing and referenced columns for foreign key disagree');
  if (
    pkCols.length > 0 &&
    !self.uniques.some((u) => u.length === pkCols.length && pkCols.every((x) => u.includes(x)))
  )
    throw new ChorusError(
      '42830',
      `there is no unique constraint matching given keys for referenced table "${self.name}"`,
    );
  const refName = storageName(self.schema, self.name);
  return foreignKeySql(c, fkCols, refName, cols);
}

function foreignKeySql(
  c: P.Constraint,
  fkCols: readonly string[],
  refName: string,
  cols: readonly string[],
): string {
  let sql = `FOREIGN KEY (${fkCols.map(quoteId).join(', ')}) REFERENCES ${quoteId(refName)} (${cols.map(quoteId).join(', ')})`;
  if (c.fk_del_action && c.fk_del_action !== 'a') sql += ` ON DELETE ${fkActions[c.fk_del_action]}`;
  if (c.fk_upd_action && c.fk_upd_action !== 'a') sql += ` ON UPDATE ${fkActions[c.fk_upd_action]}`;
  if (c.deferrable)
    sql += c.initdeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE INITIALLY IMMEDIATE';
  return sql;
}

/**
 * A PRIMARY KEY / UNIQUE declared DEFERRABLE: refused. SQLite checks a key on every row, as
 * PostgreSQL does a NOT DEFERRABLE one; a DEFERRABLE key is checked at the statement's end (or at
 * COMMIT), so the same statements would succeed in PostgreSQL and fail here.
 */
export function refuseDeferrableKey(an: Analyzer, c: P.Constraint): void {
  if (!c.deferrable) return;
  throw new FeatureNotSupportedError(
    `DEFERRABLE ${c.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'}`,
    {
      hint: 'Declare the key NOT DEFERRABLE (the default); only foreign keys can be DEFERRABLE.',
      position: pos(an.st, c.location),
    },
  );
}

const attributeNames: Record<string, string> = {
  CONSTR_ATTR_DEFERRABLE: 'DEFERRABLE',
  CONSTR_ATTR_NOT_DEFERRABLE: 'NOT DEFERRABLE',
  CONSTR_ATTR_DEFERRED: 'INITIALLY DEFERRED',
  CONSTR_ATTR_IMMEDIATE: 'INITIALLY IMMEDIATE',
};

/** Constraints that take DEFERRABLE / INITIALLY ... (PostgreSQL's SUPPORTS_ATTRS). */
const takesAttributes = new Set(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION', 'CONSTR_FOREIGN']);

/**
 * A column's constraints with the DEFERRABLE / NOT DEFERRABLE / INITIALLY DEFERRED / INITIALLY
 * IMMEDIATE the parser gives as separate entries applied to the constraint before them (copies), as
 * PostgreSQL's transformConstraintAttrs does, with its errors.
 */
export function withConstraintAttributes(an: Analyzer, list: readonly P.Node[] | undefined): P.Constraint[] {
  const out: P.Constraint[] = [];
  let last: P.Constraint | null = null;
  let sawDeferrability = false;
  let sawInitially = false;
  for (const n of list ?? []) {
    const c = nodeOf(n)[1] as P.Constraint;
    const attr = attributeNames[c.contype ?? ''];
    if (attr === undefined) {
      const copy = { ...c };
      out.push(copy);
      last = takesAttributes.has(c.contype ?? '') ? copy : null;
      sawDeferrability = false;
      sawInitially = false;
      continue;
    }
    const at = { position: pos(an.st, c.location) };
    if (last === null) throw new ChorusError('42601', `misplaced ${attr} clause`, at);
    const deferrability =
      c.contype === 'CONSTR_ATTR_DEFERRABLE' || c.contype === 'CONSTR_ATTR_NOT_DEFERRABLE';
    if (deferrability ? sawDeferrability : sawInitially)
      throw new ChorusError(
        '42601',
        deferrability
          ? 'multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed'
          : 'multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed',
        at,
      );
    const mustDefer = (): ChorusError =>
      new ChorusError('42601', 'constraint declared INITIALLY DEFERRED must be DEFERRABLE', at);
    switch (c.contype) {
      case 'CONSTR_ATTR_DEFERRABLE':
        last.deferrable = true;
        break;
      case 'CONSTR_ATTR_NOT_DEFERRABLE':
        last.deferrable = false;
        if (sawInitially && last.initdeferred) throw mustDefer();
        break;
      case 'CONSTR_ATTR_DEFERRED':
        last.initdeferred = true;
        if (!sawDeferrability) last.deferrable = true;
        else if (!last.deferrable) throw mustDefer();
        break;
      default:
        last.initdeferred = false;
    }
    if (deferrability) sawDeferrability = true;
    else sawInitially = true;
  }
  return out;
}
