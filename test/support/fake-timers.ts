// Virtual time for unit tests of code that takes a Timers: timers fire, in order, when advance()
// passes them.
import type { TimerHandle, Timers } from '../../src/clock/timers.js';

export function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  const pending = new Set<{ at: number; fn: () => void }>();
  return {
    nowMs: () => now,
    after(ms, fn): TimerHandle {
      const t = { at: now + ms, fn };
      pending.add(t);
      return { cancel: () => pending.delete(t) };
    },
    advance(ms) {
      now += ms;
      for (const t of [...pending].sort((a, b) => a.at - b.at))
        if (t.at <= now) {
          pending.delete(t);
          t.fn();
        }
    },
  };
}
