// Catch-up of a new master joining a cluster that holds a large database: real server processes
// on loopback (test/support), the masters loaded to the target size, writers kept running on every
// master while the new node initializes, is added, takes a snapshot from a donor and streams the
// log on from the snapshot's vector. Prints the phases (snapshot made, transferred, installed, log
// caught up) with MB/s and rows/s; the aim (1 GB in under 60 s) is shown as met / not met, never
// asserted.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { databaseFileName } from '../src/storage/engine/engine.js';
import { startCluster, vectorSql } from '../test/support/cluster.js';
import { NodeProcess } from '../test/support/launcher.js';
import { queryOnce as query } from '../test/support/query.js';
import { fmt, intOption, loadavgText, printTable } from './support/report.js';
import { waitFor } from './support/run-control.js';
import { covers, type Vector } from './support/vectors.js';

/** Rows per loading statement (each row's body is bodyChars characters). */
const LOAD_ROWS_PER_STATEMENT = 1_000;
const BODY_CHARS = 2_000;
const POLL_MS = 50;
const NODE_READY_TIMEOUT_MS = 60_000;
const PHASE_TIMEOUT_MS = 30 * 60_000;
const AIM_SECONDS_PER_GB = 60;
const CLUSTER_SECRET = 'bench-catchup-secret';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    masters: { type: 'string', default: '2' },
    writers: { type: 'string', default: '1' },
  },
});
const targetBytes = intOption('size-mb', values['size-mb']!) * 1024 * 1024;
const masters = intOption('masters', values.masters!);
const writersPerMaster = intOption('writers', values.writers!, 0);

async function vectorOf(rows: Promise<Record<string, unknown>[]>): Promise<Vector> {
  return Object.fromEntries((await rows).map((r) => [String(r.origin), Number(r.seq)]));
}

/** Polls fn until it returns a value; throws naming `what` after PHASE_TIMEOUT_MS. */
function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, PHASE_TIMEOUT_MS, POLL_MS, fn);
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

async function main(): Promise<void> {
  console.log(
    `catch-up bench: ${masters} master(s) loaded to ${fmt(mb(targetBytes))} MB, ${writersPerMaster} writer(s) per master during the join; ${loadavgText()}`,
  );
  const c = await startCluster({ n: masters, topology: 'mesh', idPrefix: 'cu', secret: CLUSTER_SECRET });
  let fresh: NodeProcess | null = null;
  try {
    if (masters > 1) await c.waitLinked(30_000);
    await c.sql(0, 'CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await c.sql(0, 'CREATE TABLE live (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    const dbFile = join(c.nodes[0]!.dataDir, databaseFileName);
    const loadStart = performance.now();
    let rows = 0;
    while (statSync(dbFile).size < targetBytes) {
      await c.sql(
        0,
        // BODY_CHARS random hex digits per row (md5 chunks of 32, correlated with g so each row differs).
        `INSERT INTO bulk SELECT ${rows} + g, left((SELECT string_agg(md5(random()::text || i::text || g::text), '') FROM generate_series(1, ${Math.ceil(BODY_CHARS / 32)}) AS i), ${BODY_CHARS}) FROM generate_series(1, ${LOAD_ROWS_PER_STATEMENT}) AS g`,
      );
      rows += LOAD_ROWS_PER_STATEMENT;
    }
    const loadSec = (performance.now() - loadStart) / 1000;
    const target = await vectorOf(c.sql(0, vectorSql()));
    for (let i = 1; i < masters; i++)
      await until(`master ${i} to apply the load`, async () =>
        covers(await vectorOf(c.sql(i, vectorSql())), target) ? true : undefined,
      );
    const replicatedSec = (performance.now() - loadStart) / 1000;
    const fileBytes = statSync(dbFile).size;
    const [{ bytes: tableBytes }] = (await c.sql(0, 'SELECT sum(length(body)) AS bytes FROM bulk')) as {
      bytes: string;
    }[];
    console.log(
      `loaded ${rows.toLocaleString()} rows (${fmt(mb(Number(tableBytes)))} MB of row data; database file ${fmt(mb(fileBytes))} MB) in ${fmt(loadSec, 1)} s; on every master after ${fmt(replicatedSec, 1)} s`,
    );

    let writing = true;
    let written = 0;
    const writers: Promise<void>[] = [];
    for (let m = 0; m < masters; m++)
      for (let w = 0; w < writersPerMaster; w++)
        writers.push(
          (async () => {
            const client = new pg.Client({ connectionString: c.nodes[m]!.connectionString });
            await client.connect();
            for (let k = 0; writing; k++) {
              await client.query('INSERT INTO live VALUES ($1, $2)', [`m${m}w${w}-${k}`, k]);
              written++;
            }
            await client.end();
          })(),
        );

    fresh = await NodeProcess.start({
      nodeId: 'cu-new',
      extraArgs: ['--ha-mode', 'multi-primary'],
      env: { CHORUS_CLUSTER_SECRET: CLUSTER_SECRET },
      readyTimeoutMs: NODE_READY_TIMEOUT_MS,
    });
    const conn = fresh.connectionString;
    await query(
      conn,
      "SELECT replicate.initialize_master(master_id => 'cu-new', region => 'bench', priority => 1)",
    );
    const writtenBefore = written;
    const t0 = performance.now();
    await c.sql(
      0,
      `SELECT replicate.add_master(master_id => 'cu-new', endpoint => '127.0.0.1:${fresh.haPort}', region => 'bench', priority => 1, initial_role => 'replica')`,
    );
    let transferStart: number | null = null;
    const logs = fresh;
    await until('the snapshot transfer to start', async () => {
      const [s] = await query(conn, 'SELECT phase FROM replicate.snapshot_status');
      if (s?.phase === 'transferring' && transferStart === null) transferStart = performance.now();
      return transferStart !== null || logs.logs().includes('snapshot verified') ? true : undefined;
    });
    await until('the snapshot to be verified', async () =>
      logs.logs().includes('snapshot verified') ? true : undefined,
    );
    const tVerified = performance.now();
    await until('the snapshot to be installed', async () =>
      logs.logs().includes('snapshot installed') ? true : undefined,
    );
    await until('the new node to answer', async () =>
      (await query(conn, 'SELECT 1')).length ? true : undefined,
    );
    const tInstalled = performance.now();
    // The donor is whichever master the new node picked (the one holding the most).
    const statuses = (await Promise.all(
      c.nodes.map((_, i) => c.sql(i, 'SELECT last_make_ms, bytes_served FROM replicate.snapshot_status')),
    )) as { last_make_ms: string | null; bytes_served: string }[][];
    const donorStatus = statuses
      .map(([s]) => s!)
      .sort((a, b) => Number(b.bytes_served) - Number(a.bytes_served))[0];
    const mark = await vectorOf(c.sql(0, vectorSql()));
    const writtenAtInstall = written;
    await until('the new node to catch up with the writers running', async () =>
      covers(await vectorOf(query(conn, vectorSql())), mark) ? true : undefined,
    );
    const tCaught = performance.now();
    const stillWriting = writing && written > writtenAtInstall;
    writing = false;
    await Promise.all(writers);
    const final = await vectorOf(c.sql(0, vectorSql()));
    await until('the new node to hold every write', async () =>
      covers(await vectorOf(query(conn, vectorSql())), final) ? true : undefined,
    );
    const [{ n: liveRows }] = (await query(conn, 'SELECT count(*)::int AS n FROM live')) as { n: number }[];

    const snapshotBytes = Number(donorStatus?.bytes_served ?? 0);
    const total = (tCaught - t0) / 1000;
    const transferSec = (tVerified - (transferStart ?? t0)) / 1000;
    printTable(
      ['phase', 'seconds', 'MB/s', 'rows/s'],
      [
        [
          'snapshot made by the donor (online backup + SHA-256)',
          fmt(Number(donorStatus?.last_make_ms) / 1000, 2),
          '',
          '',
        ],
        [
          'request to verified copy (make + transfer + verify)',
          fmt((tVerified - t0) / 1000, 2),
          fmt(mb(snapshotBytes) / ((tVerified - t0) / 1000), 1),
          '',
        ],
        ['  of which chunk transfer', fmt(transferSec, 2), fmt(mb(snapshotBytes) / transferSec, 1), ''],
        ['install (in-process restart)', fmt((tInstalled - tVerified) / 1000, 2), '', ''],
        ['log catch-up to the writers', fmt((tCaught - tInstalled) / 1000, 2), '', ''],
        [
          'total: add_master to caught up',
          fmt(total, 2),
          fmt(mb(snapshotBytes) / total, 1),
          fmt(rows / total),
        ],
      ],
    );
    console.log(
      `snapshot ${fmt(mb(snapshotBytes))} MB, ${rows.toLocaleString()} bulk rows; writers: ${written - writtenBefore} rows during the join (${stillWriting ? 'still writing when the new node caught up' : 'NOT writing at catch-up'}); new node holds ${liveRows} of ${written} live rows at the end`,
    );
    const perGb = total / (mb(snapshotBytes) / 1024);
    console.log(
      `aim: 1 GB in under ${AIM_SECONDS_PER_GB} s — ${fmt(perGb, 1)} s per GB: ${perGb < AIM_SECONDS_PER_GB ? 'met' : 'not met'}`,
    );
  } finally {
    await fresh?.cleanup();
    await c.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
