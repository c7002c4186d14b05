// Shared pieces of the benchmark scripts: option parsing, finding programs, percentiles, progress lines
// and the plain-text tables they print.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Parses an integer command-line option, at least `min`; throws naming the option otherwise. */
export function intOption(name: string, raw: string, min = 1): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
  return n;
}

/** The executable `bin` on $PATH, or undefined. */
export async function findOnPath(bin: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, bin);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Nearest-rank percentile (p in 0..1) of ascending `sorted`; undefined when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** A number with thousands separators and `digits` decimals; '-' when missing or not finite. */
export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The system load averages (1, 5, 15 min), printed next to figures so a busy machine shows. */
export function loadavgText(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/**
 * Prints a table: first column left-aligned, numbers right-aligned; with `textLastColumn` the last
 * column is left-aligned too (free text such as notes).
 */
export function printTable(headers: string[], rows: string[][], textLastColumn = false): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number, n: number): boolean => i === 0 || (textLastColumn && i === n - 1);
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (left(i, cells.length) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join(' | ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

/** A progress line of a benchmark phase: `[phase] message`. */
export function logPhase(phase: string, message: string): void {
  console.log(`[${phase}] ${message}`);
}
