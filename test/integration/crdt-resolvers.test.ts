// CRDT columns and conflict resolvers on a 3-node multi-primary cluster of real server processes:
// node 3 reaches nodes 1 and 2 only through FaultProxies, so partitioning both proxies isolates it.
// Concurrent writes on both sides of a partition then meet at the heal: CRDT counters, sets and maps
// merge without conflicts (exact counter sums, set unions, add-wins, independent map keys); plain
// columns go through a SQL resolver, a JavaScript resolver from the config, a throwing resolver
// (conflict parked as pending, replication goes on) and a manual override that wins everywhere.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '../../src/testing/random.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

const A = 0;
const B = 1;
const C = 2;
const ids = ['crdt-1', 'crdt-2', 'crdt-3'];
const all = [A, B, C];
const convergeMs = 15_000;

/** A json column as the pg client returns it (parsed), or JSON text. */
function asJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('CRDT columns and conflict resolvers across 3 real nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-crdt-resolvers-'));
  const jsModule = join(dir, 'resolvers.mjs');
  // local is the OLDER version, remote the NEWER one (canonical order): the longer name wins and
  // the note records the origins in the order the resolver saw them, which must be the same on every node.
  writeFileSync(
    jsModule,
    `export function longerName(local, remote, meta) {
       const pick = String(local.name).length > String(remote.name).length ? local : remote;
       return { ...pick, note: meta.localOrigin + '<' + meta.remoteOrigin };
     }
     export function explode() { throw new Error('resolver exploded on purpose'); }
`,
  );
  const configToml = [
    '[[replication.resolvers]]',
    'name = "longer_name"',
    `module = ${JSON.stringify(jsModule)}`,
    'export = "longerName"',
    '',
    '[[replication.resolvers]]',
    'name = "explode"',
    `module = ${JSON.stringify(jsModule)}`,
    'export = "explode"',
    '',
  ].join('\n');
  let c: Cluster;

  const one = async (i: number, text: string, params: unknown[] = []): Promise<Record<string, unknown>> => {
    const rows = await c.sql(i, text, params);
    assert.equal(rows.length, 1, `expected one row from ${ids[i]} for ${text}: ${JSON.stringify(rows)}`);
    return rows[0]!;
  };

  /** Polls check() until it returns true; at the deadline fails with the last description it gave. */
  const waitFor = async (
    what: string,
    timeoutMs: number,
    check: () => Promise<true | string>,
  ): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const r = await check();
      if (r === true) return;
      last = r;
      if (Date.now() > deadline)
        throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${last}`);
      await sleep(50);
    }
  };

  const isolateC = (): void => {
    c.proxy(A, C).partition();
    c.proxy(B, C).partition();
  };
  const healC = (): void => {
    c.proxy(A, C).heal();
    c.proxy(B, C).heal();
  };
  /** Runs the writes with node 3 cut off from nodes 1 and 2, then heals. */
  const partitioned = async (writes: () => Promise<void>): Promise<void> => {
    isolateC();
    try {
      await writes();
    } finally {
      healC();
    }
  };

  const conflictsOf = (i: number, table: string) =>
    c.sql(
      i,
      `SELECT conflict_id, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value,
              resolved_value, resolution_strategy, status, error, resolved_by, resolved_at, resolution_reason,
              local_order_key, remote_order_key
         FROM replicate.conflicts WHERE table_name = $1 ORDER BY conflict_id`,
      [table],
    );

  /**
   * The precondition of the resolver tests: on node 1, the conflict of row_id has node 1's write as
   * the OLDER (local) one and node 3's as the newer (remote) one, so last-write-wins would pick node 3's.
   */
  const assertNode1Older = async (table: string, rowId: string): Promise<void> => {
    const rows = (await conflictsOf(A, table)).filter((r) => r.row_id === rowId);
    assert.equal(rows.length, 1, `node 1 conflicts on ${table} ${rowId}: ${JSON.stringify(rows)}`);
    const r = rows[0]!;
    assert.equal(r.master_1_id, ids[A]);
    assert.equal(r.master_2_id, ids[C]);
    assert.ok(
      String(r.local_order_key) < String(r.remote_order_key),
      `node 1's write must be the older one: ${JSON.stringify(r)}`,
    );
  };

  before(async () => {
    c = await startCluster({
      n: 3,
      topology: 'mesh',
      idPrefix: 'crdt',
      proxied: [
        [A, C],
        [B, C],
      ],
      configToml,
    });
  });
  after(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('concurrent counter increments on every node converge to the exact sum, without conflicts', async () => {
    await c.sql(A, 'CREATE TABLE page_views (page_id TEXT PRIMARY KEY, view_count CRDT_COUNTER)');
    await c.sql(A, "INSERT INTO page_views VALUES ('p1', CRDT_COUNTER(0)), ('p2', CRDT_COUNTER(1000))");
    await c.waitConverged(['page_views'], convergeMs);

    const random = seededRandom(20240611);
    // Per node: 50 changes of random sizes, every 5th with the SELECT CRDT_INCREMENT spelling,
    // every 7th a decrement; p2 only gets decrements from node 2 (the side that stays connected).
    const plans = all.map((i) =>
      Array.from({ length: 50 }, (_, k) => {
        const by = 1 + Math.floor(random() * 25);
        const kind = k % 7 === 3 ? 'decrement' : k % 5 === 0 ? 'select' : 'increment';
        return { i, by, kind };
      }),
    );
    const delta = (i: number): number =>
      plans[i]!.reduce((s, p) => s + (p.kind === 'decrement' ? -p.by : p.by), 0);
    const p2Decrements = [5, 11, 17];

    await partitioned(async () => {
      await Promise.all(
        all.map(async (i) => {
          for (const p of plans[i]!) {
            if (p.kind === 'select') {
              await c.sql(
                i,
                `SELECT CRDT_INCREMENT(view_count, ${p.by}) FROM page_views WHERE page_id = 'p1'`,
              );
            } else {
              await c.sql(
                i,
                `UPDATE page_views SET view_count = crdt_${p.kind}(view_count, $1) WHERE page_id = 'p1'`,
                [p.by],
              );
            }
          }
        }),
      );
      for (const by of p2Decrements)
        await c.sql(
          B,
          "UPDATE page_views SET view_count = crdt_decrement(view_count, $1) WHERE page_id = 'p2'",
          [by],
        );
      // While partitioned: node 3 sees only its own changes; nodes 1 and 2 reach the sum of theirs.
      assert.equal(
        Number((await one(C, "SELECT view_count FROM page_views WHERE page_id = 'p1'")).view_count),
        delta(C),
      );
      const ab = delta(A) + delta(B);
      await waitFor('nodes 1 and 2 exchange their increments during the partition', convergeMs, async () => {
        const v = await Promise.all(
          [A, B].map(async (i) =>
            Number((await one(i, "SELECT view_count FROM page_views WHERE page_id = 'p1'")).view_count),
          ),
        );
        return v.every((x) => x === ab) || `expected ${ab}, got ${v.join(', ')}`;
      });
      assert.equal(
        Number((await one(C, "SELECT view_count FROM page_views WHERE page_id = 'p1'")).view_count),
        delta(C),
      );
    });

    await c.waitConverged(['page_views'], convergeMs);
    const total = delta(A) + delta(B) + delta(C);
    const p2 = 1000 - p2Decrements.reduce((s, x) => s + x, 0);
    const states = new Set<string>();
    for (const i of all) {
      const rows = await c.sql(i, 'SELECT page_id, view_count FROM page_views ORDER BY page_id');
      assert.deepEqual(
        rows.map((r) => [r.page_id, Number(r.view_count)]),
        [
          ['p1', total],
          ['p2', p2],
        ],
        `counter values on ${ids[i]}`,
      );
      assert.deepEqual(await conflictsOf(i, 'page_views'), [], `no conflicts for CRDT counters on ${ids[i]}`);
      const ops = await c.sql(
        i,
        `SELECT origin, count(*) AS n FROM replicate.crdt_operations
          WHERE table_name = 'page_views' AND column_name = 'view_count' AND operation_type = 'counter_merge'
          GROUP BY origin ORDER BY origin`,
      );
      const byOrigin = Object.fromEntries(ops.map((r) => [r.origin, Number(r.n)]));
      // Every node merged the 50 p1 changes of each of the two other nodes (and p2's, where remote).
      for (const o of all.filter((o) => o !== i)) {
        assert.ok(
          (byOrigin[ids[o]!] ?? 0) >= 50,
          `${ids[i]} lists ${byOrigin[ids[o]!] ?? 0} counter_merge rows from ${ids[o]}: ${JSON.stringify(byOrigin)}`,
        );
      }
      const { state } = await one(i, `SELECT replicate.crdt_state('page_views', '["p1"]', 'view_count')`);
      assert.ok(state, `${ids[i]} has no CRDT state for p1`);
      states.add(JSON.stringify(state));
    }
    assert.equal(states.size, 1, `the internal counter states differ: ${[...states].join(' | ')}`);
  });

  test('replicate.crdt_state also works with a column alias and in FROM', async () => {
    await c.sql(A, 'CREATE TABLE state_forms (id TEXT PRIMARY KEY, n CRDT_COUNTER)');
    await c.sql(A, "INSERT INTO state_forms VALUES ('k', CRDT_COUNTER(4))");
    const direct = await one(A, `SELECT replicate.crdt_state('state_forms', '["k"]', 'n')`);
    assert.ok(direct.state, 'the direct call returns the state');
    const aliased = await one(A, `SELECT replicate.crdt_state('state_forms', '["k"]', 'n') AS s`);
    assert.deepEqual(aliased.s, direct.state);
    const fromForm = await one(A, `SELECT * FROM replicate.crdt_state('state_forms', '["k"]', 'n')`);
    assert.deepEqual(fromForm.state, direct.state);
  });

  test('concurrent set adds on different nodes give the union everywhere', async () => {
    await c.sql(A, 'CREATE TABLE badges (user_id TEXT PRIMARY KEY, tags CRDT_SET<VARCHAR(255)>)');
    await c.sql(A, `INSERT INTO badges VALUES ('u1', '["base"]'), ('u2', '[]')`);
    await c.waitConverged(['badges'], convergeMs);

    const add = (i: number, user: string, tag: string) =>
      c.sql(i, 'UPDATE badges SET tags = crdt_add(tags, $1) WHERE user_id = $2', [tag, user]);
    await partitioned(async () => {
      await add(A, 'u1', 'alpha');
      await add(B, 'u1', 'bravo');
      await add(C, 'u1', 'charlie');
      await add(C, 'u1', 'delta');
      await add(A, 'u2', 'solo-a');
      await add(C, 'u2', 'solo-c');
      const onC = (await one(C, "SELECT tags FROM badges WHERE user_id = 'u1'")).tags;
      assert.deepEqual(
        onC,
        ['base', 'charlie', 'delta'],
        'node 3 must not see adds from across the partition',
      );
    });

    await c.waitConverged(['badges'], convergeMs);
    for (const i of all) {
      const rows = await c.sql(i, 'SELECT user_id, tags FROM badges ORDER BY user_id');
      assert.deepEqual(
        rows.map((r) => [r.user_id, r.tags]),
        [
          ['u1', ['alpha', 'base', 'bravo', 'charlie', 'delta']],
          ['u2', ['solo-a', 'solo-c']],
        ],
        `set union on ${ids[i]}`,
      );
      assert.deepEqual(await conflictsOf(i, 'badges'), [], `no conflicts for CRDT sets on ${ids[i]}`);
    }
    const merges = await one(
      C,
      "SELECT count(*) AS n FROM replicate.crdt_operations WHERE table_name = 'badges' AND operation_type = 'set_merge'",
    );
    assert.ok(Number(merges.n) >= 3, `node 3 lists ${String(merges.n)} set_merge rows for badges`);
  });

  test('concurrent add and remove of a present element: the add wins everywhere', async () => {
    await c.sql(A, 'CREATE TABLE labels (id TEXT PRIMARY KEY, tags CRDT_SET)');
    await c.sql(A, `INSERT INTO labels VALUES ('x', '[]')`);
    for (const t of ['keep', 'e1', 'e2', 'gone'])
      await c.sql(A, "UPDATE labels SET tags = crdt_add(tags, $1) WHERE id = 'x'", [t]);
    await c.waitConverged(['labels'], convergeMs);
    assert.deepEqual((await one(C, "SELECT tags FROM labels WHERE id = 'x'")).tags, [
      'e1',
      'e2',
      'gone',
      'keep',
    ]);

    const upd = (i: number, fn: 'crdt_add' | 'crdt_remove', tag: string) =>
      c.sql(i, `UPDATE labels SET tags = ${fn}(tags, $1) WHERE id = 'x'`, [tag]);
    await partitioned(async () => {
      // e1: removed on node 1, added again (it is present) on node 3.
      await upd(A, 'crdt_remove', 'e1');
      await upd(C, 'crdt_add', 'e1');
      // e2: removed on node 3, added again on node 2 (the other direction).
      await upd(C, 'crdt_remove', 'e2');
      await upd(B, 'crdt_add', 'e2');
      // gone: removed on node 1 only (a remove without a concurrent add does remove).
      await upd(A, 'crdt_remove', 'gone');
    });

    await c.waitConverged(['labels'], convergeMs);
    for (const i of all) {
      const tags = (await one(i, "SELECT tags FROM labels WHERE id = 'x'")).tags;
      assert.deepEqual(tags, ['e1', 'e2', 'keep'], `add-wins on ${ids[i]}`);
      assert.deepEqual(await conflictsOf(i, 'labels'), [], `no conflicts for CRDT sets on ${ids[i]}`);
    }
  });

  test('concurrent map puts on different keys all survive', async () => {
    await c.sql(
      A,
      'CREATE TABLE prefs (user_id TEXT PRIMARY KEY, settings CRDT_MAP<VARCHAR(255), VARCHAR(255)>, n INTEGER)',
    );
    await c.sql(A, `INSERT INTO prefs VALUES ('u1', '{"keep":"1"}', 0)`);
    await c.waitConverged(['prefs'], convergeMs);

    const put = (i: number, k: string, v: string) =>
      c.sql(i, "UPDATE prefs SET settings = crdt_set(settings, $1, $2) WHERE user_id = 'u1'", [k, v]);
    await partitioned(async () => {
      await put(A, 'theme', 'dark');
      await put(C, 'language', 'en');
      await put(B, 'tz', 'UTC');
      await put(C, 'font', 'mono');
    });

    await c.waitConverged(['prefs'], convergeMs);
    for (const i of all) {
      const s = (await one(i, "SELECT settings FROM prefs WHERE user_id = 'u1'")).settings;
      assert.deepEqual(
        s,
        { font: 'mono', keep: '1', language: 'en', theme: 'dark', tz: 'UTC' },
        `map keys on ${ids[i]}`,
      );
      assert.deepEqual(await conflictsOf(i, 'prefs'), [], `no conflicts for CRDT maps on ${ids[i]}`);
    }
  });

  test('a SQL "keep the higher price" resolver picks the same winner on every node', async () => {
    await c.sql(A, 'CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL)');
    await c.sql(A, "INSERT INTO products VALUES (1, 'widget', 100), (2, 'gadget', 10)");
    // Registered on node 2, bound on node 1: both replicate.
    await c.sql(
      B,
      `SELECT replicate.register_resolver(name => 'keep_higher_price', language => 'sql',
         definition => 'CASE WHEN json_extract(local, ''$.price'') >= json_extract(remote, ''$.price'') THEN local ELSE remote END')`,
    );
    // The registration reaches node 1 by replication: bind only once it is there.
    await eventually('node 1 to have the resolver', convergeMs, async () =>
      (await c.sql(A, "SELECT name FROM replicate.resolvers WHERE name = 'keep_higher_price'")).length === 1
        ? true
        : undefined,
    );
    await c.sql(A, "ALTER TABLE products SET REPLICATION CONFLICT_RESOLVER = 'keep_higher_price'");
    await c.waitConverged(['products'], convergeMs);
    for (const i of all) {
      const rows = await c.sql(i, 'SELECT name, language, definition FROM replicate.resolvers ORDER BY name');
      assert.deepEqual(
        rows.map((r) => [r.name, r.language]),
        [
          ['(table) products', 'binding'],
          ['keep_higher_price', 'sql'],
        ],
        `resolvers on ${ids[i]}`,
      );
    }

    await partitioned(async () => {
      // Row 1: node 1 writes the higher price FIRST (older): LWW alone would keep node 3's 55.
      await c.sql(A, 'UPDATE products SET price = 175 WHERE id = 1');
      // Row 2: the higher price is the newer write: the resolver keeps it too.
      await c.sql(A, 'UPDATE products SET price = 20 WHERE id = 2');
      await sleep(5); // keeps node 3's writes later by the wall clock; the order is checked below
      await c.sql(C, 'UPDATE products SET price = 55 WHERE id = 1');
      await c.sql(C, 'UPDATE products SET price = 80 WHERE id = 2');
    });

    await c.waitConverged(['products'], convergeMs);
    await assertNode1Older('products', '[1]');
    await assertNode1Older('products', '[2]');
    for (const i of all) {
      const rows = await c.sql(i, 'SELECT id, name, price FROM products ORDER BY id');
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.name, Number(r.price)]),
        [
          [1, 'widget', 175],
          [2, 'gadget', 80],
        ],
        `resolved prices on ${ids[i]}`,
      );
      const conflicts = await conflictsOf(i, 'products');
      assert.deepEqual(
        conflicts
          .map((r) => [r.row_id, r.conflict_type, r.resolution_strategy, r.status, r.error])
          .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        [
          ['[1]', 'write_conflict', 'custom:keep_higher_price', 'resolved', null],
          ['[2]', 'write_conflict', 'custom:keep_higher_price', 'resolved', null],
        ],
        `conflicts on ${ids[i]}`,
      );
      const row1 = conflicts.find((r) => r.row_id === '[1]')!;
      assert.deepEqual(asJson(row1.resolved_value), { price: 175 });
    }
  });

  test('a JavaScript resolver from the config picks the same winner on every node', async () => {
    await c.sql(A, 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, note TEXT, qty INTEGER)');
    await c.sql(A, "INSERT INTO items VALUES (1, 'bolt', 'initial', 3)");
    await c.sql(C, "ALTER TABLE items SET REPLICATION CONFLICT_RESOLVER = 'longer_name'");
    await c.waitConverged(['items'], convergeMs);
    for (const i of all) {
      const bound = await c.sql(i, "SELECT definition FROM replicate.resolvers WHERE name = '(table) items'");
      assert.deepEqual(bound, [{ definition: 'longer_name' }], `binding on ${ids[i]}`);
    }

    await partitioned(async () => {
      // The longer name is the OLDER write (node 1): LWW alone would keep node 3's 'nut'.
      await c.sql(A, "UPDATE items SET name = 'hex-bolt-m8', note = 'from node 1' WHERE id = 1");
      await sleep(5);
      await c.sql(C, "UPDATE items SET name = 'nut', note = 'from node 3', qty = 9 WHERE id = 1");
    });

    await c.waitConverged(['items'], convergeMs);
    await assertNode1Older('items', '[1]');
    for (const i of all) {
      const row = await one(i, 'SELECT id, name, note, qty FROM items WHERE id = 1');
      assert.deepEqual(
        [row.name, row.note, Number(row.qty)],
        // qty is written on one side only: not a conflict, it keeps node 3's value.
        ['hex-bolt-m8', `${ids[A]}<${ids[C]}`, 9],
        `JS resolution on ${ids[i]}`,
      );
      const conflicts = await conflictsOf(i, 'items');
      assert.deepEqual(
        conflicts.map((r) => [r.row_id, r.resolution_strategy, r.status, r.error]),
        [['[1]', 'custom:longer_name', 'resolved', null]],
        `conflicts on ${ids[i]}`,
      );
    }
  });

  test('a throwing resolver parks the conflict as pending, and later writes still replicate', async () => {
    await c.sql(A, 'CREATE TABLE stock (id INTEGER PRIMARY KEY, sku TEXT, qty INTEGER)');
    await c.sql(A, "INSERT INTO stock VALUES (1, 'sku-1', 0), (2, 'sku-2', 0)");
    await c.sql(A, "ALTER TABLE stock SET REPLICATION CONFLICT_RESOLVER = 'explode'");
    await c.waitConverged(['stock'], convergeMs);

    await partitioned(async () => {
      await c.sql(A, 'UPDATE stock SET qty = 7 WHERE id = 1');
      // Node 2 is on node 1's side: it has the 7 before the heal brings node 3's 9.
      await waitFor('node 1 write on node 2', convergeMs, async () => {
        const qty = Number((await one(B, 'SELECT qty FROM stock WHERE id = 1')).qty);
        return qty === 7 ? true : `qty ${qty}`;
      });
      await c.sql(C, 'UPDATE stock SET qty = 9 WHERE id = 1');
    });
    // Every node applies everything (same vectors) but keeps its local version of the conflicted row.
    await c.waitConverged([], convergeMs);
    await assertNode1Older('stock', '[1]');
    const pendingIds: number[] = [];
    for (const i of all) {
      const conflicts = await conflictsOf(i, 'stock');
      assert.equal(conflicts.length, 1, `conflicts on ${ids[i]}: ${JSON.stringify(conflicts)}`);
      const k = conflicts[0]!;
      assert.equal(k.row_id, '[1]');
      assert.equal(k.status, 'pending', `status on ${ids[i]}`);
      assert.equal(k.resolution_strategy, 'custom:explode');
      assert.match(String(k.error), /resolver exploded on purpose/, `error on ${ids[i]}`);
      assert.equal(k.resolved_at, null);
      pendingIds.push(Number(k.conflict_id));
      const qty = Number((await one(i, 'SELECT qty FROM stock WHERE id = 1')).qty);
      // The local version stays: node 1's own 7 on node 1 and on node 2 (which had it), 9 on node 3.
      assert.equal(qty, i === C ? 9 : 7, `qty of the parked row on ${ids[i]}`);
    }

    // Replication is not stuck: later writes from every side reach every node.
    await c.sql(C, "INSERT INTO stock VALUES (3, 'sku-3', 30)");
    await c.sql(B, "UPDATE stock SET sku = 'sku-1-renamed' WHERE id = 1");
    await c.sql(A, 'UPDATE stock SET qty = 22 WHERE id = 2');
    await waitFor('writes after the parked conflict replicate', convergeMs, async () => {
      const views = await Promise.all(
        all.map(async (i) =>
          JSON.stringify(
            (await c.sql(i, 'SELECT id, sku, qty FROM stock ORDER BY id')).map((r) => [
              Number(r.id),
              r.sku,
              Number(r.id) === 1 ? null : Number(r.qty), // row 1's qty differs until settled
            ]),
          ),
        ),
      );
      const want = JSON.stringify([
        [1, 'sku-1-renamed', null],
        [2, 'sku-2', 22],
        [3, 'sku-3', 30],
      ]);
      return views.every((v) => v === want) || views.join(' | ');
    });

    // Settle: unbind the broken resolver everywhere, then resolve the pending conflicts by LWW on every node.
    await c.sql(A, 'ALTER TABLE stock SET REPLICATION CONFLICT_RESOLVER = NULL');
    await c.waitConverged([], convergeMs);
    for (const i of all) {
      const r = await one(
        i,
        "SELECT replicate.resolve_pending_conflicts(strategy => 'last_write_wins', timeout_sec => 5)",
      );
      assert.deepEqual([Number(r.resolved), Number(r.remaining), r.strategy], [1, 0, 'last_write_wins']);
    }
    await c.waitConverged(['stock'], convergeMs);
    for (const [k, i] of all.entries()) {
      const row = await one(i, 'SELECT sku, qty FROM stock WHERE id = 1');
      assert.deepEqual([row.sku, Number(row.qty)], ['sku-1-renamed', 9], `row 1 on ${ids[i]} after settling`);
      const settled = await one(
        i,
        'SELECT status, resolution_reason FROM replicate.conflicts WHERE conflict_id = $1',
        [pendingIds[k]],
      );
      assert.deepEqual(settled, {
        status: 'resolved',
        resolution_reason: 'resolve_pending_conflicts(last_write_wins)',
      });
    }
  });

  test('a manual override wins on every node and the conflict row records who, when and why', async () => {
    await c.sql(A, 'CREATE TABLE prices (id INTEGER PRIMARY KEY, label TEXT, price REAL)');
    await c.sql(A, "INSERT INTO prices VALUES (1, 'lamp', 40)");
    await c.waitConverged(['prices'], convergeMs);

    await partitioned(async () => {
      await c.sql(A, 'UPDATE prices SET price = 100 WHERE id = 1');
      await sleep(5);
      await c.sql(C, 'UPDATE prices SET price = 2 WHERE id = 1');
    });
    await c.waitConverged(['prices'], convergeMs);
    await assertNode1Older('prices', '[1]');
    for (const i of all) {
      const price = Number((await one(i, 'SELECT price FROM prices WHERE id = 1')).price);
      assert.equal(price, 2, `last-write-wins keeps node 3's newer price on ${ids[i]}`);
    }

    const conflict = (await conflictsOf(B, 'prices')).find((r) => r.row_id === '[1]');
    assert.ok(conflict, 'node 2 recorded the conflict');
    assert.equal(conflict.status, 'resolved');
    assert.equal(conflict.resolution_strategy, 'last_write_wins');
    const startedAt = Date.now();
    const out = await one(
      B,
      `SELECT replicate.override_conflict_resolution(conflict_id => $1,
         resolved_value => '100', reason => 'price=2 was a data entry error')`,
      [conflict.conflict_id],
    );
    assert.deepEqual([Number(out.conflict_id), out.status], [Number(conflict.conflict_id), 'overridden']);

    await c.waitConverged(['prices'], convergeMs);
    for (const i of all) {
      const row = await one(i, 'SELECT label, price FROM prices WHERE id = 1');
      assert.deepEqual([row.label, Number(row.price)], ['lamp', 100], `override on ${ids[i]}`);
    }
    const rec = await one(
      B,
      `SELECT status, resolved_value, resolved_by, resolved_at, resolution_reason
         FROM replicate.conflicts WHERE conflict_id = $1`,
      [conflict.conflict_id],
    );
    assert.equal(rec.status, 'overridden');
    assert.deepEqual(asJson(rec.resolved_value), { price: 100 });
    assert.equal(rec.resolved_by, 'test');
    assert.equal(rec.resolution_reason, 'price=2 was a data entry error');
    const at = new Date(rec.resolved_at as string | Date).getTime();
    assert.ok(
      Number.isFinite(at) && at >= startedAt - 2_000 && at <= Date.now() + 2_000,
      `resolved_at ${String(rec.resolved_at)} is not the time of the override`,
    );
    // The override is a normal write that had seen both versions: no new conflict anywhere.
    for (const i of all) {
      const n = (await conflictsOf(i, 'prices')).length;
      assert.equal(n, 1, `conflicts on ${ids[i]} after the override`);
    }
  });
});
