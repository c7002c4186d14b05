// The `chorus` CLI as a user runs it: `chorus server` refuses bad configuration at start (exit 2, the
// offending key named on stderr, nothing written to the data dir); config file, flags and environment
// take effect with the documented precedence (file < flags < env); `chorus sql` prints psql-style tables.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { cliPath, NodeProcess } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment without this process's CHORUS_* and PG* variables (the server refuses unknown CHORUS_*). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.entries(process.env).filter(([k]) => !k.startsWith('CHORUS_') && !k.startsWith('PG'));
  return { ...Object.fromEntries(base), ...extra };
}

/** Runs `node <cli> ...args` to completion (killed after timeoutMs: a server that starts fails the test). */
function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
  user: { uid?: number; gid?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      ...user,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const tempDirs: string[] = [];
const nodes: NodeProcess[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'chorus-cli-'));
  tempDirs.push(d);
  return d;
}

after(async () => {
  for (const n of nodes) await n.cleanup();
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

/**
 * `chorus server` with a fresh data dir on free ports, plus `args`, an optional config file and env;
 * expects a refusal: exit code 2, every `mentions` pattern on stderr, and an untouched data dir.
 */
async function expectRefusal(opts: {
  toml?: string;
  args?: string[];
  env?: Record<string, string>;
  mentions: RegExp[];
}): Promise<CliResult> {
  const dir = await tempDir();
  const dataDir = path.join(dir, 'data');
  const [pgPort, httpPort, haPort] = await freePorts(3);
  const args = [
    'server',
    '--data-dir',
    dataDir,
    '--listen',
    `127.0.0.1:${pgPort}`,
    '--http',
    `127.0.0.1:${httpPort}`,
    '--ha-bind',
    `127.0.0.1:${haPort}`,
  ];
  if (opts.toml !== undefined) {
    const file = path.join(dir, 'chorus.toml');
    await writeFile(file, opts.toml);
    args.push('--config', file);
  }
  args.push(...(opts.args ?? []));
  const r = await runCli(args, opts.env);
  const shown = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  assert.equal(r.signal, null, `the server started instead of refusing (killed by ${r.signal})\n${shown}`);
  assert.equal(r.code, 2, shown);
  for (const m of opts.mentions) assert.match(r.stderr, m, shown);
  const created = await readdir(dataDir).catch(() => []);
  assert.deepEqual(created, [], 'a refused start must not create database files');
  return r;
}

describe('chorus server refuses bad configuration (exit 2, key named)', () => {
  test('unknown key in [server]', async () => {
    await expectRefusal({ toml: '[server]\nbogus_knob = 1\n', mentions: [/bogus_knob/] });
  });

  test('unknown section', async () => {
    await expectRefusal({ toml: '[servre]\nport = 1\n', mentions: [/servre/] });
  });

  test('bad value type', async () => {
    await expectRefusal({ toml: '[server]\nmax_connections = "lots"\n', mentions: [/max_connections/] });
  });

  test('bad enum value', async () => {
    await expectRefusal({ toml: '[server]\nsynchronous = "sometimes"\n', mentions: [/synchronous/] });
  });

  test('unknown [replication] key', async () => {
    await expectRefusal({ toml: '[replication]\nflux_capacitor = true\n', mentions: [/flux_capacitor/] });
  });

  test('invalid TOML', async () => {
    await expectRefusal({ toml: '[server\nport = = 3\n', mentions: [/TOML/i] });
  });

  test('unknown CHORUS_* environment variable', async () => {
    await expectRefusal({ env: { CHORUS_FOO: '1' }, mentions: [/CHORUS_FOO/] });
  });

  test('CHORUS_SERVER__PORT="notanumber"', async () => {
    await expectRefusal({ env: { CHORUS_SERVER__PORT: 'notanumber' }, mentions: [/port/] });
  });

  test('unknown key through CHORUS_<SECTION>__<KEY>', async () => {
    await expectRefusal({ env: { CHORUS_SERVER__NO_SUCH_KEY: '5' }, mentions: [/no_such_key/] });
  });

  test('replicated modes without a cluster secret, and a standby without its primary (file, flag and env)', async () => {
    await expectRefusal({
      toml: '[replication]\nmode = "multi_master"\n',
      mentions: [/cluster_secret/],
    });
    await expectRefusal({ args: ['--ha-mode', 'primary'], mentions: [/cluster_secret/] });
    await expectRefusal({
      env: { CHORUS_HA_MODE: 'standby', CHORUS_CLUSTER_SECRET: 'integration-secret' },
      mentions: [/--ha-primary/],
    });
  });

  test('listening beyond loopback without [[auth.users]]', async () => {
    const [port] = await freePorts(1);
    await expectRefusal({ args: ['--listen', `0.0.0.0:${port}`], mentions: [/0\.0\.0\.0/, /auth\.users/] });
  });

  test('auth.method = "trust" beyond loopback', async () => {
    const [port] = await freePorts(1);
    await expectRefusal({
      toml: '[auth]\nmethod = "trust"\n[[auth.users]]\nname = "alice"\npassword = "pw"\n',
      args: ['--listen', `0.0.0.0:${port}`],
      mentions: [/trust/],
    });
  });

  test('scram-sha-256 without users; user without a password', async () => {
    await expectRefusal({ toml: '[auth]\nmethod = "scram-sha-256"\n', mentions: [/auth\.users/] });
    await expectRefusal({ toml: '[[auth.users]]\nname = "alice"\n', mentions: [/auth\.users/] });
  });

  test('a data dir created by node A is refused for node B, and still works for A', async () => {
    const node = await NodeProcess.start({ nodeId: 'alpha' });
    nodes.push(node);
    assert.deepEqual((await node.stop()).code, 0);
    const [pgPort, httpPort, haPort] = await freePorts(3);
    const r = await runCli([
      'server',
      '--node-id',
      'beta',
      '--data-dir',
      node.dataDir,
      '--listen',
      `127.0.0.1:${pgPort}`,
      '--http',
      `127.0.0.1:${httpPort}`,
      '--ha-bind',
      `127.0.0.1:${haPort}`,
    ]);
    const shown = `exit ${r.code}/${r.signal}\nstderr:\n${r.stderr}`;
    assert.equal(r.signal, null, `node beta started on alpha's data dir\n${shown}`);
    assert.notEqual(r.code, 0, shown);
    assert.match(r.stderr, /alpha/, shown);
    assert.match(r.stderr, /beta/, shown);
    await node.restart();
    const c = new pg.Client({ connectionString: node.connectionString });
    await c.connect();
    try {
      assert.equal((await c.query('SELECT node_id FROM pg_replication_status')).rows[0].node_id, 'alpha');
    } finally {
      await c.end();
    }
    await node.stop();
  });
});

async function statusRow(connectionString: string): Promise<Record<string, unknown>> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    const r = await c.query('SELECT node_id, listen_address, replication_port FROM pg_replication_status');
    assert.equal(r.rows.length, 1);
    return r.rows[0] as Record<string, unknown>;
  } finally {
    await c.end();
  }
}

function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => {
        body += s;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('configuration takes effect: file < flags < environment', () => {
  test('a config file alone sets node id, addresses, ports and data dir', async () => {
    const dir = await tempDir();
    const [pgPort, httpPort, haPort] = await freePorts(3);
    const file = path.join(dir, 'chorus.toml');
    await writeFile(
      file,
      [
        '[server]',
        'node_id = "from-file"',
        'listen_address = "127.0.0.1"',
        `port = ${pgPort}`,
        'http_address = "127.0.0.1"',
        `http_port = ${httpPort}`,
        `data_dir = "${path.join(dir, 'filedata')}"`,
        'log_level = "warn"',
        '[replication]',
        `ha_bind = "127.0.0.1:${haPort}"`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [cliPath(), 'server', '--config', file], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      logs += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      logs += s;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((c) => {
      exitCode = c;
    });
    try {
      const deadline = Date.now() + 20_000;
      let health: { status: number; body: string } | undefined;
      while (Date.now() < deadline && exitCode === undefined) {
        health = await httpGet(httpPort!, '/health').catch(() => undefined);
        if (health?.status === 200) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(
        health?.status,
        200,
        `server from config file did not become ready (exit ${exitCode})\n${logs}`,
      );
      assert.equal(JSON.parse(health!.body).node_id, 'from-file');
      const row = await statusRow(`postgres://test@127.0.0.1:${pgPort}/chorus`);
      assert.equal(row.node_id, 'from-file');
      assert.equal(row.listen_address, `127.0.0.1:${pgPort}`);
      assert.equal(row.replication_port, `127.0.0.1:${haPort}`);
      assert.ok(
        (await readdir(path.join(dir, 'filedata'))).includes('chorus.db'),
        'data_dir from the file not used',
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, logs);
  });

  test('flags override the file', async () => {
    const node = await NodeProcess.start({
      nodeId: 'from-flag',
      // Port 1 would fail to bind: the --listen flag must win for the node to start at all.
      configToml: '[server]\nnode_id = "from-file"\nport = 1\n[replication]\nha_bind = "127.0.0.1:1"\n',
    });
    nodes.push(node);
    const row = await statusRow(node.connectionString);
    assert.equal(row.node_id, 'from-flag');
    assert.equal(row.listen_address, `127.0.0.1:${node.pgPort}`);
    assert.equal(row.replication_port, `127.0.0.1:${node.haPort}`);
    await node.stop();
  });

  test('environment overrides flags and the file (named and CHORUS_<SECTION>__<KEY>)', async () => {
    const [envHaPort] = await freePorts(1);
    const node = await NodeProcess.start({
      nodeId: 'from-flag',
      configToml: '[server]\nnode_id = "from-file"\nwriter_lock_timeout_ms = 3600000\n',
      env: {
        CHORUS_NODE_ID: 'from-env',
        CHORUS_HA_BIND: `127.0.0.1:${envHaPort}`,
        CHORUS_SERVER__WRITER_LOCK_TIMEOUT_MS: '200',
      },
    });
    nodes.push(node);
    const row = await statusRow(node.connectionString);
    assert.equal(row.node_id, 'from-env');
    assert.equal(row.replication_port, `127.0.0.1:${envHaPort}`);

    // writer_lock_timeout_ms from the environment (200 ms) beats the file's hour: a second writer
    // waiting behind an open write transaction gets 55P03 instead of hanging past the test timeout.
    const a = new pg.Client({ connectionString: node.connectionString });
    const b = new pg.Client({ connectionString: node.connectionString });
    await a.connect();
    await b.connect();
    try {
      await a.query('CREATE TABLE w (id INTEGER PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO w VALUES (1)');
      await assert.rejects(b.query('INSERT INTO w VALUES (2)'), (e: { code?: string }) => e.code === '55P03');
      await a.query('COMMIT');
      await b.query('INSERT INTO w VALUES (2)');
      assert.equal(Number((await b.query('SELECT count(*) AS n FROM w')).rows[0].n), 2);
    } finally {
      await a.end();
      await b.end();
    }
    await node.stop();
  });
});

describe('chorus server: startup problems in one line, exit codes as documented', () => {
  test('a port already in use names the port and its flag (exit 2, no stack trace)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      for (const [flag, what] of [
        ['--listen', /port \d+ \(PostgreSQL, --listen\) is already in use/],
        ['--http', /port \d+ \(HTTP API, --http\) is already in use/],
        ['--ha-bind', /port \d+ \(peer link, --ha-bind\) is already in use/],
      ] as const) {
        const dir = await tempDir();
        const [pgPort, httpPort, haPort] = await freePorts(3);
        const ports: Record<string, number> = {
          '--listen': pgPort!,
          '--http': httpPort!,
          '--ha-bind': haPort!,
        };
        ports[flag] = taken;
        const args = ['server', '--data-dir', path.join(dir, 'data')];
        for (const [f, p] of Object.entries(ports)) args.push(f, `127.0.0.1:${p}`);
        if (flag === '--ha-bind') args.push('--ha-mode', 'multi-primary');
        const r = await runCli(args, { CHORUS_CLUSTER_SECRET: 'a-long-enough-cluster-secret-0123' });
        const shown = `stderr:\n${r.stderr}`;
        assert.equal(r.code, 2, shown);
        assert.match(r.stderr, what, shown);
        assert.match(r.stderr, new RegExp(`port ${taken} `), shown);
        assert.doesNotMatch(r.stderr, /EADDRINUSE|\n\s+at /, shown);
      }
    } finally {
      blocker.close();
    }
  });

  test('a failover vote port already in use stops the node at startup (exit 2), not a node that never votes', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const dir = await tempDir();
      const [pgPort, httpPort, haPort, otherVote] = await freePorts(4);
      const config = path.join(dir, 'chorus.toml');
      await writeFile(
        config,
        `[ha]\nnodes = ["127.0.0.1:${taken}", "127.0.0.1:${otherVote}"]\nvote_bind = "127.0.0.1:${taken}"\n`,
      );
      const r = await runCli(
        [
          'server',
          '--config',
          config,
          '--data-dir',
          path.join(dir, 'data'),
          '--listen',
          `127.0.0.1:${pgPort}`,
          '--http',
          `127.0.0.1:${httpPort}`,
          '--ha-bind',
          `127.0.0.1:${haPort}`,
          '--ha-mode',
          'primary',
        ],
        { CHORUS_CLUSTER_SECRET: 'a-long-enough-cluster-secret-0123' },
      );
      const shown = `stderr:\n${r.stderr}`;
      assert.equal(r.code, 2, shown);
      assert.match(
        r.stderr,
        new RegExp(`port ${taken} \\(failover votes, ha.vote_bind\\) is already in use`),
        shown,
      );
      assert.doesNotMatch(r.stderr, /EADDRINUSE|\n\s+at /, shown);
    } finally {
      blocker.close();
    }
  });

  test('a data directory that is a file, or under a file, is named with the problem (exit 2)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    for (const [dataDir, said] of [
      [file, /data directory .*not-a-dir is a file, not a directory/],
      [path.join(file, 'data'), /data directory .*not-a-dir\/data: a part of the path is a file/],
    ] as const) {
      const [pgPort, httpPort] = await freePorts(2);
      const r = await runCli([
        'server',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${pgPort}`,
        '--http',
        `127.0.0.1:${httpPort}`,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, said);
      assert.doesNotMatch(r.stderr, /EEXIST|ENOTDIR/);
    }
  });

  test('a data directory or a database file the node cannot write is named with the problem (exit 2)', async () => {
    // Permissions do not bind root: as root the node runs as nobody (65534), which owns nothing here.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const readOnlyDir = path.join(dir, 'read-only');
    await mkdir(readOnlyDir, { mode: 0o555 });
    const withReadOnlyFile = path.join(dir, 'read-only-file');
    await mkdir(withReadOnlyFile);
    await chmod(withReadOnlyFile, 0o777);
    // An existing database in WAL mode: SQLite opens it read-only without a word and fails at the
    // first write (an empty file fails earlier, at the switch to WAL).
    const db = new Database(path.join(withReadOnlyFile, 'chorus.db'));
    db.pragma('journal_mode = WAL');
    db.close();
    await chmod(path.join(withReadOnlyFile, 'chorus.db'), 0o444);
    for (const [dataDir, said] of [
      [readOnlyDir, /data directory .*read-only is not writable: permission denied/],
      [path.join(readOnlyDir, 'data'), /cannot create data directory .*read-only\/data: permission denied/],
      [
        withReadOnlyFile,
        /.*read-only-file\/chorus\.db in the data directory is not writable: permission denied/,
      ],
    ] as const) {
      const [pgPort, httpPort] = await freePorts(2);
      const r = await runCli(
        [
          'server',
          '--data-dir',
          dataDir,
          '--listen',
          `127.0.0.1:${pgPort}`,
          '--http',
          `127.0.0.1:${httpPort}`,
        ],
        {},
        10_000,
        user,
      );
      assert.equal(r.code, 2, `${dataDir}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, said);
      assert.doesNotMatch(r.stderr, /readonly database|unable to open|EACCES/);
    }
  });

  test('an unknown flag exits 2 like a configuration error', async () => {
    const r = await runCli(['server', '--no-such-flag']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
  });

  test('a weak cluster secret is refused when the peer link listens beyond loopback', async () => {
    const [haPort] = await freePorts(1);
    for (const secret of ['x', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'short-secret']) {
      await expectRefusal({
        args: ['--ha-mode', 'multi-primary', '--ha-bind', `0.0.0.0:${haPort}`],
        env: { CHORUS_CLUSTER_SECRET: secret },
        mentions: [/cluster_secret is too weak/, /chorus secret/],
      });
    }
  });

  test('chorus secret prints a new random secret each time', async () => {
    const a = await runCli(['secret']);
    const b = await runCli(['secret']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout.trim(), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.stdout, b.stdout);
  });
});

describe('chorus sql', () => {
  let node: NodeProcess;
  before(async () => {
    node = await NodeProcess.start();
    nodes.push(node);
  });

  test('prints a table with the column and a row count', async () => {
    const r = await runCli(['sql', '-p', String(node.pgPort), '-c', 'SELECT 1 AS x']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    assert.equal(lines[0], 'x');
    assert.match(lines[1] ?? '', /^-+$/);
    assert.equal(lines[2], '1');
    assert.ok(lines.includes('(1 row)'), r.stdout);
  });

  test('runs several statements', async () => {
    const r = await runCli([
      'sql',
      '-p',
      String(node.pgPort),
      '-c',
      "CREATE TABLE s (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO s VALUES (1, 'one'), (2, 'two'); SELECT a, b FROM s ORDER BY a",
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Command tags as psql prints them.
    assert.match(r.stdout, /^CREATE TABLE$/m);
    assert.match(r.stdout, /^INSERT 0 2$/m);
    assert.match(r.stdout, /\ba\s*\|\s*b\b/);
    assert.match(r.stdout, /1\s*\|\s*one/);
    assert.match(r.stdout, /\(2 rows\)/);
  });

  test('bad SQL: exit 1 and ERROR on stderr', async () => {
    const r = await runCli(['sql', '-p', String(node.pgPort), '-c', 'SELEC 1']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /ERROR/);
    assert.match(r.stderr, /42601/);
    assert.equal(r.stdout, '');
  });

  test('no server on the port: exit 1 and ERROR on stderr', async () => {
    const [port] = await freePorts(1);
    const r = await runCli(['sql', '-p', String(port), '-c', 'SELECT 1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERROR/);
  });
});
