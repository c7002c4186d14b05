#!/usr/bin/env node

// The `chorus` command: `chorus server` runs a node, `chorus sql` runs statements against one.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, CommanderError } from 'commander';
import pg from 'pg';
import pino from 'pino';
import { OffsetFileClock } from '../clock/offset-file-clock.js';
import { systemTimers } from '../clock/timers.js';
import { type ConfigFlags, loadConfig } from '../config/load.js';
import { ChorusError, ConfigError } from '../errors.js';
import { tcpOptions } from '../node/tcp-network.js';
import { WitnessServer } from '../replication/cluster/witness.js';
import { TcpPeerNetwork } from '../replication/link/transport.js';
import { FileEpochStore, ObserverServer } from '../replication/standby/observer.js';
import { chorusVersion } from '../storage/sql-functions.js';
import { runDemo } from './demo.js';
import { exitFailure, exitOk, exitUsage } from './exit-codes.js';
import { formatTable } from './format.js';
import { NodeRunner } from './node-runner.js';

const program = new Command();
// Usage errors (unknown flag, missing value) exit with exitUsage, like configuration errors.
program.exitOverride();
program
  .name('chorus')
  .description('ChorusDB: a replicated SQL database that speaks PostgreSQL')
  .version(chorusVersion);

/** The server flags are exactly the config loader's flags. */
type ServerOptions = ConfigFlags;

program
  .command('server')
  .description('run a node')
  .option('--config <file>', 'TOML config file ([server], [auth], [replication] sections)')
  .option('--node-id <id>', 'node id (kept in the data directory for life)')
  .option('--data-dir <dir>', 'data directory (default ./data)')
  .option('--listen <host:port>', 'PostgreSQL wire protocol address (default 127.0.0.1:5432)')
  .option('--http <host:port>', 'HTTP API address (default 127.0.0.1:8080)')
  .option('--ha-mode <mode>', 'standalone | multi-primary | primary | standby (default standalone)')
  .option('--ha-bind <host:port>', 'peer link address (default 127.0.0.1:5433)')
  .option('--ha-peers <list>', 'comma-separated peer addresses')
  .option('--ha-primary <host:port>', 'primary to follow (standby mode)')
  .option('--ha-region <region>', 'region of this node')
  .option(
    '--ha-sync-mode <mode>',
    'primary: async | semi-sync | sync | quorum commit acknowledgement (default async)',
  )
  .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
  .action(async (opts: ServerOptions) => {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({ flags: opts, env: process.env });
    } catch (e) {
      console.error(`chorus: ${(e as Error).message}`);
      if (e instanceof ChorusError && e.hint) console.error(`hint: ${e.hint}`);
      process.exit(exitUsage);
    }
    // Fault injection (chaos runner): the node's clock reads an offset from this file.
    const offsetFile = process.env.CHORUS_TEST_CLOCK_OFFSET_FILE;
    let stopping = false;
    const fatal = (e: unknown): never => {
      console.error(`chorus: ${(e as Error).message}`);
      if (e instanceof ChorusError && e.hint) console.error(`hint: ${e.hint}`);
      process.exit(e instanceof ConfigError ? exitUsage : exitFailure);
    };
    const runner = new NodeRunner({
      config,
      ...(offsetFile ? { clock: new OffsetFileClock(offsetFile) } : {}),
      onReady: (node, addrs) => {
        const pgAddr = `${addrs.pg.host}:${addrs.pg.port}`;
        console.error(
          `ChorusDB ${chorusVersion} node "${node.nodeId}" ready.\n` +
            `  psql:  psql -h ${addrs.pg.host} -p ${addrs.pg.port} -U postgres chorus\n` +
            `  url:   postgres://postgres@${pgAddr}/chorus\n` +
            (addrs.http ? `  http:  http://${addrs.http.host}:${addrs.http.port}/status\n` : ''),
        );
      },
      // A port in use (or not ours) is a configuration problem: said in one line, exitUsage.
      onFatal: (e) => fatal(e),
    });
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      const node = runner.node;
      node?.logger.info({ signal }, 'shutdown requested');
      runner.stop().then(
        () => process.exit(exitOk),
        (err: unknown) => {
          node?.logger.error({ err }, 'shutdown failed');
          process.exit(exitFailure);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    await runner.start().catch((e: unknown) => fatal(e));
  });

program
  .command('witness')
  .description('run a witness: one vote in the write quorum, no data (use_witness_node on the masters)')
  .option('--config <file>', 'TOML config file (the cluster name, secret and heartbeats of [replication])')
  .option('--node-id <id>', 'witness id, distinct per witness (default witness-<host>-<port>)')
  .option('--ha-bind <host:port>', 'address masters dial (default 127.0.0.1:5433)')
  .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
  .action(async (opts: ServerOptions) => {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig({ flags: opts, env: process.env });
      if (!config.replication.cluster_secret)
        throw new ChorusError(
          'F0000',
          'a witness needs replication.cluster_secret (or CHORUS_CLUSTER_SECRET)',
        );
    } catch (e) {
      console.error(`chorus: ${(e as Error).message}`);
      process.exit(exitUsage);
    }
    // Masters keep one link per peer id: two witnesses with one id would count as one.
    const port = config.replication.ha_bind.split(':').pop();
    const id = opts.nodeId ?? `witness-${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${port}`;
    const logger = pino({ level: config.server.log_level, base: { witness: id } });
    const network = new TcpPeerNetwork(tcpOptions(config, id, config.replication.ha_bind, [], logger));
    const witness = new WitnessServer(network, systemTimers, logger);
    const stop = (): void => {
      witness.stop().then(
        () => process.exit(exitOk),
        () => process.exit(exitFailure),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      await witness.start();
    } catch (e) {
      console.error(`chorus: ${(e as Error).message}`);
      process.exit(e instanceof ConfigError ? exitUsage : exitFailure);
    }
    console.error(`ChorusDB witness "${id}" ready on ${config.replication.ha_bind}`);
  });

program
  .command('observer')
  .description(
    'run an observer: a vote in primary/standby failover, no data ([ha] observers on the data nodes)',
  )
  .option('--config <file>', 'TOML config file (the cluster name, secret and heartbeats of [replication])')
  .option('--node-id <id>', 'observer id, distinct per observer (default observer-<host>-<port>)')
  .option('--bind <host:port>', 'address the data nodes dial (one of their ha.observers)')
  .option('--data-dir <dir>', 'where the observer keeps its epoch (default ./observer-data)')
  .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
  .action(async (opts: ServerOptions & { bind?: string; dataDir?: string }) => {
    let config: ReturnType<typeof loadConfig>;
    const bind = opts.bind ?? '127.0.0.1:5434';
    try {
      config = loadConfig({ flags: { ...opts, dataDir: undefined }, env: process.env });
      if (!config.replication.cluster_secret)
        throw new ChorusError(
          'F0000',
          'an observer needs replication.cluster_secret (or CHORUS_CLUSTER_SECRET)',
        );
    } catch (e) {
      console.error(`chorus: ${(e as Error).message}`);
      process.exit(exitUsage);
    }
    const id =
      opts.nodeId ?? `observer-${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${bind.split(':').pop()}`;
    const logger = pino({ level: config.server.log_level, base: { observer: id } });
    const network = new TcpPeerNetwork(tcpOptions(config, id, bind, [], logger));
    const observer = new ObserverServer(
      id,
      network,
      systemTimers,
      new FileEpochStore(opts.dataDir ?? 'observer-data'),
      logger,
    );
    const stop = (): void => {
      observer.stop().then(
        () => process.exit(exitOk),
        () => process.exit(exitFailure),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      await observer.start();
    } catch (e) {
      console.error(`chorus: ${(e as Error).message}`);
      process.exit(e instanceof ConfigError ? exitUsage : exitFailure);
    }
    console.error(`ChorusDB observer "${id}" ready on ${bind}`);
  });

program
  .command('secret')
  .description('print a new random cluster secret (32 bytes, base64url) for replication.cluster_secret')
  .action(() => {
    console.log(randomBytes(32).toString('base64url'));
  });

interface SqlOptions {
  host: string;
  port: string;
  user: string;
  dbname: string;
  command?: string;
  file?: string;
  password?: string;
}

program
  .command('sql')
  .description('run SQL against a node and print the results as tables')
  .option('-h, --host <host>', 'node address', '127.0.0.1')
  .option('-p, --port <port>', 'PostgreSQL port', '5432')
  .option('-U, --user <user>', 'user name', process.env.PGUSER ?? 'postgres')
  .option('-d, --dbname <db>', 'database name (any name reaches the node)', 'chorus')
  .option('-c, --command <sql>', 'SQL to run (several statements allowed)')
  .option('-f, --file <file>', 'file of SQL to run')
  .action(async (opts: SqlOptions) => {
    const sql = opts.command ?? (opts.file ? readFileSync(opts.file, 'utf8') : readFileSync(0, 'utf8'));
    const client = new pg.Client({
      host: opts.host,
      port: Number(opts.port),
      user: opts.user,
      database: opts.dbname,
      password: process.env.PGPASSWORD,
    });
    client.on('notice', (n) => console.error(`NOTICE:  ${n.message}`));
    // psql prints each statement's command tag as the server sent it (`INSERT 0 1`,
    // `CREATE TABLE`); pg's results keep only its first word.
    const tags: string[] = [];
    const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.on('commandComplete', (m: { text: string }) => tags.push(m.text));
    try {
      await client.connect();
      const res = (await client.query({ text: sql, rowMode: 'array' })) as unknown as
        | pg.QueryArrayResult
        | pg.QueryArrayResult[];
      (Array.isArray(res) ? res : [res]).forEach((r, i) => {
        if (r.fields.length > 0)
          console.log(
            `${formatTable(
              r.fields.map((f) => f.name),
              r.rows,
            )}\n`,
          );
        else console.log(tags[i] ?? '');
      });
      await client.end();
    } catch (e) {
      const err = e as { message: string; code?: string; hint?: string };
      console.error(`ERROR:  ${err.message}${err.code ? ` (SQLSTATE ${err.code})` : ''}`);
      if (err.hint) console.error(`HINT:  ${err.hint}`);
      await client.end().catch(() => undefined);
      process.exit(exitFailure);
    }
  });

program
  .command('demo')
  .description('start a local multi-primary cluster (every node on loopback) and print how to connect')
  .option('--nodes <n>', 'number of masters', '3')
  .option('--data-dir <dir>', "keep the nodes' data here (default: a temporary directory, removed on exit)")
  .option('--pg-port-base <port>', 'PostgreSQL port of the first node (0: any free ports)', '5432')
  .option('--http-port-base <port>', 'HTTP port of the first node (0: any free ports)', '8080')
  .option('--restart-on-exit', 'start a node again by itself when it exits (kill -9 experiments)')
  .action(
    async (opts: {
      nodes: string;
      dataDir?: string;
      pgPortBase: string;
      httpPortBase: string;
      restartOnExit?: boolean;
    }) => {
      const int = (name: string, v: string): number => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) {
          console.error(`chorus: --${name} must be an integer, got ${v}`);
          process.exit(exitUsage);
        }
        return n;
      };
      try {
        const code = await runDemo(
          {
            nodes: int('nodes', opts.nodes),
            pgPortBase: int('pg-port-base', opts.pgPortBase),
            httpPortBase: int('http-port-base', opts.httpPortBase),
            ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
            restartOnExit: opts.restartOnExit === true,
            input: process.stdin,
          },
          (line) => console.error(line),
        );
        process.exit(code);
      } catch (e) {
        console.error(`chorus: ${(e as Error).message}`);
        process.exit(exitUsage);
      }
    },
  );

program.parseAsync(process.argv).catch((e: unknown) => {
  // Commander has printed its own message for usage errors; --help and --version exit 0.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? exitOk : exitUsage);
  console.error(`chorus: ${(e as Error).message}`);
  process.exit(exitFailure);
});
