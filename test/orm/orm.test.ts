// The ORM compatibility suite: each ORM program (drizzle, kysely, knex, typeorm; test/orm/*/program.ts)
// runs against a real PostgreSQL 15 started here, a single ChorusDB node, and a 3-node multi-primary
// cluster (migrations on node 1, the application on node 2, the down-migration back on node 1), and
// the records of what the application saw must be equal. Generated keys are recorded by label (record.ts
// KeyLabels) with their raw values: PostgreSQL's on one node, mapped into the node's sequence slot on the
// cluster. A failing comparison lists each differing step with the statements the server refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { type Cluster, startCluster } from '../support/cluster.js';
import { NodeProcess } from '../support/launcher.js';
import { findPostgres, PostgresServer } from '../support/pg-server.js';
import { eventually } from '../support/wait.js';
import { programs } from './programs.js';
import {
  type DbConfig,
  installTracer,
  keysInSlot,
  type OrmProgram,
  type PhaseRecord,
  unexpectedErrors,
} from './record.js';

type FullRecord = Record<'migrate' | 'app' | 'down', PhaseRecord>;

const testTimeoutMs = 90_000;
const replicationWaitMs = 20_000;
const summaryValueChars = 1_500;

let pgSkip: string | undefined;
let postgres: PostgresServer | undefined;
let single: NodeProcess | undefined;
let cluster: Cluster | undefined;
/** PostgreSQL's record of each program, computed once (the first test of a program that needs it). */
const expected = new Map<string, Promise<FullRecord>>();

function configOf(server: { port: number }, user: string, database: string): DbConfig {
  return { host: '127.0.0.1', port: server.port, user, database };
}

const chorusConfig = (pgPort: number): DbConfig => configOf({ port: pgPort }, 'test', 'chorus');

async function runAll(p: OrmProgram, db: DbConfig): Promise<FullRecord> {
  return { migrate: await p.migrate(db), app: await p.app(db), down: await p.down(db) };
}

/**
 * PostgreSQL's record of a program, run in a database of its own: drizzle-kit push manages every
 * sequence of the schema whatever its tables filter, so it would drop the other programs' sequences.
 * (On ChorusDB, which has one database, drizzle runs first.)
 */
function expectedOf(p: OrmProgram): Promise<FullRecord> {
  let rec = expected.get(p.name);
  if (!rec) {
    rec = (async () => {
      const database = `orm_${p.name}`;
      const admin = new pg.Client(configOf(postgres!, postgres!.user, postgres!.database));
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${database}`);
      } finally {
        await admin.end();
      }
      return runAll(p, configOf(postgres!, postgres!.user, database));
    })();
    expected.set(p.name, rec);
  }
  return rec;
}

function clip(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined
    ? 'undefined'
    : s.length > summaryValueChars
      ? `${s.slice(0, summaryValueChars)}...`
      : s;
}

/** Each step whose result differs from PostgreSQL's, with both results. */
function differingSteps(got: FullRecord, want: FullRecord): string[] {
  const out: string[] = [];
  for (const phase of ['migrate', 'app', 'down'] as const) {
    const names = new Set([...Object.keys(want[phase]), ...Object.keys(got[phase])]);
    for (const step of names) {
      const g = got[phase][step];
      const w = want[phase][step];
      if (!isDeepStrictEqual(g, w))
        out.push(`${phase}.${step}\n    ChorusDB:   ${clip(g)}\n    PostgreSQL: ${clip(w)}`);
    }
  }
  return out;
}

/** Asserts that ChorusDB's record equals PostgreSQL's, listing the differing steps first. */
function assertSameRecord(got: FullRecord, want: FullRecord, where: string, extra: string[] = []): void {
  const problems = [...differingSteps(got, want), ...extra];
  assert.deepEqual(
    problems,
    [],
    `${where}: ${problems.length} differences from PostgreSQL 15:\n${problems.join('\n')}`,
  );
  assert.deepEqual(got, want);
}

/** The program's tables that node i can read now. */
async function readableTables(c: Cluster, i: number, tables: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    try {
      await c.sql(i, `SELECT * FROM ${t} LIMIT 0`);
      out.push(t);
    } catch {
      // not there (yet)
    }
  }
  return out;
}

before(async () => {
  installTracer();
  const found = await findPostgres();
  if ('skip' in found) {
    pgSkip = found.skip;
    console.log(`orm suite skipped: PostgreSQL is needed to compare with: ${found.skip}`);
    return;
  }
  [postgres, single, cluster] = await Promise.all([
    PostgresServer.start(),
    NodeProcess.start({ nodeId: 'orm-single' }),
    startCluster({ n: 3, topology: 'mesh', idPrefix: 'orm' }),
  ]);
});

after(async () => {
  await Promise.all([postgres?.stop(), single?.cleanup(), cluster?.stop()]);
});

for (const program of programs) {
  describe(`${program.name}`, () => {
    test(`${program.name} on PostgreSQL 15: every step succeeds`, { timeout: testTimeoutMs }, async (t) => {
      if (pgSkip) return t.skip(pgSkip);
      const want = await expectedOf(program);
      assert.deepEqual(unexpectedErrors(want), [], 'the program itself must pass on PostgreSQL');
    });

    test(`${program.name} on one ChorusDB node: same results as PostgreSQL`, {
      timeout: testTimeoutMs,
    }, async (t) => {
      if (pgSkip) return t.skip(pgSkip);
      const want = await expectedOf(program);
      const got = await runAll(program, chorusConfig(single!.pgPort));
      assertSameRecord(got, want, `${program.name} on one node`);
    });

    test(`${program.name} on a 3-node multi-primary cluster (migrate on node 1, app on node 2): same results`, {
      timeout: testTimeoutMs,
    }, async (t) => {
      if (pgSkip) return t.skip(pgSkip);
      const want = await expectedOf(program);
      const c = cluster!;
      const problems: string[] = [];
      const migrate = await program.migrate(chorusConfig(c.nodes[0]!.pgPort));
      // The schema node 1 has must reach node 2 before the application runs there.
      const created = await readableTables(c, 0, program.tables);
      await eventually(`${program.name}'s tables on node 2`, replicationWaitMs, async () =>
        (await readableTables(c, 1, created)).length === created.length ? true : undefined,
      ).catch((err: Error) => problems.push(err.message));
      const app = await program.app(chorusConfig(c.nodes[1]!.pgPort));
      // Node 1 must have the application's rows before it migrates down.
      await c
        .waitConverged(await readableTables(c, 0, program.tables), replicationWaitMs)
        .catch((err: Error) => problems.push(err.message));
      const down = await program.down(chorusConfig(c.nodes[0]!.pgPort));
      const left = await readableTables(c, 0, program.tables);
      await eventually(`${program.name}'s dropped tables gone on every node`, replicationWaitMs, async () => {
        for (const i of [1, 2])
          if ((await readableTables(c, i, program.tables)).some((x) => !left.includes(x))) return undefined;
        return true;
      }).catch((err: Error) => problems.push(err.message));
      // Node 1 (slot 0) migrates and migrates down, node 2 (slot 1) runs the application.
      const wantHere: FullRecord = {
        migrate: keysInSlot(want.migrate, 0, c.nodes.length),
        app: keysInSlot(want.app, 1, c.nodes.length),
        down: keysInSlot(want.down, 0, c.nodes.length),
      };
      assertSameRecord({ migrate, app, down }, wantHere, `${program.name} on the cluster`, problems);
    });
  });
}
