// The types of pg_catalog and information_schema columns that user tables never have: "char",
// int2vector, oidvector, pg_node_tree, xid, aclitem, regnamespace, the arrays the catalog shows
// (int2[], oid[], text[], name[], ...) and information_schema's domains, by the names the catalog
// declarations use. Values are kept in PostgreSQL's text form ('{1,2}', '1 2').

import { ChorusError } from '../../errors.js';
import type { StorageValue, TypeCodec } from './codec.js';
import { A, type PgType, ref, T, type TypeRef } from './pg-types.js';
import { codecFor, registerCodecs } from './values.js';

function t(oid: number, name: string, category: string, len: number, arrayOid: number): PgType {
  return Object.freeze({ oid, name, category, preferred: false, len, arrayOid });
}

/** Catalog-only types (PostgreSQL 15's OIDs). */
export const CT = Object.freeze({
  int2vector: t(22, 'int2vector', 'A', -1, 1006),
  oidvector: t(30, 'oidvector', 'A', -1, 1013),
  xid: t(28, 'xid', 'U', 4, 1011),
  pgNodeTree: t(194, 'pg_node_tree', 'Z', -1, 0),
  aclitem: t(1033, 'aclitem', 'U', 12, 1034),
  regnamespace: T.regnamespace,
  anyarray: t(2277, 'anyarray', 'P', -1, 0),
});

/**
 * The array types the catalog shows, by element type name. The one place that decides what an
 * array-valued catalog column is: a placeholder type with the array's OID whose values are
 * PostgreSQL's array text ('{1,2}'). When the front end has arrays, map these to its array types.
 */
const arrayOids: Record<string, number> = {
  bool: 1000,
  char: 1002,
  name: 1003,
  int2: 1005,
  int4: 1007,
  text: 1009,
  oid: 1028,
  float4: 1021,
  aclitem: 1034,
  regtype: 2211,
};

/** Placeholders only for the element types the front end has no array type for ("char", aclitem). */
const arrayTypes = new Map<string, PgType>(
  Object.entries(arrayOids)
    .filter(([elem]) => !(`_${elem}` in A))
    .map(([elem, oid]) => [elem, t(oid, `_${elem}`, 'A', -1, 0)]),
);

export function catalogArrayType(elem: string): PgType {
  // The front end's own array type where there is one (= ANY, unnest, subscripts work on it).
  const real = (A as Record<string, PgType>)[`_${elem}`];
  if (real) return real;
  const a = arrayTypes.get(elem);
  if (!a) throw new Error(`no catalog array type over ${elem}`);
  return a;
}

/** Whether a type is one of the placeholder array types (or int2vector / oidvector). */
export function isCatalogArray(type: PgType): boolean {
  return (
    type.category === 'A' &&
    (arrayTypes.get(type.name.slice(1)) === type || type === CT.int2vector || type === CT.oidvector)
  );
}

/**
 * A catalog column's type by the name its declaration uses: PostgreSQL type names, `elem[]`, and
 * information_schema's domains as clients see them (a domain's base type: sql_identifier is name,
 * character_data varchar, yes_or_no varchar(3), cardinal_number int4, time_stamp timestamptz(2)).
 */
export function catalogType(name: string): TypeRef {
  if (name.endsWith('[]')) return ref(catalogArrayType(name.slice(0, -2)));
  switch (name) {
    case 'sql_identifier':
      return ref(T.name);
    case 'character_data':
      return ref(T.varchar);
    case 'yes_or_no':
      return ref(T.varchar, 7);
    case 'cardinal_number':
      return ref(T.int4);
    case 'time_stamp':
      return ref(T.timestamptz, 2);
    case 'char':
      return ref(T.char);
    // int2vector / oidvector are read as int2[] / oid[] (their text '1 2' turned into '{1,2}' by
    // vectorAsArraySql), so `= ANY(indkey)`, unnest and subscripts work as ORMs use them; the
    // differences: pg_typeof, the text form, and subscripts counting from 1.
    case 'int2vector':
      return ref(A._int2);
    case 'oidvector':
      return ref(A._oid);
    case 'xid':
      return ref(CT.xid);
    case 'pg_node_tree':
      return ref(CT.pgNodeTree);
    case 'regnamespace':
      return ref(CT.regnamespace);
    case 'anyarray':
      return ref(CT.anyarray);
    default: {
      const type = (T as Record<string, PgType>)[name];
      if (!type) throw new Error(`catalog declaration names unknown type ${name}`);
      return ref(type);
    }
  }
}

/** A catalog column declared int2vector / oidvector: its text ('1 2') as array text ('{1,2}'). */
export function vectorAsArraySql(declared: string, column: string): string | null {
  if (declared !== 'int2vector' && declared !== 'oidvector') return null;
  return `'{' || replace(${column}, ' ', ',') || '}'`;
}

/** A type of the catalog by name, for the function table (catalog-only types). */
export function catalogTypeByName(name: string): PgType | undefined {
  if (name === 'pg_node_tree') return CT.pgNodeTree;
  if (name === 'regnamespace') return CT.regnamespace;
  if (name === 'int2vector') return CT.int2vector;
  if (name === 'oidvector') return CT.oidvector;
  if (name.startsWith('_')) return (A as Record<string, PgType>)[name] ?? arrayTypes.get(name.slice(1));
  return undefined;
}

function textOf(v: StorageValue): string {
  if (v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/** Values kept in their text form; binary transfer is not offered for these types. */
function textForm(typeName: string): TypeCodec {
  return {
    input: (text) => text,
    output: (v) => textOf(v),
    toBinary: () => {
      throw new ChorusError('0A000', `binary output of type ${typeName} is not supported`);
    },
    fromBinary: () => {
      throw new ChorusError('0A000', `binary input of type ${typeName} is not supported`);
    },
  };
}

/** "char": one byte, shown as itself. */
const charCodec: TypeCodec = {
  input: (text) => {
    const b = Buffer.from(text, 'utf8');
    return b.length === 0 ? '' : b.subarray(0, 1).toString('latin1');
  },
  output: (v) => textOf(v),
  toBinary: (v) => Buffer.from(textOf(v), 'latin1').subarray(0, 1),
  fromBinary: (b) => b.subarray(0, 1).toString('latin1'),
};

function unsigned32(typeName: string): TypeCodec {
  return {
    input: (text) => {
      const m = /^\s*(\d+)\s*$/.exec(text);
      if (!m) throw new ChorusError('22P02', `invalid input syntax for type ${typeName}: "${text}"`);
      return BigInt(m[1]!);
    },
    output: (v) => textOf(v),
    toBinary: (v) => {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32BE(Number(v));
      return b;
    },
    fromBinary: (b) => BigInt(b.readUInt32BE()),
  };
}

function hasCodec(type: PgType): boolean {
  try {
    codecFor(type);
    return true;
  } catch {
    return false;
  }
}

registerCodecs([
  [CT.int2vector, textForm('int2vector')],
  [CT.oidvector, textForm('oidvector')],
  [CT.pgNodeTree, textForm('pg_node_tree')],
  [CT.aclitem, textForm('aclitem')],
  [CT.anyarray, textForm('anyarray')],
  [CT.xid, unsigned32('xid')],
  ...[...arrayTypes.values()].map((a): [PgType, TypeCodec] => [a, textForm(a.name)]),
]);
if (!hasCodec(T.char)) registerCodecs([[T.char, charCodec]]);

/** Names of relations and schemas for regclass / regnamespace input and output (admin/ provides them). */
export interface CatalogNames {
  relationOid(schema: string | null, name: string): number | null;
  relationName(oid: number): string | null;
  namespaceOid(name: string): number | null;
  namespaceName(oid: number): string | null;
  /** A user type's OID by (schema or null for the search path) and name; null when none. */
  typeOid?(schema: string | null, name: string): number | null;
  /** A user type's name as regtype prints it; null when the OID is not a user type's. */
  typeName?(oid: number): string | null;
}

/**
 * Set once per thread by the catalog functions' registration (admin/catalog-functions.ts), which
 * every SQLite connection goes through; the codecs below read the schema through it.
 */
const names: { current: CatalogNames | null } = { current: null };

export function setCatalogNames(n: CatalogNames): void {
  names.current = n;
}

/** `a.b`, `"A"."b"`, `b` → its parts as PostgreSQL folds them (unquoted parts lower-cased); null when malformed. */
export function splitQualifiedName(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= s.length) return null;
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += s[j];
        j++;
      }
      parts.push(part);
      i = j + 1;
    } else {
      const m = /^[^."]*/.exec(s.slice(i))![0];
      if (m.trim() === '') return null;
      parts.push(m.trim().toLowerCase());
      i += m.length;
    }
    if (i >= s.length) break;
    if (s[i] !== '.') return null;
    i++;
  }
  return parts.length > 0 ? parts : null;
}

const oidText = /^\s*\d+\s*$/;

/** regclass: an OID that reads and prints as the relation's name. */
const regclassCodec: TypeCodec = {
  ...unsigned32('regclass'),
  input: (text) => {
    if (oidText.test(text)) return BigInt(text.trim());
    const parts = splitQualifiedName(text);
    if (!parts) throw new ChorusError('42602', `invalid name syntax`);
    if (parts.length > 3)
      throw new ChorusError('42601', `improper relation name (too many dotted names): ${text.trim()}`);
    const name = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : null;
    if (schema !== null && names.current && names.current.namespaceOid(schema) === null)
      throw new ChorusError('3F000', `schema "${schema}" does not exist`);
    const oid = names.current?.relationOid(schema, name) ?? null;
    if (oid === null) throw new ChorusError('42P01', `relation "${text.trim()}" does not exist`);
    return BigInt(oid);
  },
  output: (v) => names.current?.relationName(Number(v)) ?? textOf(v),
};

/** regnamespace: an OID that reads and prints as the schema's name. */
const regnamespaceCodec: TypeCodec = {
  ...unsigned32('regnamespace'),
  input: (text) => {
    if (oidText.test(text)) return BigInt(text.trim());
    const parts = splitQualifiedName(text);
    if (parts?.length !== 1) throw new ChorusError('42602', 'invalid name syntax');
    const oid = names.current?.namespaceOid(parts[0]!) ?? null;
    if (oid === null) throw new ChorusError('3F000', `schema "${parts[0]}" does not exist`);
    return BigInt(oid);
  },
  output: (v) => names.current?.namespaceName(Number(v)) ?? textOf(v),
};

/** regtype over the built-in codec: names and OIDs of user types (enums) come from the catalog. */
const builtinRegtype = codecFor(T.regtype);
const regtypeCodec: TypeCodec = {
  ...builtinRegtype,
  input: (text, typmod, env) => {
    const parts = oidText.test(text) ? null : splitQualifiedName(text);
    if (parts && parts.length <= 2 && names.current?.typeOid) {
      const oid = names.current.typeOid(parts.length > 1 ? parts[0]! : null, parts[parts.length - 1]!);
      if (oid !== null) return BigInt(oid);
    }
    return builtinRegtype.input(text, typmod, env);
  },
  output: (v, typmod, env) => names.current?.typeName?.(Number(v)) ?? builtinRegtype.output(v, typmod, env),
};

registerCodecs([
  [T.regtype, regtypeCodec],
  [T.regclass, regclassCodec],
  [CT.regnamespace, regnamespaceCodec],
]);
