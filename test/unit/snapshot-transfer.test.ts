// Snapshot transfer between a donor and a receiver wired through the real frame codec: a broken
// link resumes from the last chunk received (not from zero), a corrupted chunk is refused and
// fetched again, and the installed file is the donor's data made the receiver's own (floats bit for
// bit: -0, NaN, ±Infinity, subnormals).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { systemTimers } from '../../src/clock/timers.js';
import type { Vector } from '../../src/log/records.js';
import { roundTripFrame } from '../../src/replication/link/frames.js';
import type { PeerMessage } from '../../src/replication/link/link.js';
import type { PeerHandle } from '../../src/replication/link/peer-extension.js';
import { SnapshotDonor } from '../../src/replication/snapshot/donor.js';
import { SnapshotReceiver, snapshotRefusedForMs } from '../../src/replication/snapshot/receiver.js';
import { databaseFileName } from '../../src/storage/engine/engine.js';
import { internalSchemaSql } from '../../src/storage/engine/internal-schema.js';
import {
  installPendingSnapshot,
  prepareSnapshotFile,
  preSnapshotFileName,
  rewindToMetaKey,
  snapshotFileName,
  snapshotIncomingDirName,
  snapshotReadyFileName,
} from '../../src/storage/engine/snapshot-install.js';

const root = mkdtempSync(join(tmpdir(), 'chorus-snapshot-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
const frameOpts = { compression: { enabled: true, thresholdBytes: 1024 }, frameBytesMax: 4 * 1024 * 1024 };

/** A message as the peer receives it: encoded and decoded by the real frame codec. */
function overTheWire(msg: PeerMessage): PeerMessage {
  return roundTripFrame(msg, frameOpts);
}

/** Float values as stored (sql/DESIGN.md): REAL in a BLOB-affinity column, NaN as the TEXT 'NaN'. */
const floatEdges: (number | string)[] = [
  -0,
  0,
  'NaN',
  Infinity,
  -Infinity,
  5e-324,
  Number.MAX_VALUE,
  0.30000000000000004,
];

function makeDonorDb(dir: string, rows: number): string {
  const path = join(dir, databaseFileName);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(internalSchemaSql);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.exec('CREATE TABLE floats (id INTEGER PRIMARY KEY, d FLOAT8_BLOB)');
  const insFloat = db.prepare('INSERT INTO floats VALUES (?, ?)');
  for (const [i, v] of floatEdges.entries()) insFloat.run(i, v);
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
    pin: (peer, vector) => pins.push(`${peer} ${JSON.stringify(vector)}`),
    appliedVector: () => ({ donor: 6 }),
    streamableFrom: () => true,
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
  assert.deepEqual(
    pins,
    ['receiver {"donor":6}', 'receiver {"donor":7,"other":3}', 'receiver {"donor":7,"other":3}'],
    'the log is kept from the applied vector while the copy is made, then from the copy',
  );

  // Install (what the node does on its in-process restart): the old database is kept beside it.
  const old = new Database(join(recvDir, databaseFileName));
  old.exec('CREATE TABLE before_snapshot (x INTEGER)');
  old.close();
  assert.deepEqual(installPendingSnapshot(recvDir), {
    installed: true,
    previous: join(recvDir, preSnapshotFileName),
  });
  assert.deepEqual(installPendingSnapshot(recvDir), { installed: false }, 'installed once');
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
    const floats = live.prepare('SELECT d FROM floats ORDER BY id').pluck().all() as (number | string)[];
    assert.equal(floats.length, floatEdges.length);
    for (const [i, v] of floatEdges.entries())
      assert.ok(Object.is(floats[i], v), `float ${i}: ${String(floats[i])}`);
  } finally {
    live.close();
  }
  await donor.stop();
});

/** A donor wired to a recorder of what it sends. */
function recordingDonor(name: string, streamable: () => boolean) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const donor = new SnapshotDonor({
    dataDir: dir,
    dbPath: makeDonorDb(dir, 10),
    logger,
    timers: systemTimers,
    pin: () => undefined,
    appliedVector: () => ({ donor: 7, other: 3 }),
    streamableFrom: streamable,
  });
  const sent: PeerMessage[] = [];
  let arrived: () => void = () => undefined;
  const peer: PeerHandle = {
    peerId: 'receiver',
    send: (m) => {
      sent.push(overTheWire(m));
      arrived();
      return true;
    },
    closed: false,
  };
  const ask = async (msg: PeerMessage): Promise<PeerMessage> => {
    const n = sent.length;
    const got = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    donor.onMessage(peer, msg);
    if (sent.length === n) await got;
    return sent[n]!;
  };
  return { donor, ask };
}

/**
 * A receiver that was refused by its one peer ('donor'), which claims to hold `donorVector`; it
 * holds `applied`. Move its clock past the refusal grace with `later()`.
 */
function refusedReceiver(name: string, donorVector: Vector, applied: Vector) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  const sent: PeerMessage[] = [];
  const toDonor: PeerHandle = { peerId: 'donor', send: (m) => sent.push(m) > 0, closed: false };
  let skewMs = 0;
  const receiver = new SnapshotReceiver({
    dataDir: dir,
    nodeId: 'receiver',
    logger,
    timers: { nowMs: () => Date.now() + skewMs, after: systemTimers.after },
    peers: () => [toDonor],
    peerVectors: () => new Map([['donor', donorVector]]),
    appliedVector: () => applied,
    refused: () => true,
    initializingEmpty: () => false,
    localMeta: () => ({}),
    releaseHold: () => undefined,
    requestRestart: () => assert.fail('must not install'),
    onFailure: (_peer, message) => failures.push(message),
  });
  const later = (): void => {
    skewMs += snapshotRefusedForMs;
  };
  return { dir, receiver, toDonor, sent, failures, later };
}

test('a donor reuses a copy only if it holds what the receiver needs and the log goes on from it', async () => {
  let streamable = true;
  const { donor, ask } = recordingDonor('reuse', () => streamable);
  const first = await ask({ t: 'snap_req', id: null, need: { receiver: 0 } });
  assert.equal(first.t, 'snap_meta');
  assert.equal((await ask({ t: 'snap_req', id: null, need: { donor: 7 } })).id, first.id, 'reused');
  const needMore = await ask({ t: 'snap_req', id: first.id, need: { receiver: 4 } });
  assert.notEqual(needMore.id, first.id, "a copy without the receiver's own writes is not reused");
  // The fresh copy still lacks them (nothing new reached this donor): one more is made, then sent
  // (the receiver refuses it and asks again later).
  assert.equal(donor.stats.made, 3);
  streamable = false;
  const truncated = await ask({ t: 'snap_req', id: needMore.id, need: {} });
  assert.notEqual(truncated.id, needMore.id, 'a copy the log no longer goes on from is not reused');
  assert.equal(donor.stats.made, 5);
  await donor.stop();
});

test('a receiver refuses a copy that lacks its own writes, and install refuses to lose them', async () => {
  const { donor, ask } = recordingDonor('own-writes', () => true);
  const meta = await ask({ t: 'snap_req', id: null, need: {} });
  // The donor claims to hold the receiver's writes up to 5 (its copy has none of them).
  const { dir, receiver, toDonor, sent, failures, later } = refusedReceiver(
    'own-writes-receiver',
    { donor: 7, receiver: 5 },
    { receiver: 5 },
  );
  assert.equal(receiver.blocksWrites, true, 'a node waiting for a snapshot refuses writes');
  receiver.tick();
  later();
  receiver.tick();
  assert.deepEqual(sent[0], { t: 'snap_req', id: null, need: { receiver: 5 } });
  receiver.onMessage(toDonor, meta);
  assert.equal(receiver.phase, 'idle');
  assert.match(failures[0] ?? '', /lacks transactions this node holds/);
  receiver.stop();
  await donor.stop();

  // The last line of defence, at install: the live database has own writes the copy lacks.
  const live = new Database(join(dir, databaseFileName));
  live.pragma('journal_mode = WAL');
  live.exec(internalSchemaSql);
  live.prepare("INSERT INTO _chorus_meta VALUES ('node_id', 'receiver')").run();
  live
    .prepare(
      "INSERT INTO _chorus_tx (txid, origin, origin_seq, hlc_wall, hlc_logical, committed_at_ms) VALUES (1, 'receiver', 5, 0, 0, 0)",
    )
    .run();
  live.close();
  const incoming = join(dir, snapshotIncomingDirName);
  mkdirSync(incoming, { recursive: true });
  const copyDir = join(root, 'own-writes-copy');
  mkdirSync(copyDir, { recursive: true });
  copyFileSync(makeDonorDb(copyDir, 0), join(incoming, snapshotFileName));
  prepareSnapshotFile(join(incoming, snapshotFileName), 'receiver', {});
  writeFileSync(join(incoming, snapshotReadyFileName), '{}');
  const result = installPendingSnapshot(dir);
  assert.equal(result.installed, false);
  assert.match(result.installed ? '' : (result.refused ?? ''), /would lose them/);
  assert.equal(existsSync(join(incoming, snapshotFileName)), false, 'the copy is discarded');
  const kept = new Database(join(dir, databaseFileName), { readonly: true });
  assert.equal(kept.prepare('SELECT max(origin_seq) FROM _chorus_tx').pluck().get(), 5);
  kept.close();
});

test('a deposed primary installs a copy that lacks only the commits it agreed to rewind', () => {
  const dir = join(root, 'rewind');
  mkdirSync(dir, { recursive: true });
  // Live: the donor's 7 transactions and 3 of its own past them; rewind_to gives up all but 7.
  const live = new Database(makeDonorDb(dir, 1));
  live.prepare("INSERT OR REPLACE INTO _chorus_meta VALUES ('node_id', 'receiver')").run();
  live
    .prepare(
      "INSERT INTO _chorus_tx (txid, origin, origin_seq, hlc_wall, hlc_logical, committed_at_ms) VALUES (3, 'donor', 10, 0, 0, 0)",
    )
    .run();
  const setRewind = live.prepare('INSERT OR REPLACE INTO _chorus_meta VALUES (?, ?)');
  setRewind.run(rewindToMetaKey, JSON.stringify({ donor: 9, other: 3 }));
  live.close();
  const incoming = join(dir, snapshotIncomingDirName);
  const copyDir = join(root, 'rewind-copy');
  mkdirSync(incoming, { recursive: true });
  mkdirSync(copyDir, { recursive: true });
  const stage = (): void => {
    copyFileSync(makeDonorDb(copyDir, 4), join(incoming, snapshotFileName));
    rmSync(join(copyDir, databaseFileName));
    prepareSnapshotFile(join(incoming, snapshotFileName), 'receiver', {});
    writeFileSync(join(incoming, snapshotReadyFileName), '{}');
  };
  // Capped at donor 9, the copy (donor 7) still lacks 8 and 9: refused.
  stage();
  const refused = installPendingSnapshot(dir);
  assert.match(refused.installed ? '' : (refused.refused ?? ''), /donor up to 9 \(copy: 7\)/);
  // Capped at what the copy holds: installed, and the copy does not carry the key.
  const again = new Database(join(dir, databaseFileName));
  again.prepare('INSERT OR REPLACE INTO _chorus_meta VALUES (?, ?)').run(rewindToMetaKey, '{"donor":7}');
  again.close();
  stage();
  assert.equal(installPendingSnapshot(dir).installed, true);
  const db = new Database(join(dir, databaseFileName), { readonly: true });
  assert.equal(db.prepare('SELECT count(*) FROM items').pluck().get(), 4);
  assert.equal(
    db.prepare('SELECT value FROM _chorus_meta WHERE key = ?').pluck().get(rewindToMetaKey),
    undefined,
  );
  db.close();
});

test('install removes stale sidecars of a database a crash left half-moved', () => {
  const dir = join(root, 'half-moved');
  const incoming = join(dir, snapshotIncomingDirName);
  mkdirSync(incoming, { recursive: true });
  makeDonorDb(dir, 3);
  renameSync(join(dir, databaseFileName), join(incoming, snapshotFileName));
  prepareSnapshotFile(join(incoming, snapshotFileName), 'receiver', {});
  writeFileSync(join(incoming, snapshotReadyFileName), '{}');
  // The live database was moved aside but its WAL was left behind (a crash between the two).
  writeFileSync(join(dir, `${databaseFileName}-wal`), Buffer.alloc(4096, 7));
  assert.deepEqual(installPendingSnapshot(dir), { installed: true, previous: null });
  assert.equal(existsSync(join(dir, `${databaseFileName}-wal`)), false);
  const db = new Database(join(dir, databaseFileName), { readonly: true });
  assert.equal(db.prepare('SELECT count(*) FROM items').pluck().get(), 3);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test("install keeps the live database's newer epoch: a vote granted while the node closed survives", () => {
  const dir = join(root, 'newer-epoch');
  const incoming = join(dir, snapshotIncomingDirName);
  mkdirSync(incoming, { recursive: true });
  makeDonorDb(dir, 2);
  renameSync(join(dir, databaseFileName), join(incoming, snapshotFileName));
  prepareSnapshotFile(join(incoming, snapshotFileName), 'receiver', { ha_epoch: '3' });
  writeFileSync(join(incoming, snapshotReadyFileName), '{}');
  // The live database (empty of transactions) raised its epoch to 7 after the download began.
  const live = new Database(join(dir, databaseFileName));
  live.pragma('journal_mode = WAL');
  live.exec(internalSchemaSql);
  live.prepare("INSERT INTO _chorus_meta VALUES ('node_id', 'receiver'), ('ha_epoch', '7')").run();
  live.close();
  assert.equal(installPendingSnapshot(dir).installed, true);
  const db = new Database(join(dir, databaseFileName), { readonly: true });
  assert.equal(db.prepare("SELECT value FROM _chorus_meta WHERE key = 'ha_epoch'").pluck().get(), '7');
  assert.equal(db.prepare('SELECT count(*) FROM items').pluck().get(), 2);
  db.close();
});

test('with no peer holding what this node holds, it neither waits for a snapshot nor refuses writes', () => {
  // This node holds c's transactions up to 10; the only peer has c's up to 3 (and ours).
  const { receiver, sent, failures, later } = refusedReceiver(
    'no-donor',
    { donor: 7, receiver: 5, c: 3 },
    { receiver: 5, c: 10 },
  );
  assert.equal(receiver.blocksWrites, false, 'nothing would end the wait: writes go on');
  receiver.tick();
  later();
  receiver.tick();
  receiver.tick();
  assert.deepEqual(sent, [], 'no snapshot is asked for');
  assert.equal(failures.length, 1, 'reported once');
  assert.match(failures[0]!, /no linked peer holds everything this node holds/);
  receiver.stop();
});
