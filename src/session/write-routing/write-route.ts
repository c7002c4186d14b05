// Write routing on a standby, one client session's side: which statements go to the primary (a
// write, and then everything until its transaction ends), sending them with the session's settings,
// turning the primary's results and errors back into local ones, and read-your-writes (a local read
// waits until this standby applied the session's last routed commit).

import type { AdminType } from '../../admin/registry.js';
import { ChorusError } from '../../errors.js';
import {
  type ForwardClient,
  type ForwardedResult,
  type ForwardedStatement,
  type ForwardReply,
  forwardedError,
  sessionLostField,
  type UpstreamStatus,
} from '../../replication/standby/write-forward.js';
import { isDdl } from '../../sql/classify.js';
import { isKeyword, tokenize } from '../../sql/lexer.js';
import { type EnumTypeDef, makeEnumType } from '../../sql/types/enum.js';
import { type PgType, ref, typeByOid } from '../../sql/types/pg-types.js';
import { pendingStatement } from '../planning/prepare.js';
import type { Prepared } from '../planning/prepared.js';
import type { BindValue } from '../read-protocol.js';
import type { ColumnInfo, Notice, StatementResult } from '../result.js';
import { settingMs } from '../settings/setting-defs.js';

/** How long a local read waits for the session's last routed commit by default (chorus.read_your_writes_timeout_ms). */
export const readYourWritesTimeoutMsDefault = 5_000;

/** What a node gives its sessions for routing (a standby; null elsewhere). */
export interface WriteRouting {
  client: ForwardClient;
  /** Writes are routed now: a standby in sync / semi-sync mode, or async with route_writes_in_async. */
  enabled(): boolean;
}

const writeKinds = new Set(['insert', 'update', 'delete', 'truncate']);
/** Statements that stay on the standby even inside a routed transaction (settings are replayed). */
const localKinds = new Set(['set', 'reset', 'show', 'empty']);

/** A statement that writes (or locks rows, or takes a sequence value): routed from a standby. */
export function routesAsWrite(p: Prepared): boolean {
  if (p.local || p.route.type === 'admin-call') return false;
  const k = p.cls.kind;
  if (writeKinds.has(k) || isDdl(k) || p.plan?.locksRows) return true;
  if (k !== 'select' && k !== 'other') return false;
  // nextval() / setval() change a sequence; SELECT ... FOR UPDATE / SHARE locks rows.
  const t = p.cls.sig;
  for (let i = 0; i < t.length; i++) {
    if (isKeyword(t[i], 'NEXTVAL', 'SETVAL')) return true;
    if (isKeyword(t[i], 'FOR') && isKeyword(t[i + 1], 'UPDATE', 'SHARE', 'NO', 'KEY')) return true;
  }
  return false;
}

/** SQL-level prepared statements stay on the standby (an EXECUTE of a write routes its statement). */
const sessionStatementKinds = new Set(['prepare', 'execute', 'deallocate']);

/** An enum type (or an array of one) as it travels: its definition, so a standby that lacks it builds it. */
function enumDefOf(t: PgType): EnumTypeDef | null {
  const e = t.enumInfo ?? t.elem?.enumInfo;
  const base = t.enumInfo ? t : t.elem;
  if (!e || !base) return null;
  return { schema: e.schema, name: base.name, oid: base.oid, arrayOid: base.arrayOid, labels: e.labels };
}

function typeOfColumn(oid: number, def: EnumTypeDef | null): PgType | undefined {
  if (!def) return typeByOid(oid);
  const e = makeEnumType(def);
  return oid === def.oid ? e : e.enumInfo?.arrayType;
}

/** A routed result column: its PostgreSQL type travels as an OID and typmod (an enum's with its definition). */
export function encodeResult(r: StatementResult): ForwardedResult {
  return {
    tag: r.tag,
    notices: r.notices,
    columnOids: r.columnOids ?? null,
    columns:
      r.columns?.map((c) => ({
        name: c.name,
        declType: c.declType,
        table: c.table,
        adminType: c.adminType ?? null,
        oid: c.pgType?.type.oid ?? null,
        typmod: c.pgType?.typmod ?? -1,
        enumDef: c.pgType ? enumDefOf(c.pgType.type) : null,
      })) ?? null,
  };
}

function decodeResult(f: ForwardedResult): StatementResult {
  const cols = f.columns as
    | {
        name: string;
        declType: string | null;
        table: string | null;
        adminType: AdminType | null;
        oid: number | null;
        typmod: number;
        enumDef?: EnumTypeDef | null;
      }[]
    | null;
  const columns: ColumnInfo[] | null =
    cols?.map((c) => {
      const out: ColumnInfo = { name: c.name, declType: c.declType, table: c.table };
      if (c.adminType) out.adminType = c.adminType;
      const t = c.oid === null ? undefined : typeOfColumn(c.oid, c.enumDef ?? null);
      if (t) out.pgType = ref(t, c.typmod);
      return out;
    }) ?? null;
  const r: StatementResult = {
    tag: String(f.tag),
    columns,
    rows: (f.rows as unknown[][]) ?? [],
    notices: (f.notices as Notice[]) ?? [],
  };
  if (Array.isArray(f.columnOids)) r.columnOids = f.columnOids as (number | null)[];
  return r;
}

/** Statements the standby could not plan (they name what the routed block created): planned when run locally. */
const routeOnly = new WeakSet<Prepared>();

/** A statement known only by its text and declared parameter types, to run on the primary. */
export function routeOnlyStatement(sql: string, oids: readonly number[]): Prepared {
  const p = pendingStatement({ sql, tokens: tokenize(sql) });
  p.declaredOids = oids;
  routeOnly.add(p);
  return p;
}

export function isRouteOnly(p: Prepared): boolean {
  return routeOnly.has(p);
}

export class SessionRouter {
  /** This session's id on the primary (a new one after a request failed in transit). */
  private sid: number;
  /** An upstream transaction is open (or failed): every statement goes there until it ends. */
  private openGeneration: number | null = null;
  /** Settings last sent upstream. */
  private sent = new Map<string, string>();
  private upstreamOpened = false;
  /** A request is upstream now. */
  private inFlight = false;
  /** Position of this session's last routed commit; local reads wait for it. */
  lastCommitLsn: number | null = null;

  constructor(
    private readonly routing: WriteRouting,
    private readonly user: string,
    private readonly startup: Record<string, string>,
    private readonly settings: () => ReadonlyMap<string, string>,
    private readonly setting: (name: string) => string | undefined,
    /** The open block's SET LOCAL values (sent with every request: they hold in the block upstream). */
    private readonly localSettings: () => [string, string][] = () => [],
  ) {
    this.sid = routing.client.newSessionId();
  }

  /** An upstream transaction is open. */
  get open(): boolean {
    return this.openGeneration !== null;
  }

  /** This statement runs on the primary. */
  takes(p: Prepared, readOnlyBlock: boolean): boolean {
    if (p.local && sessionStatementKinds.has(p.local.kind)) return false;
    // LISTEN / UNLISTEN are this session's (its connection gets the notifications): never the
    // primary's routed session, which no client reads (its queue would fill and fail NOTIFY there).
    if (p.local?.kind === 'notification' && p.local.st.kind !== 'notify' && p.local.st.kind !== 'notify-call')
      return false;
    if (this.open) return !localKinds.has(p.cls.kind) && p.route.type !== 'admin-call';
    return !readOnlyBlock && routesAsWrite(p) && this.routing.enabled();
  }

  /**
   * The statement of a prepared (and its values) as it is sent upstream; with `batch` (a COPY FROM
   * chunk) it runs once per row of values there.
   */
  statement(
    p: Prepared,
    params: readonly BindValue[],
    simpleText: string | null,
    batch?: readonly (readonly BindValue[])[],
  ): ForwardedStatement {
    if (simpleText !== null && !batch) return { text: simpleText, simple: true, params: [], oids: [] };
    const oids = p.plan ? p.plan.paramTypes.map((t) => t.type.oid) : [...(p.declaredOids ?? [])];
    const text = p.sourceText ?? p.text;
    if (batch) return { text, simple: false, params: [], oids, batch: batch.map((r) => [...r]) };
    return { text, simple: false, params: [...params], oids };
  }

  /**
   * Run statements upstream (the first ones may be a BEGIN the client does not see: `hidden`).
   * Returns the visible results and the upstream transaction status; throws the first error.
   */
  async run(
    stmts: ForwardedStatement[],
    hidden: number,
  ): Promise<{ results: StatementResult[]; status: UpstreamStatus }> {
    const client = this.routing.client;
    if (this.openGeneration !== null && this.openGeneration !== client.generation) {
      this.openGeneration = null;
      throw new ChorusError(
        '08006',
        'the link to the primary dropped during this routed transaction: it was rolled back on the primary',
        { hint: 'ROLLBACK, then run the transaction again.' },
      );
    }
    const outsideBlock = this.openGeneration === null;
    const reply = await this.send(stmts);
    if (reply.error?.[sessionLostField] === true && outsideBlock) {
      // The primary dropped this session between transactions (nothing ran): once more in a new
      // one, opened with the startup values and every setting.
      return this.finish(await this.send(stmts), hidden);
    }
    return this.finish(reply, hidden);
  }

  private finish(
    reply: ForwardReply,
    hidden: number,
  ): { results: StatementResult[]; status: UpstreamStatus } {
    if (reply.error) throw forwardedError(reply.error);
    return { results: reply.results.slice(hidden).map(decodeResult), status: reply.status };
  }

  /** One request upstream; this session's upstream state follows its reply. */
  private async send(stmts: ForwardedStatement[]): Promise<ForwardReply> {
    const client = this.routing.client;
    const values = this.settings();
    const settings: [string, string][] = [];
    for (const [k, v] of values) if (this.sent.get(k) !== v) settings.push([k, v]);
    const reset = [...this.sent.keys()].filter((k) => !values.has(k));
    const generation = client.generation;
    let reply: ForwardReply;
    this.inFlight = true;
    try {
      reply = await client.request(
        this.sid,
        {
          user: this.user,
          startup: this.upstreamOpened ? {} : this.startup,
          settings,
          reset,
          local: this.localSettings(),
          cont: this.upstreamOpened,
        },
        stmts,
      );
    } catch (e) {
      // Whatever the primary still holds for this session (a block after a reply timeout) is
      // closed there; later requests start a new session.
      if (this.upstreamOpened) client.close(this.sid);
      this.sid = client.newSessionId();
      this.openGeneration = null;
      this.upstreamOpened = false;
      this.sent = new Map();
      throw e;
    } finally {
      this.inFlight = false;
    }
    if (reply.error?.[sessionLostField] === true) {
      // Gone upstream (an open block of it rolled back there): later requests start a new session.
      this.sid = client.newSessionId();
      this.openGeneration = null;
      this.upstreamOpened = false;
      this.sent = new Map();
      return reply;
    }
    this.upstreamOpened = true;
    this.sent = new Map(values);
    this.openGeneration = reply.status === 'I' ? null : generation;
    if (reply.lsn !== null) this.lastCommitLsn = reply.lsn;
    return reply;
  }

  /**
   * Parse could not plan `sql` on the standby: inside a routed block (it may name what the block
   * created), or for a write while this standby has not applied the session's last routed commit,
   * it is kept as text for the primary; otherwise the error stands.
   */
  unplanned(sql: string, oids: readonly number[], err: unknown): Prepared {
    const p = routeOnlyStatement(sql, oids);
    if (this.open || (this.behind && routesAsWrite(p) && this.routing.enabled())) return p;
    throw err;
  }

  /** The session's last routed commit may not be applied here yet (a local statement must wait). */
  get behind(): boolean {
    return this.lastCommitLsn !== null && this.routing.client.position() < this.lastCommitLsn;
  }

  /** A local statement: wait until this standby applied the session's last routed commit. */
  async waitOwnWrites(): Promise<void> {
    const lsn = this.lastCommitLsn;
    if (lsn === null) return;
    const client = this.routing.client;
    if (client.position() >= lsn) return;
    const given = this.setting('chorus.read_your_writes_timeout_ms');
    const ms = given ? settingMs(given) : readYourWritesTimeoutMsDefault;
    if (await client.waitFor(lsn, ms)) return;
    throw new ChorusError(
      '40001',
      `this standby has not applied this session's last write (position ${lsn}, applied ${client.position()}) within ${ms} ms`,
      {
        hint: 'Retry the read, raise chorus.read_your_writes_timeout_ms, or read from the primary.',
      },
    );
  }

  /** A CancelRequest (or statement_timeout here) while a request is upstream: cancel it there. */
  cancel(): void {
    if (this.inFlight) this.routing.client.cancel(this.sid);
  }

  /** The client session ended: the primary ends its session (an open transaction rolls back). */
  close(): void {
    if (this.upstreamOpened) this.routing.client.close(this.sid);
  }
}
