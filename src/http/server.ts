// The HTTP API of a node: SQL over JSON (POST /db/execute, /db/query), health, status and
// Prometheus metrics. Plain node:http; every request runs in its own short-lived session.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ChorusError, listenError, MinLsnTimeoutError } from '../errors.js';
import { httpBodyBytesMax } from '../limits.js';
import type { ChorusNode, Listener } from '../node/node.js';
import { parseLsn } from '../session/local/wait-for.js';
import type { StatementResult } from '../session/result.js';
import { chorusVersion } from '../storage/sql-functions.js';
import { toChorusError } from '../storage/sqlite-errors.js';
import { errorToJson, parseSqlRequest, resultToJson } from './json.js';

/** Time a client has to send a whole request (headers and body). */
export const httpRequestTimeoutMs = 30_000;
/** Time a client has to send the request headers. */
export const httpHeadersTimeoutMs = 10_000;
/** Idle time before a keep-alive connection is closed. */
export const httpKeepAliveTimeoutMs = 5_000;
/** Time close() lets in-flight requests finish before destroying their connections. */
export const httpCloseGraceMs = 5_000;

const jsonContentType = 'application/json; charset=utf-8';

interface Route {
  methods: readonly string[];
  handle(node: ChorusNode, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void>;
}

/** An error answered with a fixed HTTP status (request-level problems found before SQL runs). */
class HttpError extends ChorusError {
  constructor(
    readonly status: number,
    sqlstate: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(sqlstate, message);
  }
}

/** HTTP status for a SQLSTATE (see docs/http-api.md). */
export function statusForSqlstate(sqlstate: string): number {
  if (sqlstate === '57P01') return 503;
  if (sqlstate === '55P03') return 423;
  const cls = sqlstate.slice(0, 2);
  switch (cls) {
    case '23':
    case '40':
      return 409;
    case '42':
    case '22':
    case '0A':
    case '08':
    case '25':
    case '3B':
    case '54':
      return 400;
    case '53':
      return 503;
    default:
      return 500;
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': jsonContentType,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(node: ChorusNode, res: ServerResponse, e: unknown): void {
  if (e instanceof HttpError) {
    send(res, e.status, errorToJson(e), e.headers);
    return;
  }
  const err = toChorusError(e);
  const status = statusForSqlstate(err.sqlstate);
  if (status === 500) node.logger.error({ err: e }, 'HTTP request failed');
  send(res, status, errorToJson(err));
}

/** Read the body up to httpBodyBytesMax; past that, stop buffering and fail with 413. */
function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () =>
    new HttpError(413, '54000', `request body exceeds ${httpBodyBytesMax} bytes`, { Connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > httpBodyBytesMax) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > httpBodyBytesMax) {
        finish();
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      finish();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      finish();
      reject(err);
    };
    const finish = () => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onClose = () => onError(new Error('request closed before its body was complete'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function checkContentType(req: IncomingMessage): void {
  const ct = req.headers['content-type'];
  if (ct === undefined) return;
  const media = ct.split(';')[0]!.trim().toLowerCase();
  if (media !== 'application/json') {
    throw new HttpError(415, '08P01', `unsupported Content-Type "${ct}"; send application/json`);
  }
}

/** Read-your-writes over HTTP (docs/http-api.md): the response's commit position ... */
export const commitLsnHeader = 'Chorus-Commit-LSN';
/** ...that a later request sends back: the node first waits until it holds that position ... */
export const minLsnHeader = 'chorus-min-lsn';
/** ...for at most this many ms (default httpMinLsnTimeoutMsDefault, at most httpMinLsnTimeoutMsMax). */
export const minLsnTimeoutHeader = 'chorus-min-lsn-timeout';
export const httpMinLsnTimeoutMsDefault = 5_000;
export const httpMinLsnTimeoutMsMax = 60_000;

function readYourWrites(req: IncomingMessage): { minLsn: number | null; timeoutMs: number } {
  const one = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const lsnText = one(minLsnHeader);
  const minLsn = lsnText === undefined ? null : parseLsn(lsnText);
  const msText = one(minLsnTimeoutHeader);
  if (msText === undefined) return { minLsn, timeoutMs: httpMinLsnTimeoutMsDefault };
  const ms = /^\s*\d{1,9}\s*$/.test(msText) ? Number(msText) : Number.NaN;
  if (!(ms <= httpMinLsnTimeoutMsMax))
    throw new HttpError(
      400,
      '22023',
      `Chorus-Min-LSN-Timeout must be a number of milliseconds from 0 to ${httpMinLsnTimeoutMsMax}`,
    );
  return { minLsn, timeoutMs: ms };
}

function sqlRoute(allowFormat: boolean): Route {
  return {
    methods: ['POST'],
    async handle(node, req, res, query) {
      if (node.shuttingDown) throw new HttpError(503, '57P01', 'node is shutting down');
      const format = query.get('format') ?? 'arrays';
      if (format !== 'arrays' && (format !== 'objects' || !allowFormat)) {
        throw new HttpError(
          400,
          '22023',
          `unsupported format "${format}"${allowFormat ? '; use arrays or objects' : ''}`,
        );
      }
      checkContentType(req);
      const { sql, params } = parseSqlRequest(await readBody(req));
      const { minLsn, timeoutMs } = readYourWrites(req);
      const started = performance.now();
      let run: { results: StatementResult[]; commitLsn: number | null };
      try {
        run = await node.execTracked(sql, params, minLsn, timeoutMs);
      } catch (e) {
        // The node did not reach Chorus-Min-LSN in time: nothing ran.
        if (e instanceof MinLsnTimeoutError) throw new HttpError(504, e.sqlstate, e.message);
        throw e;
      }
      const timeMs = Math.round((performance.now() - started) * 1000) / 1000;
      send(
        res,
        200,
        { results: run.results.map((r) => resultToJson(r, format)), time_ms: timeMs },
        run.commitLsn === null ? {} : { [commitLsnHeader]: String(run.commitLsn) },
      );
    },
  };
}

const routes: Record<string, Route> = {
  '/db/execute': sqlRoute(false),
  '/db/query': sqlRoute(true),
  '/health': {
    methods: ['GET', 'HEAD'],
    async handle(node, _req, res) {
      if (node.shuttingDown) send(res, 503, { status: 'shutting_down', node_id: node.nodeId });
      else send(res, 200, { status: 'ok', node_id: node.nodeId });
    },
  },
  '/status': {
    methods: ['GET', 'HEAD'],
    async handle(node, _req, res) {
      send(res, 200, {
        node_id: node.nodeId,
        mode: node.config.haMode,
        role: node.role(),
        lsn: node.engine.currentLsn(),
        uptime_seconds: Math.floor((Date.now() - node.startedAtMs) / 1000),
        version: chorusVersion,
      });
    },
  },
  '/metrics': {
    methods: ['GET', 'HEAD'],
    async handle(node, _req, res) {
      const text = await node.metrics.registry.metrics();
      if (res.headersSent || res.destroyed) return;
      res.writeHead(200, {
        'Content-Type': node.metrics.registry.contentType,
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    },
  },
};

async function handleRequest(node: ChorusNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!route)
    throw new HttpError(404, '42704', `no such endpoint: ${req.method ?? ''} ${path}`.slice(0, 300));
  const method = req.method ?? '';
  if (!route.methods.includes(method)) {
    throw new HttpError(405, '08P01', `method ${method} is not allowed on ${path}`, {
      Allow: route.methods.join(', '),
    });
  }
  await route.handle(node, req, res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
}

/** A raw response for errors node:http reports before a request object exists (bad framing, timeouts). */
function clientErrorResponse(code: string | undefined): string {
  const [status, reason, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request not received in time']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { message, sqlstate: '08P01' } });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${jsonContentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Start the HTTP API on host:port (port 0 picks a free port; address() reports it). */
export async function startHttpServer(node: ChorusNode, host: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>();
  let closing: Promise<void> | null = null;
  let serverClosed = false;
  /** Set by close(): resolves it once the server has stopped and the last socket is gone. */
  let onDrained = (): void => {};

  const inFlight = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      // The connection just became idle: while closing, end it instead of keeping it alive.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    handleRequest(node, req, res).catch((e: unknown) => {
      try {
        sendError(node, res, e);
      } catch (sendErr) {
        node.logger.error({ err: sendErr }, 'HTTP error response failed');
        res.destroy();
      }
    });
  });
  server.requestTimeout = httpRequestTimeoutMs;
  server.headersTimeout = httpHeadersTimeoutMs;
  server.keepAliveTimeout = httpKeepAliveTimeoutMs;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    node.metrics.connectionsTotal.inc({ protocol: 'http' });
    socket.once('close', () => {
      sockets.delete(socket);
      onDrained();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code !== 'ECONNRESET' && socket.writable) {
      socket.end(clientErrorResponse(err.code));
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, 'HTTP API, --http', `${host}:${port}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err: Error) => node.logger.error({ err }, 'HTTP server error'));

  const addr = server.address() as AddressInfo;
  node.logger.info({ host: addr.address, port: addr.port }, 'HTTP API listening');

  return {
    address: () => ({ host: addr.address, port: addr.port }),
    connectionCount: () => sockets.size,
    close(): Promise<void> {
      if (!closing) {
        closing = new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), httpCloseGraceMs);
          onDrained = () => {
            if (!serverClosed || sockets.size > 0) return;
            clearTimeout(force);
            resolve();
          };
          server.close(() => {
            serverClosed = true;
            onDrained();
          });
          server.closeIdleConnections();
          for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        });
      }
      return closing;
    },
  };
}
