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
