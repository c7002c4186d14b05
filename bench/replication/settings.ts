// Fixed settings of the replication benchmark shared by its phases: cluster size, load shape, the tables
// each phase writes, poll intervals and deadlines, and the aims from the issue.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LoadRunner } from '../support/load.js';

export const NODE_COUNT = 3;
/** pgbench connections per node (and pgbench threads per node). */
export const CLIENTS_PER_NODE = 2;
const THREADS_PER_NODE = 1;
const MAX_ID = 9_000_000_000_000_000; // below 2^53: ids stay exact in JS numbers
export const PAYLOAD = 'payload-xxxxxxxxxxxxxxxx';
/** Rows per transaction in the apply and partition phases. */
export const ROWS_PER_TX = 1000;

export const VECTOR_POLL_MS = 20;
/** After a load run: how long the cluster gets to apply its backlog. */
export const CATCHUP_TIMEOUT_MS = 300_000;

/** A rate within this fraction of another counts as bounded by / equal to it. */
export const ORIGIN_BOUND_FRACTION = 0.9;

export const AIMS = {
  applyRowsPerSecPerNode: 50_000,
  lagP99Ms: 50,
  lagAtWritesPerSecPerNode: 5_000,
  convergeDivergentWrites: 100_000,
  convergeMs: 10_000,
  bigApplyReadMaxMs: 100,
} as const;

export const CREATE_BENCH_REP = 'CREATE TABLE bench_rep (id BIGINT PRIMARY KEY, client INTEGER, v TEXT)';
export const CREATE_BENCH_APPLY = 'CREATE TABLE bench_apply (id INTEGER PRIMARY KEY, v TEXT)';
export const CREATE_LAG_PROBE = 'CREATE TABLE lag_probe (id TEXT PRIMARY KEY, origin TEXT, t_ms BIGINT)';
export const CREATE_DIV_REP = 'CREATE TABLE div_rep (id BIGINT PRIMARY KEY, origin TEXT, n INTEGER)';

/** The autocommit-insert workload of bench:node, into bench_rep: one random-key insert per transaction. */
const INSERT_SCRIPT = `\\set id random(1, ${MAX_ID})\nINSERT INTO bench_rep VALUES (:id, :client_id, '${PAYLOAD}');\n`;
const INSERT_SQL = 'INSERT INTO bench_rep VALUES ($1, $2, $3)';

/** The load of phases 1 and 3 (pgbench when given, else the pg-driver loop); writes its script to workDir. */
export async function insertLoad(pgbench: string | undefined, workDir: string): Promise<LoadRunner> {
  const scriptFile = path.join(workDir, 'autocommit-insert.sql');
  await writeFile(scriptFile, INSERT_SCRIPT);
  return new LoadRunner({
    pgbench,
    scriptFile,
    statement: {
      name: 'ins',
      text: INSERT_SQL,
      values: (clientId) => [1 + Math.floor(Math.random() * MAX_ID), clientId, PAYLOAD],
    },
    clients: CLIENTS_PER_NODE,
    threads: THREADS_PER_NODE,
    appName: 'chorus-replication-bench',
  });
}

/** One autocommit statement inserting ids first..last (one transaction of last - first + 1 rows). */
export function rangeInsertSql(table: string, first: number, last: number, valuesFor: string): string {
  return (
    `INSERT INTO ${table} WITH RECURSIVE c(x) AS (SELECT ${first} UNION ALL SELECT x + 1 FROM c WHERE x < ${last}) ` +
    `SELECT x, ${valuesFor} FROM c`
  );
}
