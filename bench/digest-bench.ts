// Benchmarks split-brain detection (src/replication/integrity/merkle.ts): two SQLite files (WAL) holding the same
// `accounts` table of N rows, compared with compareTable() through the peer's MerkleResponder, every
// message round-tripped through the real peer-link frame codec (msgpack, uncompressed) in one process.
// Runs twice: identical tables (the baseline) and the same tables after ONE row was updated on one side.
// Prints rows, table bytes on disk, rounds, ranges compared, request/reply/total bytes, the bytes as a
// fraction of the table, wall time (both sides run in this process; `peer ms` is the responder's share) and
// the longest event-loop stall, and whether the total is under the 64 KiB aim. Information only: the exit
// code is 1 only if the differences found are wrong (2 on bad options or a crash).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type CompareResult, compareTable, MerkleResponder } from '../src/replication/integrity/merkle.js';
import { roundTripFrame } from '../src/replication/link/frames.js';
import type { PeerMessage } from '../src/replication/link/link.js';
import { fmt, intOption, loadavgText, printTable } from './support/report.js';

const DEFAULT_ROWS = 1_000_000;
/** The aim: two 1M-row tables differing in one row exchange less than this in total. */
const AIM_BYTES = 64 * 1024;
/** Frame limit of the simulated link (the node's default batch limit, 10 MiB, plus headroom). */
const FRAME_BYTES_MAX = 11 * 1024 * 1024;
/** Rows inserted per transaction while loading. */
const LOAD_ROWS_PER_TX = 100_000;
/** Event-loop delay sampling resolution. */
const LOOP_RESOLUTION_MS = 10;

interface Options {
  rows: number;
  json: string | undefined;
}

const USAGE = `usage: node dist/bench/digest-bench.js [options]
  --rows N      rows per table, at least 2 (default ${DEFAULT_ROWS})
  --json FILE   also write the results as JSON
  -h, --help`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string', default: String(DEFAULT_ROWS) },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return { rows: intOption('rows', values.rows, 2), json: values.json };
}

const codec = { compression: { enabled: false, thresholdBytes: 0 }, frameBytesMax: FRAME_BYTES_MAX };

function wire(msg: PeerMessage): PeerMessage {
  return roundTripFrame(msg, codec);
}

/** Creates `file` with N accounts rows (WAL, checkpointed) and returns the file's size. */
function load(file: string, rows: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(
    'CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL, note TEXT)',
  );
  const ins = db.prepare('INSERT INTO accounts (id, owner, balance, note) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i <= to; i++) {
      ins.run(i, `owner-${i % 9_973}`, (i * 7_919) % 1_000_000, i % 3 === 0 ? `note for account ${i}` : null);
    }
  });
  for (let from = 1; from <= rows; from += LOAD_ROWS_PER_TX)
    batch(from, Math.min(rows, from + LOAD_ROWS_PER_TX - 1));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return statSync(file).size;
}

interface Run {
  label: string;
  result: CompareResult;
  ms: number;
  /** Part of `ms` spent in the peer's responder (the rest: this side's scans and the codec). */
  peerMs: number;
  loopStallMsMax: number;
}

async function measure(label: string, left: Database.Database, right: Database.Database): Promise<Run> {
  const responder = new MerkleResponder(right);
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const start = performance.now();
  let peerMs = 0;
  const result = await compareTable(left, 'accounts', async (req) => {
    const received = wire(req);
    const peerStart = performance.now();
    const reply = await responder.handle(received);
    peerMs += performance.now() - peerStart;
    return wire(reply);
  });
  const ms = performance.now() - start;
  loop.disable();
  return { label, result, ms, peerMs, loopStallMsMax: loop.max / 1e6 };
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chorus-digest-bench-'));
  try {
    console.log(
      `digest-bench: ${fmt(opts.rows)} rows, node ${process.version}, ${os.cpus().length} cpus, loadavg ${loadavgText()}`,
    );
    const fileA = path.join(dir, 'a.db');
    const fileB = path.join(dir, 'b.db');
    const loadStart = performance.now();
    const tableBytes = load(fileA, opts.rows);
    load(fileB, opts.rows);
    console.log(`loaded both tables in ${fmt(performance.now() - loadStart)} ms\n`);

    const left = new Database(fileA, { readonly: true });
    const right = new Database(fileB, { readonly: true });
    const runs: Run[] = [];
    runs.push(await measure('identical', left, right));
    const target = Math.ceil(opts.rows / 2);
    const writer = new Database(fileB);
    writer.prepare('UPDATE accounts SET balance = balance + 1 WHERE id = ?').run(target);
    writer.close();
    runs.push(await measure('one row updated', left, right));
    left.close();
    right.close();

    const headers = [
      'run',
      'rows',
      'table bytes',
      'rounds',
      'ranges',
      'req bytes',
      'reply bytes',
      'total bytes',
    ];
    headers.push('of table', 'ms', 'peer ms', 'max loop stall ms', 'differing', '< 64 KiB');
    printTable(
      headers,
      runs.map(({ label, result: r, ms, peerMs, loopStallMsMax }) => {
        const total = r.requestBytes + r.replyBytes;
        return [
          label,
          fmt(r.localRows),
          fmt(tableBytes),
          fmt(r.rounds),
          fmt(r.rangesCompared),
          fmt(r.requestBytes),
          fmt(r.replyBytes),
          fmt(total),
          `${((total / tableBytes) * 100).toFixed(4)}%`,
          fmt(ms),
          fmt(peerMs),
          fmt(loopStallMsMax, 1),
          fmt(r.differing.length),
          total < AIM_BYTES ? 'yes' : 'no',
        ];
      }),
    );
    const changed = runs[1]!.result;
    const ok =
      runs[0]!.result.differing.length === 0 &&
      changed.differing.length === 1 &&
      changed.differing[0]!.pk === `[${target}]` &&
      changed.differing[0]!.local === 'present' &&
      changed.differing[0]!.remote === 'present';
    console.log(
      `\ndifferences found: ${ok ? 'correct' : 'WRONG'} (expected only [${target}] in the second run)`,
    );
    if (opts.json) {
      await writeFile(
        opts.json,
        `${JSON.stringify({ rows: opts.rows, tableBytes, runs }, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2)}\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
