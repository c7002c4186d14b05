// JSON as PostgreSQL keeps it: json is the text as given (validated), jsonb a normal form — keys
// sorted (shorter first, then byte order) and deduplicated (the last wins), numbers as numeric
// prints them, PostgreSQL's spacing. Numbers are parsed without loss (their text is kept).

import { ChorusError } from '../../errors.js';
import { numericToText, parseNumeric } from './numeric/numeric.js';

export type JsonValue = (
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: JsonValue[] }
  | { kind: 'object'; entries: [string, JsonValue][] }
) & {
  /** Where the value was in the parsed text (json's operators return the text as written). */
  span?: [number, number];
};

/** Depth limit of nested arrays and objects (PostgreSQL's stack depth check, as a count). */
export const jsonDepthMax = 6400;

function syntaxError(type: string, _text: string, detail: string): ChorusError {
  return new ChorusError('22P02', `invalid input syntax for type ${type}`, { detail });
}

/**
 * Parse JSON text; numbers keep their text. `type` names json or jsonb in errors. `deEscape`
 * false: json's input check only, which (as PostgreSQL's) takes \u0000 and lone surrogates; a
 * string read out of JSON (jsonb, the operators) refuses them.
 */
export function parseJson(text: string, type = 'json', deEscape = true): JsonValue {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const token = (): string => {
    const m = /^[^\s,:[\]{}"]+|^./.exec(text.slice(i, i + 64));
    return m ? m[0] : '';
  };
  // PostgreSQL's lexer: a number runs to the next delimiter; any other bad token is a run of
  // letters and digits, or one character.
  const badToken = (): string => {
    if (/^[-0-9]/.test(text.slice(i, i + 1))) return token();
    const m = /^[A-Za-z0-9_$\u0080-\uffff]+|^./.exec(text.slice(i, i + 64));
    return m ? m[0] : '';
  };
  const isToken = (): boolean =>
    /^(?:[{}[\],:"]|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])|(?:true|false|null)(?!\w))/.test(
      text.slice(i, i + 400),
    );
  const unexpected = (expected: string): ChorusError =>
    isToken()
      ? syntaxError(type, text, `Expected ${expected}, but found "${token()}".`)
      : syntaxError(type, text, `Token "${badToken()}" is invalid.`);
  const value = (depth: number): JsonValue => {
    if (depth > jsonDepthMax) throw new ChorusError('54001', 'stack depth limit exceeded');
    ws();
    const start = i;
    const v = bare(depth);
    v.span = [start, i];
    return v;
  };
  const bare = (depth: number): JsonValue => {
    const c = text[i];
    if (c === undefined) throw syntaxError(type, text, 'The input string ended unexpectedly.');
    if (c === '{') {
      i++;
      const entries: [string, JsonValue][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (let first = true; ; first = false) {
        ws();
        if (text[i] !== '"') throw unexpected(first ? 'string or "}"' : 'string');
        const key = string();
        ws();
        if (text[i] !== ':') throw syntaxError(type, text, `Expected ":", but found "${token()}".`);
        i++;
        entries.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries };
        }
        throw syntaxError(type, text, `Expected "," or "}", but found "${token()}".`);
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items };
        }
        throw syntaxError(type, text, `Expected "," or "]", but found "${token()}".`);
      }
    }
    if (c === '"') return { kind: 'string', value: string() };
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (m && m[0].length > 0 && !/^[\w.]/.test(text.slice(i + m[0].length, i + m[0].length + 1))) {
      i += m[0].length;
      return { kind: 'number', text: m[0] };
    }
    for (const [word, v] of [
      ['true', { kind: 'bool', value: true }],
      ['false', { kind: 'bool', value: false }],
      ['null', { kind: 'null' }],
    ] as const) {
      if (text.startsWith(word, i) && !/[\w]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return { ...v };
      }
    }
    throw unexpected('JSON value');
  };
  const string = (): string => {
    const open = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw syntaxError(type, text, `Token "${text.slice(open)}" is invalid.`);
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ')
        throw syntaxError(
          type,
          text,
          `Character with value 0x${c.charCodeAt(0).toString(16).padStart(2, '0')} must be escaped.`,
        );
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex))
            throw syntaxError(type, text, '"\\u" must be followed by four hexadecimal digits.');
          const code = Number.parseInt(hex, 16);
          i += 4;
          if (!deEscape) break;
          if (code === 0)
            throw new ChorusError('22P05', 'unsupported Unicode escape sequence', {
              detail: '\\u0000 cannot be converted to text.',
            });
          if (code >= 0xdc00 && code <= 0xdfff)
            throw syntaxError(type, text, 'Unicode low surrogate must follow a high surrogate.');
          if (code >= 0xd800 && code <= 0xdbff) {
            const low = /^\\u([0-9a-fA-F]{4})/.exec(text.slice(i, i + 6));
            const lowCode = low ? Number.parseInt(low[1]!, 16) : -1;
            if (lowCode >= 0xd800 && lowCode <= 0xdbff)
              throw syntaxError(type, text, 'Unicode high surrogate must not follow a high surrogate.');
            if (lowCode < 0xdc00 || lowCode > 0xdfff)
              throw syntaxError(type, text, 'Unicode low surrogate must follow a high surrogate.');
            out += String.fromCharCode(code, lowCode);
            i += 6;
            break;
          }
          out += String.fromCharCode(code);
          break;
        }
        default:
          throw syntaxError(type, text, `Escape sequence "\\${e ?? ''}" is invalid.`);
      }
    }
  };
  const v = value(0);
  ws();
  if (i < text.length) throw syntaxError(type, text, `Expected end of input, but found "${token()}".`);
  return v;
}

/** PostgreSQL's escape_json. */
export function quoteJson(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += ch < ' ' ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
    }
  }
  return `${out}"`;
}

/** jsonb's key order: shorter keys first, then byte order. */
function keyOrder(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}

/** The jsonb normal form of a value: keys sorted and deduplicated (last wins), numbers normalized. */
export function normalizeJsonb(v: JsonValue): JsonValue {
  switch (v.kind) {
    case 'number':
      return { kind: 'number', text: numericToText(parseNumeric(v.text)) };
    case 'array':
      return { kind: 'array', items: v.items.map(normalizeJsonb) };
    case 'object': {
      const byKey = new Map<string, JsonValue>();
      for (const [k, x] of v.entries) byKey.set(k, normalizeJsonb(x));
      const entries = [...byKey.entries()].sort((a, b) => keyOrder(a[0], b[0]));
      return { kind: 'object', entries };
    }
    default:
      return v;
  }
}

/** jsonb's output text: `{"a": 1, "b": [1, 2]}`. */
export function jsonbText(v: JsonValue): string {
  switch (v.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'number':
      return v.text;
    case 'string':
      return quoteJson(v.value);
    case 'array':
      return `[${v.items.map(jsonbText).join(', ')}]`;
    case 'object':
      return `{${v.entries.map(([k, x]) => `${quoteJson(k)}: ${jsonbText(x)}`).join(', ')}}`;
  }
}

/** Compact text (json's output of values built from parts: `{"a":1}`). */
export function jsonCompactText(v: JsonValue): string {
  switch (v.kind) {
    case 'array':
      return `[${v.items.map(jsonCompactText).join(',')}]`;
    case 'object':
      return `{${v.entries.map(([k, x]) => `${quoteJson(k)}:${jsonCompactText(x)}`).join(',')}}`;
    default:
      return jsonbText(v);
  }
}

/** Text → jsonb's stored form. */
export function jsonbInput(text: string): string {
  return jsonbText(normalizeJsonb(parseJson(text, 'json')));
}

/** Text → json's stored form (validated, kept as given). */
export function jsonInput(text: string): string {
  parseJson(text, 'json', false);
  return text;
}
