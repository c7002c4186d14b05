// Builds a node's TCP peer network from its [replication] config: peers from --ha-peers and
// [[replication.masters]], the cluster secret, heartbeats, batching limits, optional peer TLS.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type Config, standbyServes } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { PeerNetwork } from '../replication/link/link.js';
import { TcpPeerNetwork, type TcpPeerNetworkOptions } from '../replication/link/transport.js';
import type { ChorusNode } from './node.js';

/** Headroom above max_batch_size_mb for framing and message envelopes. */
export const frameHeadroomBytes = 1024 * 1024;
export const reconnectInitialMs = 50;
export const reconnectMaxMs = 5_000;

export function peerEndpoints(node: ChorusNode): string[] {
  const r = node.config.replication;
  const own = new Set([r.ha_bind]);
  const out = new Set<string>();
  for (const p of r.peers) if (!own.has(p)) out.add(p);
  for (const m of r.masters) {
    if (m.master_id === node.nodeId || m.master_id === r.local_master_id || own.has(m.endpoint)) continue;
    out.add(m.endpoint);
  }
  return [...out];
}

export function tcpNetworkFromConfig(node: ChorusNode): PeerNetwork {
  const r = node.config.replication;
  // A standby dials its upstream (a primary only listens: standbys dial it); it listens too when
  // given an --ha-bind, for standbys that cascade from it.
  const standby = node.config.haMode === 'standby' && r.primary !== undefined;
  return new TcpPeerNetwork(
    tcpOptions(
      node.config,
      node.nodeId,
      standby && !standbyServes(node.config) ? null : r.ha_bind,
      standby ? [r.primary!] : peerEndpoints(node),
      node.logger,
    ),
  );
}

/** Dial-only links to the configured witnesses (use_witness_node), or null when there are none. */
export function witnessNetworkFromConfig(node: ChorusNode): PeerNetwork | null {
  const r = node.config.replication;
  if (!r.use_witness_node || r.witness_endpoints.length === 0) return null;
  return new TcpPeerNetwork(tcpOptions(node.config, node.nodeId, null, r.witness_endpoints, node.logger));
}

/** Vote links of automatic failover ([ha] nodes): listen on vote_bind, dial every other node and observer. */
export function voteNetworkFromConfig(node: ChorusNode): PeerNetwork | null {
  const h = node.config.ha;
  if (h.nodes.length === 0 || !h.vote_bind) return null;
  const others = [...new Set([...h.nodes, ...h.observers])].filter((e) => e !== h.vote_bind);
  return new TcpPeerNetwork({
    ...tcpOptions(node.config, node.nodeId, h.vote_bind, others, node.logger),
    listenerName: 'failover votes, ha.vote_bind',
  });
}

/** The peer-link options of a config: the cluster's name, secret, TLS, heartbeats and limits. */
export function tcpOptions(
  config: Config,
  nodeId: string,
  bind: string | null,
  peers: string[],
  logger: Logger,
): TcpPeerNetworkOptions {
  const r = config.replication;
  if (!r.cluster_secret) throw new ConfigError('replication.cluster_secret is required for peer links');
  let tls: { cert: Buffer; key: Buffer; ca?: Buffer } | null = null;
  if (r.tls) {
    try {
      tls = {
        cert: readFileSync(r.tls.cert_file),
        key: readFileSync(r.tls.key_file),
        ...(r.tls.ca_file ? { ca: readFileSync(r.tls.ca_file) } : {}),
      };
    } catch (e) {
      throw new ConfigError(`replication.tls: cannot read certificate files: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  return {
    nodeId,
    region: r.local_region ?? r.masters.find((m) => m.master_id === nodeId)?.region ?? null,
    clusterName: r.cluster_name,
    clusterSecret: r.cluster_secret,
    bind,
    peers,
    tls,
    heartbeatIntervalMs: r.heartbeat_interval_ms,
    heartbeatTimeoutMs: r.heartbeat_timeout_ms,
    replicationTimeoutMs: r.replication_timeout_ms,
    frameBytesMax: r.max_batch_size_mb * 1024 * 1024 + frameHeadroomBytes,
    compression: { enabled: r.enable_compression, thresholdBytes: r.compression_threshold_bytes },
    sendBufferBytesMax: r.buffers.per_peer_buffer_mb * 1024 * 1024,
    reconnect: { initialMs: reconnectInitialMs, maxMs: reconnectMaxMs },
    // The transport names its component itself (a second `component` key would repeat in each line).
    logger,
  };
}
