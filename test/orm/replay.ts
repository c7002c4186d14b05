// Replays a statement trace recorded on PostgreSQL (run.js --trace) against another server, one
// statement at a time in autocommit (transaction control is skipped, so one refusal does not fail the
// statements after it), and writes each statement whose outcome differs: refused on one side only, a
// different SQLSTATE, or other columns / row counts (test/orm/README.md):
// `node dist/test/orm/replay.js trace.json 127.0.0.1:5432 [user] [database] > differences.json`.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { TracedStatement } from './record.js';

const transactionControl = /^\s*(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release)\b/i;

/** Turns a traced parameter (record.ts's jsonable form) back into what pg sends. */
function param(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ('$bigint' in o) return String(o.$bigint);
    if ('$date' in o) return String(o.$date);
    if ('$buffer' in o) return Buffer.from(String(o.$buffer), 'hex');
    if ('$undefined' in o) return null;
    return JSON.stringify(v);
  }
  return v;
}

interface Outcome {
  code?: string;
  message?: string;
  command?: string;
  rowCount?: number | null;
  fields?: string[];
  rows?: unknown[];
}

const [traceFile, hostPort, user = 'test', database = 'chorus'] = process.argv.slice(2);
if (!traceFile || !hostPort) {
  console.error('usage: replay.js trace.json host:port [user] [database]');
  process.exit(2);
}
const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as TracedStatement[];
const [host, port] = hostPort.split(':');
const client = new pg.Client({ host: host!, port: Number(port), user, database });
client.on('error', () => undefined);
await client.connect();
const differences: unknown[] = [];
for (const [index, st] of trace.entries()) {
  if (transactionControl.test(st.sql)) continue;
  let got: Outcome;
  try {
    const res = await client.query({ text: st.sql, values: (st.params ?? []).map(param) });
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    got = {
      command: last.command,
      rowCount: last.rowCount ?? null,
      fields: last.fields?.map((f: { name: string }) => f.name),
      rows: last.rows?.slice(0, 5),
    };
  } catch (err) {
    const e = err as { code?: string; message: string };
    got = { ...(e.code ? { code: e.code } : {}), message: e.message };
  }
  const want: Outcome = st.error ? { ...st.error } : { ...st.result };
  let kind: string | undefined;
  if (want.code === undefined && want.message === undefined && got.message !== undefined) kind = 'refused';
  else if (want.message !== undefined && got.message === undefined) kind = 'accepted (PostgreSQL refuses)';
  else if (want.message !== undefined && got.code !== want.code) kind = 'other SQLSTATE';
  else if (got.message === undefined && JSON.stringify(got.fields) !== JSON.stringify(want.fields))
    kind = 'other columns';
  else if (got.message === undefined && got.rowCount !== want.rowCount) kind = 'other row count';
  if (kind) differences.push({ index, kind, sql: st.sql, params: st.params, postgres: want, chorus: got });
}
await client.end();
console.log(JSON.stringify(differences, null, 1));
