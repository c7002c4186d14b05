// Timers behind an interface, so replication runs on real timers in a node and on virtual time in
// the deterministic simulation.

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  nowMs(): number;
  /** A clock that never steps back or jumps with the wall clock (leases); falls back to nowMs. */
  monotonicMs?(): number;
  /** Run fn after ms; the handle cancels it. Real timers are unref'd: they never keep a process up. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const systemTimers: Timers = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
