// The json and jsonb codecs: json keeps the text as given (validated), jsonb its normal form
// (json.ts). Binary jsonb is a version byte (1) and the text.

import { ChorusError } from '../../errors.js';
import type { StorageValue, TypeCodec } from './codec.js';
import { jsonbInput, jsonInput } from './json.js';

const jsonbBinaryVersion = 1;

function text(v: StorageValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

export const jsonCodec: TypeCodec = {
  input: (t) => jsonInput(t),
  output: (v) => text(v),
  toBinary: (v) => Buffer.from(text(v), 'utf8'),
  fromBinary: (b) => jsonInput(b.toString('utf8')),
};

export const jsonbCodec: TypeCodec = {
  input: (t) => jsonbInput(t),
  output: (v) => text(v),
  toBinary: (v) => Buffer.concat([Buffer.of(jsonbBinaryVersion), Buffer.from(text(v), 'utf8')]),
  fromBinary: (b) => {
    if (b[0] !== jsonbBinaryVersion)
      throw new ChorusError('22P03', `unsupported jsonb version number ${b[0]}`);
    return jsonbInput(b.subarray(1).toString('utf8'));
  },
};
