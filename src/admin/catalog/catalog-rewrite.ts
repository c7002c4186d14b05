// Rewrites of the catalog queries psql and drivers send (pg_catalog function prefixes, regclass
// casts, OPERATOR(pg_catalog.~), COLLATE pg_catalog.default) into SQL over the pg_catalog
// emulation. Owned by the catalog work; prepareStatement calls it on every statement's tokens.
//
// Works on tokens only. A statement that names no catalog relation, pg_catalog, regclass/regtype
// or OPERATOR(...) comes back as the very same array (the hot path pays one scan of its tokens).

import { isKeyword, isTrivia, quoteLiteral, type Token, tokenize } from '../../sql/lexer.js';

/** Catalog relations psql names without the pg_catalog prefix (upper case, as token values). */
export const catalogRelations: ReadonlySet<string> = new Set([
  'PG_CLASS',
  'PG_NAMESPACE',
  'PG_ATTRIBUTE',
  'PG_ATTRDEF',
  'PG_INDEX',
  'PG_CONSTRAINT',
  'PG_DATABASE',
  'PG_ROLES',
  'PG_USER',
  'PG_AUTHID',
  'PG_AUTH_MEMBERS',
  'PG_AM',
  'PG_TABLESPACE',
  'PG_DESCRIPTION',
  'PG_SHDESCRIPTION',
  'PG_INHERITS',
  'PG_PARTITIONED_TABLE',
  'PG_COLLATION',
  'PG_POLICY',
  'PG_STATISTIC_EXT',
  'PG_PUBLICATION',
  'PG_PUBLICATION_REL',
  'PG_PUBLICATION_NAMESPACE',
  'PG_TRIGGER',
  'PG_REWRITE',
  'PG_FOREIGN_TABLE',
  'PG_SEQUENCE',
  'PG_DEPEND',
  'PG_TYPE',
]);

const triggers = new Set(['PG_CATALOG', 'REGCLASS', 'REGTYPE', 'OPERATOR', ...catalogRelations]);

/** Boolean catalog columns: as bare predicates they become `col = 't'` (the views store 't'/'f'). */
const booleanColumns = new Set([
  'ATTNOTNULL',
  'ATTHASDEF',
  'ATTISDROPPED',
  'ATTISLOCAL',
  'ATTHASMISSING',
  'INDISUNIQUE',
  'INDISPRIMARY',
  'INDISCLUSTERED',
  'INDISVALID',
  'INDISREPLIDENT',
  'INDISEXCLUSION',
  'INDIMMEDIATE',
  'INDISREADY',
  'INDISLIVE',
  'RELHASINDEX',
  'RELISSHARED',
  'RELHASRULES',
  'RELHASTRIGGERS',
  'RELHASSUBCLASS',
  'RELROWSECURITY',
  'RELFORCEROWSECURITY',
  'RELISPOPULATED',
  'RELISPARTITION',
  'CONDEFERRABLE',
  'CONDEFERRED',
  'CONVALIDATED',
  'CONISLOCAL',
  'CONNOINHERIT',
  'ROLSUPER',
  'ROLINHERIT',
  'ROLCREATEROLE',
  'ROLCREATEDB',
  'ROLCANLOGIN',
  'ROLREPLICATION',
  'ROLBYPASSRLS',
  'DATISTEMPLATE',
  'DATALLOWCONN',
  'TGISINTERNAL',
  'PUBALLTABLES',
  'PUBVIAROOT',
  'INHDETACHPENDING',
  'POLPERMISSIVE',
  'TYPNOTNULL',
]);

const predicateBefore = new Set(['WHERE', 'AND', 'OR', 'NOT', 'WHEN', 'ON', 'HAVING']);
const predicateAfter = new Set(['AND', 'OR', 'THEN', 'ORDER', 'GROUP', 'LIMIT', 'HAVING', 'UNION', 'EXCEPT']);

/** Identifiers that can precede '(' without being a function name. */
const nonFunctionWords = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'WHERE',
  'ON',
  'WHEN',
  'THEN',
  'ELSE',
  'SELECT',
  'EXISTS',
  'ANY',
  'ALL',
  'AS',
  'BY',
  'FROM',
  'JOIN',
  'USING',
  'VALUES',
  'CASE',
  'IS',
  'LIKE',
]);

/** Types whose casts are dropped (SQLite is dynamically typed). */
const regexOps = new Map<string, { not: boolean; flags: string }>([
  ['~', { not: false, flags: '' }],
  ['~*', { not: false, flags: 'i' }],
  ['!~', { not: true, flags: '' }],
  ['!~*', { not: true, flags: 'i' }],
]);

export function rewriteCatalogQuery(tokens: Token[]): Token[] {
  let relevant = false;
  for (const t of tokens) {
    if (t.kind === 'ident' && triggers.has(t.value)) {
      relevant = true;
      break;
    }
  }
  if (!relevant) return tokens;
  const out = rewrite(tokens);
  return out === null ? tokens : tokenize(out);
}

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'qident');
}

function matchingCloseFrom(sig: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < sig.length; k++) {
    if (sig[k]!.kind === 'lparen') depth++;
    else if (sig[k]!.kind === 'rparen' && --depth === 0) return k;
  }
  return sig.length - 1;
}

function rewrite(tokens: Token[]): string | null {
  const sigIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (!isTrivia(t)) sigIdx.push(i);
  });
  const sig = sigIdx.map((i) => tokens[i]!);
  const repl = new Map<number, string>(); // sig index -> replacement text
  const before = new Map<number, string>();
  const after = new Map<number, string>();
  const prepend = (i: number, s: string): void => {
    before.set(i, s + (before.get(i) ?? ''));
  };
  const append = (i: number, s: string): void => {
    after.set(i, (after.get(i) ?? '') + s);
  };
  const drop = (from: number, to: number): void => {
    for (let k = from; k <= to; k++) repl.set(k, '');
  };
  let changed = false;
  // Aliases of generate_series(...) in FROM: `arr[s]` then means the series value.
  const seriesAliases = new Set<string>();
  for (let k = 0; k < sig.length; k++) {
    if (isKeyword(sig[k], 'GENERATE_SERIES') && sig[k + 1]?.kind === 'lparen') {
      let a = matchingCloseFrom(sig, k + 1) + 1;
      if (isKeyword(sig[a], 'AS')) a++;
      if (sig[a]?.kind === 'ident') seriesAliases.add(sig[a]!.value);
    }
  }

  const matchingOpen = (close: number): number => {
    let depth = 0;
    for (let k = close; k >= 0; k--) {
      if (sig[k]!.kind === 'rparen') depth++;
      else if (sig[k]!.kind === 'lparen' && --depth === 0) return k;
    }
    return close;
  };
  const matchingClose = (open: number): number => matchingCloseFrom(sig, open);
  /** First sig index of the operand ending at sig[j]. */
  const operandStart = (j: number): number => {
    const t = sig[j];
    if (!t) return j;
    if (t.kind === 'rparen') {
      let k = matchingOpen(j);
      const f = sig[k - 1];
      if (f && isName(f) && !(f.kind === 'ident' && nonFunctionWords.has(f.value))) {
        k--;
        if (sig[k - 1]?.kind === 'dot' && isName(sig[k - 2])) k -= 2;
      }
      return k;
    }
    if (isName(t)) {
      let k = j;
      while (sig[k - 1]?.kind === 'dot' && isName(sig[k - 2])) k -= 2;
      return k;
    }
    return j;
  };
  /** Last sig index of the operand starting at sig[j]. */
  const operandEnd = (j: number): number => {
    const t = sig[j];
    if (!t) return j;
    if (t.kind === 'lparen') return matchingClose(j);
    if (isName(t)) {
      let k = j;
      while (sig[k + 1]?.kind === 'dot' && isName(sig[k + 2])) k += 2;
      if (sig[k + 1]?.kind === 'lparen') return matchingClose(k + 1);
      return k;
    }
    return j;
  };
  const endsOperand = (t: Token | undefined): boolean =>
    t !== undefined &&
    (t.kind === 'string' ||
      t.kind === 'number' ||
      t.kind === 'rparen' ||
      t.kind === 'qident' ||
      (t.kind === 'ident' && !nonFunctionWords.has(t.value)));
  const regexCall = (
    left: number,
    opFrom: number,
    opTo: number,
    op: { not: boolean; flags: string },
  ): void => {
    const start = operandStart(left);
    const end = operandEnd(opTo + 1);
    prepend(start, `${op.not ? 'NOT ' : ''}regexp_match_pg(`);
    drop(opFrom, opTo);
    repl.set(opFrom, ', ');
    append(end, op.flags ? `, '${op.flags}')` : ')');
    changed = true;
  };

  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    const next = sig[i + 1];
    // OPERATOR(pg_catalog.~)
    if (
      isKeyword(t, 'OPERATOR') &&
      next?.kind === 'lparen' &&
      isKeyword(sig[i + 2], 'PG_CATALOG') &&
      sig[i + 3]?.kind === 'dot'
    ) {
      const close = matchingClose(i + 1);
      const op = sig
        .slice(i + 4, close)
        .map((x) => x.text)
        .join('');
      const rx = regexOps.get(op);
      if (rx) regexCall(i - 1, i, close, rx);
      else {
        drop(i, close);
        repl.set(i, ` ${op} `);
        changed = true;
      }
      i = close;
      continue;
    }
    // bare ~, ~*, !~, !~* between operands
    if (t.kind === 'op' && (t.text === '~' || t.text === '!') && endsOperand(sig[i - 1])) {
      let k = i;
      let op = '';
      while (
        sig[k]?.kind === 'op' &&
        ['!', '~', '*'].includes(sig[k]!.text) &&
        (k === i || sig[k]!.start === sig[k - 1]!.start + sig[k - 1]!.text.length)
      ) {
        op += sig[k]!.text;
        k++;
      }
      const rx = regexOps.get(op);
      if (rx) {
        regexCall(i - 1, i, k - 1, rx);
        i = k - 1;
        continue;
      }
    }
    // x = ANY (array) -> x IN (SELECT value FROM pg_array_elements(array))
    if (t.kind === 'op' && t.text === '=' && isKeyword(next, 'ANY') && sig[i + 2]?.kind === 'lparen') {
      const close = matchingClose(i + 2);
      repl.set(i, 'IN');
      repl.set(i + 1, '');
      repl.set(i + 2, '(SELECT value FROM pg_array_elements(');
      append(close, ')');
      changed = true;
      i += 2;
      continue;
    }
    // arr[i] -> pg_array_at(arr, i) (`[...]` lexes as a SQLite quoted name)
    if (
      t.kind === 'qident' &&
      t.text.startsWith('[') &&
      t.text !== '[]' &&
      isName(sig[i - 1]) &&
      t.start === sig[i - 1]!.start + sig[i - 1]!.text.length
    ) {
      const start = operandStart(i - 1);
      const index =
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value) && seriesAliases.has(t.value.toUpperCase())
          ? `${t.value}.value`
          : t.value;
      prepend(start, 'pg_array_at(');
      repl.set(i, `, ${index})`);
      changed = true;
      continue;
    }
    // COLLATE pg_catalog.default
    if (
      isKeyword(t, 'COLLATE') &&
      isKeyword(next, 'PG_CATALOG') &&
      sig[i + 2]?.kind === 'dot' &&
      isName(sig[i + 3])
    ) {
      drop(i, i + 3);
      changed = true;
      i += 3;
      continue;
    }
    // pg_partition_ancestors(x) WITH ORDINALITY AS a(relid, depth) -> (SELECT x AS relid, 1 AS depth) AS a
    if (
      isKeyword(t, 'PG_CATALOG') &&
      next?.kind === 'dot' &&
      isKeyword(sig[i + 2], 'PG_PARTITION_ANCESTORS')
    ) {
      const close = sig[i + 3]?.kind === 'lparen' ? matchingClose(i + 3) : -1;
      if (close > 0 && isKeyword(sig[close + 1], 'WITH') && isKeyword(sig[close + 2], 'ORDINALITY')) {
        let a = close + 3;
        if (isKeyword(sig[a], 'AS')) a++;
        if (isName(sig[a]) && sig[a + 1]?.kind === 'lparen') {
          drop(i, i + 3);
          repl.set(i, '(SELECT ');
          repl.set(close, ' AS relid, 1 AS depth)');
          drop(close + 1, close + 2);
          drop(a + 1, matchingClose(a + 1));
          changed = true;
          i += 3;
          continue;
        }
      }
    }
    // pg_catalog.f(...) -> f(...)
    if (
      isKeyword(t, 'PG_CATALOG') &&
      next?.kind === 'dot' &&
      isName(sig[i + 2]) &&
      sig[i + 3]?.kind === 'lparen'
    ) {
      drop(i, i + 1);
      changed = true;
      i += 2;
      continue;
    }
    // casts: ::[pg_catalog.]type
    if (t.kind === 'op' && t.text === '::') {
      let k = i + 1;
      if (isKeyword(sig[k], 'PG_CATALOG') && sig[k + 1]?.kind === 'dot') k += 2;
      const typeTok = sig[k];
      if (!isName(typeTok)) continue;
      let last = k;
      if (sig[last + 1]?.kind === 'lparen') last = matchingClose(last + 1);
      if (sig[last + 1]?.kind === 'qident' && sig[last + 1]!.text === '[]') last++;
      const type = typeTok!.kind === 'qident' ? typeTok!.value.toUpperCase() : typeTok!.value;
      const left = sig[i - 1];
      const start = operandStart(i - 1);
      drop(i, last);
      changed = true;
      if (type === 'REGCLASS' || type === 'REGTYPE') {
        if (left?.kind === 'string' && start === i - 1) {
          prepend(start, type === 'REGCLASS' ? 'to_regclass_oid(' : 'to_regtype_oid(');
          repl.set(i, ')');
        } else {
          prepend(start, type === 'REGCLASS' ? 'regclass_name(' : 'format_type(');
          repl.set(i, type === 'REGCLASS' ? ')' : ', NULL)');
        }
      } else if (left?.kind === 'string' && /^[0-9]+$/.test(left.value) && start === i - 1) {
        repl.set(i - 1, left.value);
      }
      i = last;
      continue;
    }
    // unqualified catalog relation
    if (
      t.kind === 'ident' &&
      catalogRelations.has(t.value) &&
      sig[i - 1]?.kind !== 'dot' &&
      next?.kind !== 'dot' &&
      next?.kind !== 'lparen'
    ) {
      repl.set(i, `pg_catalog.${t.value.toLowerCase()}`);
      changed = true;
      continue;
    }
    // '16385' (an OID psql quotes) -> 16385, unless a cast follows
    if (t.kind === 'string' && /^[0-9]+$/.test(t.value) && !(next?.kind === 'op' && next.text === '::')) {
      repl.set(i, t.value);
      changed = true;
      continue;
    }
    // E'\n' -> a plain literal holding the character
    if (t.kind === 'string' && (t.text.startsWith('E') || t.text.startsWith('e'))) {
      repl.set(i, quoteLiteral(t.value));
      changed = true;
      continue;
    }
    // SELECT true AS x -> 't' (psql compares the text)
    if (isKeyword(t, 'TRUE', 'FALSE') && isKeyword(next, 'AS')) {
      repl.set(i, t.value === 'TRUE' ? "'t'" : "'f'");
      changed = true;
      continue;
    }
    // ARRAY(SELECT x FROM ...) -> (SELECT '{' || ifnull(group_concat(x, ','), '') || '}' FROM ...)
    if (isKeyword(t, 'ARRAY') && next?.kind === 'lparen' && isKeyword(sig[i + 2], 'SELECT')) {
      const close = matchingClose(i + 1);
      let depth = 0;
      let from = -1;
      for (let k = i + 2; k < close; k++) {
        if (sig[k]!.kind === 'lparen') depth++;
        else if (sig[k]!.kind === 'rparen') depth--;
        else if (depth === 0 && isKeyword(sig[k], 'FROM')) {
          from = k;
          break;
        }
      }
      if (from > 0) {
        repl.set(i, '');
        append(i + 2, " '{' || ifnull(group_concat(");
        prepend(from, ", ','), '') || '}' ");
        changed = true;
      }
      continue;
    }
    // bare boolean column as a predicate
    if (t.kind === 'ident' && booleanColumns.has(t.value) && sig[i + 1]?.kind !== 'dot') {
      const start = operandStart(i);
      const prev = sig[start - 1];
      const beforeOk =
        prev !== undefined &&
        (prev.kind === 'lparen' || (prev.kind === 'ident' && predicateBefore.has(prev.value)));
      const afterOk =
        next === undefined ||
        next.kind === 'rparen' ||
        next.kind === 'semi' ||
        (next.kind === 'ident' && predicateAfter.has(next.value));
      if (beforeOk && afterOk && !(prev.kind === 'lparen' && isName(sig[start - 2]))) {
        append(i, " = 't'");
        changed = true;
      }
    }
  }
  if (!changed) return null;
  const sigPos = new Map<number, number>();
  sigIdx.forEach((tokIdx, s) => {
    sigPos.set(tokIdx, s);
  });
  let sql = '';
  tokens.forEach((tok, idx) => {
    const s = sigPos.get(idx);
    if (s === undefined) {
      sql += tok.text;
      return;
    }
    sql += (before.get(s) ?? '') + (repl.has(s) ? repl.get(s)! : tok.text) + (after.get(s) ?? '');
  });
  return sql;
}
