// A seeded, deterministic simulation of a multi-primary cluster in one process: real nodes (SQLite,
// sessions, replication engine) over the simulated network and virtual time, with random writes,
// conflicting updates, deletes, inserts and TRUNCATE of a table without a primary key, partitions,
// restarts and clock skew. After healing, every node must hold identical data (floats compared bit
// for bit: -0 is not 0) and every acknowledged unique insert must be present everywhere.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChorusNode } from '../node/node.js';
import { SimFabric } from './sim-network.js';
import { openSimNode } from './sim-node.js';
import { SimWorld, settle } from './sim-world.js';

export interface SimOptions {
  nodes: number;
  ops: number;
  /** Virtual milliseconds the workload is spread over. */
  spanMs: number;
  /** Probability an op is a fault (partition or restart) instead of a write. */
  faultRate: number;
}

export const defaultSimOptions: SimOptions = { nodes: 3, ops: 60, spanMs: 3_000, faultRate: 0.12 };

export interface SimResult {
  seed: number;
  ok: boolean;
  problems: string[];
  acknowledged: number;
  conflicts: number;
  eventsRun: number;
  virtualMs: number;
  /** Transactions still in node 1's log vs all transactions it applied (retention at work). */
  logTxsRetained: number;
  logTxsTotal: number;
}

/** Float values the workload writes: the edges of float8 and float4 that a text or JSON hop can lose. */
const floatValues = [
  '-0',
  '0',
  'NaN',
  'Infinity',
  '-Infinity',
  '5e-324',
  '-2.2250738585072014e-308',
  '1.7976931348623157e308',
  '0.30000000000000004',
  '1.4e-45',
  '3.4028235e38',
  '150',
] as const;

/** Rows as text that tells every stored value apart: bigint digits, -0, NaN and ±Infinity spelled out. */
function dump(rows: Record<string, unknown>[]): string {
  return JSON.stringify(rows, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v)))
      return `<${Object.is(v, -0) ? '-0' : v}>`;
    return v;
  });
}

export async function runSimulation(seed: number, opts: SimOptions = defaultSimOptions): Promise<SimResult> {
  const world = new SimWorld(seed);
  const fabric = new SimFabric(world, { minDelayMs: 1, maxDelayMs: 40, reconnectMs: 60 });
  const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  const root = mkdtempSync(join(tmpdir(), `chorus-sim-${seed}-`));
  const skew = new Map(ids.map((id) => [id, world.int(-150, 150)]));
  const nodes = new Map<string, ChorusNode | null>();
  const acked = new Set<string>();
  const problems: string[] = [];

  const open = async (id: string): Promise<ChorusNode> => {
    const node = openSimNode({
      world,
      fabric,
      root,
      id,
      peers: ids,
      skewMs: skew.get(id)!,
      // Seeds cycle through the three last-write-wins orders.
      replication: {
        timestamp_source: (['server_timestamp', 'logical_clock', 'client_timestamp'] as const)[seed % 3],
      },
    });
    await node.startReplication();
    nodes.set(id, node);
    return node;
  };

  const exec = async (id: string, sql: string, params: (string | bigint | null)[] = []): Promise<boolean> => {
    const node = nodes.get(id);
    if (!node) return false;
    try {
      await node.exec(sql, params);
      return true;
    } catch {
      return false;
    }
  };

  try {
    for (const id of ids) await open(id);
    await exec(ids[0]!, 'CREATE TABLE kv (k INTEGER PRIMARY KEY, a TEXT, b INTEGER, c BYTEA)');
    await exec(ids[0]!, 'CREATE TABLE uniq (id TEXT PRIMARY KEY, node TEXT, v INTEGER)');
    await exec(
      ids[0]!,
      'CREATE TABLE ctr (id INTEGER PRIMARY KEY, hits CRDT_COUNTER, labels CRDT_SET<TEXT>, bal INTEGER NOT NULL DEFAULT 0)',
    );
    await exec(
      ids[0]!,
      "INSERT INTO ctr VALUES (1, CRDT_COUNTER(0), '[]', 5), (2, CRDT_COUNTER(0), '[]', -5)",
    );
    // A delta column: increments on any node add up, like the counter beside it.
    await exec(ids[0]!, "ALTER TABLE ctr ALTER COLUMN bal SET REPLICATION CONFLICT_RESOLVER = 'delta'");
    // A table settled by a custom resolver: deterministic, commutative, column by column.
    await exec(ids[0]!, 'CREATE TABLE prices (id INTEGER PRIMARY KEY, price INTEGER, note TEXT)');
    await exec(ids[0]!, 'INSERT INTO prices VALUES (1, 10, NULL), (2, 10, NULL)');
    // Different keys colliding on a unique index: one row per email must remain, the same everywhere.
    await exec(ids[0]!, 'CREATE TABLE emails (id TEXT PRIMARY KEY, email TEXT UNIQUE, node TEXT)');
    // Floats whose edge values (-0 above all) must reach every node exactly, conflicts settled by LWW.
    await exec(ids[0]!, 'CREATE TABLE floats (id INTEGER PRIMARY KEY, d FLOAT8, r REAL)');
    await exec(ids[0]!, "INSERT INTO floats VALUES (1, '-0', '-0'), (2, 0, 0)");
    // Foreign keys: parents deleted (and made again) on one master while children are written under
    // them, or moved between them, on another; NO ACTION and SET NULL children.
    await exec(ids[0]!, 'CREATE TABLE fkp (id INTEGER PRIMARY KEY, v INTEGER)');
    await exec(ids[0]!, 'INSERT INTO fkp SELECT g, 0 FROM generate_series(1, 4) AS g');
    await exec(ids[0]!, 'CREATE TABLE fkc (id TEXT PRIMARY KEY, pid INTEGER REFERENCES fkp, node TEXT)');
    await exec(
      ids[0]!,
      'CREATE TABLE fkn (id TEXT PRIMARY KEY, pid INTEGER REFERENCES fkp ON DELETE SET NULL, node TEXT)',
    );
    // No primary key: inserts and TRUNCATE only; a TRUNCATE removes the rows its node had seen.
    await exec(ids[0]!, 'CREATE TABLE hist (node TEXT, n INTEGER)');
    await exec(
      ids[0]!,
      // Decides each column from that column's two values only (max), as resolvers must to converge.
      "SELECT replicate.register_resolver(name => 'keep_higher', definition => 'json_object(''price'', max(json_extract(local, ''$.price''), json_extract(remote, ''$.price'')), ''note'', max(json_extract(local, ''$.note''), json_extract(remote, ''$.note'')))')",
    );
    await exec(ids[0]!, "ALTER TABLE prices SET REPLICATION CONFLICT_RESOLVER = 'keep_higher'");
    await world.runFor(200);
    for (const id of ids) {
      const row = (await nodes.get(id)!.query('SELECT d, r FROM floats WHERE id = 1')).rows[0];
      if (!row || !Object.is(row.d, -0) || !Object.is(row.r, -0))
        problems.push(`${id}: floats row 1 written as (-0, -0) reads ${dump(row ? [row] : [])}`);
    }

    let counter = 0;
    // CRDT columns: every acknowledged increment and label add must be in the final value exactly.
    const expectedHits = new Map<bigint, bigint>([
      [1n, 0n],
      [2n, 0n],
    ]);
    const expectedLabels = new Map<bigint, Set<string>>([
      [1n, new Set()],
      [2n, new Set()],
    ]);
    // The delta column: its initial value plus every acknowledged increment of the UPDATE form.
    const expectedBal = new Map<bigint, bigint>([
      [1n, 5n],
      [2n, -5n],
    ]);
    const start = world.nowMs;
    for (let i = 0; i < opts.ops; i++) {
      const at = start + world.int(0, opts.spanMs);
      const id = world.pick(ids);
      const r = world.rng();
      const key = BigInt(world.int(1, 6));
      if (r < opts.faultRate / 2) {
        const other = world.pick(ids.filter((x) => x !== id));
        world.schedule(at, () => fabric.partition(id, other));
        world.schedule(at + world.int(50, 800), () => fabric.heal(id, other));
      } else if (r < opts.faultRate) {
        world.schedule(at, async () => {
          const node = nodes.get(id);
          if (!node) return;
          nodes.set(id, null);
          await node.close();
          world.schedule(world.nowMs + world.int(20, 400), async () => {
            if (!nodes.get(id)) await open(id);
          });
        });
      } else if (r < 0.12) {
        const eid = `${id}-e${counter++}`;
        const email = `user${world.int(1, 4)}@example.com`;
        // An existing row updated to a value another master may give another row at once.
        const offset = world.rng() < 0.4 ? world.int(0, 5) : null;
        world.schedule(at, async () => {
          if (offset === null) await exec(id, 'INSERT INTO emails VALUES ($1, $2, $3)', [eid, email, id]);
          else
            await exec(
              id,
              'UPDATE emails SET email = $1, node = $2 WHERE id IN (SELECT id FROM emails ORDER BY id LIMIT 1 OFFSET $3)',
              [email, id, BigInt(offset)],
            );
        });
      } else if (r < 0.17) {
        const row = BigInt(world.int(1, 2));
        const price = BigInt(world.int(1, 1000));
        world.schedule(at, async () => {
          await exec(id, 'UPDATE prices SET price = $1, note = $2 WHERE id = $3', [price, `${id}`, row]);
        });
      } else if (r < 0.27) {
        const row = BigInt(world.int(1, 2));
        const by = BigInt(world.int(-3, 9));
        const label = `${id}-l${counter++}`;
        world.schedule(at, async () => {
          const sql =
            world.rng() < 0.5
              ? 'UPDATE ctr SET hits = crdt_increment(hits, $1), labels = crdt_add(labels, $2), bal = bal + $1 WHERE id = $3'
              : 'SELECT CRDT_INCREMENT(hits, $1) FROM ctr WHERE id = $3 AND $2 IS NOT NULL';
          const node = nodes.get(id);
          if (!node) return;
          const res = await node.exec(sql, [by, label, row]).catch(() => null);
          // Acknowledged only when a row changed (UPDATE 1, or one row RETURNING for the SELECT form).
          const changed = res !== null && (res[0]?.tag === 'UPDATE 1' || res[0]?.rows.length === 1);
          if (changed) {
            expectedHits.set(row, expectedHits.get(row)! + by);
            if (sql.startsWith('UPDATE')) {
              expectedLabels.get(row)!.add(label);
              expectedBal.set(row, expectedBal.get(row)! + by);
            }
          }
        });
      } else if (r < 0.31) {
        const row = BigInt(world.int(1, 2));
        const d = world.pick(floatValues);
        const f = world.pick(floatValues);
        world.schedule(at, async () => {
          await exec(id, 'UPDATE floats SET d = $1, r = $2 WHERE id = $3', [d, f, row]);
        });
      } else if (r < 0.45) {
        const uid = `${id}-${counter++}`;
        world.schedule(at, async () => {
          if (await exec(id, 'INSERT INTO uniq VALUES ($1, $2, $3)', [uid, id, BigInt(world.int(0, 999))]))
            acked.add(uid);
        });
      } else if (r < 0.53) {
        const parent = world.int(1, 4);
        const child = world.rng() < 0.5 ? 'fkc' : 'fkn';
        const sub = world.rng();
        const cid = `${id}-c${counter++}`;
        const offset = BigInt(world.int(0, 4));
        world.schedule(at, async () => {
          if (sub < 0.25) {
            const node = nodes.get(id);
            await node
              ?.exec(
                `BEGIN; DELETE FROM fkc WHERE pid = ${parent}; DELETE FROM fkp WHERE id = ${parent}; COMMIT`,
              )
              .catch(() => node.exec('ROLLBACK').catch(() => undefined));
          } else if (sub < 0.4)
            await exec(id, 'INSERT INTO fkp VALUES ($1, 0) ON CONFLICT (id) DO NOTHING', [BigInt(parent)]);
          else if (sub < 0.7)
            await exec(id, `INSERT INTO ${child} VALUES ($1, $2, $3)`, [cid, BigInt(parent), id]);
          else
            await exec(
              id,
              `UPDATE ${child} SET pid = $1, node = $2 WHERE id IN (SELECT id FROM ${child} ORDER BY id LIMIT 1 OFFSET $3)`,
              [BigInt(parent), id, offset],
            );
        });
      } else if (r < 0.75) {
        const v = `v${world.int(0, 99)}-${id}`;
        world.schedule(at, async () => {
          const ok = await exec(id, 'UPDATE kv SET a = $1 WHERE k = $2', [v, key]);
          const node = nodes.get(id);
          if (ok && node) {
            const has = await node.query('SELECT 1 AS x FROM kv WHERE k = $1', [key]).catch(() => null);
            if (has && has.rows.length === 0)
              await exec(id, 'INSERT INTO kv VALUES ($1, $2, $3, NULL)', [key, v, BigInt(world.int(0, 9))]);
          }
        });
      } else if (r < 0.85) {
        world.schedule(at, async () => {
          await exec(id, 'UPDATE kv SET b = coalesce(b, 0) + $1 WHERE k = $2', [
            BigInt(world.int(1, 5)),
            key,
          ]);
        });
      } else if (r < 0.92) {
        world.schedule(at, async () => {
          await exec(id, 'DELETE FROM kv WHERE k = $1', [key]);
        });
      } else if (r < 0.96) {
        const n = BigInt(counter++);
        const truncate = world.rng() < 0.25;
        world.schedule(at, async () => {
          if (truncate) await exec(id, 'TRUNCATE hist');
          else await exec(id, 'INSERT INTO hist VALUES ($1, $2), ($1, $2)', [id, n]);
        });
      } else {
        const uid = `${id}-${counter++}`;
        world.schedule(at, async () => {
          const node = nodes.get(id);
          if (!node) return;
          try {
            await node.exec(
              `BEGIN; UPDATE kv SET c = '\\x00ff', a = 'tx-${id}' WHERE k = ${key}; INSERT INTO uniq VALUES ('${uid}', '${id}', 1); COMMIT`,
            );
            acked.add(uid);
          } catch {
            // a failed multi-statement transaction is not acknowledged
          }
        });
      }
    }
    await world.runUntil(start + opts.spanMs + 1_000);
    fabric.healAll();
    for (const id of ids) if (!nodes.get(id)) await open(id);
    // Quiesce: run until every node has applied everything every other node has.
    const deadline = world.nowMs + 60_000;
    let converged = false;
    while (world.nowMs < deadline) {
      await world.runFor(250);
      const vectors = ids.map((id) => JSON.stringify(sortVector(nodes.get(id)!.engine.appliedVector())));
      const pending = ids.reduce((n, id) => n + (nodes.get(id)!.replicator?.pendingTxs() ?? 0), 0);
      if (pending === 0 && vectors.every((v) => v === vectors[0])) {
        converged = true;
        break;
      }
    }
    await settle();
    if (!converged) {
      problems.push('applied vectors did not converge within 60 s of virtual time after healing');
      for (const id of ids) {
        const n = nodes.get(id)!;
        const peers =
          n.replicator
            ?.peerStates()
            .map((p) => `${p.peerId}:inflight=${p.inflight},acked=${JSON.stringify(p.acked)}`) ?? [];
        problems.push(
          `  ${id}: vector=${JSON.stringify(sortVector(n.engine.appliedVector()))} pending=${n.replicator?.pendingTxs()} stats=${JSON.stringify(n.replicator?.stats)} peers=[${peers.join(' ')}] failures=${JSON.stringify(n.replicator?.failures.slice(-3))}`,
        );
      }
    }
    const dumps = new Map<string, string>();
    for (const id of ids) {
      const n = nodes.get(id)!;
      const kv = (await n.query('SELECT * FROM kv ORDER BY k')).rows;
      const uq = (await n.query('SELECT * FROM uniq ORDER BY id')).rows;
      const pr = (await n.query('SELECT * FROM prices ORDER BY id')).rows;
      const em = (await n.query('SELECT * FROM emails ORDER BY id')).rows;
      const fl = (await n.query('SELECT * FROM floats ORDER BY id')).rows;
      const hi = (await n.query('SELECT * FROM hist ORDER BY node, n')).rows;
      const fk = (
        await n.query(
          "SELECT 'p' AS t, id::text AS id, v::text AS x FROM fkp UNION ALL SELECT 'c', id, pid::text || '/' || node FROM fkc UNION ALL SELECT 'n', id, coalesce(pid::text, '-') || '/' || node FROM fkn ORDER BY 1, 2",
        )
      ).rows;
      dumps.set(
        id,
        `${dump(kv)}\n${dump(uq)}\n${dump(pr)}\n${dump(em)}\n${dump(fl)}\n${dump(hi)}\n${dump(fk)}`,
      );
      const present = new Set(uq.map((r) => String(r.id)));
      for (const uid of acked)
        if (!present.has(uid)) problems.push(`${id}: acknowledged insert ${uid} is missing`);
    }
    const first = dumps.get(ids[0]!)!;
    for (const id of ids.slice(1)) {
      if (dumps.get(id) !== first)
        problems.push(`${id} differs from ${ids[0]}:\n  ${ids[0]}: ${first}\n  ${id}: ${dumps.get(id)}`);
    }
    // Let retention passes run once everyone has acknowledged everything.
    await world.runFor(6_000);
    const n1 = nodes.get(ids[0]!)!;
    const logTxsRetained = Number(
      (await n1.query('SELECT count(DISTINCT txid) AS n FROM replicate.log')).rows[0]!.n,
    );
    const logTxsTotal = Object.values(n1.engine.appliedVector()).reduce((a, b) => a + b, 0);
    for (const id of ids) {
      const rows = (await nodes.get(id)!.query('SELECT id, hits, labels, bal FROM ctr ORDER BY id')).rows;
      for (const r of rows) {
        if (BigInt(r.bal as bigint | number) !== expectedBal.get(r.id as bigint))
          problems.push(
            `${id}: ctr ${r.id} delta column bal = ${r.bal}, expected ${expectedBal.get(r.id as bigint)}`,
          );
        const want = expectedHits.get(r.id as bigint);
        if (BigInt(r.hits as bigint | number) !== want)
          problems.push(`${id}: ctr ${r.id} hits = ${r.hits}, expected ${want}`);
        const labels = new Set(JSON.parse(String(r.labels)) as string[]);
        const wantLabels = expectedLabels.get(r.id as bigint)!;
        if (labels.size !== wantLabels.size || [...wantLabels].some((l) => !labels.has(l))) {
          problems.push(
            `${id}: ctr ${r.id} labels = ${r.labels}, expected ${JSON.stringify([...wantLabels].sort())}`,
          );
        }
      }
    }
    let conflicts = 0;
    for (const id of ids) {
      conflicts += Number(
        (await nodes.get(id)!.query('SELECT count(*) AS n FROM replicate.conflicts')).rows[0]!.n,
      );
    }
    return {
      seed,
      ok: problems.length === 0,
      problems,
      acknowledged: acked.size,
      conflicts,
      eventsRun: world.eventsRun,
      virtualMs: world.nowMs - start,
      logTxsRetained,
      logTxsTotal,
    };
  } finally {
    for (const n of nodes.values()) await n?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

function sortVector(v: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
}
