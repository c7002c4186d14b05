// Real ChorusDB server processes for benchmarks (test/support/launcher.ts): one standalone node, or a
// multi-primary cluster on loopback (full mesh, or the last node behind FaultProxies), each node with one
// pg connection for setup and polling; stopped with SIGTERM and removed at the end.
import pg from 'pg';
import { FaultProxy } from '../../src/testing/fault-proxy.js';
import { NodeProcess } from '../../test/support/launcher.js';
import { freePorts } from '../../test/support/ports.js';
import { waitFor } from './run-control.js';

export type PgClient = InstanceType<typeof pg.Client>;

export const HOST = '127.0.0.1';
export const PG_USER = 'test';
export const PG_DATABASE = 'chorus';
/** CHORUS_CLUSTER_SECRET of the benchmark clusters. */
export const CLUSTER_SECRET = 'bench-secret';
const NODE_READY_TIMEOUT_MS = 30_000;
const NODE_STOP_TIMEOUT_MS = 20_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Generous: benchmark statements insert thousands of rows on a loaded machine. */
const QUERY_TIMEOUT_MS = 120_000;
const TABLE_REPLICATION_TIMEOUT_MS = 30_000;
const TABLE_POLL_MS = 20;
/** Lines of each node's output shown when a phase fails. */
const LOG_TAIL_LINES = 30;

export interface BenchNode {
  id: string;
  proc: NodeProcess;
  /** Connection for setup, polling and checks (one query at a time). */
  client: PgClient;
}

export interface BenchCluster {
  nodes: BenchNode[];
  /** With the 'proxied' topology: the proxies the last node dials the others through. */
  proxies: FaultProxy[];
  /** Stops the nodes and proxies (once; later calls do nothing). */
  stop: () => Promise<void>;
}

/**
 * mesh: every node dials every other node directly.
 * proxied: all nodes but the last dial each other directly and do not dial the last one; the last node
 * dials each of the others through its own FaultProxy, so partitioning every proxy cuts it off.
 */
export type BenchTopology = 'mesh' | 'proxied';

export async function connect(port: number): Promise<PgClient> {
  const client = new pg.Client({
    host: HOST,
    port,
    user: PG_USER,
    database: PG_DATABASE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // A node killed under us must not crash the benchmark with an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function stopNode(proc: NodeProcess): Promise<void> {
  try {
    await proc.stop('SIGTERM', NODE_STOP_TIMEOUT_MS);
  } finally {
    await proc.cleanup();
  }
}

/** One node without --ha-mode. */
export async function startStandalone(nodeId: string): Promise<BenchNode & { stop: () => Promise<void> }> {
  const proc = await NodeProcess.start({ nodeId, readyTimeoutMs: NODE_READY_TIMEOUT_MS });
  let client: PgClient;
  try {
    client = await connect(proc.pgPort);
  } catch (err) {
    await proc.cleanup();
    throw err;
  }
  return {
    id: proc.nodeId,
    proc,
    client,
    stop: async () => {
      await client.end().catch(() => undefined);
      await stopNode(proc);
    },
  };
}

/** Starts `count` multi-primary nodes `bench-1` .. `bench-<count>` and connects to each. */
export async function startCluster(count: number, topology: BenchTopology): Promise<BenchCluster> {
  const ports = await freePorts(count * 3);
  const ha = ports.slice(0, count);
  const pgPorts = ports.slice(count, 2 * count);
  const http = ports.slice(2 * count);
  const ids = ha.map((_, i) => `bench-${i + 1}`);
  const proxies: FaultProxy[] = [];
  const procs: NodeProcess[] = [];
  const nodes: BenchNode[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.client.end().catch(() => undefined)));
    const results = await Promise.allSettled(procs.map((p) => stopNode(p)));
    for (const p of proxies) await p.close().catch(() => undefined);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) console.log(`cluster stop: ${(failed.reason as Error).message.split('\n')[0]}`);
  };
  try {
    const peers: string[][] = ha.map((_, i) => ha.filter((_p, j) => j !== i).map((p) => `${HOST}:${p}`));
    if (topology === 'proxied') {
      const last = count - 1;
      for (const target of ha.slice(0, last))
        proxies.push(await FaultProxy.start({ host: HOST, port: target }));
      for (let i = 0; i < last; i++)
        peers[i] = ha.filter((_p, j) => j !== i && j !== last).map((p) => `${HOST}:${p}`);
      peers[last] = proxies.map((p) => `${HOST}:${p.port}`);
    }
    const started = await Promise.allSettled(
      ids.map((nodeId, i) =>
        NodeProcess.start({
          nodeId,
          haPort: ha[i]!,
          pgPort: pgPorts[i]!,
          httpPort: http[i]!,
          readyTimeoutMs: NODE_READY_TIMEOUT_MS,
          extraArgs: ['--ha-mode', 'multi-primary', '--ha-peers', peers[i]!.join(',')],
          env: { CHORUS_CLUSTER_SECRET: CLUSTER_SECRET },
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const proc of procs) nodes.push({ id: proc.nodeId, proc, client: await connect(proc.pgPort) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, proxies, stop };
}

/** Last lines of each node's output, for failures. */
export function nodeLogTails(nodes: BenchNode[]): string {
  return nodes
    .map(
      ({ proc }) =>
        `--- last lines of ${proc.nodeId} ---\n${proc.logs().trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n')}`,
    )
    .join('\n');
}

/** Waits until `table` (created on one node) can be queried on every node. */
export async function waitTableEverywhere(nodes: BenchNode[], table: string): Promise<void> {
  for (const n of nodes) {
    await waitFor(`table ${table} on ${n.id}`, TABLE_REPLICATION_TIMEOUT_MS, TABLE_POLL_MS, async () => {
      await n.client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      return true;
    });
  }
}

export async function rowCount(client: PgClient, table: string): Promise<number> {
  const r = await client.query<{ c: string | number }>(`SELECT count(*) AS c FROM ${table}`);
  return Number(r.rows[0]?.c);
}
