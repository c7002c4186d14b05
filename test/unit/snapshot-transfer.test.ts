// Snapshot transfer between a donor and a receiver wired through the real frame codec: a broken
// link resumes from the last chunk received (not from zero), a corrupted chunk is refused and
// fetched again, and the installed file is the donor's data made the receiver's own.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { systemTimers } from '../../src/clock/timers.js';
import {
  decodeFrameBody,
  encodeFrame,
  frameFlagsBytes,
  frameLengthBytes,
} from '../../src/replication/frames.js';
import type { PeerMessage } from '../../src/replication/link.js';
import type { PeerHandle } from '../../src/replication/peer-extension.js';
import { SnapshotDonor } from '../../src/replication/snapshot-donor.js';
import { SnapshotReceiver, snapshotRefusedForMs } from '../../src/replication/snapshot-receiver.js';
import { databaseFileName } from '../../src/storage/engine.js';
import { internalSchemaSql } from '../../src/storage/internal-schema.js';
import { installPendingSnapshot, preSnapshotFileName } from '../../src/storage/snapshot-install.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-snapshot-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
const frameOpts = { compression: { enabled: true, thresholdBytes: 1024 }, frameBytesMax: 4 * 1024 * 1024 };

/** A message as the peer receives it: encoded and decoded by the real frame codec. */
function overTheWire(msg: PeerMessage): PeerMessage {
  const frame = encodeFrame(msg, frameOpts);
  return decodeFrameBody(
    frame[frameLengthBytes]!,
    frame.subarray(frameLengthBytes + frameFlagsBytes),
    frameOpts.frameBytesMax,
  );
}

function makeDonorDb(dir: string, rows: number): string {
  const path = join(dir, databaseFileName);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(internalSchemaSql);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO items VALUES (?, ?)');
  const tx = db.prepare(
    'INSERT INTO _chorus_tx (txid, origin, origin_seq, hlc_wall, hlc_logical, committed_at_ms) VALUES (?, ?, ?, 0, 0, 0)',
  );
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) ins.run(i, `row ${i} `.padEnd(300, 'x'));
    tx.run(1, 'donor', 7);
    tx.run(2, 'other', 3);
    db.prepare("INSERT INTO _chorus_meta VALUES ('node_id', 'donor'), ('created_at_ms', '1')").run();
    db.prepare("INSERT INTO _chorus_peers (peer_id, acked, updated_at_ms) VALUES ('x', '{}', 0)").run();
  })();
  db.close();
  return path;
}

test('a transfer resumes after a broken link, refuses a corrupted chunk, and installs', async () => {
  const donorDir = join(root, 'donor');
  const recvDir = join(root, 'receiver');
  mkdirSync(donorDir, { recursive: true });
  mkdirSync(recvDir, { recursive: true });
  const dbPath = makeDonorDb(donorDir, 40_000);
  const pins: string[] = [];
  const donor = new SnapshotDonor({
    dataDir: donorDir,
    dbPath,
    logger,
    timers: systemTimers,
    pin: (peer) => pins.push(peer),
  });

  // The link: each direction delivers asynchronously through the codec; `up` false drops everything.
  let up = true;
  /** Offset of one chunk to corrupt on the way (once). */
  let corruptOffset = -1;
  let chunksDelivered = 0;
  let cutAfterChunks = 2;
  const failures: string[] = [];
  let restarted: (reason: string) => void = () => undefined;
  const restartRequested = new Promise<string>((resolve) => {
    restarted = resolve;
  });
  const toReceiver: PeerHandle = {
    peerId: 'receiver',
    send: (m) => {
      if (!up) return false;
      let wire = overTheWire(m);
      if (wire.t === 'snap_chunk') {
        if (wire.offset === corruptOffset) {
          corruptOffset = -1;
          const data = Buffer.from(wire.data as Uint8Array);
          data[100] = (data[100]! + 1) % 256;
          wire = { ...wire, data };
        }
        if (++chunksDelivered === cutAfterChunks) {
          // The link breaks right after this chunk.
          setImmediate(() => {
            up = false;
            receiver.onClose('donor');
          });
        }
      }
      setImmediate(() => receiver.onMessage(toDonor, wire));
      return true;
    },
    get closed() {
      return !up;
    },
  };
  const toDonor: PeerHandle = {
    peerId: 'donor',
    send: (m) => {
      if (!up) return false;
      const wire = overTheWire(m);
      setImmediate(() => donor.onMessage(toReceiver, wire));
      return true;
    },
    get closed() {
      return !up;
    },
  };
  // The receiver's clock can be moved on (it waits snapshotRefusedForMs before asking).
  let skewMs = 0;
  const receiverTimers = { nowMs: () => Date.now() + skewMs, after: systemTimers.after };
  const receiver: SnapshotReceiver = new SnapshotReceiver({
    dataDir: recvDir,
    nodeId: 'receiver',
    logger,
    timers: receiverTimers,
    peers: () => [toDonor],
    peerVectors: () => new Map([['donor', { donor: 7, other: 3 }]]),
    appliedVector: () => ({}),
    refused: () => true,
    initializingEmpty: () => false,
    localMeta: () => ({ initializing: 'true', read_only: null }),
    releaseHold: () => undefined,
    requestRestart: (reason) => restarted(reason),
    onFailure: (_peer, message) => failures.push(message),
  });

  const waitFor = async (what: string, cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 2_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(cond(), `timed out waiting for ${what}`);
  };

  receiver.tick();
  assert.equal(receiver.phase, 'idle', 'refused only just now: other peers may still stream to it');
  skewMs += snapshotRefusedForMs;
  receiver.tick();
  assert.equal(receiver.phase, 'requesting');
  await waitFor('the link to break', () => !up);
  assert.equal(receiver.phase, 'idle', 'a broken link stops the transfer');
  const size = receiver.status().sizeBytes!;
  assert.ok(size > 11 * 1024 * 1024, `a multi-chunk snapshot (${size} bytes)`);
  const before = receiver.status().receivedBytes;
  assert.ok(before > 0, 'some chunks were received before the break');

  // Reconnect: the receiver asks for the same snapshot and goes on from where it stopped.
  up = true;
  cutAfterChunks = -1;
  corruptOffset = 10 * 1024 * 1024; // beyond the first window: never a stray
  receiver.tick();
  const reason = await restartRequested;
  assert.match(reason, /install snapshot/);
  assert.equal(receiver.stats.badChunks, 1, 'the corrupted chunk was refused');
  assert.ok(failures.some((f) => /checksum/.test(f)));
  assert.equal(donor.stats.made, 1, 'the resumed transfer reused the snapshot');
  assert.equal(receiver.stats.resumedAtBytes, before, 'the second attempt went on from the bytes kept');
  assert.equal(receiver.stats.bytesReceived, size, 'no byte was accepted twice');
  assert.deepEqual(pins, ['receiver', 'receiver']);

  // Install (what the node does on its in-process restart): the old database is kept beside it.
  const old = new Database(join(recvDir, databaseFileName));
  old.exec('CREATE TABLE before_snapshot (x INTEGER)');
  old.close();
  assert.equal(installPendingSnapshot(recvDir), true);
  assert.equal(installPendingSnapshot(recvDir), false, 'installed once');
  const kept = new Database(join(recvDir, preSnapshotFileName), { readonly: true });
  assert.equal(
    kept.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'before_snapshot'").pluck().get(),
    1,
  );
  kept.close();
  const live = new Database(join(recvDir, databaseFileName), { readonly: true });
  try {
    assert.equal(live.prepare('SELECT count(*) FROM items').pluck().get(), 40_000);
    const meta = Object.fromEntries(
      (live.prepare('SELECT key, value FROM _chorus_meta').all() as { key: string; value: string }[]).map(
        (r) => [r.key, r.value],
      ),
    );
    assert.equal(meta.node_id, 'receiver', "the copy is made this node's own");
    assert.equal(meta.initializing, 'true', 'node-local state is carried over');
    assert.equal(live.prepare('SELECT count(*) FROM _chorus_peers').pluck().get(), 0);
    assert.equal(live.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    live.close();
  }
  await donor.stop();
});
