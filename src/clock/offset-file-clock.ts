// A test-only physical clock for fault injection: system time plus an offset (milliseconds) that a
// test harness writes to a file. The chaos runner's clock nemesis skews or strobes a node's clock
// this way without touching the machine's clock. Enabled only by CHORUS_TEST_CLOCK_OFFSET_FILE.

import { readFileSync } from 'node:fs';
import type { PhysicalClock } from './clock.js';

/** How often the offset file is re-read (milliseconds). */
export const offsetFileRereadMs = 20;
/** Offsets beyond this are refused (ignored) as a corrupt file: one day, in milliseconds. */
export const offsetMagnitudeMaxMs = 86_400_000;

export class OffsetFileClock implements PhysicalClock {
  private offsetMs = 0;
  private readAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly file: string,
    private readonly base: () => number = Date.now,
  ) {}

  nowMs(): number {
    const now = this.base();
    if (now - this.readAtMs >= offsetFileRereadMs || now < this.readAtMs) {
      this.readAtMs = now;
      this.offsetMs = this.readOffset();
    }
    return now + this.offsetMs;
  }

  private readOffset(): number {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8').trim();
    } catch {
      return 0; // no file yet: no skew
    }
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || Math.abs(n) > offsetMagnitudeMaxMs) return this.offsetMs;
    return Math.trunc(n);
  }
}
