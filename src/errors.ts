// Typed errors: one class per situation, each carrying the SQLSTATE a PostgreSQL client expects.
// Every error that can reach a client (wire protocol, HTTP) is a ChorusError or is mapped to one.

export interface ErrorExtras {
  detail?: string;
  hint?: string;
  cause?: unknown;
  /** Cursor position (1-based, in characters) into the statement text, as PostgreSQL reports it. */
  position?: number;
  /** The object the error is about, as PostgreSQL fills ErrorResponse's s/t/c/d/n fields. */
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  /** Where the error happened (ErrorResponse's W field), e.g. the Bind parameter it read. */
  where?: string;
}

export class ChorusError extends Error {
  readonly sqlstate: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly dataType: string | undefined;
  readonly constraint: string | undefined;
  readonly where: string | undefined;
  /** PostgreSQL severity: ERROR for statement errors, FATAL for errors that end the connection. */
  readonly severity: 'ERROR' | 'FATAL';

  constructor(
    sqlstate: string,
    message: string,
    extras: ErrorExtras = {},
    severity: 'ERROR' | 'FATAL' = 'ERROR',
  ) {
    super(message, extras.cause === undefined ? undefined : { cause: extras.cause });
    this.name = new.target.name;
    this.sqlstate = sqlstate;
    this.detail = extras.detail;
    this.hint = extras.hint;
    this.position = extras.position;
    this.schema = extras.schema;
    this.table = extras.table;
    this.column = extras.column;
    this.dataType = extras.dataType;
    this.constraint = extras.constraint;
    this.where = extras.where;
    this.severity = severity;
  }

  /** The same error with its position moved by `chars` (a statement's place in a longer query). */
  shifted(chars: number): ChorusError {
    if (this.position === undefined || chars === 0) return this;
    const { detail, hint, schema, table, column, dataType, constraint, where } = this;
    const extras = { detail, hint, schema, table, column, dataType, constraint, where, cause: this.cause };
    return new ChorusError(
      this.sqlstate,
      this.message,
      { ...extras, position: this.position + chars },
      this.severity,
    );
  }
}

/** 42601: the statement text cannot be parsed. */
export class SyntaxError42601 extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('42601', message, extras);
  }
}

/** 0A000: a construct this node does not implement. The message names the construct. */
export class FeatureNotSupportedError extends ChorusError {
  constructor(construct: string, extras?: ErrorExtras) {
    super('0A000', `${construct} is not supported`, extras);
  }
}

/** 42P01: the relation does not exist (also used for internal relations, which users cannot see). */
export class UndefinedTableError extends ChorusError {
  constructor(name: string, extras?: ErrorExtras) {
    super('42P01', `relation "${name}" does not exist`, extras);
  }
}

/** 42883: no such function (used for unknown replicate.* functions and bad argument names). */
export class UndefinedFunctionError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('42883', message, extras);
  }
}

/** 22023: a function argument has a bad value. */
export class InvalidParameterValueError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('22023', message, extras);
  }
}

/** 55000: UPDATE or DELETE of a table without a primary key, whose rows cannot be identified on peers. */
export class KeylessTableWriteError extends ChorusError {
  constructor(table: string, op: 'update' | 'delete') {
    super('55000', `cannot ${op} table "${table}" because it has no primary key`, {
      detail:
        'Rows of a table without a primary key cannot be identified on other nodes: such tables replicate INSERT and TRUNCATE only.',
      hint: `Add one with ALTER TABLE ${table} ADD PRIMARY KEY (...), or create the table UNLOGGED (local-only, not replicated).`,
    });
  }
}

export class InFailedTransactionError extends ChorusError {
  constructor() {
    super('25P02', 'current transaction is aborted, commands ignored until end of transaction block');
  }
}

/** 25001: BEGIN inside a transaction block and similar misuse of transaction commands. */
export class ActiveTransactionError extends ChorusError {
  constructor(message: string) {
    super('25001', message);
  }
}

/** 55P03: the single writer could not be obtained within the bounded wait. */
export class WriterLockTimeoutError extends ChorusError {
  constructor(waitedMs: number) {
    super('55P03', `could not obtain the write lock within ${waitedMs} ms`, {
      hint: 'Another transaction holds the writer. Keep write transactions short, or raise server.writer_lock_timeout_ms.',
    });
  }
}

/** 53300: too many clients, or a queue reached its limit. */
export class TooManyConnectionsError extends ChorusError {
  constructor(message: string) {
    super('53300', message, {}, 'FATAL');
  }
}

/** 54000: a statement or message exceeded a named limit. */
export class ProgramLimitExceededError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('54000', message, extras);
  }
}

/** 57014: the statement was canceled by a CancelRequest or a timeout. */
export class QueryCanceledError extends ChorusError {
  constructor(message = 'canceling statement due to user request') {
    super('57014', message);
  }
}

/** 57P01: the node is shutting down. */
export class AdminShutdownError extends ChorusError {
  constructor() {
    super('57P01', 'terminating connection due to administrator command', {}, 'FATAL');
  }
}

/** 08P01: the client broke the wire protocol; the connection is closed. */
export class ProtocolViolationError extends ChorusError {
  constructor(message: string) {
    super('08P01', message, {}, 'FATAL');
  }
}

/** 28P01 / 28000: authentication failed or is not allowed for this client. */
export class AuthenticationFailedError extends ChorusError {
  constructor(user: string, reason = 'password authentication failed') {
    super('28P01', `${reason} for user "${user}"`, {}, 'FATAL');
  }
}

/** 42501: the statement touches something users may not touch. */
export class InsufficientPrivilegeError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('42501', message, extras);
  }
}

/** 25006: a write was sent to a node or transaction that is read-only. */
export class ReadOnlyTransactionError extends ChorusError {
  constructor(message = 'cannot execute a write in a read-only transaction') {
    super('25006', message);
  }
}

/** F0000: the configuration is invalid; the message names the key. */
/** 25006: a write refused because this node cannot see a write quorum (a minority partition). */
export class NoWriteQuorumError extends ChorusError {
  constructor(reachable: number, quorum: number) {
    super(
      '25006',
      `this node reaches ${reachable} of the ${quorum} nodes a write needs (require_quorum_for_writes): writes are refused in a minority partition`,
      { hint: 'Write to a node in the majority partition, or retry when the peer links are back.' },
    );
  }
}

/** 08007: the commit is durable here but a quorum did not confirm it in time: outcome unknown. */
export class QuorumTimeoutError extends ChorusError {
  constructor(confirmed: number, quorum: number, waitedMs: number) {
    super(
      '08007',
      `transaction resolution unknown: committed on this node, but only ${confirmed} of the ${quorum} nodes a write needs confirmed it within ${waitedMs} ms`,
      {
        detail:
          'The transaction is durable on this node and replicates when peers reconnect; if this node is lost before then, so is the transaction.',
        hint: 'Check whether the change is present before retrying it.',
      },
    );
  }
}

export class ConfigError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('F0000', message, extras, 'FATAL');
  }
}

/**
 * A listener could not bind (a configuration problem: the port is taken, the address is not this
 * host's, or binding needs privileges). `what` names the listener and its flag.
 */
export function listenError(e: unknown, what: string, address: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const port = address.split(':').pop();
  if (code === 'EADDRINUSE')
    return new ConfigError(`port ${port} (${what}) is already in use`, {
      hint: 'Stop the process using it, or choose another port.',
    });
  if (code === 'EADDRNOTAVAIL')
    return new ConfigError(`address ${address} (${what}) is not an address of this host`);
  if (code === 'EACCES')
    return new ConfigError(`no permission to listen on ${address} (${what})`, {
      hint: 'Ports below 1024 need privileges; choose a higher port.',
    });
  return e as Error;
}

/** XX000: an invariant broke inside the node. */
export class InternalError extends ChorusError {
  constructor(message: string, extras?: ErrorExtras) {
    super('XX000', message, extras);
  }
}

export function isChorusError(e: unknown): e is ChorusError {
  return e instanceof ChorusError;
}

/**
 * 08007: the primary committed, but the standbys its sync mode waits for did not confirm the commit
 * in time ([ha] sync_timeout_ms): the outcome is unknown to the client.
 */
export class SyncStandbyTimeoutError extends ChorusError {
  constructor(
    holding: number,
    needed: number,
    mode: 'semi-sync' | 'sync' | 'quorum',
    rule: string,
    waitedMs: number,
    level: 'received' | 'applied' = mode === 'semi-sync' ? 'received' : 'applied',
  ) {
    super(
      '08007',
      `transaction resolution unknown: committed on the primary, but only ${holding} of the ${needed} standbys ${mode} mode waits for (${rule}) ${level} it within ${waitedMs} ms`,
      {
        detail:
          'The transaction is durable on the primary and reaches the standbys when they catch up; if the primary is lost before then, so is the transaction.',
        hint: 'Check whether the change is present before retrying it.',
      },
    );
  }
}

/** 57014: a request's read-your-writes position (Chorus-Min-LSN) was not reached in time: nothing ran. */
export class MinLsnTimeoutError extends ChorusError {
  constructor(message: string, hint: string) {
    super('57014', message, { hint });
  }
}

/** 55000: [ha] strict: fewer standbys are connected than the sync mode needs, so commits are refused. */
export class SyncStandbysMissingError extends ChorusError {
  constructor(connected: number, needed: number, mode: string) {
    super(
      '55000',
      `cannot commit: ${connected} of the ${needed} synchronous standbys ${mode} needs are connected, and ha.strict refuses commits without them`,
      {
        hint: 'Start or reconnect a standby (pg_replication_standbys lists them), or set ha.strict = false.',
      },
    );
  }
}
