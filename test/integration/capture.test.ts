// Change capture, admin relations and error SQLSTATEs, all checked with SQL through node-postgres
// against a real ChorusDB server process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { NodeProcess } from '../support/launcher.js';

let server: NodeProcess;
let db: pg.Client;

before(async () => {
  server = await NodeProcess.start({ nodeId: 'capture-node' });
  db = new pg.Client({ connectionString: server.connectionString });
  await db.connect();
});

after(async () => {
  await db?.end().catch(() => undefined);
  await server?.cleanup();
});

interface LogEntry {
  lsn: number;
  origin: string;
  origin_seq: number;
  txid: number;
  hlc_wall: number;
  hlc_logical: number;
  table_name: string;
  primary_key: unknown;
  operation: string;
  columns: unknown;
}

/** Parses a JSON column whether the server describes it as json (parsed) or text. */
function json(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function entry(r: Record<string, unknown>): LogEntry {
  return {
    lsn: Number(r.lsn),
    origin: r.origin as string,
    origin_seq: Number(r.origin_seq),
    txid: Number(r.txid),
    hlc_wall: Number(r.hlc_wall),
    hlc_logical: Number(r.hlc_logical),
    table_name: r.table_name as string,
    primary_key: r.primary_key === null ? null : json(r.primary_key),
    operation: r.operation as string,
    columns: r.columns === null ? null : json(r.columns),
  };
}

async function logFor(table: string): Promise<LogEntry[]> {
  const res = await db.query('SELECT * FROM replicate.log WHERE table_name = $1 ORDER BY lsn', [table]);
  return res.rows.map(entry);
}

async function wholeLog(): Promise<LogEntry[]> {
  const res = await db.query('SELECT * FROM replicate.log ORDER BY lsn');
  return res.rows.map(entry);
}

/** The log entries of `table` without the transaction bookkeeping, for compact comparisons. */
async function changesFor(table: string): Promise<[string, unknown, unknown][]> {
  return (await logFor(table)).map((e) => [e.operation, e.primary_key, e.columns]);
}

async function maxOriginSeq(): Promise<number> {
  const res = await db.query('SELECT max(origin_seq) AS m FROM replicate.log');
  return Number(res.rows[0].m ?? 0);
}

async function otherClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: server.connectionString });
  await c.connect();
  return c;
}

describe('change capture', () => {
  test('INSERT, UPDATE and DELETE are logged with primary key and changed columns', async () => {
    await db.query(
      'CREATE TABLE cap_basic (id INTEGER PRIMARY KEY, name TEXT, qty INT, data BYTEA, note TEXT)',
    );
    await db.query("INSERT INTO cap_basic VALUES (1, 'apple', 3, '\\x00ff10', NULL)");
    await db.query('INSERT INTO cap_basic (id, name, qty, data) VALUES ($1, $2, $3, $4)', [
      2,
      'ünïcode "q"',
      -7,
      Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    ]);
    await db.query("UPDATE cap_basic SET qty = 4, note = 'n' WHERE id = 1");
    await db.query("UPDATE cap_basic SET name = 'apple' WHERE id = 1"); // unchanged value
    await db.query('DELETE FROM cap_basic WHERE id = 2');
    const log = await logFor('cap_basic');
    assert.equal(log.length, 6);
    assert.equal(log[0]!.operation, 'DDL');
    assert.deepEqual(log[0]!.columns, {
      sql: 'CREATE TABLE "cap_basic" ("id" INTEGER NOT NULL, "name" TEXT, "qty" INTEGER, "data" BYTEA, "note" TEXT, CONSTRAINT "cap_basic_pkey" PRIMARY KEY ("id"))',
    });
    assert.equal(log[0]!.primary_key, null);
    assert.deepEqual(
      log.slice(1).map((e) => [e.operation, e.primary_key, e.columns]),
      [
        ['INSERT', [1], { id: 1, name: 'apple', qty: 3, data: { $b: '00FF10' }, note: null }],
        ['INSERT', [2], { id: 2, name: 'ünïcode "q"', qty: -7, data: { $b: 'DEADBEEF' }, note: null }],
        ['UPDATE', [1], { qty: 4, note: 'n' }],
        ['UPDATE', [1], {}],
        ['DELETE', [2], null],
      ],
    );
    for (const e of log) {
      assert.equal(e.origin, 'capture-node');
      assert.equal(e.table_name, 'cap_basic');
    }
    // primary_key and columns are JSON text on the wire: parseable however the column is typed.
    const raw = await db.query(
      "SELECT primary_key, columns FROM replicate.log WHERE table_name = 'cap_basic' AND operation = 'DELETE'",
    );
    assert.deepEqual(json(raw.rows[0].primary_key), [2]);
    assert.equal(raw.rows[0].columns, null);
  });

  test('composite and text primary keys are logged as JSON arrays', async () => {
    await db.query('CREATE TABLE cap_composite (region TEXT, n INT, v TEXT, PRIMARY KEY (region, n))');
    await db.query("INSERT INTO cap_composite VALUES ('eu', 7, 'x')");
    await db.query("UPDATE cap_composite SET v = 'y' WHERE region = 'eu' AND n = 7");
    await db.query('DELETE FROM cap_composite');
    assert.deepEqual((await changesFor('cap_composite')).slice(1), [
      ['INSERT', ['eu', 7], { region: 'eu', n: 7, v: 'x' }],
      ['UPDATE', ['eu', 7], { v: 'y' }],
      ['DELETE', ['eu', 7], null],
    ]);
  });

  test('a rolled-back transaction leaves no entries; a committed one has one txid and origin_seq', async () => {
    await db.query('CREATE TABLE cap_tx (id INTEGER PRIMARY KEY, v TEXT)');
    const before = (await wholeLog()).length;
    await db.query('BEGIN');
    await db.query("INSERT INTO cap_tx VALUES (1, 'rolled back')");
    await db.query("UPDATE cap_tx SET v = 'still rolled back' WHERE id = 1");
    await db.query('ROLLBACK');
    assert.equal((await wholeLog()).length, before, 'rollback left no entries');
    // A failed statement outside a block leaves nothing either.
    await db.query("INSERT INTO cap_tx VALUES (5, 'five')");
    await assert.rejects(db.query("INSERT INTO cap_tx VALUES (5, 'dup')"), { code: '23505' });
    await db.query('BEGIN');
    await db.query("INSERT INTO cap_tx VALUES (1, 'a')");
    await db.query("INSERT INTO cap_tx VALUES (2, 'b')");
    await db.query("UPDATE cap_tx SET v = 'c' WHERE id = 1");
    await db.query('DELETE FROM cap_tx WHERE id = 5');
    await db.query('COMMIT');
    // An implicit transaction of a multi-statement simple query also commits as one.
    await db.query("INSERT INTO cap_tx VALUES (3, 'x'); INSERT INTO cap_tx VALUES (4, 'y')");
    const log = await logFor('cap_tx');
    assert.deepEqual(
      log.map((e) => [e.operation, e.primary_key]),
      [
        ['DDL', null],
        ['INSERT', [5]],
        ['INSERT', [1]],
        ['INSERT', [2]],
        ['UPDATE', [1]],
        ['DELETE', [5]],
        ['INSERT', [3]],
        ['INSERT', [4]],
      ],
    );
    const block = log.slice(2, 6);
    assert.equal(new Set(block.map((e) => e.txid)).size, 1, 'one txid for the explicit block');
    assert.equal(new Set(block.map((e) => e.origin_seq)).size, 1, 'one origin_seq for the explicit block');
    const implicit = log.slice(6);
    assert.equal(new Set(implicit.map((e) => e.txid)).size, 1, 'one txid for the implicit transaction');
    assert.equal(new Set(implicit.map((e) => e.origin_seq)).size, 1);
    assert.notEqual(block[0]!.txid, implicit[0]!.txid);
    assert.equal(block[0]!.origin_seq, log[1]!.origin_seq + 1);
    assert.equal(implicit[0]!.origin_seq, block[0]!.origin_seq + 1);
    // lsn is strictly increasing by one per entry.
    for (let i = 1; i < log.length; i++) assert.ok(log[i]!.lsn > log[i - 1]!.lsn);
    assert.deepEqual(
      block.map((e) => e.lsn - block[0]!.lsn),
      [0, 1, 2, 3],
    );
  });

  test('origin_seq grows by one per committed writing transaction, with no gaps after rollbacks and errors', async () => {
    await db.query('CREATE TABLE cap_seq (id INTEGER PRIMARY KEY)');
    const start = await maxOriginSeq();
    const other = await otherClient();
    try {
      await db.query('INSERT INTO cap_seq VALUES (1)');
      await db.query('BEGIN');
      await db.query('INSERT INTO cap_seq VALUES (2)');
      await db.query('ROLLBACK');
      await db.query('BEGIN');
      await db.query('INSERT INTO cap_seq VALUES (3)');
      await assert.rejects(db.query('INSERT INTO cap_seq VALUES (1)'), { code: '23505' });
      await db.query('COMMIT'); // answers ROLLBACK
      await db.query('BEGIN');
      await db.query('SELECT * FROM cap_seq');
      await db.query('COMMIT'); // read-only transaction: nothing to log
      await other.query('INSERT INTO cap_seq VALUES (4)');
      await assert.rejects(db.query('INSERT INTO cap_seq VALUES (4)'), { code: '23505' });
      await db.query('BEGIN; INSERT INTO cap_seq VALUES (5); INSERT INTO cap_seq VALUES (6); COMMIT');
      await db.query('DELETE FROM cap_seq WHERE id = 999'); // matches nothing
      await db.query('INSERT INTO cap_seq VALUES (7)');
    } finally {
      await other.end();
    }
    const log = (await logFor('cap_seq')).slice(1);
    assert.deepEqual(
      log.map((e) => e.primary_key),
      [[1], [4], [5], [6], [7]],
    );
    const seqs = log.map((e) => e.origin_seq);
    // Committed writing transactions: (1), (4), (5, 6), (7). The DELETE that matched nothing wrote nothing.
    assert.deepEqual(seqs, [start + 1, start + 2, start + 3, start + 3, start + 4]);
    // Over the whole log, origin_seq values are exactly 1..max without gaps.
    const all = [...new Set((await wholeLog()).map((e) => e.origin_seq))].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
    );
    assert.equal(await maxOriginSeq(), start + 4);
  });

  test('(hlc_wall, hlc_logical) strictly increases from transaction to transaction', async () => {
    await db.query('CREATE TABLE cap_hlc (id INTEGER PRIMARY KEY)');
    for (let i = 0; i < 30; i++) await db.query('INSERT INTO cap_hlc VALUES ($1)', [i]);
    await db.query('BEGIN; INSERT INTO cap_hlc VALUES (100); INSERT INTO cap_hlc VALUES (101); COMMIT');
    const log = await wholeLog();
    const byTx = new Map<number, LogEntry[]>();
    for (const e of log) byTx.set(e.origin_seq, [...(byTx.get(e.origin_seq) ?? []), e]);
    let prev: [number, number] | undefined;
    for (const entries of byTx.values()) {
      const first = entries[0]!;
      for (const e of entries) {
        assert.deepEqual([e.hlc_wall, e.hlc_logical], [first.hlc_wall, first.hlc_logical], 'one hlc per tx');
        assert.equal(e.txid, first.txid);
      }
      const cur: [number, number] = [first.hlc_wall, first.hlc_logical];
      if (prev) {
        assert.ok(
          cur[0] > prev[0] || (cur[0] === prev[0] && cur[1] > prev[1]),
          `hlc ${cur} must be after ${prev}`,
        );
      }
      prev = cur;
    }
    assert.ok(byTx.size >= 31);
  });

  test('DDL (CREATE TABLE/INDEX, ALTER TABLE ADD/RENAME COLUMN, DROP TABLE) is logged as DDL', async () => {
    // Each statement and the SQL the log records for it: typed DDL as the front end analyzed it (names
    // quoted, types spelled out, the primary key as a named constraint); RENAME COLUMN as a
    // structured table operation that peers apply to their own definition.
    const statements: [string, Record<string, unknown>][] = [
      [
        'CREATE TABLE cap_ddl (id INTEGER PRIMARY KEY, a TEXT)',
        {
          sql: 'CREATE TABLE "cap_ddl" ("id" INTEGER NOT NULL, "a" TEXT, CONSTRAINT "cap_ddl_pkey" PRIMARY KEY ("id"))',
        },
      ],
      ['CREATE INDEX cap_ddl_a ON cap_ddl (a)', { sql: 'CREATE INDEX "cap_ddl_a" ON "cap_ddl" ("a")' }],
      ['ALTER TABLE cap_ddl ADD COLUMN b INT', { sql: 'ALTER TABLE "cap_ddl" ADD COLUMN "b" INTEGER' }],
      [
        'ALTER TABLE cap_ddl RENAME COLUMN a TO a2',
        {
          sql: 'ALTER TABLE "cap_ddl" RENAME COLUMN "a" TO "a2"',
          tableOp: { kind: 'rename_column', from: 'a', to: 'a2' },
        },
      ],
    ];
    for (const [s] of statements) await db.query(s);
    await db.query("INSERT INTO cap_ddl (id, a2, b) VALUES (1, 'x', 42)");
    await db.query('UPDATE cap_ddl SET b = 43 WHERE id = 1');
    await db.query('DROP TABLE cap_ddl');
    const log = await logFor('cap_ddl');
    assert.deepEqual(
      log.map((e) => [e.operation, e.operation === 'DDL' ? e.columns : e.primary_key]),
      [
        ...statements.map(([, logged]) => ['DDL', logged]),
        ['INSERT', [1]],
        ['UPDATE', [1]],
        ['DDL', { sql: 'DROP TABLE "cap_ddl"' }],
      ],
    );
    assert.deepEqual(log[4]!.columns, { id: 1, a2: 'x', b: 42 }, 'new and renamed columns are captured');
    assert.deepEqual(log[5]!.columns, { b: 43 });
    const tables = await db.query("SELECT * FROM replicate.tables WHERE table_name = 'cap_ddl'");
    assert.equal(tables.rows.length, 0, 'dropped table is gone from replicate.tables');
  });

  test('writes to a column added by ALTER TABLE ADD COLUMN are captured', async () => {
    await db.query('CREATE TABLE cap_add (id INTEGER PRIMARY KEY, a TEXT)');
    await db.query("INSERT INTO cap_add VALUES (1, 'before')");
    await db.query("ALTER TABLE cap_add ADD COLUMN extra TEXT DEFAULT 'dflt'");
    await db.query("INSERT INTO cap_add (id, a, extra) VALUES (2, 'after', 'e2')");
    await db.query("UPDATE cap_add SET extra = 'e1' WHERE id = 1");
    await db.query('INSERT INTO cap_add (id, a) VALUES (3, $1)', ['defaulted']);
    assert.deepEqual((await changesFor('cap_add')).slice(1), [
      ['INSERT', [1], { id: 1, a: 'before' }],
      // The DDL as the front end analyzed it: the PostgreSQL default kept beside SQLite's.
      [
        'DDL',
        null,
        { sql: `ALTER TABLE "cap_add" ADD COLUMN "extra" TEXT DEFAULT ('dflt' /* pg: 'dflt' */)` },
      ],
      ['INSERT', [2], { id: 2, a: 'after', extra: 'e2' }],
      ['UPDATE', [1], { extra: 'e1' }],
      ['INSERT', [3], { id: 3, a: 'defaulted', extra: 'dflt' }],
    ]);
  });

  test('CREATE UNLOGGED TABLE: allowed without a primary key, its changes are not logged', async () => {
    const before = (await wholeLog()).length;
    await db.query('CREATE UNLOGGED TABLE cap_local (a TEXT, b INT)');
    await db.query("INSERT INTO cap_local VALUES ('x', 1), ('y', 2)");
    await db.query("UPDATE cap_local SET b = 3 WHERE a = 'x'");
    await db.query("DELETE FROM cap_local WHERE a = 'y'");
    await db.query('BEGIN');
    await db.query("INSERT INTO cap_local VALUES ('z', 9)");
    await db.query('COMMIT');
    const rows = await db.query('SELECT a, b FROM cap_local ORDER BY a');
    assert.deepEqual(rows.rows, [
      { a: 'x', b: 3 },
      { a: 'z', b: 9 },
    ]);
    const log = await wholeLog();
    assert.equal(log.length, before, 'no entries at all, not even DDL');
    assert.deepEqual(await logFor('cap_local'), []);
  });

  test('replicate.tables lists user tables with replicated true/false', async () => {
    await db.query('CREATE TABLE cap_tables_rep (id INTEGER PRIMARY KEY)');
    await db.query('CREATE UNLOGGED TABLE cap_tables_local (x INT)');
    const res = await db.query(
      "SELECT table_name, replicated FROM replicate.tables WHERE table_name LIKE 'cap_tables_%' ORDER BY table_name",
    );
    assert.deepEqual(
      res.rows.map((r) => [r.table_name, Boolean(r.replicated)]),
      [
        ['cap_tables_local', false],
        ['cap_tables_rep', true],
      ],
    );
    const all = await db.query('SELECT table_name FROM replicate.tables');
    const names = all.rows.map((r) => r.table_name as string);
    assert.ok(!names.some((n) => n.startsWith('_chorus') || n.startsWith('sqlite_')), names.join(','));
    const filtered = await db.query(
      "SELECT count(*) AS n FROM replicate.tables WHERE replicated AND table_name = 'cap_tables_rep'",
    );
    assert.equal(Number(filtered.rows[0].n), 1);
  });

  test('replicate.tables.replicated is a boolean column', async () => {
    const res = await db.query('SELECT table_name, replicated FROM replicate.tables LIMIT 1');
    assert.equal(res.fields[1]!.dataTypeID, 16);
    assert.equal(typeof res.rows[0].replicated, 'boolean');
  });

  test('replicate.log can be read in binary format and has its declared column types', async () => {
    await db.query('CREATE TABLE cap_bin (id INTEGER PRIMARY KEY)');
    await db.query('INSERT INTO cap_bin VALUES (1)');
    const types = await db.query("SELECT * FROM replicate.log WHERE table_name = 'cap_bin'");
    assert.deepEqual(
      types.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['lsn', 20],
        ['origin', 25],
        ['origin_seq', 20],
        ['txid', 20],
        ['hlc_wall', 20],
        ['hlc_logical', 20],
        ['table_name', 25],
        ['primary_key', 114],
        ['operation', 25],
        ['columns', 114],
      ],
    );
    const res = await db.query({
      text: 'SELECT lsn, hlc_wall FROM replicate.log WHERE table_name = $1',
      values: ['cap_bin'],
      binary: true,
    } as pg.QueryConfig);
    assert.equal(res.rows.length, 2);
  });
});

describe('admin relations', () => {
  test('replicate.status() gives one row; current_lsn is the highest lsn in replicate.log', async () => {
    await db.query('CREATE TABLE cap_status (id INTEGER PRIMARY KEY)');
    await db.query('INSERT INTO cap_status VALUES (1)');
    const res = await db.query('SELECT replicate.status()');
    assert.equal(res.rows.length, 1);
    const s = res.rows[0];
    assert.equal(s.status, 'ok');
    assert.equal(s.node_id, 'capture-node');
    assert.equal(s.mode, 'standalone');
    assert.equal(s.role, 'standalone');
    const max = await db.query('SELECT max(lsn) AS m FROM replicate.log');
    assert.equal(Number(s.current_lsn), Number(max.rows[0].m));
    for (const col of [
      'replication_lag_ms',
      'peer_count',
      'healthy_peers',
      'conflicts_detected',
      'uptime_seconds',
    ]) {
      assert.ok(col in s, `column ${col}`);
    }
    assert.equal(s.is_read_only, false);
    const star = await db.query('SELECT * FROM replicate.status()');
    assert.deepEqual(Object.keys(star.rows[0]), Object.keys(s));
    // It follows new writes.
    await db.query('INSERT INTO cap_status VALUES (2)');
    const again = await db.query('SELECT current_lsn FROM replicate.status()');
    assert.equal(Number(again.rows[0].current_lsn), Number(max.rows[0].m) + 1);
  });

  test('pg_replication_status gives the node row', async () => {
    const res = await db.query('SELECT * FROM pg_replication_status');
    assert.equal(res.rows.length, 1);
    const r = res.rows[0];
    assert.deepEqual(Object.keys(r), [
      'node_id',
      'role',
      'sync_mode',
      'listen_address',
      'replication_port',
      'current_lsn',
      'is_read_only',
      'standby_count',
      'uptime_seconds',
    ]);
    assert.equal(r.node_id, 'capture-node');
    assert.equal(r.role, 'standalone');
    assert.equal(r.listen_address, `127.0.0.1:${server.pgPort}`);
    assert.equal(r.is_read_only, false);
    assert.equal(Number(r.standby_count), 0);
    const max = await db.query('SELECT max(lsn) AS m FROM replicate.log');
    assert.equal(Number(r.current_lsn), Number(max.rows[0].m));
  });

  test('admin relations work with WHERE, ORDER BY, aggregates and joins', async () => {
    await db.query('CREATE TABLE cap_query (id INTEGER PRIMARY KEY)');
    const join = await db.query(
      'SELECT s.node_id, t.table_name FROM pg_replication_status s JOIN replicate.tables t ON 1=1 WHERE t.replicated ORDER BY t.table_name',
    );
    assert.ok(join.rows.length >= 1);
    assert.ok(join.rows.every((r) => r.node_id === 'capture-node'));
    assert.ok(join.rows.some((r) => r.table_name === 'cap_query'));
    const none = await db.query("SELECT node_id FROM pg_replication_status WHERE role = 'primary'");
    assert.equal(none.rows.length, 0);
    const some = await db.query("SELECT status FROM replicate.status() WHERE mode = 'standalone'");
    assert.deepEqual(some.rows, [{ status: 'ok' }]);
    const grouped = await db.query(
      "SELECT operation, count(*) AS n FROM replicate.log WHERE table_name LIKE 'cap\\_%' ESCAPE '\\' GROUP BY operation ORDER BY operation",
    );
    assert.ok(grouped.rows.some((r) => r.operation === 'DDL' && Number(r.n) > 0));
    const withParam = await db.query(
      'SELECT l.table_name, s.node_id FROM replicate.log l, pg_replication_status s WHERE l.lsn = $1',
      [1],
    );
    assert.equal(withParam.rows.length, 1);
    assert.equal(withParam.rows[0].node_id, 'capture-node');
  });

  test('unknown replicate functions and arguments are 42883 (extended protocol)', async () => {
    await assert.rejects(db.query({ text: 'SELECT replicate.nosuch()', values: [] }), { code: '42883' });
    await assert.rejects(db.query({ text: 'SELECT replicate.status(named => $1)', values: ['x'] }), {
      code: '42883',
    });
  });

  test('unknown replicate functions and arguments are 42883 (simple query)', async () => {
    await assert.rejects(db.query('SELECT replicate.nosuch()'), { code: '42883' });
    await assert.rejects(db.query('SELECT * FROM replicate.nosuch()'), { code: '42883' });
  });

  test('replicate.status(named => literal) in a simple query is 42883', async () => {
    await assert.rejects(db.query("SELECT replicate.status(named => 'x')"), { code: '42883' });
    await assert.rejects(db.query('SELECT replicate.status(named => 1)'), { code: '42883' });
  });
});

describe('error SQLSTATEs', () => {
  test('constraint violations: 23505, 23502, 23503, 23514', async () => {
    await db.query('CREATE TABLE err_parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE)');
    await db.query(
      'CREATE TABLE err_child (id INTEGER PRIMARY KEY, parent_id INT NOT NULL REFERENCES err_parent(id), qty INT CHECK (qty > 0))',
    );
    await db.query("INSERT INTO err_parent VALUES (1, 'a')");
    await db.query('INSERT INTO err_child VALUES (1, 1, 5)');
    await assert.rejects(db.query("INSERT INTO err_parent VALUES (1, 'b')"), { code: '23505' });
    await assert.rejects(db.query("INSERT INTO err_parent VALUES (2, 'a')"), { code: '23505' });
    await assert.rejects(db.query('INSERT INTO err_child VALUES (2, NULL, 1)'), { code: '23502' });
    await assert.rejects(db.query('INSERT INTO err_child VALUES (3, 99, 1)'), { code: '23503' });
    await assert.rejects(db.query('DELETE FROM err_parent WHERE id = 1'), { code: '23503' });
    await assert.rejects(db.query('INSERT INTO err_child VALUES (4, 1, 0)'), { code: '23514' });
    await assert.rejects(db.query('UPDATE err_child SET qty = -1 WHERE id = 1'), { code: '23514' });
    // The same errors through the extended protocol.
    await assert.rejects(db.query('INSERT INTO err_parent VALUES ($1, $2)', [1, 'c']), { code: '23505' });
    await assert.rejects(db.query('INSERT INTO err_child VALUES ($1, $2, $3)', [5, 42, 1]), {
      code: '23503',
    });
    const rows = await db.query('SELECT count(*) AS n FROM err_child');
    assert.equal(Number(rows.rows[0].n), 1);
    assert.deepEqual((await changesFor('err_child')).slice(1), [
      ['INSERT', [1], { id: 1, parent_id: 1, qty: 5 }],
    ]);
  });

  test('42P01, 42703, 42601, 42P07', async () => {
    await db.query('CREATE TABLE err_names (id INTEGER PRIMARY KEY)');
    await assert.rejects(db.query('SELECT * FROM err_no_such_table'), { code: '42P01' });
    await assert.rejects(db.query('SELECT no_such_column FROM err_names'), { code: '42703' });
    await assert.rejects(db.query('SELEC 1'), { code: '42601' });
    await assert.rejects(db.query('SELECT * FROM err_names WHERE'), { code: '42601' });
    await assert.rejects(db.query('CREATE TABLE err_names (id INTEGER PRIMARY KEY)'), { code: '42P07' });
    await assert.rejects(db.query('SELECT * FROM err_no_such_table WHERE id = $1', [1]), { code: '42P01' });
  });

  test('a table without a primary key: NOTICE at CREATE, 55000 with a hint on UPDATE, TRUNCATE and ADD PRIMARY KEY', async () => {
    const notices: string[] = [];
    const onNotice = (n: { message?: string }): void => {
      notices.push(n.message ?? '');
    };
    db.on('notice', onNotice);
    await db.query('CREATE TABLE err_no_pk (a INT, b TEXT)');
    db.off('notice', onNotice);
    assert.match(notices.join('\n'), /"err_no_pk" has no primary key/);
    await db.query("INSERT INTO err_no_pk VALUES (1, 'x'), (2, 'y')");
    const err = await db.query("UPDATE err_no_pk SET b = 'z'").then(
      () => assert.fail('updated a table without a primary key'),
      (e: pg.DatabaseError) => e,
    );
    assert.equal(err.code, '55000');
    assert.match(err.hint ?? '', /ADD PRIMARY KEY/);
    // extended protocol: TRUNCATE and ADD PRIMARY KEY as one prepared statement each
    await db.query({ name: 'add_pk', text: 'ALTER TABLE err_no_pk ADD PRIMARY KEY (a)' });
    await db.query("UPDATE err_no_pk SET b = 'z' WHERE a = 1");
    assert.deepEqual((await db.query('SELECT a, b FROM err_no_pk ORDER BY a')).rows, [
      { a: 1, b: 'z' },
      { a: 2, b: 'y' },
    ]);
    const t = await db.query({ name: 'trunc', text: 'TRUNCATE TABLE ONLY err_no_pk RESTART IDENTITY' });
    assert.equal(t.command, 'TRUNCATE');
    assert.equal((await db.query('SELECT count(*)::int AS n FROM err_no_pk')).rows[0].n, 0);
  });

  test('25P02 in a failed transaction block', async () => {
    await db.query('BEGIN');
    await assert.rejects(db.query('SELECT * FROM err_missing_25p02'), { code: '42P01' });
    await assert.rejects(db.query('SELECT 1'), { code: '25P02' });
    await db.query('ROLLBACK');
  });

  test('a TEMP TABLE is never captured; ATTACH (not PostgreSQL) is a syntax error', async () => {
    await db.query('CREATE TEMPORARY TABLE err_temp (id INTEGER PRIMARY KEY)');
    await db.query('INSERT INTO err_temp VALUES (1)');
    await db.query('DROP TABLE err_temp');
    assert.ok(!JSON.stringify(await wholeLog()).includes('err_temp'));
    await assert.rejects(db.query("ATTACH DATABASE ':memory:' AS other"), { code: '42601' });
    await assert.rejects(db.query("ATTACH '/tmp/chorus-attach-test.db' AS other2"), { code: '42601' });
  });

  test('internal _chorus_* tables are invisible: 42P01 for any access', async () => {
    const attempts = [
      'SELECT * FROM _chorus_log',
      'SELECT count(*) FROM _chorus_tx',
      'SELECT * FROM _chorus_tables',
      'DROP TABLE _chorus_log',
      'INSERT INTO _chorus_tx VALUES (1)',
      'DELETE FROM _chorus_log',
      'UPDATE _chorus_log SET origin = 1',
      'SELECT * FROM main._chorus_log',
      'SELECT * FROM "_chorus_log"',
      'ALTER TABLE _chorus_log ADD COLUMN x INT',
    ];
    for (const sql of attempts) {
      await assert.rejects(db.query(sql), { code: '42P01' }, sql);
    }
    // The catalog lists the user's tables and indexes, never the internal ones.
    const catalog = await db.query('SELECT relname FROM pg_catalog.pg_class');
    const names = catalog.rows.map((r) => r.relname as string);
    assert.ok(names.includes('cap_basic'), names.join(','));
    assert.ok(!names.some((n) => n.toLowerCase().startsWith('_chorus')), names.join(','));
    const hidden = await db.query(
      "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relname LIKE '%chorus%'",
    );
    assert.equal(Number(hidden.rows[0].n), 0);
    // SQLite's own catalog is not a relation a PostgreSQL client can reach.
    await assert.rejects(db.query('SELECT name FROM sqlite_master'), { code: '42P01' });
    await assert.rejects(db.query("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%chorus%'"), {
      code: '42P01',
    });
    // The log still works after all those attempts.
    assert.ok((await wholeLog()).length > 0);
  });

  test('42501 for PRAGMA writable_schema = 1', async () => {
    await assert.rejects(db.query('PRAGMA writable_schema = 1'), { code: '42501' });
    await assert.rejects(db.query('PRAGMA writable_schema = ON'), { code: '42501' });
  });
});
