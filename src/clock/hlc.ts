// Hybrid logical clock (Kulkarni et al.): physical milliseconds + a logical counter + node id.
// Timestamps are totally ordered and never go backwards on one node, whatever the wall clock does.

import { ChorusError } from '../errors.js';
import type { PhysicalClock } from './clock.js';

export interface HlcTimestamp {
  readonly wallMs: number;
  readonly logical: number;
  readonly nodeId: string;
}

/** The logical counter rolls into the wall component past this (keeps it a bounded integer). */
export const hlcLogicalMax = 0xffff_ffff;

export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.nodeId === b.nodeId) return 0;
  return a.nodeId < b.nodeId ? -1 : 1;
}

/** Fixed-width text form that sorts like compareHlc: 'wall(13 digits).logical(10 digits).node'. */
export function formatHlc(t: HlcTimestamp): string {
  return `${String(t.wallMs).padStart(13, '0')}.${String(t.logical).padStart(10, '0')}.${t.nodeId}`;
}

export function parseHlc(text: string): HlcTimestamp {
  const first = text.indexOf('.');
  const second = text.indexOf('.', first + 1);
  const wallMs = Number(text.slice(0, first));
  const logical = Number(text.slice(first + 1, second));
  if (first <= 0 || second <= first || !Number.isSafeInteger(wallMs) || !Number.isSafeInteger(logical)) {
    throw new ChorusError('22P02', `invalid HLC timestamp "${text}"`);
  }
  return { wallMs, logical, nodeId: text.slice(second + 1) };
}

export class HybridLogicalClock {
  private wallMs = 0;
  private logical = 0;

  constructor(
    readonly nodeId: string,
    private readonly physical: PhysicalClock,
    /** A remote timestamp further ahead of our wall clock than this is refused (a broken peer clock). */
    private readonly maxForwardSkewMs = 60_000,
  ) {}

  /** A new timestamp for a local event, greater than every timestamp this clock produced or saw. */
  now(): HlcTimestamp {
    const pt = this.physical.nowMs();
    if (pt > this.wallMs) {
      this.wallMs = pt;
      this.logical = 0;
    } else {
      this.tick();
    }
    return { wallMs: this.wallMs, logical: this.logical, nodeId: this.nodeId };
  }

  /** Merge a timestamp received from another node; returns the new local timestamp. */
  update(remote: HlcTimestamp): HlcTimestamp {
    const pt = this.physical.nowMs();
    if (remote.wallMs - pt > this.maxForwardSkewMs) {
      throw new ChorusError(
        '22008',
        `remote clock of ${remote.nodeId} is ${remote.wallMs - pt} ms ahead, beyond the allowed ${this.maxForwardSkewMs} ms`,
      );
    }
    const maxWall = Math.max(this.wallMs, remote.wallMs, pt);
    if (maxWall === this.wallMs && maxWall === remote.wallMs) {
      this.logical = Math.max(this.logical, remote.logical);
      this.tick();
    } else if (maxWall === this.wallMs) {
      this.tick();
    } else if (maxWall === remote.wallMs) {
      this.wallMs = remote.wallMs;
      this.logical = remote.logical;
      this.tick();
    } else {
      this.wallMs = pt;
      this.logical = 0;
    }
    return { wallMs: this.wallMs, logical: this.logical, nodeId: this.nodeId };
  }

  /** Restore state after a restart so timestamps stay above everything already persisted. */
  observe(persisted: HlcTimestamp): void {
    if (
      persisted.wallMs > this.wallMs ||
      (persisted.wallMs === this.wallMs && persisted.logical > this.logical)
    ) {
      this.wallMs = persisted.wallMs;
      this.logical = persisted.logical;
    }
  }

  peek(): HlcTimestamp {
    return { wallMs: this.wallMs, logical: this.logical, nodeId: this.nodeId };
  }

  private tick(): void {
    if (this.logical >= hlcLogicalMax) {
      this.wallMs += 1;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
  }
}
