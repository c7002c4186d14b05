// PostgreSQL's operators over the known types (pg_operator rows: name, left, right, result, oprcode),
// resolved as PostgreSQL resolves them, and emitted as SQLite over the storage formats: native SQL
// where SQLite's semantics are PostgreSQL's, runtime functions where a check or a conversion is due.

import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { formatType, type PgType, T } from '../../../types/pg-types.js';
import { type AnalyzeState, type Typed, typed } from '../../context.js';
import { coerce } from '../coercion/coerce.js';
import { anyNonArray, selectCandidate } from '../coercion/resolve.js';
import { compareSql } from '../comparison/compare.js';
import { resolveEnumComparison } from '../comparison/enum-values.js';
import { emitArrayOperator, resolveArrayOperator } from './array-operators.js';

export interface Operator {
  name: string;
  /** null for a prefix operator */
  left: PgType | null;
  right: PgType;
  result: PgType;
  code: string;
  argTypes: readonly PgType[];
}

// name left right result oprcode; '-' is no left operand (prefix operator).
const operatorRows = `
Output format is unaligned.    ;!~ bpchar text bool bpcharregexne;!~ text text bool textregexne;!~* bpchar text 
bool bpcharicregexne;!~* text text bool texticregexne;!~~ bpchar text bool bpcharnlike;!~~ text text bool 
textnlike;!~~* bpchar text bool bpcharicnlike;!~~* text text bool texticnlike;# int2 int2 int2 int2xor;# int4 
int4 int4 int4xor;# int8 int8 int8 int8xor;% int2 int2 int2 int2mod;% int4 int4 int4 int4mod;% int8 int8 int8 
int8mod;% numeric numeric numeric numeric_mod;& int2 int2 int2 int2and;& int4 int4 int4 int4and;& int8 int8 
int8 int8and;* float4 float4 float4 float4mul;* float4 float8 float8 float48mul;* float8 float4 float8 
float84mul;* float8 float8 float8 float8mul;* float8 interval interval mul_d_interval;* int2 int2 int2 
int2mul;* int2 int4 int4 int24mul;* int2 int8 int8 int28mul;* int4 int2 int4 int42mul;* int4 int4 int4 
int4mul;* int4 int8 int8 int48mul;* int8 int2 int8 int82mul;* int8 int4 int8 int84mul;* int8 int8 int8 
int8mul;* interval float8 interval interval_mul;* numeric numeric numeric numeric_mul;+ - float4 float4 
float4up;+ - float8 float8 float8up;+ - int2 int2 int2up;+ - int4 int4 int4up;+ - int8 int8 int8up;+ - numeric 
numeric numeric_uplus;+ date int4 date date_pli;+ date interval timestamp date_pl_interval;+ date time 
timestamp datetime_pl;+ float4 float4 float4 float4pl;+ float4 float8 float8 float48pl;+ float8 float4 float8 
float84pl;+ float8 float8 float8 float8pl;+ int2 int2 int2 int2pl;+ int2 int4 int4 int24pl;+ int2 int8 int8 
int28pl;+ int4 date date integer_pl_date;+ int4 int2 int4 int42pl;+ int4 int4 int4 int4pl;+ int4 int8 int8 
int48pl;+ int8 int2 int8 int82pl;+ int8 int4 int8 int84pl;+ int8 int8 int8 int8pl;+ interval date timestamp 
interval_pl_date;+ interval interval interval interval_pl;+ interval time time interval_pl_time;+ interval 
timestamp timestamp interval_pl_timestamp;+ interval timestamptz timestamptz interval_pl_timestamptz;+ numeric 
numeric numeric numeric_add;+ time date timestamp timedate_pl;+ time interval time time_pl_interval;+ timestamp 
interval timestamp timestamp_pl_interval;+ timestamptz interval timestamptz timestamptz_pl_interval;- - float4 
float4 float4um;- - float8 float8 float8um;- - int2 int2 int2um;- - int4 int4 int4um;- - int8 int8 int8um;- - 
interval interval interval_um;- - numeric numeric numeric_uminus;- date date int4 date_mi;- date int4 date 
date_mii;- date interval timestamp date_mi_interval;- float4 float4 float4 float4mi;- float4 float8 float8 
float48mi;- float8 float4 float8 float84mi;- float8 float8 float8 float8mi;- int2 int2 int2 int2mi;- int2 int4 
int4 int24mi;- int2 int8 int8 int28mi;- int4 int2 int4 int42mi;- int4 int4 int4 int4mi;- int4 int8 int8 
int48mi;- int8 int2 int8 int82mi;- int8 int4 int8 int84mi;- int8 int8 int8 int8mi;- interval interval interval 
interval_mi;- jsonb int4 jsonb jsonb_delete;- jsonb text jsonb jsonb_delete;- numeric numeric numeric 
numeric_sub;- time interval time time_mi_interval;- time time interval time_mi_time;- timestamp interval 
timestamp timestamp_mi_interval;- timestamp timestamp interval timestamp_mi;- timestamptz interval timestamptz 
timestamptz_mi_interval;- timestamptz timestamptz interval timestamptz_mi;-> json int4 json 
json_array_element;-> json text json json_object_field;-> jsonb int4 jsonb jsonb_array_element;-> jsonb text 
jsonb jsonb_object_field;->> json int4 text json_array_element_text;->> json text text 
json_object_field_text;->> jsonb int4 text jsonb_array_element_text;->> jsonb text text 
jsonb_object_field_text;/ float4 float4 float4 float4div;/ float4 float8 float8 float48div;/ float8 float4 
float8 float84div;/ float8 float8 float8 float8div;/ int2 int2 int2 int2div;/ int2 int4 int4 int24div;/ int2 
int8 int8 int28div;/ int4 int2 int4 int42div;/ int4 int4 int4 int4div;/ int4 int8 int8 int48div;/ int8 int2 
int8 int82div;/ int8 int4 int8 int84div;/ int8 int8 int8 int8div;/ interval float8 interval interval_div;/ 
numeric numeric numeric numeric_div;< bool bool bool boollt;< bpchar bpchar bool bpcharlt;< bytea bytea bool 
bytealt;< date date bool date_lt;< date timestamp bool date_lt_timestamp;< date timestamptz bool 
date_lt_timestamptz;< float4 float4 bool float4lt;< float4 float8 bool float48lt;< float8 float4 bool 
float84lt;< float8 float8 bool float8lt;< int2 int2 bool int2lt;< int2 int4 bool int24lt;< int2 int8 bool 
int28lt;< int4 int2 bool int42lt;< int4 int4 bool int4lt;< int4 int8 bool int48lt;< int8 int2 bool int82lt;< 
int8 int4 bool int84lt;< int8 int8 bool int8lt;< interval interval bool interval_lt;< jsonb jsonb bool 
jsonb_lt;< numeric numeric bool numeric_lt;< text text bool text_lt;< time time bool time_lt;< timestamp date 
bool timestamp_lt_date;< timestamp timestamp bool timestamp_lt;< timestamp timestamptz bool 
timestamp_lt_timestamptz;< timestamptz date bool timestamptz_lt_date;< timestamptz timestamp bool 
timestamptz_lt_timestamp;< timestamptz timestamptz bool timestamptz_lt;< uuid uuid bool uuid_lt;<< int2 int4 
int2 int2shl;<< int4 int4 int4 int4shl;<< int8 int4 int8 int8shl;<= bool bool bool boolle;<= bpchar bpchar bool 
bpcharle;<= bytea bytea bool byteale;<= date date bool date_le;<= date timestamp bool date_le_timestamp;<= date 
timestamptz bool date_le_timestamptz;<= float4 float4 bool float4le;<= float4 float8 bool float48le;<= float8 
float4 bool float84le;<= float8 float8 bool float8le;<= int2 int2 bool int2le;<= int2 int4 bool int24le;<= int2 
int8 bool int28le;<= int4 int2 bool int42le;<= int4 int4 bool int4le;<= int4 int8 bool int48le;<= int8 int2 
bool int82le;<= int8 int4 bool int84le;<= int8 int8 bool int8le;<= interval interval bool interval_le;<= jsonb 
jsonb bool jsonb_le;<= numeric numeric bool numeric_le;<= text text bool text_le;<= time time bool time_le;<= 
timestamp date bool timestamp_le_date;<= timestamp timestamp bool timestamp_le;<= timestamp timestamptz bool 
timestamp_le_timestamptz;<= timestamptz date bool timestamptz_le_date;<= timestamptz timestamp bool 
timestamptz_le_timestamp;<= timestamptz timestamptz bool timestamptz_le;<= uuid uuid bool uuid_le;<> bool bool 
bool boolne;<> bpchar bpchar bool bpcharne;<> bytea bytea bool byteane;<> date date bool date_ne;<> date 
timestamp bool date_ne_timestamp;<> date timestamptz bool date_ne_timestamptz;<> float4 float4 bool float4ne;<> 
float4 float8 bool float48ne;<> float8 float4 bool float84ne;<> float8 float8 bool float8ne;<> int2 int2 bool 
int2ne;<> int2 int4 bool int24ne;<> int2 int8 bool int28ne;<> int4 int2 bool int42ne;<> int4 int4 bool 
int4ne;<> int4 int8 bool int48ne;<> int8 int2 bool int82ne;<> int8 int4 bool int84ne;<> int8 int8 bool 
int8ne;<> interval interval bool interval_ne;<> jsonb jsonb bool jsonb_ne;<> numeric numeric bool numeric_ne;<> 
text text bool textne;<> time time bool time_ne;<> timestamp date bool timestamp_ne_date;<> timestamp timestamp 
bool timestamp_ne;<> timestamp timestamptz bool timestamp_ne_timestamptz;<> timestamptz date bool 
timestamptz_ne_date;<> timestamptz timestamp bool timestamptz_ne_timestamp;<> timestamptz timestamptz bool 
timestamptz_ne;<> uuid uuid bool uuid_ne;<@ jsonb jsonb bool jsonb_contained;= bool bool bool booleq;= bpchar 
bpchar bool bpchareq;= bytea bytea bool byteaeq;= date date bool date_eq;= date timestamp bool 
date_eq_timestamp;= date timestamptz bool date_eq_timestamptz;= float4 float4 bool float4eq;= float4 float8 
bool float48eq;= float8 float4 bool float84eq;= float8 float8 bool float8eq;= int2 int2 bool int2eq;= int2 int4 
bool int24eq;= int2 int8 bool int28eq;= int4 int2 bool int42eq;= int4 int4 bool int4eq;= int4 int8 bool 
int48eq;= int8 int2 bool int82eq;= int8 int4 bool int84eq;= int8 int8 bool int8eq;= interval interval bool 
interval_eq;= jsonb jsonb bool jsonb_eq;= numeric numeric bool numeric_eq;= text text bool texteq;= time time 
bool time_eq;= timestamp date bool timestamp_eq_date;= timestamp timestamp bool timestamp_eq;= timestamp 
timestamptz bool timestamp_eq_timestamptz;= timestamptz date bool timestamptz_eq_date;= timestamptz timestamp 
bool timestamptz_eq_timestamp;= timestamptz timestamptz bool timestamptz_eq;= uuid uuid bool uuid_eq;> bool 
bool bool boolgt;> bpchar bpchar bool bpchargt;> bytea bytea bool byteagt;> date date bool date_gt;> date 
timestamp bool date_gt_timestamp;> date timestamptz bool date_gt_timestamptz;> float4 float4 bool float4gt;> 
float4 float8 bool float48gt;> float8 float4 bool float84gt;> float8 float8 bool float8gt;> int2 int2 bool 
int2gt;> int2 int4 bool int24gt;> int2 int8 bool int28gt;> int4 int2 bool int42gt;> int4 int4 bool int4gt;> 
int4 int8 bool int48gt;> int8 int2 bool int82gt;> int8 int4 bool int84gt;> int8 int8 bool int8gt;> interval 
interval bool interval_gt;> jsonb jsonb bool jsonb_gt;> numeric numeric bool numeric_gt;> text text bool 
text_gt;> time time bool time_gt;> timestamp date bool timestamp_gt_date;> timestamp timestamp bool 
timestamp_gt;> timestamp timestamptz bool timestamp_gt_timestamptz;> timestamptz date bool 
timestamptz_gt_date;> timestamptz timestamp bool timestamptz_gt_timestamp;> timestamptz timestamptz bool 
timestamptz_gt;> uuid uuid bool uuid_gt;>= bool bool bool boolge;>= bpchar bpchar bool bpcharge;>= bytea bytea 
bool byteage;>= date date bool date_ge;>= date timestamp bool date_ge_timestamp;>= date timestamptz bool 
date_ge_timestamptz;>= float4 float4 bool float4ge;>= float4 float8 bool float48ge;>= float8 float4 bool 
float84ge;>= float8 float8 bool float8ge;>= int2 int2 bool int2ge;>= int2 int4 bool int24ge;>= int2 int8 bool 
int28ge;>= int4 int2 bool int42ge;>= int4 int4 bool int4ge;>= int4 int8 bool int48ge;>= int8 int2 bool 
int82ge;>= int8 int4 bool int84ge;>= int8 int8 bool int8ge;>= interval interval bool interval_ge;>= jsonb jsonb 
bool jsonb_ge;>= numeric numeric bool numeric_ge;>= text text bool text_ge;>= time time bool time_ge;>= 
timestamp date bool timestamp_ge_date;>= timestamp timestamp bool timestamp_ge;>= timestamp timestamptz bool 
timestamp_ge_timestamptz;>= timestamptz date bool timestamptz_ge_date;>= timestamptz timestamp bool 
timestamptz_ge_timestamp;>= timestamptz timestamptz bool timestamptz_ge;>= uuid uuid bool uuid_ge;>> int2 int4 
int2 int2shr;>> int4 int4 int4 int4shr;>> int8 int4 int8 int8shr;? jsonb text bool jsonb_exists;@ - float4 
float4 float4abs;@ - float8 float8 float8abs;@ - int2 int2 int2abs;@ - int4 int4 int4abs;@ - int8 int8 
int8abs;@ - numeric numeric numeric_abs;@> jsonb jsonb bool jsonb_contains;^ float8 float8 float8 dpow;^ 
numeric numeric numeric numeric_power;^@ text text bool starts_with;| int2 int2 int2 int2or;| int4 int4 int4 
int4or;| int8 int8 int8 int8or;|/ - float8 float8 dsqrt;|| bytea bytea bytea byteacat;|| jsonb jsonb jsonb 
jsonb_concat;|| text text text textcat;||/ - float8 float8 dcbrt;~ - int2 int2 int2not;~ - int4 int4 int4not;~ 
- int8 int8 int8not;~ bpchar text bool bpcharregexeq;~ text text bool textregexeq;~* bpchar text bool 
bpcharicregexeq;~* text text bool texticregexeq;~~ bpchar text bool bpcharlike;~~ text text bool textlike;~~* 
bpchar text bool bpchariclike;~~* text text bool texticlike;|| text anynonarray text textanycat;|| anynonarray text text anytextcat;
= oid oid bool oideq;<> oid oid bool oidne;< oid oid bool oidlt;<= oid oid bool oidle;> oid oid bool oidgt;>= oid oid bool oidge;`;

const typeNamed = (name: string): PgType => {
  if (name === 'anynonarray') return anyNonArray;
  const t = (T as Record<string, PgType>)[name];
  if (!t) throw new Error(`operator table names an unknown type ${name}`);
  return t;
};

const operators: ReadonlyMap<string, readonly Operator[]> = (() => {
  const m = new Map<string, Operator[]>();
  for (const row of operatorRows.replace(/\n/g, '').split(';')) {
    const [name, l, r, res, code] = row.trim().split(' ');
    if (!name || !l || !r || !res || !code) continue;
    const left = l === '-' ? null : typeNamed(l);
    const right = typeNamed(r);
    const op: Operator = {
      name,
      left,
      right,
      result: typeNamed(res),
      code,
      argTypes: left ? [left, right] : [right],
    };
    const key = `${left ? 'b' : 'l'}${name}`;
    if (!m.has(key)) m.set(key, []);
    m.get(key)!.push(op);
  }
  return m;
})();

export function operatorExists(name: string): boolean {
  return operators.has(`b${name}`) || operators.has(`l${name}`);
}

function describe(t: Typed): string {
  return t.type === T.unknown ? 'unknown' : formatType(t.type, -1);
}

/** Resolve `left name right` (left null: a prefix operator) and coerce the inputs to its argument types. */
export function resolveOperator(
  st: AnalyzeState,
  name: string,
  left: Typed | null,
  right: Typed,
  position?: number,
): { op: Operator; l: Typed | null; r: Typed } {
  if (left && (left.type.elem || right.type.elem)) {
    const a = resolveArrayOperator(st, name, left, right, position);
    if (a) {
      const op = {
        name,
        left: a.l.type,
        right: a.r.type,
        result: a.result,
        code: a.code,
        argTypes: [a.l.type, a.r.type],
      };
      return { op, l: a.l, r: a.r };
    }
  }
  if (left && (left.type.enumInfo || right.type.enumInfo)) {
    const en = resolveEnumComparison(st, name, left, right, position);
    if (en) {
      const op = {
        name,
        left: en.type,
        right: en.type,
        result: T.bool,
        code: en.code,
        argTypes: [en.type, en.type],
      };
      return { op, l: en.l, r: en.r };
    }
  }
  const list = operators.get(`${left ? 'b' : 'l'}${name}`) ?? [];
  const inputs = left ? [left.type, right.type] : [right.type];
  const found = selectCandidate(list, inputs);
  const shown = left ? `${describe(left)} ${name} ${describe(right)}` : `${name} ${describe(right)}`;
  if (found.length === 0) {
    if (left && unsupportedOperators.get(left.type)?.includes(name)) {
      throw new FeatureNotSupportedError(`the operator ${shown}`, {
        hint: 'PostgreSQL has it; ChorusDB does not implement it yet (docs/sql.md lists the operators it has).',
        position,
      });
    }
    throw new ChorusError('42883', `operator does not exist: ${shown}`, {
      hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.',
      position,
    });
  }
  if (found.length > 1) {
    throw new ChorusError('42725', `operator is not unique: ${shown}`, {
      hint: 'Could not choose a best candidate operator. You might need to add explicit type casts.',
      position,
    });
  }
  const op = found[0]!;
  const cast = (e: Typed, to: PgType): Typed =>
    to === anyNonArray ? e : coerce(st, e, { type: to, typmod: -1 }, 'implicit', position);
  const r = cast(right, op.right);
  const l = left && op.left ? cast(left, op.left) : null;
  return { op, l, r };
}

/** Resolve and emit `left name right` (left null: a prefix operator). */
export function applyOperator(
  st: AnalyzeState,
  name: string,
  left: Typed | null,
  right: Typed,
  position?: number,
): Typed {
  if (left?.type === T.record || right.type === T.record)
    throw new FeatureNotSupportedError('operators on a whole-row value (a record)', {
      position,
      hint: 'Compare the columns one by one; whole-row values are taken only by the JSON functions.',
    });
  const { op, l, r } = resolveOperator(st, name, left, right, position);
  return typed(emit(st, op, l, r), op.result, -1, {
    hasAggregate: (left?.hasAggregate ?? false) || right.hasAggregate,
    hasWindow: (left?.hasWindow ?? false) || right.hasWindow,
  });
}

const intBits = (t: PgType): number => (t === T.int2 ? 16 : t === T.int4 ? 32 : 64);

const comparison: Record<string, string> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};

/** The comparison in an oprcode (int48lt → '<'), or null. */
function comparisonOf(code: string): string | null {
  if (code.includes('regex') || code.includes('like')) return null;
  const m = /(eq|ne|lt|le|gt|ge)(?:_[a-z]+)?$/.exec(code);
  if (!m) return null;
  if (
    /^(int|float|numeric_|text|bpchar|bool|bytea|date_|timestamp|time_|interval_|uuid_|jsonb_|oid|enum_)/.test(
      code,
    )
  ) {
    return comparison[m[1]!]!;
  }
  return null;
}

function emit(st: AnalyzeState, op: Operator, l: Typed | null, r: Typed): string {
  const code = op.code;
  if (code.startsWith('array_') && l) return emitArrayOperator(st, op.name, code, l, r);
  const cmp = comparisonOf(code);
  if (cmp && l) return compareSql(st, l, cmp, r);
  const a = l?.sql ?? '';
  const b = r.sql;
  const tz = (): string => st.marker({ kind: 'timezone' });
  // integers
  if (/^int\d*(pl|mi|mul)$/.test(code) && op.result !== T.date) {
    const sym = code.endsWith('pl') ? '+' : code.endsWith('mi') ? '-' : '*';
    return `pg_int_check(${a} ${sym} ${b}, ${intBits(op.result)})`;
  }
  if (/^int\d*div$/.test(code)) return `pg_int_div(${a}, ${b}, ${intBits(op.result)})`;
  if (/^int\dmod$/.test(code)) return `pg_int_mod(${a}, ${b})`;
  if (/^int\dum$/.test(code)) return `pg_int_check(-(${b}), ${intBits(op.result)})`;
  if (/^int\dup$/.test(code) || /^float\dup$/.test(code) || code === 'numeric_uplus') return b;
  if (/^int\dabs$/.test(code)) return `pg_int_check(abs(${b}), ${intBits(op.result)})`;
  if (/^int\dand$/.test(code)) return `(${a} & ${b})`;
  if (/^int\dor$/.test(code)) return `(${a} | ${b})`;
  if (/^int\dxor$/.test(code)) return `pg_int_xor(${a}, ${b})`;
  if (/^int\dnot$/.test(code)) return `(~${b})`;
  if (/^int\dshl$/.test(code)) return `pg_int_shift(${a}, ${b}, ${intBits(op.result)}, 1)`;
  if (/^int\dshr$/.test(code)) return `pg_int_shift(${a}, ${b}, ${intBits(op.result)}, 0)`;
  // floats
  const fl = /^float(\d)(\d)?(pl|mi|mul|div)$/.exec(code);
  if (fl) return `pg_float_arith('${fl[3]}', ${a}, ${b}, ${op.result === T.float4 ? 32 : 64})`;
  if (/^float\dum$/.test(code)) return `pg_float_arith('um', 0, ${b}, 64)`;
  if (/^float\dabs$/.test(code)) return `pg_float_arith('abs', 0, ${b}, 64)`;
  if (code === 'dpow') return `pg_float_fn('pow', ${a}, ${b})`;
  if (code === 'dsqrt') return `pg_float_fn('sqrt', ${b}, NULL)`;
  if (code === 'dcbrt') return `pg_float_fn('cbrt', ${b}, NULL)`;
  // numeric
  const nm: Record<string, string> = {
    numeric_add: 'add',
    numeric_sub: 'sub',
    numeric_mul: 'mul',
    numeric_div: 'div',
    numeric_mod: 'mod',
    numeric_power: 'power',
  };
  if (nm[code]) return `pg_numeric_${nm[code]}(${a}, ${b})`;
  if (code === 'numeric_uminus') return `pg_numeric_neg(${b})`;
  if (code === 'numeric_abs') return `pg_numeric_abs(${b})`;
  // strings
  if (code === 'textcat') return `(${a} || ${b})`;
  if (code === 'textanycat') return `(${a} || ${textOf(st, r)})`;
  if (code === 'anytextcat') return `(${textOf(st, l!)} || ${b})`;
  if (code === 'byteacat') return `pg_bytea_cat(${a}, ${b})`;
  if (code === 'textlike' || code === 'bpcharlike') return `(${a} LIKE ${b} ESCAPE '\\')`;
  if (code === 'textnlike' || code === 'bpcharnlike') return `(${a} NOT LIKE ${b} ESCAPE '\\')`;
  if (code === 'texticlike' || code === 'bpchariclike')
    return `(pg_lower(${a}) LIKE pg_lower(${b}) ESCAPE '\\')`;
  if (code === 'texticnlike' || code === 'bpcharicnlike')
    return `(pg_lower(${a}) NOT LIKE pg_lower(${b}) ESCAPE '\\')`;
  const re = /^(?:text|bpchar)(ic)?regex(eq|ne)$/.exec(code);
  if (re) return `pg_regex_match(${a}, ${b}, ${re[1] ? 1 : 0}, ${re[2] === 'eq' ? 1 : 0})`;
  if (code === 'starts_with') return `pg_starts_with(${a}, ${b})`;
  // json
  if (/^jsonb?_(object_field|array_element)(_text)?$/.test(code)) {
    const asText = code.endsWith('_text') ? 1 : 0;
    return `pg_json_get(${a}, ${b}, ${asText}, ${op.left === T.jsonb ? 1 : 0})`;
  }
  if (code === 'jsonb_contains') return `pg_jsonb_contains(${a}, ${b})`;
  if (code === 'jsonb_contained') return `pg_jsonb_contains(${b}, ${a})`;
  if (code === 'jsonb_exists') return `pg_jsonb_exists(${a}, ${b})`;
  if (code === 'jsonb_concat') return `pg_jsonb_concat(${a}, ${b})`;
  if (code === 'jsonb_delete') return `pg_jsonb_delete(${a}, ${b})`;
  // dates and times: the runtime's datetime functions (named after PostgreSQL's oprcode)
  // Functions that need the session's TimeZone: month and day steps of timestamptz arithmetic.
  const zoned =
    code === 'timestamptz_pl_interval' ||
    code === 'timestamptz_mi_interval' ||
    code === 'interval_pl_timestamptz';
  if (code === 'date_pli') return `pg_date_pli(${a}, ${b})`;
  if (code === 'integer_pl_date') return `pg_date_pli(${b}, ${a})`;
  if (code === 'date_mii') return `pg_date_mii(${a}, ${b})`;
  if (code === 'date_mi') return `pg_date_mi(${a}, ${b})`;
  if (code === 'interval_um') return `pg_interval_um(${b})`;
  if (code.startsWith('interval_pl_')) {
    // interval + x is x + interval
    const other = code.slice('interval_pl_'.length);
    const fn =
      other === 'date' ? 'date_pl_interval' : other === 'time' ? 'time_pl_interval' : `${other}_pl_interval`;
    return zoned ? `pg_${fn}(${b}, ${a}, ${tz()})` : `pg_${fn}(${b}, ${a})`;
  }
  if (code === 'mul_d_interval') return `pg_interval_mul(${b}, ${a})`;
  if (code === 'datetime_pl') return `pg_date_pl_time(${a}, ${b})`;
  if (code === 'timedate_pl') return `pg_date_pl_time(${b}, ${a})`;
  return zoned ? `pg_${code}(${a}, ${b}, ${tz()})` : l ? `pg_${code}(${a}, ${b})` : `pg_${code}(${b})`;
}

/** A value of any type as text, for text || anything (its output function). */
function textOf(st: AnalyzeState, e: Typed): string {
  return coerce(st, e, { type: T.text, typmod: -1 }, 'explicit').sql;
}

/** Operators PostgreSQL has for a left operand type and ChorusDB does not: 0A000, not 42883. */
const unsupportedOperators: ReadonlyMap<PgType, readonly string[]> = new Map([
  [T.jsonb, ['#>', '#>>', '?|', '?&', '#-', '@?', '@@']],
  [T.json, ['#>', '#>>']],
  // Text search (tsvector @@ tsquery): `'a' @@ 'b'` resolves to it in PostgreSQL.
  [T.unknown, ['@@']],
  [T.text, ['@@']],
]);
