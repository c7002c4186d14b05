// Prometheus metrics of one node (prom-client with a registry per node: no global state).

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface MetricSources {
  currentLsn(): number;
  logBytes(): number;
  connections(): number;
  /** Commit groups since start, and the autocommit statements and transaction blocks they carried. */
  groupCommit?(): { groups: number; statements: number; blocks: number };
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly statements: Counter<'kind'>;
  readonly errors: Counter<'kind'>;
  readonly commits: Counter<'captured'>;
  readonly connectionsTotal: Counter<'protocol'>;
  readonly writerWaits: Counter;
  readonly protocolErrors: Counter;
  readonly authFailures: Counter;

  constructor(sources: MetricSources, nodeId: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node_id: nodeId });
    this.statements = new Counter({
      name: 'chorus_statements_total',
      help: 'Statements executed, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.errors = new Counter({
      name: 'chorus_statement_errors_total',
      help: 'Statements that failed, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.commits = new Counter({
      name: 'chorus_commits_total',
      help: 'Committed write transactions (captured=true when they appended to the replication log)',
      labelNames: ['captured'],
      registers,
    });
    this.connectionsTotal = new Counter({
      name: 'chorus_connections_total',
      help: 'Client connections accepted',
      labelNames: ['protocol'],
      registers,
    });
    this.writerWaits = new Counter({
      name: 'chorus_writer_lock_waits_total',
      help: 'Times a session waited for the writer',
      registers,
    });
    this.protocolErrors = new Counter({
      name: 'chorus_protocol_errors_total',
      help: 'Connections closed for breaking the wire protocol',
      registers,
    });
    this.authFailures = new Counter({
      name: 'chorus_auth_failures_total',
      help: 'Failed authentications',
      registers,
    });
    new Gauge({
      name: 'chorus_log_lsn',
      help: 'Current LSN of the replication log',
      registers,
      collect() {
        this.set(sources.currentLsn());
      },
    });
    new Gauge({
      name: 'chorus_log_bytes',
      help: 'Bytes of pages used by the replication log table',
      registers,
      collect() {
        this.set(sources.logBytes());
      },
    });
    new Gauge({
      name: 'chorus_connections',
      help: 'Open client connections',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    const group = sources.groupCommit;
    if (group) {
      for (const [key, name, help] of [
        ['groups', 'chorus_group_commits', 'Durable commits of commit groups since start (one fsync each)'],
        [
          'statements',
          'chorus_group_commit_statements',
          'Autocommit statements committed in groups since start',
        ],
        ['blocks', 'chorus_group_commit_blocks', 'Whole transaction blocks committed in groups since start'],
      ] as const) {
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(group()[key]);
          },
        });
      }
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'chorus_' });
  }
}
