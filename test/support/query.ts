// One query over a connection of its own: for nodes that may restart in-process between queries
// (installing a snapshot closes every client connection), where a long-lived client would break.
import pg from 'pg';

export async function queryOnce(connectionString: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * One query over a connection of its own, for polling a node that may be down, restarting or
 * refusing: its rows, or undefined on any error (a condition checked again later).
 */
export async function tryQuery(
  connectionString: string,
  sql: string,
): Promise<Record<string, unknown>[] | undefined> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
