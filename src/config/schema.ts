// The configuration schema: sections and keys of the seed's heliosdb.conf ([server], [replication],
// ...) plus ChorusDB's own. Unknown keys are refused (strict objects) and every default lives here.

import { z } from 'zod';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$/, 'expected host:port');
const ms = z.number().int().min(0);
const positiveInt = z.number().int().min(1);

export const synchronousModes = ['off', 'normal', 'full', 'extra'] as const;
export const haModes = ['standalone', 'multi-primary', 'primary', 'standby'] as const;

/** [storage] defaults (docs/operator-guide.md "Memory" says why). */
export const defaultCacheSizeMb = 32;
export const defaultMmapSizeMb = 1024;
/** SQLite caps mmap_size at SQLITE_MAX_MMAP_SIZE (0x7fff0000 bytes in better-sqlite3's build). */
export const mmapSizeMbMax = 2047;
/** A page cache above this per connection is surely a typo (64 GiB). */
export const cacheSizeMbMax = 65_536;

// [storage]: memory SQLite may use (storage/memory-settings.ts), per connection.
const storageSchema = z
  .object({
    /** Page cache of each SQLite connection (writer, each reader), MiB. */
    cache_size_mb: z
      .number()
      .int('cache_size_mb must be a whole number of MiB')
      .min(1, 'cache_size_mb must be at least 1 (MiB)')
      .max(cacheSizeMbMax, `cache_size_mb must be at most ${cacheSizeMbMax} (MiB)`)
      .default(defaultCacheSizeMb),
    /** Bytes of the database file each connection reads through a memory map, MiB; 0 = none. */
    mmap_size_mb: z
      .number()
      .int('mmap_size_mb must be a whole number of MiB')
      .min(0, 'mmap_size_mb must be 0 (no map) or more (MiB)')
      .max(mmapSizeMbMax, `mmap_size_mb must be at most ${mmapSizeMbMax} (MiB, SQLite's limit)`)
      .default(defaultMmapSizeMb),
  })
  .strict();

const serverSchema = z
  .object({
    node_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . - (max 63)')
      .optional(),
    listen_address: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(5432),
    http_address: z.string().default('127.0.0.1'),
    http_port: z.number().int().min(0).max(65535).default(8080),
    data_dir: z.string().default('./data'),
    max_connections: positiveInt.max(10_000).default(200),
    reader_threads: z.number().int().min(0).max(64).default(2),
    writer_lock_timeout_ms: ms.max(3_600_000).default(5_000),
    synchronous: z.enum(synchronousModes).default('full'),
    checkpoint_interval_ms: ms.min(10).default(1_000),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    tls: z
      .object({
        cert_file: z.string(),
        key_file: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();

const userSchema = z
  .object({
    name: z.string().min(1),
    password: z.string().min(1).optional(),
    /** PostgreSQL's stored form: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>. */
    scram_verifier: z.string().startsWith('SCRAM-SHA-256$').optional(),
  })
  .strict()
  .refine((u) => u.password !== undefined || u.scram_verifier !== undefined, {
    message: 'a user needs password or scram_verifier',
  });

const authSchema = z
  .object({
    /** auto: trust clients connecting from a loopback address, SCRAM for every other client. */
    method: z.enum(['auto', 'trust', 'scram-sha-256']).default('auto'),
    users: z.array(userSchema).default([]),
  })
  .strict();

const masterSchema = z
  .object({
    master_id: z.string(),
    endpoint: hostPort,
    region: z.string().optional(),
    priority: z.number().int().optional(),
  })
  .strict();

// [replication]: the seed's keys. This node reads mode, region, ha_bind and peers today; the
// peer-link, conflict and quorum keys are validated now and take effect with the replication modes.
const replicationSchema = z
  .object({
    mode: z.enum(['standalone', 'multi_master', 'multi-primary', 'primary', 'standby']).default('standalone'),
    cluster_name: z.string().default('chorus'),
    cluster_secret: z.string().optional(),
    ha_bind: hostPort.default('127.0.0.1:5433'),
    peers: z.array(hostPort).default([]),
    primary: hostPort.optional(),
    local_master_id: z.string().optional(),
    local_region: z.string().optional(),
    conflict_resolution: z.enum(['last_write_wins', 'custom', 'crdt']).default('last_write_wins'),
    timestamp_source: z
      .enum(['server_timestamp', 'client_timestamp', 'logical_clock'])
      .default('server_timestamp'),
    timestamp_precision_ms: z.boolean().default(true),
    resolver_function: z.string().optional(),
    resolver_language: z.enum(['sql', 'javascript', 'typescript', 'rust']).optional(),
    custom_resolver: z.string().optional(),
    crdt_types: z.array(z.enum(['counter', 'set', 'map', 'register'])).default([]),
    /** JavaScript resolvers: a module (path, relative to the working directory) exporting a function. */
    resolvers: z
      .array(
        z
          .object({
            name: z.string().min(1),
            module: z.string().min(1),
            export: z.string().default('default'),
          })
          .strict(),
      )
      .default([]),
    resolver_timeout_ms: ms.min(1).max(60_000).default(1_000),
    replication_lag_threshold_ms: ms.default(500),
    max_retries: z.number().int().min(0).max(1000).default(3),
    batch_size: positiveInt.max(1_000_000).default(1000),
    replication_batch_size: positiveInt.max(1_000_000).optional(),
    batch_timeout_ms: ms.default(100),
    max_batch_size_mb: positiveInt.max(1024).default(10),
    compression_threshold_bytes: z.number().int().min(0).default(1024),
    enable_compression: z.boolean().default(true),
    enable_causal_consistency: z.boolean().default(true),
    vector_clock_update_interval_ms: ms.default(10),
    heartbeat_interval_ms: ms.min(1).default(100),
    heartbeat_timeout_ms: ms.min(1).default(500),
    replication_timeout_ms: ms.min(1).default(5000),
    election_timeout_min_ms: ms.optional(),
    election_timeout_max_ms: ms.optional(),
    connection_pool_size: positiveInt.max(1000).default(10),
    health_check_interval_sec: positiveInt.default(10),
    replication_monitor_interval_sec: positiveInt.default(30),
    require_quorum_for_writes: z.boolean().default(false),
    /** Multi-primary: DDL takes the cluster DDL lock from a majority of the masters (ddl-lock.ts). */
    ddl_locking: z.boolean().default(true),
    quorum_size: positiveInt.optional(),
    /** How long a commit waits for its quorum before the client gets 08007 (default replication_timeout_ms). */
    quorum_timeout_ms: ms.min(1).optional(),
    /** Acknowledged transactions younger than this stay in the log (audits, chaos checks); 0 = drop at once. */
    log_retention_min_ms: ms.min(0).default(0),
    /** How often every table is compared with every linked peer (Merkle digests); 0 = only on demand. */
    split_brain_check_interval_ms: ms.min(0).default(300_000),
    /** Record a master unreachable this long as failed and promote a waiting replica (see failover.ts). */
    enable_automatic_failover: z.boolean().default(false),
    failover_timeout_sec: z.number().positive().max(3_600).default(10),
    use_witness_node: z.boolean().default(false),
    witness_endpoints: z.array(hostPort).default([]),
    masters: z.array(masterSchema).default([]),
    /**
     * Multi-primary sequences: node `sequence_slot` (0-based, distinct per node) of
     * `sequence_slots` hands out the values START + INCREMENT × (slot + k × slots). Unset: derived
     * from `masters` when it lists this node, else nextval is refused (storage/sequences/sequence-math.ts).
     */
    sequence_slot: z.number().int().min(0).max(1023).optional(),
    sequence_slots: z.number().int().min(1).max(1024).optional(),
    /** TLS for peer links (both directions); ca_file makes peers verify each other. */
    tls: z
      .object({ cert_file: z.string(), key_file: z.string(), ca_file: z.string().optional() })
      .strict()
      .optional(),
    buffers: z
      .object({
        queue_buffer_size_mb: positiveInt.default(256),
        per_peer_buffer_mb: positiveInt.default(64),
        wal_buffer_size_mb: positiveInt.default(512),
        conflict_detection_buffer_mb: positiveInt.default(128),
      })
      .strict()
      .prefault({}),
    connection_pool: z
      .object({
        pool_size: positiveInt.default(10),
        max_connections: positiveInt.default(50),
        idle_timeout_sec: positiveInt.default(300),
        connection_timeout_sec: positiveInt.default(10),
      })
      .strict()
      .prefault({}),
    peer_connections: z
      .array(
        z
          .object({
            peer_id: z.string(),
            pool_size: positiveInt.optional(),
            priority: z.number().int().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/**
 * The seed's spellings of the sync modes (its docker-compose says HA_SYNC_MODE=synchronous), in any
 * case, all mapped onto async | semi-sync | sync | quorum by load.ts.
 */
export const syncModeNames = [
  'async',
  'asynchronous',
  'semi-sync',
  'semi_sync',
  'semisync',
  'semi-synchronous',
  'sync',
  'synchronous',
  'quorum',
] as const;

// [ha]: primary/standby (replication.mode = "primary" | "standby"). See replication/standby/.
const haSchema = z
  .object({
    /** When the primary acknowledges a commit: async, semi-sync (a standby received it), sync (applied), quorum (a majority applied). */
    sync_mode: z
      .preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(syncModeNames))
      .default('async'),
    /** PostgreSQL's spelling: 'FIRST k (s1, s2)', 'ANY k (s1, s2)', 's1, s2' (= FIRST 1), '*'. */
    synchronous_standby_names: z.string().optional(),
    /** Refuse commits while fewer standbys than the sync mode needs are connected (else wait / 08007). */
    strict: z.boolean().default(false),
    /** How long a commit waits for its standbys before the client gets 08007 (default replication_timeout_ms). */
    sync_timeout_ms: ms.min(1).optional(),
    /**
     * semi-sync / sync / quorum: a read on the primary returns once the standbys hold every commit
     * it may see (as the mode counts them), so a failover never takes back what a client read.
     * false: PostgreSQL's behaviour (a commit is visible before its standbys hold it).
     */
    linearizable_reads: z.boolean().default(true),
    /** A standby routes writes to its primary in async mode too (sync / semi-sync always route). */
    route_writes_in_async: z.boolean().default(false),
    /** Bytes of rows one routed statement may return (default 64 MiB, write-forward.ts forwardResultBytesMax). */
    routed_result_bytes_max: positiveInt.optional(),
    /**
     * Automatic failover: the vote endpoints of every data node (primary and standbys, this one
     * included). Empty = no automatic failover. See replication/standby/ha-agent.ts.
     */
    nodes: z.array(hostPort).default([]),
    /** This node's vote endpoint (one of `nodes`). */
    vote_bind: hostPort.optional(),
    /** Vote endpoints of observers (`chorus observer`): they vote and hold no data. */
    observers: z.array(hostPort).default([]),
    /** Votes a lease or an election needs (default: a majority of nodes + observers); must be a majority. */
    quorum_size: positiveInt.optional(),
    /** A standby runs for election once it heard nothing from its primary this long (and its lease promise ran out). */
    failover_timeout_ms: ms.min(100).default(1_500),
    /** A standby further behind than this many transactions is never promoted automatically. */
    maximum_lag_on_failover: z.number().int().min(0).default(100_000),
    /**
     * Run after this node became primary by failover: a command (JSON event on stdin and in
     * CHORUS_FAILOVER_EVENT) or an http(s) URL (the JSON POSTed to it).
     */
    on_failover: z.string().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: serverSchema.prefault({}),
    auth: authSchema.prefault({}),
    storage: storageSchema.prefault({}),
    replication: replicationSchema.prefault({}),
    ha: haSchema.prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
