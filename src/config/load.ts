// Builds the one frozen Config a node runs with: TOML file, then command-line flags, then CHORUS_*
// environment variables (each overriding the one before), validated once with the key named on error.

import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { normalizeSyncMode, parseSyncStandbys, type SyncMode } from './sync-standbys.js';

export type HaMode = 'standalone' | 'multi-primary' | 'primary' | 'standby';

export interface Config extends ParsedConfig {
  /** replication.mode with the seed's spelling multi_master normalized to multi-primary. */
  readonly haMode: HaMode;
  /** ha.sync_mode with the seed's spellings (synchronous, asynchronous, ...) normalized. */
  readonly syncMode: SyncMode;
  /** Path of the config file read, if any. */
  readonly configFile: string | null;
  /** replication.ha_bind was set (flag, environment or file), not defaulted: a standby then listens on it. */
  readonly haBindGiven: boolean;
}

/**
 * A standby listens on its --ha-bind when one is given, and serves the standbys that name it as
 * their upstream (cascading); without one it only dials its upstream.
 */
export function standbyServes(config: Config): boolean {
  return config.haMode === 'standby' && config.haBindGiven;
}

/** Flags of `chorus server`, already parsed by the CLI; all optional. */
export interface ConfigFlags {
  config?: string;
  nodeId?: string;
  dataDir?: string;
  listen?: string;
  http?: string;
  haMode?: string;
  haBind?: string;
  haPeers?: string;
  haPrimary?: string;
  haRegion?: string;
  haSyncMode?: string;
  logLevel?: string;
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function splitHostPort(value: string, what: string): [string, number] {
  const idx = value.lastIndexOf(':');
  const port = Number(value.slice(idx + 1));
  if (idx <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${what}: expected host:port, got "${value}"`);
  }
  return [value.slice(0, idx).replace(/^\[|\]$/g, ''), port];
}

/** Named settings reachable by flag and by environment variable. */
function applyNamed(tree: Tree, name: keyof ConfigFlags, value: string, origin: string): void {
  switch (name) {
    case 'nodeId':
      setPath(tree, ['server', 'node_id'], value);
      return;
    case 'dataDir':
      setPath(tree, ['server', 'data_dir'], value);
      return;
    case 'listen': {
      const [host, port] = splitHostPort(value, origin);
      setPath(tree, ['server', 'listen_address'], host);
      setPath(tree, ['server', 'port'], port);
      return;
    }
    case 'http': {
      const [host, port] = splitHostPort(value, origin);
      setPath(tree, ['server', 'http_address'], host);
      setPath(tree, ['server', 'http_port'], port);
      return;
    }
    case 'haMode':
      setPath(tree, ['replication', 'mode'], value);
      return;
    case 'haBind':
      setPath(tree, ['replication', 'ha_bind'], value);
      return;
    case 'haPeers':
      setPath(
        tree,
        ['replication', 'peers'],
        value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      );
      return;
    case 'haPrimary':
      setPath(tree, ['replication', 'primary'], value);
      return;
    case 'haRegion':
      setPath(tree, ['replication', 'local_region'], value);
      return;
    case 'haSyncMode':
      setPath(tree, ['ha', 'sync_mode'], value);
      return;
    case 'logLevel':
      setPath(tree, ['server', 'log_level'], value);
      return;
    case 'config':
      return;
  }
}

const envNames: Record<string, keyof ConfigFlags> = {
  CHORUS_NODE_ID: 'nodeId',
  CHORUS_DATA_DIR: 'dataDir',
  CHORUS_LISTEN: 'listen',
  CHORUS_HTTP: 'http',
  CHORUS_HA_MODE: 'haMode',
  CHORUS_HA_BIND: 'haBind',
  CHORUS_HA_PEERS: 'haPeers',
  CHORUS_HA_PRIMARY: 'haPrimary',
  CHORUS_HA_REGION: 'haRegion',
  CHORUS_HA_SYNC_MODE: 'haSyncMode',
  CHORUS_LOG_LEVEL: 'logLevel',
};
/** CHORUS_* variables read elsewhere (not config keys) that must not be refused as unknown. */
/** Variables read outside the config tree: the config file path, and the test-only clock offset file and failpoints. */
const envPassThrough = new Set(['CHORUS_CONFIG', 'CHORUS_TEST_CLOCK_OFFSET_FILE', 'CHORUS_TEST_FAILPOINTS']);

function envValue(raw: string): unknown {
  try {
    return (parseToml(`v = ${raw}`) as { v: unknown }).v;
  } catch {
    return raw;
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
    return `unknown config key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `config key "${path}": ${issue.message}`;
}

export interface LoadOptions {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  /** A config object to start from instead of (or before) the file: what embedders pass. */
  base?: Tree;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const flags = opts.flags ?? {};
  const env = opts.env ?? {};
  const configFile = flags.config ?? env.CHORUS_CONFIG ?? null;
  let tree: Tree = structuredClone(opts.base ?? {});
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${configFile}: ${(e as Error).message}`, { cause: e });
    }
    try {
      tree = { ...tree, ...(parseToml(text) as Tree) };
    } catch (e) {
      throw new ConfigError(`config file ${configFile} is not valid TOML: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  for (const [name, value] of Object.entries(flags) as [keyof ConfigFlags, string | undefined][]) {
    if (value !== undefined)
      applyNamed(tree, name, value, `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  // Seed 001's docker-compose sets HA_SYNC_MODE (no CHORUS_ prefix); CHORUS_HA_SYNC_MODE wins over it.
  if (env.HA_SYNC_MODE !== undefined) applyNamed(tree, 'haSyncMode', env.HA_SYNC_MODE, 'HA_SYNC_MODE');
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('CHORUS_') || value === undefined) continue;
    const named = envNames[key];
    if (named) applyNamed(tree, named, value, key);
    else if (key === 'CHORUS_CLUSTER_SECRET') setPath(tree, ['replication', 'cluster_secret'], value);
    else if (key.includes('__')) {
      const path = key
        .slice('CHORUS_'.length)
        .toLowerCase()
        .split('__')
        .filter((p) => p.length > 0);
      if (path.length < 2)
        throw new ConfigError(`environment variable ${key}: expected CHORUS_<SECTION>__<KEY>`);
      setPath(tree, path, envValue(value));
    } else if (!envPassThrough.has(key)) {
      throw new ConfigError(`unknown environment variable ${key}`, {
        hint: `Known: ${Object.keys(envNames).join(', ')}, CHORUS_CLUSTER_SECRET, CHORUS_CONFIG, CHORUS_<SECTION>__<KEY>.`,
      });
    }
  }
  const haBindGiven = (tree.replication as Tree | undefined)?.ha_bind !== undefined;
  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(formatIssue).join('; '));
  }
  const cfg = parsed.data;
  const haMode: HaMode = cfg.replication.mode === 'multi_master' ? 'multi-primary' : cfg.replication.mode;
  validateCombination(cfg, haMode);
  const syncMode = normalizeSyncMode(cfg.ha.sync_mode);
  validateHa(cfg, haMode, syncMode);
  if (haMode === 'standby' && haBindGiven && cfg.replication.primary === cfg.replication.ha_bind)
    throw new ConfigError(
      `replication.primary (--ha-primary) ${cfg.replication.primary} is this standby's own --ha-bind: a standby cannot follow itself`,
      { hint: 'Name the primary, or another standby that listens on its --ha-bind (cascading).' },
    );
  return deepFreeze({ ...cfg, haMode, syncMode, configFile, haBindGiven });
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function validateCombination(cfg: ParsedConfig, haMode: HaMode): void {
  if (haMode !== 'standalone' && !cfg.replication.cluster_secret) {
    throw new ConfigError(
      `${haMode} mode needs replication.cluster_secret (or CHORUS_CLUSTER_SECRET): peers authenticate with it`,
      {
        hint: 'Use the same long random secret on every node of the cluster.',
      },
    );
  }
  checkSecretStrength(cfg);
  if (cfg.replication.require_quorum_for_writes && haMode !== 'multi-primary') {
    throw new ConfigError('replication.require_quorum_for_writes needs replication.mode = "multi_master"', {
      hint: 'A standalone node has no peers to form a quorum with.',
    });
  }
  const exposed = !isLoopbackHost(cfg.server.listen_address);
  if (exposed && cfg.auth.method === 'trust') {
    throw new ConfigError(
      `auth.method = "trust" is refused while server.listen_address = "${cfg.server.listen_address}" is beyond loopback`,
    );
  }
  if ((exposed || cfg.auth.method === 'scram-sha-256') && cfg.auth.users.length === 0) {
    throw new ConfigError(
      exposed
        ? `server.listen_address = "${cfg.server.listen_address}" is beyond loopback, which requires SCRAM-SHA-256 authentication, but no [[auth.users]] are configured`
        : 'auth.method = "scram-sha-256" needs at least one [[auth.users]] entry',
    );
  }
  const names = new Set<string>();
  for (const u of cfg.auth.users) {
    if (names.has(u.name)) throw new ConfigError(`auth.users: user "${u.name}" is listed twice`);
    names.add(u.name);
  }
}

/** Automatic failover ([ha] nodes): a vote endpoint among the nodes, a quorum that is a majority. */
function validateFailover(cfg: ParsedConfig, haMode: HaMode): void {
  const h = cfg.ha;
  if (h.nodes.length === 0) {
    if (h.observers.length > 0 || h.quorum_size !== undefined || h.vote_bind !== undefined)
      throw new ConfigError(
        'ha.observers, ha.quorum_size and ha.vote_bind need ha.nodes (automatic failover)',
      );
    return;
  }
  if (haMode !== 'primary' && haMode !== 'standby')
    throw new ConfigError(`ha.nodes (automatic failover) applies to primary/standby mode, not ${haMode}`);
  if (!h.vote_bind || !h.nodes.includes(h.vote_bind))
    throw new ConfigError("ha.vote_bind must be set and be one of ha.nodes (this node's vote endpoint)");
  const voters = new Set([...h.nodes, ...h.observers]).size;
  if (h.quorum_size !== undefined && (h.quorum_size * 2 <= voters || h.quorum_size > voters))
    throw new ConfigError(
      `ha.quorum_size = ${h.quorum_size} must be a majority of the ${voters} voters (nodes and observers)`,
      { hint: 'Two disjoint groups of voters could otherwise each elect a primary.' },
    );
}

/** Primary/standby: a standby names its primary; neither dials multi-primary peers. */
function validateHa(cfg: ParsedConfig, haMode: HaMode, syncMode: SyncMode): void {
  const r = cfg.replication;
  if (haMode === 'standby' && !r.primary)
    throw new ConfigError(
      'standby mode needs the primary to follow: --ha-primary HOST:PORT (replication.primary)',
    );
  if (haMode !== 'standby' && r.primary)
    throw new ConfigError(`replication.primary (--ha-primary) is for standby mode, not ${haMode}`);
  if ((haMode === 'primary' || haMode === 'standby') && (r.peers.length > 0 || r.masters.length > 0))
    throw new ConfigError(
      `${haMode} mode does not take replication.peers or [[replication.masters]] (--ha-peers): standbys dial their primary`,
      { hint: 'Start each standby with --ha-mode standby --ha-primary <the primary --ha-bind address>.' },
    );
  parseSyncStandbys(cfg.ha.synchronous_standby_names); // a bad value is refused at start
  validateFailover(cfg, haMode);
  if (syncMode !== 'async' && haMode !== 'primary' && haMode !== 'standby')
    throw new ConfigError(
      `ha.sync_mode = "${cfg.ha.sync_mode}" applies to primary/standby mode, not ${haMode}`,
    );
  if (cfg.ha.synchronous_standby_names !== undefined && syncMode === 'async')
    throw new ConfigError('ha.synchronous_standby_names needs ha.sync_mode = "semi-sync" or "sync"', {
      hint: 'In async mode the primary waits for no standby.',
    });
  if (cfg.ha.synchronous_standby_names !== undefined && syncMode === 'quorum')
    throw new ConfigError('ha.synchronous_standby_names does not apply to ha.sync_mode = "quorum"', {
      hint: 'Quorum mode waits for a majority of the cluster (ha.nodes, else the standbys the primary knows); for a count of named standbys use sync_mode = "sync" with \'ANY k (...)\'.',
    });
  if (cfg.ha.strict && syncMode === 'async')
    throw new ConfigError(
      'ha.strict needs ha.sync_mode = "semi-sync", "sync" or "quorum" (async waits for no standby)',
    );
}

/** A cluster secret guarding a peer link beyond loopback: at least this many bytes... */
export const clusterSecretBytesMin = 16;
/** ...and at least this many different characters (refuses 'aaaaaaaaaaaaaaaa'). */
export const clusterSecretDistinctCharsMin = 10;

/**
 * Peers authenticate with the cluster secret (HMAC challenge-response), so where the network can
 * reach the peer link a guessable secret is refused.
 */
function checkSecretStrength(cfg: ParsedConfig): void {
  const secret = cfg.replication.cluster_secret;
  if (secret === undefined) return;
  const host = cfg.replication.ha_bind.slice(0, cfg.replication.ha_bind.lastIndexOf(':'));
  if (isLoopbackHost(host.replace(/^\[|\]$/g, ''))) return;
  const weak =
    Buffer.byteLength(secret) < clusterSecretBytesMin || new Set(secret).size < clusterSecretDistinctCharsMin;
  if (weak) {
    throw new ConfigError(
      `replication.cluster_secret is too weak for a peer link on ${cfg.replication.ha_bind} (beyond loopback): it needs at least ${clusterSecretBytesMin} bytes with ${clusterSecretDistinctCharsMin} different characters`,
      { hint: 'Generate one with `chorus secret` and use it on every node.' },
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
