// Admin relations and functions named in a token-path statement (`replicate.x`, `pg_catalog.x`,
// `pg_replication_*`): rewritten into SQL the admin connection runs, or a direct replicate.f(...) call.

import type { AdminRegistry, AdminType, AdminValue } from '../../admin/registry.js';
import { FeatureNotSupportedError, UndefinedFunctionError, UndefinedTableError } from '../../errors.js';
import { isKeyword, isTrivia, type Token } from '../../sql/lexer.js';
import type { AdminArg, Route } from './prepared.js';

/** Position of each admin reference (`replicate.x`, `pg_catalog.x`, `pg_replication_*`) in the significant tokens. */
interface AdminRef {
  start: number;
  end: number; // index after the name token
  /** Full relation name, lowercase: 'replicate.status', 'pg_catalog.pg_type', 'pg_replication_status'. */
  name: string;
  /** The short name after the schema. */
  short: string;
  isReplicate: boolean;
}

const adminSchemas = new Set(['REPLICATE', 'PG_CATALOG']);

function findAdminRefs(sig: Token[], registry: AdminRegistry): AdminRef[] {
  const refs: AdminRef[] = [];
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (
      t.kind === 'ident' &&
      adminSchemas.has(t.value) &&
      sig[i + 1]?.kind === 'dot' &&
      (sig[i + 2]?.kind === 'ident' || sig[i + 2]?.kind === 'qident') &&
      sig[i - 1]?.kind !== 'dot'
    ) {
      const n = sig[i + 2]!;
      const short = (n.kind === 'qident' ? n.value : n.text).toLowerCase();
      const name = `${t.value.toLowerCase()}.${short}`;
      // pg_catalog relations we do not provide are left to SQLite (which reports them missing).
      if (t.value === 'PG_CATALOG' && !registry.views.has(name)) continue;
      refs.push({ start: i, end: i + 3, name, short, isReplicate: t.value === 'REPLICATE' });
      i += 2;
    } else if (t.kind === 'ident' && t.value.startsWith('PG_REPLICATION_') && sig[i - 1]?.kind !== 'dot') {
      const name = t.text.toLowerCase();
      refs.push({ start: i, end: i + 1, name, short: name, isReplicate: false });
    }
  }
  return refs;
}

function literalArg(tokens: Token[]): AdminArg {
  const [a, b] = tokens;
  if (tokens.length === 1 && a) {
    if (a.kind === 'string') return { value: a.value };
    if (a.kind === 'number') return { value: /^[0-9]+$/.test(a.text) ? BigInt(a.text) : Number(a.text) };
    if (isKeyword(a, 'TRUE')) return { value: true };
    if (isKeyword(a, 'FALSE')) return { value: false };
    if (isKeyword(a, 'NULL')) return { value: null };
    if (a.kind === 'param' && a.text.startsWith('$')) return { param: Number(a.text.slice(1)) };
  }
  if (tokens.length === 2 && a?.kind === 'op' && a.text === '-' && b?.kind === 'number') {
    return { value: -Number(b.text) };
  }
  throw new FeatureNotSupportedError('expressions as replicate.* function arguments', {
    hint: 'Pass literals, $n parameters, or name => literal.',
  });
}

/** Parse `( a, b, name => c )` starting at sig[open] (the '('); returns args and the index after ')'. */
function parseCallArgs(
  sig: Token[],
  open: number,
): { positional: AdminArg[]; named: Map<string, AdminArg>; next: number } {
  const positional: AdminArg[] = [];
  const named = new Map<string, AdminArg>();
  let depth = 0;
  let current: Token[] = [];
  let i = open;
  const flush = (): void => {
    if (current.length === 0) return;
    const [n, arrow] = current;
    if (n && (n.kind === 'ident' || n.kind === 'qident') && arrow?.kind === 'op' && arrow.text === '=>') {
      const key = (n.kind === 'qident' ? n.value : n.text).toLowerCase();
      if (named.has(key)) throw new UndefinedFunctionError(`argument "${key}" given twice`);
      named.set(key, literalArg(current.slice(2)));
    } else {
      if (named.size > 0) throw new UndefinedFunctionError('positional argument after a named argument');
      positional.push(literalArg(current));
    }
    current = [];
  };
  for (; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind === 'lparen') {
      depth++;
      if (depth === 1) continue;
    } else if (t.kind === 'rparen') {
      depth--;
      if (depth === 0) {
        flush();
        return { positional, named, next: i + 1 };
      }
    } else if (t.kind === 'comma' && depth === 1) {
      flush();
      continue;
    }
    current.push(t);
  }
  throw new UndefinedFunctionError('unterminated argument list');
}

const tableFollowers = new Set([
  'WHERE',
  'JOIN',
  'LEFT',
  'RIGHT',
  'FULL',
  'INNER',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'GROUP',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'HAVING',
  'WINDOW',
  'OUTER',
]);

function needsAlias(next: Token | undefined): boolean {
  if (!next) return true;
  if (next.kind === 'qident') return false;
  if (next.kind === 'ident') return tableFollowers.has(next.value);
  return true;
}

/** Rewrite admin relation references into SQL SQLite can run on the admin connection. */
export function rewriteAdmin(
  tokens: Token[],
  registry: AdminRegistry,
): { tokens: Token[]; onAdmin: boolean; viewColumnTypes: Map<string, AdminType> | null } {
  const sigIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (!isTrivia(t)) sigIdx.push(i);
  });
  const sig = sigIdx.map((i) => tokens[i]!);
  const refs = findAdminRefs(sig, registry);
  if (refs.length === 0) return { tokens, onAdmin: false, viewColumnTypes: null };
  let onAdmin = false;
  let viewColumnTypes: Map<string, AdminType> | null = null;
  const replaced = new Map<number, string>(); // token index -> replacement text ('' removes)
  for (const ref of refs) {
    const view = registry.views.get(ref.name);
    const fn = ref.isReplicate && !view ? registry.functions.get(ref.short) : undefined;
    let text: string;
    let end = ref.end;
    if (view?.kind === 'sql') {
      text = `(${view.sql})`;
      viewColumnTypes ??= new Map();
      for (const c of view.columns) viewColumnTypes.set(c.name, c.type);
    } else if (view) {
      text = `"${ref.name}"`;
      onAdmin = true;
    } else if (fn) {
      if (fn.mutates) {
        throw new FeatureNotSupportedError(`replicate.${fn.name}() inside a larger query`, {
          hint: `Call it on its own: SELECT replicate.${fn.name}(...)`,
        });
      }
      onAdmin = true;
      text = `"replicate.${fn.name}"`;
      if (sig[end]?.kind === 'lparen') {
        const args = parseCallArgs(sig, end);
        const bound = registry.bindArguments(
          fn,
          args.positional.map((a) => ('value' in a ? a.value : null)),
          new Map([...args.named].map(([k, a]) => [k, 'value' in a ? a.value : null])),
        );
        if ([...args.positional, ...args.named.values()].some((a) => 'param' in a)) {
          throw new FeatureNotSupportedError('parameters as arguments of replicate.* inside a larger query');
        }
        text += `(${bound.map(sqlLiteral).join(', ')})`;
        end = args.next;
      } else text += '()';
    } else {
      throw new UndefinedTableError(ref.name, {
        hint: `Known: ${[...registry.views.keys(), ...[...registry.functions.keys()].map((n) => `replicate.${n}`)].join(', ')}`,
      });
    }
    const prevSig = sig[ref.start - 1];
    const inFrom = prevSig !== undefined && (isKeyword(prevSig, 'FROM', 'JOIN') || prevSig.kind === 'comma');
    if (inFrom && needsAlias(sig[end])) text += ` AS "${ref.short}"`;
    replaced.set(sigIdx[ref.start]!, text);
    for (let k = sigIdx[ref.start]! + 1; k < (sigIdx[end] ?? tokens.length); k++) replaced.set(k, '');
  }
  const out = tokens.map((t, i) => (replaced.has(i) ? { ...t, text: replaced.get(i)! } : t));
  return { tokens: out, onAdmin, viewColumnTypes };
}

function sqlLiteral(v: AdminValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return String(v);
}

/** Is the whole statement `SELECT replicate.f(...)` or `SELECT * FROM replicate.f(...)`? */
export function directCall(sig: Token[], registry: AdminRegistry): Route | null {
  let i: number;
  if (isKeyword(sig[0], 'SELECT') && isKeyword(sig[1], 'REPLICATE')) i = 1;
  else if (
    isKeyword(sig[0], 'SELECT') &&
    sig[1]?.text === '*' &&
    isKeyword(sig[2], 'FROM') &&
    isKeyword(sig[3], 'REPLICATE')
  )
    i = 3;
  else return null;
  if (sig[i + 1]?.kind !== 'dot' || sig[i + 3]?.kind !== 'lparen') return null;
  const nameTok = sig[i + 2]!;
  const name = (nameTok.kind === 'qident' ? nameTok.value : nameTok.text).toLowerCase();
  const fn = registry.functions.get(name);
  if (!fn) {
    if (registry.views.has(`replicate.${name}`)) return null;
    throw new UndefinedFunctionError(`function replicate.${name}() does not exist`, {
      hint: `Known functions: ${[...registry.functions.keys()].map((n) => `replicate.${n}`).join(', ')}`,
    });
  }
  const args = parseCallArgs(sig, i + 3);
  // Optional alias after the call: SELECT replicate.f(...) AS x / SELECT replicate.f(...) x
  const n = args.next;
  const aliased =
    (isKeyword(sig[n], 'AS') && n + 2 === sig.length) ||
    (n + 1 === sig.length && (sig[n]?.kind === 'ident' || sig[n]?.kind === 'qident'));
  if (n !== sig.length && !aliased) return null;
  if (aliased) {
    const a = isKeyword(sig[n], 'AS') ? sig[n + 1]! : sig[n]!;
    const alias = a.kind === 'qident' ? a.value : a.text;
    return { type: 'admin-call', fn, positional: args.positional, named: args.named, alias };
  }
  return { type: 'admin-call', fn, positional: args.positional, named: args.named };
}
