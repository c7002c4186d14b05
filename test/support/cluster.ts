// Starts a multi-primary ChorusDB cluster of real server processes on loopback for integration tests:
// chosen dial topology (mesh, ring, explicit edges), optional fault proxies on chosen links, a pg client
// per node, and a deadline-bounded convergence check (identical table contents and applied vectors).
import pg from 'pg';
import { FaultProxy } from '../../src/testing/fault-proxy.js';
import { NodeProcess, portTakenIn } from './launcher.js';
import { freePorts } from './ports.js';

/** Dial edges: [from, to] means node `from` lists node `to` in --ha-peers (links are bidirectional). */
export type Topology = 'mesh' | 'ring' | { edges: [number, number][] };

export interface ClusterOptions {
  n: number;
  topology: Topology;
  /** Cluster secret (CHORUS_CLUSTER_SECRET) shared by every node. */
  secret?: string;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** Extra environment for node i (after env). */
  envOf?: (i: number) => Record<string, string>;
  configToml?: string;
  /** Node ids (default: <prefix>-1 .. <prefix>-n). */
  nodeIds?: string[];
  /** Prefix of the default node ids (default: 'mp'). */
  idPrefix?: string;
  /** Dial edges (members of the topology) whose traffic goes through a FaultProxy. */
  proxied?: [number, number][];
  /** Extra CLI arguments for every node. */
  extraArgs?: string[];
}

export interface Cluster {
  nodes: NodeProcess[];
  /** One connected pg.Client per node (replaced by reconnect(i)). */
  clients: pg.Client[];
  /** Dial edges actually used. */
  edges: [number, number][];
  /** The FaultProxy in front of a proxied edge [from, to]. */
  proxy(from: number, to: number): FaultProxy;
  /** Runs one query on node i and returns its rows. */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(
    i: number,
    text: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** (Re)connects node i's client (after a kill/restart). */
  reconnect(i: number): Promise<void>;
  /** Applied vector of node i: origin → max(origin_seq) in replicate.log. */
  vector(i: number): Promise<Record<string, number>>;
  /**
   * Polls until every node (or the given subset) returns identical `SELECT * FROM t ORDER BY 1` for each
   * table and identical applied vectors; throws with every node's dump at the deadline.
   */
  waitConverged(tables: string[], timeoutMs: number, only?: number[]): Promise<void>;
  /** Waits until node i's current process logged 'peer link up' for each of the given peers. */
  waitLinked(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export const defaultSecret = 'integration-test-cluster-secret';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function topologyEdges(n: number, topology: Topology): [number, number][] {
  if (topology === 'mesh') {
    const edges: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push([i, j]);
    return edges;
  }
  if (topology === 'ring') {
    const edges: [number, number][] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
      if (i === j || seen.has(key)) continue;
      seen.add(key);
      edges.push([i, j]);
    }
    return edges;
  }
  return topology.edges.map(([a, b]) => [a, b]);
}

export async function connectClient(node: NodeProcess): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: node.connectionString, query_timeout: 15_000 });
  client.on('error', () => {
    // A killed server breaks the connection; the test reconnects explicitly.
  });
  await client.connect();
  return client;
}

/** The text of the current process's logs (after the launcher's last start marker). */
export function currentLogs(node: NodeProcess): string {
  const text = node.logs();
  const idx = text.lastIndexOf('--- launcher: node ');
  return idx >= 0 ? text.slice(idx) : text;
}

export function vectorSql(): string {
  return 'SELECT origin, max(origin_seq) AS seq FROM replicate.log GROUP BY origin ORDER BY origin';
}

/**
 * Starts the cluster; ports are chosen up front (every node must know its peers' ports), so a port taken
 * in the meantime by another process makes a node fail (port already in use): the whole cluster is then
 * started again on new ports (up to 3 attempts).
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !portTakenIn((err as Error).message)) throw err;
    }
  }
}

async function startClusterOnce(opts: ClusterOptions): Promise<Cluster> {
  const { n } = opts;
  const prefix = opts.idPrefix ?? 'mp';
  const ids = opts.nodeIds ?? Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  if (ids.length !== n) throw new Error('nodeIds must have n entries');
  const edges = topologyEdges(n, opts.topology);
  const ports = await freePorts(3 * n);
  const haPorts = ids.map((_, i) => ports[3 * i + 2]!);
  const proxies = new Map<string, FaultProxy>();
  const nodes: NodeProcess[] = [];
  const clients: pg.Client[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await Promise.all([...proxies.values()].map((p) => p.close().catch(() => undefined)));
    await Promise.all(nodes.map((node) => node.cleanup().catch(() => undefined)));
  };

  try {
    for (const [a, b] of opts.proxied ?? []) {
      if (!edges.some(([x, y]) => x === a && y === b))
        throw new Error(`proxied edge ${a}->${b} is not a dial edge of the topology`);
      proxies.set(`${a}-${b}`, await FaultProxy.start({ host: '127.0.0.1', port: haPorts[b]! }));
    }
    const peersOf = (i: number): string[] =>
      edges
        .filter(([a]) => a === i)
        .map(([a, b]) => {
          const proxy = proxies.get(`${a}-${b}`);
          return `127.0.0.1:${proxy ? proxy.port : haPorts[b]!}`;
        });
    const started = await Promise.allSettled(
      ids.map((nodeId, i) => {
        const peers = peersOf(i);
        return NodeProcess.start({
          nodeId,
          pgPort: ports[3 * i]!,
          httpPort: ports[3 * i + 1]!,
          haPort: haPorts[i]!,
          extraArgs: [
            '--ha-mode',
            'multi-primary',
            ...(peers.length > 0 ? ['--ha-peers', peers.join(',')] : []),
            ...(opts.extraArgs ?? []),
          ],
          env: {
            CHORUS_CLUSTER_SECRET: opts.secret ?? defaultSecret,
            // Each master its own sequence slot (serial keys), unless a config file says otherwise.
            ...(opts.configToml === undefined
              ? {
                  CHORUS_REPLICATION__SEQUENCE_SLOT: String(i),
                  CHORUS_REPLICATION__SEQUENCE_SLOTS: String(n),
                }
              : {}),
            ...(opts.env ?? {}),
            ...(opts.envOf?.(i) ?? {}),
          },
          ...(opts.configToml !== undefined ? { configToml: opts.configToml } : {}),
        });
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (const node of nodes) clients.push(await connectClient(node));
  } catch (err) {
    await stop();
    throw err;
  }

  const sql = async <T extends Record<string, unknown>>(
    i: number,
    text: string,
    params: unknown[] = [],
  ): Promise<T[]> => {
    const res = await clients[i]!.query(text, params);
    return res.rows as T[];
  };

  const vector = async (i: number): Promise<Record<string, number>> => {
    const rows = await sql<{ origin: string; seq: unknown }>(i, vectorSql());
    return Object.fromEntries(rows.map((r) => [r.origin, Number(r.seq)]));
  };

  const neighbours = (i: number): string[] =>
    edges.flatMap(([a, b]) => (a === i ? [ids[b]!] : b === i ? [ids[a]!] : []));

  const cluster: Cluster = {
    nodes,
    clients,
    edges,
    proxy(from, to) {
      const p = proxies.get(`${from}-${to}`);
      if (!p) throw new Error(`no proxy on edge ${from}->${to}`);
      return p;
    },
    sql,
    vector,
    async reconnect(i) {
      await clients[i]?.end().catch(() => undefined);
      clients[i] = await connectClient(nodes[i]!);
    },
    async waitConverged(tables, timeoutMs, only) {
      const which = only ?? nodes.map((_, i) => i);
      const deadline = Date.now() + timeoutMs;
      let dumps: string[] = [];
      for (;;) {
        dumps = await Promise.all(
          which.map(async (i) => {
            const parts: Record<string, unknown> = {};
            for (const t of tables) {
              try {
                parts[t] = await sql(i, `SELECT * FROM ${t} ORDER BY 1`);
              } catch (err) {
                parts[t] = `ERROR: ${(err as Error).message}`;
              }
            }
            try {
              parts['<vector>'] = await vector(i);
            } catch (err) {
              parts['<vector>'] = `ERROR: ${(err as Error).message}`;
            }
            return JSON.stringify(parts);
          }),
        );
        const ok = dumps.every((d) => d === dumps[0]) && !dumps[0]!.includes('"ERROR: ');
        if (ok) return;
        if (Date.now() > deadline) break;
        await sleep(100);
      }
      const detail = which
        .map((i, k) => {
          const d = dumps[k]!;
          return `--- ${ids[i]} (${d.length} chars): ${d.length > 4000 ? `${d.slice(0, 4000)}...` : d}`;
        })
        .join('\n');
      throw new Error(`cluster did not converge within ${timeoutMs} ms on ${tables.join(', ')}\n${detail}`);
    },
    async waitLinked(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing: string[] = [];
        nodes.forEach((node, i) => {
          const logs = currentLogs(node);
          for (const peer of neighbours(i)) {
            const re = new RegExp(`"peer":"${peer}"[^\\n]*"msg":"peer link up"`);
            if (!re.test(logs)) missing.push(`${ids[i]}->${peer}`);
          }
        });
        if (missing.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(`peer links not up within ${timeoutMs} ms: ${missing.join(', ')}`);
        await sleep(50);
      }
    },
    stop,
  };
  return cluster;
}
