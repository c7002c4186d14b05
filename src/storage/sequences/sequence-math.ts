// The arithmetic of sequences: PostgreSQL's defaults and checks for CREATE / ALTER SEQUENCE, and
// the next value a node hands out. With several writing nodes (multi-primary) each node owns one
// residue class of the sequence's values, so two nodes never hand out the same value.

import { ChorusError } from '../../errors.js';

export interface SequenceParams {
  start: bigint;
  increment: bigint;
  min: bigint;
  max: bigint;
  cache: bigint;
  cycle: boolean;
}

/** Which values this node may hand out: those of index ≡ slot (mod count) from START. */
export interface SequenceSlots {
  count: bigint;
  slot: bigint;
}

export const singleWriterSlots: SequenceSlots = { count: 1n, slot: 0n };

/** The value the next value comes after (called) or is (not called): PostgreSQL's last_value / is_called. */
export interface SequencePoint {
  value: bigint;
  called: boolean;
}

const typeBounds: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

export function boundsOf(type: string): [bigint, bigint] {
  return typeBounds[type] ?? typeBounds.int8!;
}

/** What CREATE / ALTER SEQUENCE said (undefined: not said; null min/max: NO MINVALUE / NO MAXVALUE). */
export interface SequenceOptions {
  type?: string;
  start?: bigint;
  increment?: bigint;
  min?: bigint | null;
  max?: bigint | null;
  cache?: bigint;
  cycle?: boolean;
}

/** PostgreSQL's init_params: defaults from the type and the increment's sign, then the checks. */
export function sequenceParams(
  name: string,
  o: SequenceOptions,
  old: (SequenceParams & { type: string }) | null,
): SequenceParams & { type: string } {
  const type = o.type ?? old?.type ?? 'int8';
  const [tmin, tmax] = boundsOf(type);
  const increment = o.increment ?? old?.increment ?? 1n;
  if (increment === 0n) throw new ChorusError('22023', 'INCREMENT must not be zero');
  const up = increment > 0n;
  const [oldMin, oldMax] = old ? boundsOf(old.type) : [0n, 0n];
  const max =
    o.max === null || (o.max === undefined && !old)
      ? up
        ? tmax
        : -1n
      : (o.max ?? (o.type !== undefined && old!.max === oldMax ? tmax : old!.max));
  const min =
    o.min === null || (o.min === undefined && !old)
      ? up
        ? 1n
        : tmin
      : (o.min ?? (o.type !== undefined && old!.min === oldMin ? tmin : old!.min));
  if (max < tmin || max > tmax)
    throw new ChorusError(
      '22023',
      `MAXVALUE (${max}) is out of range for sequence data type ${typeName(type)}`,
    );
  if (min < tmin || min > tmax)
    throw new ChorusError(
      '22023',
      `MINVALUE (${min}) is out of range for sequence data type ${typeName(type)}`,
    );
  if (min >= max) throw new ChorusError('22023', `MINVALUE (${min}) must be less than MAXVALUE (${max})`);
  const start = o.start ?? old?.start ?? (up ? min : max);
  if (start < min)
    throw new ChorusError('22023', `START value (${start}) cannot be less than MINVALUE (${min})`);
  if (start > max)
    throw new ChorusError('22023', `START value (${start}) cannot be greater than MAXVALUE (${max})`);
  const cache = o.cache ?? old?.cache ?? 1n;
  if (cache < 1n) throw new ChorusError('22023', `CACHE (${cache}) must be greater than zero`);
  void name;
  return { type, start, increment, min, max, cache, cycle: o.cycle ?? old?.cycle ?? false };
}

function typeName(type: string): string {
  return type === 'int2' ? 'smallint' : type === 'int4' ? 'integer' : 'bigint';
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * The next value after `from` on a node of `slots`, or an error past MAXVALUE / MINVALUE without
 * CYCLE (2200H). One writer: PostgreSQL's rule (last + increment). Several: the first value past
 * `from` whose distance from START is increment × (slot + k × count).
 */
export function nextValue(
  name: string,
  p: SequenceParams,
  slots: SequenceSlots,
  from: SequencePoint,
): bigint {
  const up = p.increment > 0n;
  const candidate = (point: SequencePoint): bigint => {
    if (slots.count === 1n) return point.called ? point.value + p.increment : point.value;
    const step = (up ? p.increment : -p.increment) * slots.count;
    const r = mod(p.start + p.increment * slots.slot, step);
    if (up) {
      const lower = point.called ? point.value + 1n : point.value;
      return lower + mod(r - lower, step);
    }
    const upper = point.called ? point.value - 1n : point.value;
    return upper - mod(upper - r, step);
  };
  let v = candidate(from);
  if (up ? v > p.max : v < p.min) {
    if (!p.cycle) {
      throw new ChorusError(
        '2200H',
        `nextval: reached ${up ? 'maximum' : 'minimum'} value of sequence "${name}" (${up ? p.max : p.min})`,
      );
    }
    v = candidate({ value: up ? p.min : p.max, called: false });
    if (up ? v > p.max : v < p.min) {
      throw new ChorusError(
        '2200H',
        `nextval: reached ${up ? 'maximum' : 'minimum'} value of sequence "${name}" (${up ? p.max : p.min})`,
      );
    }
  }
  return v;
}

/** setval's check: the value must lie within the sequence's bounds (22003). */
export function checkSetval(name: string, p: SequenceParams, value: bigint): void {
  if (value < p.min || value > p.max) {
    throw new ChorusError(
      '22003',
      `setval: value ${value} is out of bounds for sequence "${name}" (${p.min}..${p.max})`,
    );
  }
}
