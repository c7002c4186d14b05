// PostgreSQL 15's numeric aggregates as one accumulator: sum, avg, var_samp/var_pop and
// stddev_samp/stddev_pop over numeric inputs, and over integers (sum(int8), avg(int2/4/8) and the
// variance family return numeric). Inputs can be removed again (window frames) with the same
// results as aggregating the remaining rows afresh: the scale of a sum is the largest scale among
// the rows present.

import {
  checkNumericRange,
  type FiniteNumeric,
  finite,
  NUMERIC_NAN,
  NUMERIC_NEG_INFINITY,
  NUMERIC_POS_INFINITY,
  NUMERIC_ZERO,
  type Numeric,
  pow10,
} from './numeric.js';
import { divRound, numericDiv, selectDivScale } from './numeric-arith.js';
import { sqrtRounded } from './numeric-math.js';

export class NumericAggState {
  /** Finite inputs. */
  private count = 0n;
  private nanCount = 0;
  private posInfCount = 0;
  private negInfCount = 0;
  /** Σx and Σx² at `workScale` and twice that; workScale only grows. */
  private sum = 0n;
  private sumSquares = 0n;
  private workScale = 0;
  /** How many present finite inputs have each scale. */
  private readonly scaleCounts = new Map<number, number>();

  add(n: Numeric): void {
    this.update(n, 1);
  }

  /** Undo an earlier add of the same value. */
  remove(n: Numeric): void {
    this.update(n, -1);
  }

  private update(n: Numeric, delta: 1 | -1): void {
    if (n.kind === 'nan') {
      this.nanCount += delta;
      return;
    }
    if (n.kind === 'inf') {
      if (n.negative) this.negInfCount += delta;
      else this.posInfCount += delta;
      return;
    }
    if (n.scale > this.workScale) {
      const up = n.scale - this.workScale;
      this.sum *= pow10(up);
      this.sumSquares *= pow10(2 * up);
      this.workScale = n.scale;
    }
    const x = n.unscaled * pow10(this.workScale - n.scale);
    this.sum += delta > 0 ? x : -x;
    this.sumSquares += delta > 0 ? x * x : -(x * x);
    this.count += BigInt(delta);
    const left = (this.scaleCounts.get(n.scale) ?? 0) + delta;
    if (left === 0) this.scaleCounts.delete(n.scale);
    else this.scaleCounts.set(n.scale, left);
  }

  private totalCount(): bigint {
    return this.count + BigInt(this.nanCount + this.posInfCount + this.negInfCount);
  }

  /** The largest scale among the finite inputs present. */
  private scale(): number {
    let max = 0;
    for (const s of this.scaleCounts.keys()) max = Math.max(max, s);
    return max;
  }

  private sumFinite(): FiniteNumeric {
    const s = this.scale();
    return finite(this.sum / pow10(this.workScale - s), s);
  }

  /** NaN if any input was NaN or both infinities occurred, else the infinity present; undefined if none. */
  private special(): Numeric | undefined {
    if (this.nanCount > 0) return NUMERIC_NAN;
    if (this.posInfCount > 0 && this.negInfCount > 0) return NUMERIC_NAN;
    if (this.posInfCount > 0) return NUMERIC_POS_INFINITY;
    if (this.negInfCount > 0) return NUMERIC_NEG_INFINITY;
    return undefined;
  }

  /** sum(): null without inputs; scale = the largest input scale. */
  sumResult(): Numeric | null {
    if (this.totalCount() === 0n) return null;
    return this.special() ?? checkNumericRange(this.sumFinite());
  }

  /** avg(): sum / count with numeric division. */
  avgResult(): Numeric | null {
    if (this.totalCount() === 0n) return null;
    return this.special() ?? numericDiv(checkNumericRange(this.sumFinite()), finite(this.count, 0));
  }

  /**
   * var_samp/var_pop (stddev: false) and stddev_samp/stddev_pop (stddev: true), as
   * numeric_stddev_internal: (N·Σx² - (Σx)²) / (N·(N-1) or N²) at select_div_scale, the square
   * root at that same scale; NaN if any input was NaN or infinite.
   */
  varianceResult(sample: boolean, stddev: boolean): Numeric | null {
    const total = this.totalCount();
    if (total === 0n || (sample && total <= 1n)) return null;
    if (this.nanCount + this.posInfCount + this.negInfCount > 0) return NUMERIC_NAN;
    const s = this.scale();
    const down = this.workScale - s;
    const sum = this.sum / pow10(down);
    const sumSquares = this.sumSquares / pow10(2 * down);
    const numerator = finite(this.count * sumSquares - sum * sum, 2 * s);
    if (numerator.unscaled <= 0n) return NUMERIC_ZERO;
    const denominator = finite(this.count * (sample ? this.count - 1n : this.count), 0);
    const rscale = selectDivScale(numerator, denominator);
    const variance = divRound(numerator, denominator, rscale);
    return stddev ? sqrtRounded(variance, rscale) : variance;
  }
}
