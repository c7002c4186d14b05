// The PostgreSQL wire listener: accepts sockets, applies the authentication policy (trust for
// loopback clients by default, SCRAM-SHA-256 otherwise), negotiates TLS, routes CancelRequests and
// drains connections on shutdown.

import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { isLoopbackHost } from '../config/load.js';
import { ConfigError, listenError } from '../errors.js';
import { shutdownGraceMs } from '../limits.js';
import type { ChorusNode, Listener } from '../node/node.js';
import { type ConnectionHost, PgConnection } from './connection.js';
import { makeScramVerifier, parseScramVerifier, type ScramVerifier } from './scram.js';

function isLoopbackPeer(address: string): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isLoopbackHost(a);
}

export async function startPgServer(node: ChorusNode, host: string, port: number): Promise<Listener> {
  const cfg = node.config;
  const verifiers = new Map<string, ScramVerifier>();
  for (const u of cfg.auth.users) {
    verifiers.set(
      u.name,
      u.scram_verifier ? parseScramVerifier(u.scram_verifier) : makeScramVerifier(u.password!),
    );
  }
  let secureContext: ReturnType<typeof createSecureContext> | null = null;
  if (cfg.server.tls) {
    try {
      secureContext = createSecureContext({
        cert: readFileSync(cfg.server.tls.cert_file),
        key: readFileSync(cfg.server.tls.key_file),
      });
    } catch (e) {
      throw new ConfigError(`server.tls: cannot load certificate or key: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  const mockSecret = randomBytes(32);
  const connections = new Set<PgConnection>();
  const byPid = new Map<number, PgConnection>();
  let nextPid = 1000 + randomInt(1000);
  let accepting = true;
  const method = cfg.auth.method;

  const connHost: ConnectionHost = {
    node,
    authMethodFor(remote) {
      if (method === 'trust') return 'trust';
      if (method === 'scram-sha-256') return 'scram';
      return isLoopbackPeer(remote) ? 'trust' : 'scram';
    },
    verifierFor: (user) => verifiers.get(user) ?? null,
    mockSecret,
    tlsUpgrade: secureContext
      ? (socket: Socket) => new TLSSocket(socket, { isServer: true, secureContext: secureContext! })
      : null,
    register(conn) {
      if (byPid.size >= cfg.server.max_connections) return null;
      const processId = nextPid++;
      byPid.set(processId, conn);
      return { processId, secretKey: randomInt(0x7fffffff) };
    },
    unregister(conn) {
      connections.delete(conn);
      if (byPid.get(conn.processId) === conn) byPid.delete(conn.processId);
      if (!accepting && connections.size === 0) onDrained?.();
    },
    cancel(processId, secretKey) {
      const conn = byPid.get(processId);
      if (conn && conn.secretKey === secretKey) conn.cancel();
    },
    onProtocolError: () => node.metrics.protocolErrors.inc(),
    onAuthFailure: () => node.metrics.authFailures.inc(),
  };

  let onDrained: (() => void) | null = null;
  const server: Server = createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    node.metrics.connectionsTotal.inc({ protocol: 'postgres' });
    connections.add(new PgConnection(socket, connHost));
  });
  server.maxConnections = cfg.server.max_connections + 16; // headroom so refusals get an error message
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(listenError(e, 'PostgreSQL, --listen', `${host}:${port}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : { host, port };
  node.logger.info({ address: `${bound.host}:${bound.port}` }, 'PostgreSQL listener ready');

  return {
    address: () => bound,
    connectionCount: () => connections.size,
    async close() {
      accepting = false;
      server.close();
      if (connections.size > 0) {
        const drained = new Promise<void>((resolve) => {
          onDrained = resolve;
        });
        for (const c of connections) c.shutdown(false);
        const timer = new Promise<void>((resolve) => setTimeout(resolve, shutdownGraceMs).unref());
        await Promise.race([drained, timer]);
        for (const c of connections) c.shutdown(true);
      }
    },
  };
}
