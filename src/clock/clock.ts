// Physical time behind an interface, so tests and simulations can drive it (a manual twin).

export interface PhysicalClock {
  /** Milliseconds since the Unix epoch. May jump backwards (NTP steps); callers must cope. */
  nowMs(): number;
}

export const systemClock: PhysicalClock = { nowMs: () => Date.now() };

/** Microseconds since the Unix epoch (PostgreSQL's timestamp resolution), from the system clock. */
export function wallClockUs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** A clock that only moves when told to: the simulated twin of systemClock. */
export class ManualClock implements PhysicalClock {
  private ms: number;
  constructor(startMs = 1_700_000_000_000) {
    this.ms = startMs;
  }
  nowMs(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(deltaMs: number): void {
    this.ms += deltaMs;
  }
}
