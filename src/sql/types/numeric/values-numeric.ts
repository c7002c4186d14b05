// The numeric codec: PostgreSQL text and binary forms of the stored numeric BLOB (numeric-key.ts),
// and the numeric(p,s) typmod.

import { ChorusError } from '../../../errors.js';
import type { StorageValue, TypeCodec } from '../codec.js';
import { applyNumericTypmod, numericToText, parseNumeric } from './numeric.js';
import { decodeNumeric, encodeNumeric, numericFromBinary, numericToBinary } from './numeric-key.js';

function decoded(v: StorageValue) {
  if (v instanceof Uint8Array) return decodeNumeric(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  // A value stored before the numeric BLOB format (or by SQLite itself): read it as written.
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return parseNumeric(String(v));
  throw new ChorusError('XX001', 'invalid numeric value in storage');
}

export const numericCodec: TypeCodec = {
  input: (text, typmod) => encodeNumeric(parseNumeric(text, typmod)),
  output: (v) => numericToText(decoded(v)),
  typmod: (v, typmod) => encodeNumeric(applyNumericTypmod(decoded(v), typmod)),
  toBinary: (v) => numericToBinary(decoded(v)),
  fromBinary: (b, typmod) => encodeNumeric(numericFromBinary(b, typmod)),
};
