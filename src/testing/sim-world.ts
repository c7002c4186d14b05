// Virtual time and a seeded event queue for deterministic simulations: every timer, message
// delivery and fault happens at a virtual instant chosen from the seed, one event at a time.

import type { TimerHandle, Timers } from '../clock/timers.js';
import { type Random, seededRandom } from './random.js';

interface SimEvent {
  at: number;
  order: number;
  fn: () => void | Promise<void>;
  canceled: boolean;
}

/** Wait until every microtask and immediate the last event started has run. */
export async function settle(rounds = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export class SimWorld {
  nowMs: number;
  readonly rng: Random;
  private readonly queue: SimEvent[] = [];
  private order = 0;
  eventsRun = 0;

  constructor(
    readonly seed: number,
    startMs = 1_700_000_000_000,
  ) {
    this.rng = seededRandom(seed);
    this.nowMs = startMs;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }

  schedule(atMs: number, fn: () => void | Promise<void>): TimerHandle {
    const ev: SimEvent = { at: Math.max(atMs, this.nowMs), order: this.order++, fn, canceled: false };
    // Binary insertion keeps the queue ordered by (at, order).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.at < ev.at || (q.at === ev.at && q.order < ev.order)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
    return {
      cancel: () => {
        ev.canceled = true;
      },
    };
  }

  /** Timers for one node, optionally with its wall clock skewed. */
  timers(skewMs = 0): Timers {
    return {
      nowMs: () => this.nowMs + skewMs,
      after: (ms, fn) => this.schedule(this.nowMs + Math.max(0, ms), fn),
    };
  }

  /** Run events in order until virtual time passes `untilMs` (or the queue empties). */
  async runUntil(untilMs: number): Promise<void> {
    while (this.queue.length > 0 && this.queue[0]!.at <= untilMs) {
      const ev = this.queue.shift()!;
      if (ev.canceled) continue;
      this.nowMs = ev.at;
      this.eventsRun++;
      await ev.fn();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(this.nowMs + ms);
  }
}
