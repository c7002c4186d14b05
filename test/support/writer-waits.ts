// Helpers for tests about the single writer: observe (via /metrics) that a session queued for it,
// and tell whether a client's promise is still waiting.

import assert from 'node:assert/strict';
import type pg from 'pg';
import type { NodeProcess } from './launcher.js';

/** Value of chorus_writer_lock_waits_total (the server refreshes it at the end of every statement). */
export async function writerWaits(node: NodeProcess): Promise<number> {
  const res = await node.httpGet('/metrics');
  assert.equal(res.status, 200);
  const m = /^chorus_writer_lock_waits_total(?:\{[^}]*\})? (\d+)/m.exec(res.body);
  return m ? Number(m[1]) : 0;
}

/**
 * Polls until the server has counted more writer waits than `before` (a session is queued for the
 * writer). `probe` runs a statement first so that the server refreshes the metric.
 */
export async function waitForWriterWait(node: NodeProcess, probe: pg.Client, before: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await probe.query('SELECT 1');
    if ((await writerWaits(node)) > before) return;
    if (Date.now() > deadline) assert.fail('no session started waiting for the writer within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True if the promise has not settled after the given round trip finished. */
export async function stillPending(p: Promise<unknown>, roundTrip: () => Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await roundTrip();
  await new Promise((resolve) => setImmediate(resolve));
  return !settled;
}
