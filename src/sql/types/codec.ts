// The shape of a type codec (values.ts keeps one per type) and the storage values it works on.

/** A value as SQLite stores it. */
export type StorageValue = null | bigint | number | string | Uint8Array;

/** Session values some types need for input and output. */
export interface ValueEnv {
  /** TimeZone setting (IANA name or offset). */
  timeZone: string;
  /** The transaction's start time, µs since the epoch (for 'now', 'today', ...). */
  nowUs: bigint;
}

export const defaultEnv: ValueEnv = Object.freeze({ timeZone: 'UTC', nowUs: 0n });

export interface TypeCodec {
  /** The input function: text → storage value (typmod -1: none). Bad text → 22P02 and friends. */
  input(text: string, typmod: number, env: ValueEnv): StorageValue;
  /** The output function: storage value → text. */
  output(v: StorageValue, typmod: number, env: ValueEnv): string;
  /** Apply a typmod to a stored value (explicit casts may truncate where assignment fails). */
  typmod?(v: StorageValue, typmod: number, explicit: boolean): StorageValue;
  /** Binary send/receive. */
  toBinary(v: StorageValue, env: ValueEnv): Buffer;
  fromBinary(b: Buffer, typmod: number, env: ValueEnv): StorageValue;
}
