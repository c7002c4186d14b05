// Values for a front-end plan's `?`s: client parameters converted to their inferred types' storage
// form (text through the type's input function; binary already decoded by the wire layer), and
// the session values the plan asks for (transaction time, TimeZone, settings).

import { ChorusError } from '../errors.js';
import type { BindSource } from '../sql/analyze/context.js';
import type { Plan } from '../sql/analyze/statement.js';
import { isIntegerType, T, type TypeRef } from '../sql/types/pg-types.js';
import { codecFor, type StorageValue, type ValueEnv } from '../sql/types/values.js';
import { floatStorage } from '../sql/types/values-simple.js';
import type { Prepared } from './planning/prepared.js';
import type { BindParams, BindValue } from './read-protocol.js';

/** What a plan's session values come from. */
export interface BindContext {
  env: ValueEnv;
  statementUs: bigint;
  /** Unique to one execution of one statement (functions that keep state per statement). */
  execution: bigint;
  clockUs(): bigint;
  /** txid_current(): the same number for every call in one transaction, increasing. */
  xactId(): bigint;
  setting(name: string): string | undefined;
  /** set_config(): SET or SET LOCAL from inside a statement; returns the value as shown. */
  setConfig(name: string, value: string | null, isLocal: boolean): string;
}

/**
 * One client parameter as its type's storage value. A string is a text-format value (the type's
 * input function reads it); numbers, booleans and bigints come from JSON (HTTP) or were decoded
 * from the binary format already.
 */
export function storageParam(
  type: TypeRef,
  v: BindValue | boolean,
  env: ValueEnv,
  index: number,
): StorageValue {
  if (v === null || v === undefined) return null;
  const codec = codecFor(type.type);
  try {
    let out: StorageValue;
    if (typeof v === 'string') out = codec.input(v, -1, env);
    else if (typeof v === 'boolean')
      out = type.type === T.bool ? (v ? 1n : 0n) : codec.input(String(v), -1, env);
    else if (typeof v === 'bigint')
      out =
        isIntegerType(type.type) || type.type === T.bool || type.type === T.oid
          ? v
          : codec.input(v.toString(), -1, env);
    else if (typeof v === 'number') {
      if (type.type === T.float8 || type.type === T.float4) out = floatStorage(v);
      else if (isIntegerType(type.type) && Number.isInteger(v)) out = BigInt(v);
      else out = codec.input(String(v), -1, env);
    } else out = v; // binary-decoded storage value (bytea, numeric, interval BLOBs)
    return type.typmod >= 0 && codec.typmod ? codec.typmod(out, type.typmod, false) : out;
  } catch (e) {
    if (e instanceof ChorusError && e.sqlstate.startsWith('22') && e.position === undefined) {
      // PostgreSQL names the parameter when a Bind value is bad.
      throw new ChorusError(e.sqlstate, e.message, {
        detail: e.detail,
        hint: e.hint,
        cause: `parameter $${index + 1}`,
      });
    }
    throw e;
  }
}

/** The positional values of a plan's `?`s. */
export function bindPlan(
  plan: Pick<Plan, 'paramTypes' | 'bind'>,
  params: readonly BindValue[],
  ctx: BindContext,
): StorageValue[] {
  const converted: StorageValue[] = plan.paramTypes.map((t, i) =>
    storageParam(t, params[i] ?? null, ctx.env, i),
  );
  return plan.bind.map((s) => sourceValue(s, converted, ctx));
}

function sourceValue(s: BindSource, converted: readonly StorageValue[], ctx: BindContext): StorageValue {
  switch (s.kind) {
    case 'param':
      return converted[s.index] ?? null;
    case 'now':
      return ctx.env.nowUs;
    case 'statement_now':
      return ctx.statementUs;
    case 'clock_now':
      return ctx.clockUs();
    case 'execution':
      return ctx.execution;
    case 'xact_id':
      return ctx.xactId();
    case 'timezone':
      return ctx.env.timeZone;
    case 'setting':
      return settingValue(ctx, s.name, s.missingOk ?? false);
    case 'current_setting': {
      const name = sourceValue(s.name, converted, ctx);
      const missingOk = s.missingOk ? sourceValue(s.missingOk, converted, ctx) : 0n;
      if (name === null || missingOk === null) return null;
      return settingValue(ctx, String(name).toLowerCase(), Number(missingOk) === 1);
    }
    case 'set_config': {
      const name = sourceValue(s.name, converted, ctx);
      if (name === null) throw new ChorusError('22004', 'SET requires parameter name');
      const value = sourceValue(s.value, converted, ctx);
      const isLocal = sourceValue(s.isLocal, converted, ctx);
      return ctx.setConfig(String(name), value === null ? null : String(value), Number(isLocal ?? 0) === 1);
    }
    case 'value':
      return s.value;
  }
}

function settingValue(ctx: BindContext, name: string, missingOk: boolean): string | null {
  const v = ctx.setting(name);
  if (v !== undefined) return v;
  if (missingOk) return null;
  throw new ChorusError('42704', `unrecognized configuration parameter "${name}"`);
}

/** A token-path statement's parameters as better-sqlite3 takes them ($n: by name). */
export function toBindParams(p: Prepared, params: readonly BindValue[]): BindParams {
  if (p.paramStyle === 'dollar') {
    const o: Record<string, BindValue> = {};
    params.forEach((v, i) => {
      o[String(i + 1)] = v;
    });
    return o;
  }
  return params as BindValue[];
}
