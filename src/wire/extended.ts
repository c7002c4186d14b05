// The extended query protocol's state for one connection: prepared statements and portals, and the
// Parse / Bind / Describe / Execute / Close handling over them. PgConnection routes messages here.

import { ChorusError, ProtocolViolationError } from '../errors.js';
import { wirePortalsMax, wirePreparedStatementsMax } from '../limits.js';
import type { ChorusNode } from '../node/node.js';
import type { Prepared } from '../session/planning/prepared.js';
import type { BindValue } from '../session/read-protocol.js';
import type { StatementResult } from '../session/result.js';
import { planColumns, type Session, savepointKinds } from '../session/session.js';
import { isDdl, type StatementKind } from '../sql/classify.js';
import { isIntegerType, type PgType, T, type TypeRef } from '../sql/types/pg-types.js';
import { codecFor } from '../sql/types/values.js';
import type { BackendWriter } from './backend-writer.js';
import type { FrontendMessage } from './codec.js';
import { isCopySql } from './copy-handler.js';
import { columnOids, fieldDescriptions } from './results.js';
import { decodeParam, Oid } from './types.js';

interface PreparedEntry {
  prepared: Prepared;
  paramTypes: number[];
}

export interface Portal {
  entry: PreparedEntry;
  params: BindValue[];
  resultFormats: number[];
  result: StatementResult | null;
  oids: number[] | null;
  offset: number;
}

/** What the extended protocol needs from its connection. */
export interface ExtendedHost {
  readonly node: ChorusNode;
  readonly out: BackendWriter;
  readonly session: Session | null;
  sendResult(r: StatementResult, formats: number[], describe: boolean, maxRows: number, portal: Portal): void;
  /** A SET or RESET ran: report changed settings. */
  settingsChanged(): void;
}

export class ExtendedProtocol {
  private readonly statements = new Map<string, PreparedEntry>();
  private readonly portals = new Map<string, Portal>();

  constructor(private readonly host: ExtendedHost) {}

  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') this.statements.delete(name);
    else this.portals.delete(name);
    this.host.out.closeComplete();
  }

  /**
   * Whether the messages already received, up to the next Sync, end the open transaction (an
   * Execute of COMMIT or ROLLBACK) without the client waiting for output in between (no Flush, no
   * COPY). Such a transaction may run inside a commit group (see session/group-commit.ts).
   */
  batchEndsTransaction(pending: readonly FrontendMessage[]): boolean {
    const named = new Map<string, StatementKind>();
    const portals = new Map<string, StatementKind>();
    let unnamed: StatementKind | null = this.statements.get('')?.prepared.cls.kind ?? null;
    const kindOf = (name: string): StatementKind | null =>
      name === '' ? unnamed : (named.get(name) ?? this.statements.get(name)?.prepared.cls.kind ?? null);
    for (const m of pending) {
      switch (m.type) {
        case 'Parse': {
          if (isCopySql(m.query)) return false;
          // The plan cache: the real Parse of this message finds the plan already made.
          let kind: StatementKind;
          try {
            kind = this.host.session!.schema.planner.prepareOne(m.query).cls.kind;
          } catch {
            return false; // the Parse will fail and skip to Sync
          }
          if (m.name === '') unnamed = kind;
          else named.set(m.name, kind);
          break;
        }
        case 'Bind': {
          const kind = kindOf(m.statement);
          if (kind === null) return false;
          portals.set(m.portal, kind);
          break;
        }
        case 'Execute': {
          const kind = portals.get(m.portal) ?? this.portals.get(m.portal)?.entry.prepared.cls.kind ?? null;
          if (kind === 'commit' || kind === 'rollback') return true;
          // DDL never joins a commit group (see queryEndsTransaction).
          if (kind === null || savepointKinds.has(kind) || isDdl(kind) || kind === 'truncate') return false;
          break;
        }
        case 'Describe':
        case 'Close':
          break;
        default:
          return false; // Sync, Flush, Query, COPY data, ...: output may reach the client first
      }
    }
    return false;
  }

  /** DISCARD ALL: the protocol's prepared statements and portals go too (a running Execute holds its own). */
  discardAll(): void {
    this.statements.clear();
    this.portals.clear();
  }

  /** At Sync: portals do not outlive their transaction. */
  sync(): void {
    if (this.host.session?.txStatus === 'I') this.portals.clear();
  }

  parse(name: string, query: string, paramTypes: number[]): void {
    if (name !== '' && this.statements.has(name)) {
      throw new ChorusError('42P05', `prepared statement "${name}" already exists`);
    }
    if (this.statements.size >= wirePreparedStatementsMax) {
      throw new ChorusError('54000', `too many prepared statements (limit ${wirePreparedStatementsMax})`);
    }
    if (isCopySql(query))
      throw new ChorusError('0A000', 'COPY is only supported in the simple query protocol');
    const prepared = this.host.session!.prepareForParse(query, paramTypes);
    this.statements.set(name, { prepared, paramTypes });
    this.host.out.parseComplete();
  }

  bind(msg: Extract<FrontendMessage, { type: 'Bind' }>): void {
    const entry = this.statements.get(msg.statement);
    if (!entry) throw new ChorusError('26000', `prepared statement "${msg.statement}" does not exist`);
    if (msg.portal !== '' && this.portals.has(msg.portal))
      throw new ChorusError('42P03', `portal "${msg.portal}" already exists`);
    if (this.portals.size >= wirePortalsMax)
      throw new ChorusError('54000', `too many portals (limit ${wirePortalsMax})`);
    const f = msg.paramFormats;
    if (f.length > 1 && f.length !== msg.params.length) {
      throw new ProtocolViolationError(
        `bind message has ${f.length} parameter formats but ${msg.params.length} parameters`,
      );
    }
    const plan = entry.prepared.plan;
    const params = msg.params.map((raw, i) => {
      const format = (f.length === 0 ? 0 : f.length === 1 ? f[0] : f[i]) === 1 ? 1 : 0;
      if (plan) return planParam(plan.paramTypes[i], format, raw);
      return decodeParam(entry.paramTypes[i] ?? 0, format, raw);
    });
    this.portals.set(msg.portal, {
      entry,
      params,
      resultFormats: msg.resultFormats,
      result: null,
      oids: null,
      offset: 0,
    });
    this.host.out.bindComplete();
  }

  /** Describe of a portal whose statement the front end planned needs no execution. */
  private async runPortal(portal: Portal): Promise<StatementResult> {
    if (!portal.result) {
      portal.result = await this.host.session!.execute(portal.entry.prepared, portal.params).catch((e) => {
        throw bindContext(e, portal === this.portals.get('') ? null : portalName(this.portals, portal));
      });
      if (portal.result.columns)
        portal.oids = columnOids(portal.result.columns, portal.result.rows, this.host.node.registry);
    }
    return portal.result;
  }

  async describe(kind: 'S' | 'P', name: string): Promise<void> {
    const out = this.host.out;
    const node = this.host.node;
    if (kind === 'S') {
      const entry = this.statements.get(name);
      if (!entry) throw new ChorusError('26000', `prepared statement "${name}" does not exist`);
      const plan = entry.prepared.plan;
      if (plan) {
        // ParameterDescription carries the types PostgreSQL would infer.
        out.parameterDescription(plan.paramTypes.map((t) => t.type.oid));
        const cols = plan.columns ? planColumns(entry.prepared) : null;
        if (cols) out.rowDescription(fieldDescriptions(cols, columnOids(cols, [], node.registry), []));
        else out.noData();
        return;
      }
      const n = entry.prepared.paramCount;
      out.parameterDescription(Array.from({ length: n }, (_, i) => entry.paramTypes[i] || Oid.text));
      const local = entry.prepared.local;
      const session = this.host.session!;
      const named = local ? session.local.describe(local, (p) => node.describe(p)) : undefined;
      const cols = named !== undefined ? named : node.describe(entry.prepared);
      if (cols) out.rowDescription(fieldDescriptions(cols, columnOids(cols, [], node.registry), []));
      else out.noData();
      return;
    }
    const portal = this.portals.get(name);
    if (!portal) throw new ChorusError('34000', `portal "${name}" does not exist`);
    const r = await this.runPortal(portal);
    if (r.columns) out.rowDescription(fieldDescriptions(r.columns, portal.oids!, portal.resultFormats));
    else out.noData();
  }

  async execute(name: string, maxRows: number): Promise<void> {
    const portal = this.portals.get(name);
    if (!portal) throw new ChorusError('34000', `portal "${name}" does not exist`);
    if (portal.entry.prepared.cls.kind === 'empty') {
      this.host.out.emptyQueryResponse();
      return;
    }
    const alreadyRan = portal.result !== null;
    const r = await this.runPortal(portal);
    if (
      !alreadyRan &&
      (portal.entry.prepared.cls.kind === 'set' || portal.entry.prepared.cls.kind === 'reset')
    ) {
      this.host.settingsChanged();
    }
    if (alreadyRan && !r.columns && portal.offset > 0) return;
    this.host.sendResult(r, portal.resultFormats, false, maxRows, portal);
    if (!r.columns) portal.offset = 1;
    if (name === '' && (portal.offset >= r.rows.length || !r.columns)) {
      // The unnamed portal is done; a later Execute of it must not replay the statement.
    }
  }
}

/** A Bind value of a front-end plan: text stays text (the session reads it by type), binary is decoded now. */
function planParam(type: TypeRef | undefined, format: 0 | 1, raw: Buffer | null): BindValue {
  if (raw === null) return null;
  if (format === 0 || !type) return raw.toString('utf8');
  // Strings decoded from binary (text, uuid, json) read the same through their input function
  // again; BLOB storage forms (bytea, numeric, interval) pass through. A number that is a storage
  // form of another kind (date: days, time and timestamps: microseconds) would be read as text by
  // the binder, so it goes back as its exact text form.
  const codec = codecFor(type.type);
  const env = { timeZone: 'UTC', nowUs: 0n };
  const v = codec.fromBinary(raw, -1, env);
  const passes =
    typeof v !== 'number' && typeof v !== 'bigint'
      ? true
      : isIntegerType(type.type) || type.type === T.bool || type.type === T.oid || isFloat(type.type);
  return passes ? v : codec.output(v, -1, env);
}

function isFloat(t: PgType): boolean {
  return t === T.float4 || t === T.float8;
}

/**
 * A Bind value its type's input function refused (session/bind.ts names the parameter in the
 * error's cause) carries PostgreSQL's context line; log_parameter_max_length_on_error = 0 (the
 * default) hides the value.
 */
function bindContext(e: unknown, portal: string | null): unknown {
  if (!(e instanceof ChorusError) || e.where !== undefined || typeof e.cause !== 'string') return e;
  const m = /^parameter \$(\d+)$/.exec(e.cause);
  if (!m) return e;
  const { detail, hint, schema, table, column, dataType, constraint } = e;
  const where = `${portal === null ? 'unnamed portal' : `portal "${portal}"`} parameter $${m[1]} = '...'`;
  return new ChorusError(e.sqlstate, e.message, {
    detail,
    hint,
    schema,
    table,
    column,
    dataType,
    constraint,
    where,
  });
}

function portalName(portals: ReadonlyMap<string, unknown>, portal: unknown): string | null {
  for (const [name, p] of portals) if (p === portal) return name;
  return null;
}
