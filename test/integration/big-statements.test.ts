// Statements past the node's limits get 54000 (program limit exceeded) and the connection goes on:
// a statement text over statementTextBytesMax, and a whole message over wireMessageBytesMax, which
// the server reads past without buffering it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { statementTextBytesMax, wireMessageBytesMax } from '../../src/limits.js';
import { NodeProcess } from '../support/launcher.js';

let node: NodeProcess;
let client: pg.Client;

before(async () => {
  node = await NodeProcess.start();
  client = new pg.Client({ host: '127.0.0.1', port: node.pgPort, user: 'postgres', database: 'chorus' });
  await client.connect();
});

after(async () => {
  await client?.end().catch(() => undefined);
  await node?.cleanup();
});

/** `SELECT 1 -- xxxx...`: a statement of `bytes` bytes. */
function statementOf(bytes: number): string {
  return `SELECT 1 AS one -- ${'x'.repeat(bytes)}`;
}

const limitError = (e: unknown): boolean => (e as { code?: string }).code === '54000';

test('a statement text over the limit is 54000, and the connection keeps working', async () => {
  await assert.rejects(client.query(statementOf(statementTextBytesMax + 1)), limitError);
  assert.deepEqual((await client.query('SELECT 2 AS two')).rows, [{ two: 2 }]);
});

test('a message over the wire limit is 54000 (simple and extended), and the connection keeps working', async () => {
  const huge = statementOf(wireMessageBytesMax + 1024);
  await assert.rejects(client.query(huge), limitError);
  assert.deepEqual((await client.query('SELECT 3 AS three')).rows, [{ three: 3 }]);
  // Extended protocol: the Parse is refused, the rest up to Sync skipped.
  const hugeWithParameter = `SELECT $1::int AS one -- ${'x'.repeat(wireMessageBytesMax + 1024)}`;
  await assert.rejects(client.query({ text: hugeWithParameter, values: [1] }), limitError);
  assert.deepEqual((await client.query({ text: 'SELECT $1::int AS four', values: [4] })).rows, [{ four: 4 }]);
});

test('inside a transaction block the refusal fails the block, as any error does', async () => {
  await client.query('BEGIN');
  await assert.rejects(client.query(statementOf(wireMessageBytesMax + 1)), limitError);
  await assert.rejects(client.query('SELECT 1'), (e: unknown) => (e as { code?: string }).code === '25P02');
  await client.query('ROLLBACK');
});
