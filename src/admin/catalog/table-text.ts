// What the catalog reads from a table's stored CREATE TABLE text, which SQLite's pragmas do not
// report: constraint names, each foreign key's DEFERRABLE / INITIALLY DEFERRED, CHECK expressions.
import { isKeyword, isTrivia, tokenize } from '../../sql/lexer.js';
import { parseTableDef, type TableDef } from '../../storage/tables/table-def.js';

const unquote = (s: string): string => s.replaceAll('""', '"');

/**
 * The names a CREATE TABLE text gives its primary key, unique constraints (by columns) and foreign
 * keys (in order), and each foreign key's DEFERRABLE / INITIALLY DEFERRED (SQLite keeps them in the
 * text only: pragma_foreign_key_list does not report them).
 */
export function constraintNames(createSql: string): {
  primary: string | null;
  unique: Map<string, string>;
  foreign: string[];
  foreignTiming: { deferrable: boolean; deferred: boolean }[];
} {
  const primary = /CONSTRAINT\s+"((?:[^"]|"")+)"\s+PRIMARY KEY/.exec(createSql)?.[1] ?? null;
  const unique = new Map<string, string>();
  for (const m of createSql.matchAll(/CONSTRAINT\s+"((?:[^"]|"")+)"\s+UNIQUE\s*\(([^)]*)\)/g)) {
    const columns = [...m[2]!.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][\w$]*)/g)].map((c) =>
      c[1] !== undefined ? unquote(c[1]) : c[2]!.toLowerCase(),
    );
    unique.set(columns.join(','), unquote(m[1]!));
  }
  const foreign = [...createSql.matchAll(/CONSTRAINT\s+"((?:[^"]|"")+)"\s+FOREIGN KEY/g)].map((m) =>
    unquote(m[1]!),
  );
  return {
    primary: primary === null ? null : unquote(primary),
    unique,
    foreign,
    foreignTiming: foreignKeyTiming(createSql),
  };
}

/** DEFERRABLE / INITIALLY DEFERRED of each foreign key of a CREATE TABLE text, in order. */
function foreignKeyTiming(createSql: string): { deferrable: boolean; deferred: boolean }[] {
  let def: TableDef;
  try {
    def = parseTableDef(createSql);
  } catch {
    return [];
  }
  return def.constraints
    .filter((c) => c.kind === 'foreign')
    .map((c) => {
      const words = tokenize(c.body).filter((t) => !isTrivia(t));
      let deferrable = false;
      let deferred = false;
      words.forEach((t, i) => {
        if (isKeyword(t, 'DEFERRABLE') && !isKeyword(words[i - 1], 'NOT')) deferrable = true;
        if (isKeyword(t, 'DEFERRED') && isKeyword(words[i - 1], 'INITIALLY')) deferred = true;
      });
      return { deferrable, deferred };
    });
}

/** CHECK constraints of a CREATE TABLE text, in order: `CONSTRAINT "n" CHECK (...) /* pg: text *\/`. */
export function checksOf(createSql: string): { name: string; expression: string }[] {
  const out: { name: string; expression: string }[] = [];
  const re = /CONSTRAINT\s+"((?:[^"]|"")+)"\s+CHECK\s*\(/g;
  for (const m of createSql.matchAll(re)) {
    const after = createSql.slice(m.index! + m[0].length);
    const c = /\/\* pg: ([\s\S]*?) \*\//.exec(after);
    const next = after.search(/CONSTRAINT\s+"/);
    const expression = c && (next < 0 || c.index < next) ? c[1]!.replaceAll('*\\/', '*/') : null;
    out.push({
      name: m[1]!.replaceAll('""', '"'),
      expression: expression ?? '',
    });
  }
  return out;
}
