// Network faults for benchmarks through FaultProxy: cutting and healing a set of proxied links, and
// timing how long after the heal the first new connection came through (the dialer's redial backoff).
import { performance } from 'node:perf_hooks';
import type { FaultProxy } from '../../src/testing/fault-proxy.js';

export interface Heal {
  /** performance.now() at the heal. */
  healedAt: number;
  /** Checks the proxies now; the first check that sees a reconnection fixes reconnectMs. */
  check(): void;
  /** Heal → first connection accepted through a proxy and not cut, once seen; undefined before. */
  reconnectMs(): number | undefined;
  /** Stops the background checks. */
  stop(): void;
}

export function partition(proxies: FaultProxy[]): void {
  for (const p of proxies) p.partition();
}

/** Heals every proxy and watches them (every checkMs, and on each check()) for the reconnection. */
export function healAndWatch(proxies: FaultProxy[], checkMs: number): Heal {
  const accepted = proxies.map((p) => p.stats().connectionsAccepted);
  const cut = proxies.map((p) => p.stats().connectionsCut);
  for (const p of proxies) p.heal();
  const healedAt = performance.now();
  let reconnectMs: number | undefined;
  const check = (): void => {
    if (reconnectMs !== undefined) return;
    // A connection accepted after the heal and not cut at once is the reconnection.
    const reconnected = proxies.some(
      (p, i) => p.stats().connectionsAccepted > accepted[i]! && p.stats().connectionsCut === cut[i]!,
    );
    if (reconnected) reconnectMs = performance.now() - healedAt;
  };
  const timer = setInterval(check, checkMs);
  return {
    healedAt,
    check,
    reconnectMs: () => reconnectMs,
    stop: () => clearInterval(timer),
  };
}
