// The type names users write (lower case, as PostgreSQL's grammar folds them), the serial
// pseudo-types, and a TypeName's type with its typmod checked as PostgreSQL checks it (42704 for an
// unknown name, 0A000 for PostgreSQL's built-in types ChorusDB does not have).

import { ChorusError } from '../../errors.js';
import {
  arrayTypeOf,
  charLengthMax,
  charTypmod,
  numericPrecisionMax,
  numericTypmod,
  type PgType,
  ref,
  T,
  type TypeRef,
  timePrecisionMax,
} from './pg-types.js';

/** Names users write for types (lower case, after PostgreSQL's grammar folded them), by PgType. */
const typeNames: ReadonlyMap<string, PgType> = new Map<string, PgType>([
  ['bool', T.bool],
  ['boolean', T.bool],
  ['int2', T.int2],
  ['smallint', T.int2],
  ['int4', T.int4],
  ['int', T.int4],
  ['integer', T.int4],
  ['int8', T.int8],
  ['bigint', T.int8],
  ['float4', T.float4],
  ['real', T.float4],
  ['float8', T.float8],
  ['double precision', T.float8],
  ['numeric', T.numeric],
  ['decimal', T.numeric],
  ['text', T.text],
  ['varchar', T.varchar],
  ['character varying', T.varchar],
  ['bpchar', T.bpchar],
  ['character', T.bpchar],
  ['char', T.bpchar],
  ['name', T.name],
  ['"char"', T.char],
  ['bytea', T.bytea],
  ['date', T.date],
  ['time', T.time],
  ['timestamp', T.timestamp],
  ['timestamptz', T.timestamptz],
  ['interval', T.interval],
  ['uuid', T.uuid],
  ['json', T.json],
  ['jsonb', T.jsonb],
  ['oid', T.oid],
  ['regclass', T.regclass],
  ['regtype', T.regtype],
  ['regnamespace', T.regnamespace],
  ['regproc', T.regproc],
  ['unknown', T.unknown],
  ['record', T.record],
  ['void', T.void],
]);

/** Serial pseudo-types: an integer column with a generated key. */
export const serialTypes: ReadonlyMap<string, PgType> = new Map([
  ['serial', T.int4],
  ['serial4', T.int4],
  ['bigserial', T.int8],
  ['serial8', T.int8],
  ['smallserial', T.int2],
  ['serial2', T.int2],
]);

/** PostgreSQL's built-in types ChorusDB does not have: 0A000, not 42704 (PostgreSQL has them). */
const unsupportedBuiltinTypes: ReadonlySet<string> = new Set(
  (
    'inet cidr macaddr macaddr8 money bit varbit xml tsvector tsquery gtsvector point box line circle ' +
    'polygon path lseg timetz int4range int8range numrange daterange tsrange tstzrange int4multirange ' +
    'int8multirange nummultirange datemultirange tsmultirange tstzmultirange pg_lsn pg_snapshot ' +
    'txid_snapshot jsonpath xid xid8 cid tid aclitem regproc regprocedure regoper regoperator ' +
    'regconfig regdictionary regnamespace regrole regcollation pg_node_tree'
  ).split(' '),
);

/**
 * The type a TypeName node names: names as the parser gives them (`pg_catalog.int4`, `varchar`,
 * `timestamptz`), with typmods already evaluated to integers. Unknown names are 42704.
 */
export function resolveTypeName(
  names: readonly string[],
  typmods: readonly number[],
  position?: number,
): TypeRef {
  const schema = names.length > 1 ? names[names.length - 2] : undefined;
  const base = names[names.length - 1]!;
  if (schema !== undefined && schema !== 'pg_catalog' && schema !== 'public') {
    throw new ChorusError('42704', `type "${names.join('.')}" does not exist`, { position });
  }
  const elemNamed = base.startsWith('_') ? typeNames.get(base.slice(1)) : undefined;
  const type = typeNames.get(base) ?? (elemNamed ? arrayTypeOf(elemNamed) : undefined);
  if (!type) {
    const builtin = base.startsWith('_') ? base.slice(1) : base;
    if (schema !== 'public' && unsupportedBuiltinTypes.has(builtin)) {
      throw new ChorusError('0A000', `type ${builtin}${base === builtin ? '' : '[]'} is not supported`, {
        position,
        hint: 'ChorusDB stores the types listed in docs/sql.md; text or another type can hold such values.',
      });
    }
    throw new ChorusError('42704', `type "${base}" does not exist`, { position });
  }
  if (type.elem) return ref(type, typmodFor(type.elem, typmods, position));
  return ref(type, typmodFor(type, typmods, position));
}

function typmodFor(type: PgType, mods: readonly number[], position?: number): number {
  if (mods.length === 0) return type === T.bpchar ? -1 : -1;
  const bad = (msg: string): ChorusError => new ChorusError('22023', msg, { position });
  switch (type) {
    case T.numeric: {
      const [p, s = 0] = mods;
      if (mods.length > 2) throw new ChorusError('42601', 'invalid NUMERIC type modifier', { position });
      if (p! < 1 || p! > numericPrecisionMax)
        throw bad(`NUMERIC precision ${p} must be between 1 and ${numericPrecisionMax}`);
      if (s < -1000 || s > 1000) throw bad(`NUMERIC scale ${s} must be between -1000 and 1000`);
      return numericTypmod(p!, s);
    }
    case T.varchar:
    case T.bpchar: {
      if (mods.length > 1) throw new ChorusError('42601', 'invalid type modifier', { position });
      const n = mods[0]!;
      const label = type === T.varchar ? 'varchar' : 'char';
      if (n < 1) throw bad(`length for type ${label} must be at least 1`);
      if (n > charLengthMax) throw bad(`length for type ${label} cannot exceed ${charLengthMax}`);
      return charTypmod(n);
    }
    case T.time:
    case T.timestamp:
    case T.timestamptz:
    case T.interval: {
      if (mods.length > 1) throw new ChorusError('42601', 'invalid type modifier', { position });
      const p = mods[0]!;
      if (p < 0) throw bad(`${type.name.toUpperCase()}(${p}) precision must not be negative`);
      return Math.min(p, timePrecisionMax);
    }
    default:
      throw new ChorusError('42601', `type modifier is not allowed for type "${type.name}"`, {
        position,
      });
  }
}
