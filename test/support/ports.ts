// Free TCP port allocation on 127.0.0.1 for tests and benchmarks that start real server processes.
// Ports are drawn at random below the kernel's ephemeral range: a port from that range (what
// listening on port 0 gives) can be taken by any outgoing connection between the allocation and
// the server's bind, or while a killed node is down before its restart binds the same port again,
// and the suite makes many outgoing connections. Each port is checked by binding it.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** The lowest port handed out (below it live well-known and registered services). */
export const allocatedPortMin = 20_000;
/** Used when the kernel's ephemeral range cannot be read (Linux's default starts at 32768). */
export const ephemeralPortMinDefault = 32_768;
/** Ports tried (each a bind) before allocation gives up. */
export const portAttemptsMax = 200;

/** The first port of the kernel's ephemeral range (outgoing connections take theirs from it). */
function ephemeralPortMin(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > allocatedPortMin + 1_000 ? n : ephemeralPortMinDefault;
  } catch {
    return ephemeralPortMinDefault;
  }
}

const portMax = ephemeralPortMin() - 1;

/** Binds a random port below the ephemeral range; the server holds it until closed. */
async function bindRandomPort(taken: ReadonlySet<number>): Promise<{ server: Server; port: number }> {
  for (let attempt = 0; attempt < portAttemptsMax; attempt++) {
    const port = allocatedPortMin + Math.floor(Math.random() * (portMax - allocatedPortMin + 1));
    if (taken.has(port)) continue;
    const server = createServer();
    server.unref();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
    });
    if (bound) return { server, port };
  }
  throw new Error(`no free port in ${allocatedPortMin}-${portMax} after ${portAttemptsMax} attempts`);
}

function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** An unused TCP port on 127.0.0.1 (bound, then released for the caller's server). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * Returns n distinct unused ports. All listeners are held open until every port is known,
 * so no port is handed out twice within one call.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports = new Set<number>();
  try {
    while (ports.size < n) {
      const { server, port } = await bindRandomPort(ports);
      servers.push(server);
      ports.add(port);
    }
    return [...ports];
  } finally {
    await Promise.all(servers.map(close));
  }
}
