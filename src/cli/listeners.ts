// Starts a node's client-facing listeners: the PostgreSQL wire server and the HTTP API.

import { startHttpServer } from '../http/server.js';
import type { ChorusNode, ListenerFactory } from '../node/node.js';
import { startPgServer } from '../wire/server.js';

export const standardListeners: ListenerFactory = async (node: ChorusNode) => {
  const s = node.config.server;
  const pg = await startPgServer(node, s.listen_address, s.port);
  try {
    const http = await startHttpServer(node, s.http_address, s.http_port);
    return { pg, http };
  } catch (e) {
    await pg.close();
    throw e;
  }
};
