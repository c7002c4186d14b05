// Public library API: open a ChorusDB node in-process, run SQL on it, optionally start its
// PostgreSQL and HTTP listeners. The CLI is a thin layer over exactly this.

export type { AdminColumn, AdminFunction, AdminValue, AdminView } from './admin/registry.js';
export { standardListeners } from './cli/listeners.js';
export { type FailoverNotice, NodeRunner, type RunNodeOptions, runNode } from './cli/node-runner.js';
export { type Config, type ConfigFlags, loadConfig } from './config/load.js';
export * from './errors.js';
export { startHttpServer } from './http/server.js';
export {
  ChorusNode,
  type ListenAddresses,
  type Listener,
  type OpenNodeOptions,
  openNode,
} from './node/node.js';
export type { QueryOutput } from './node/node-queries.js';
export type { BindValue } from './session/read-protocol.js';
export type { ColumnInfo, StatementResult } from './session/result.js';
export { startPgServer } from './wire/server.js';
