// `chorus demo`: three masters from one command, connect instructions printed, a write on one node
// read on another, a node killed with SIGKILL leaving the others running and restarted with
// `restart N`, and Ctrl-C (SIGINT) stopping every node and removing the temporary data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { cliPath } from '../support/launcher.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('chorus demo starts three masters that replicate, survives a SIGKILL of one, and Ctrl-C stops them all', {
  timeout: 120_000,
}, async () => {
  const child = spawn(process.execPath, [cliPath(), 'demo', '--pg-port-base', '0', '--http-port-base', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('Ctrl-C stops the cluster')) {
      if (Date.now() > deadline || child.exitCode !== null)
        assert.fail(`demo did not become ready:\n${output}`);
      await sleep(100);
    }
    const ports = [...output.matchAll(/psql -h 127\.0\.0\.1 -p (\d+) -U postgres chorus/g)].map((m) =>
      Number(m[1]),
    );
    assert.equal(ports.length, 3, output);
    const dataDir = /data in (\S+) \(removed on exit\)/.exec(output)?.[1];
    assert.ok(dataDir && existsSync(dataDir), output);
    const client = (port: number) =>
      new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'chorus' });
    const first = client(ports[0]!);
    const last = client(ports[2]!);
    await first.connect();
    await last.connect();
    try {
      await first.query('CREATE TABLE demo_notes (id INTEGER PRIMARY KEY, body TEXT)');
      await first.query("INSERT INTO demo_notes VALUES (1, 'written on demo-1')");
      const until = Date.now() + 20_000;
      for (;;) {
        const rows = await last.query('SELECT body FROM demo_notes').then(
          (r) => r.rows,
          () => [],
        );
        if (rows.length === 1) {
          assert.equal(rows[0].body, 'written on demo-1');
          break;
        }
        if (Date.now() > until) assert.fail('the row never reached demo-3');
        await sleep(100);
      }
    } finally {
      await first.end();
      await last.end();
    }
    // SIGKILL demo-2: the demo and the other nodes keep running; `restart 2` brings it back.
    child.stdin.write('status\n');
    await waitFor('the status lines', 10_000, () => /demo-2: running \(pid \d+\)/.test(output));
    const pid = Number(/demo-2: running \(pid (\d+)\)/.exec(output)![1]);
    process.kill(pid, 'SIGKILL');
    await waitFor('the demo to report demo-2 gone', 10_000, () => /restart 2/.test(output));
    assert.equal(child.exitCode, null, `the demo exited when one node died:\n${output}`);
    const deadLog = /to start it again \(log: (\S+)\)/.exec(output)?.[1];
    assert.ok(deadLog && existsSync(deadLog), `the log the message points to is gone:\n${output}`);
    assert.match(readFileSync(deadLog, 'utf8'), /"msg":"PostgreSQL listener ready"/);
    assert.ok(await refused(ports[1]!), 'demo-2 still answers after SIGKILL');
    const third = client(ports[2]!);
    await third.connect();
    await third.query("INSERT INTO demo_notes VALUES (2, 'while demo-2 was down')");
    await third.end();
    child.stdin.write('restart 2\n');
    await waitFor('demo-2 to answer again and catch up', 30_000, async () => {
      const c = client(ports[1]!);
      try {
        await c.connect();
        const r = await c.query('SELECT count(*)::int AS n FROM demo_notes');
        return r.rows[0].n === 2;
      } catch {
        return false;
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    // Log lines are JSON objects with no key repeated (pino repeats a child logger's binding).
    for (const i of [1, 2, 3]) {
      for (const line of readFileSync(path.join(dataDir, `node-${i}.log`), 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        for (const key of ['node', 'component', 'msg'])
          assert.ok(line.split(`"${key}":`).length <= 2, `"${key}" repeated in node-${i}.log: ${line}`);
      }
    }
    child.kill('SIGINT');
    assert.equal(await exit, 0, output);
    assert.equal(output.split('stopping the cluster...').length - 1, 1, output);
    for (const port of ports) assert.ok(await refused(port), `port ${port} still answers after Ctrl-C`);
    assert.equal(existsSync(dataDir), false, 'the temporary data directory was not removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('chorus demo --restart-on-exit starts a killed node again by itself, on its data', {
  timeout: 120_000,
}, async () => {
  const child = spawn(
    process.execPath,
    [cliPath(), 'demo', '--nodes', '2', '--pg-port-base', '0', '--http-port-base', '0', '--restart-on-exit'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the demo to become ready', 60_000, () => {
      if (child.exitCode !== null) assert.fail(`the demo exited:\n${output}`);
      return output.includes('Ctrl-C stops the cluster');
    });
    const port = Number(/demo-2: psql -h 127\.0\.0\.1 -p (\d+)/.exec(output)?.[1]);
    const client = () => new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'chorus' });
    const c = client();
    await c.connect();
    await c.query('CREATE TABLE demo_restart (id INTEGER PRIMARY KEY)');
    await c.query('INSERT INTO demo_restart VALUES (1)');
    await c.end();
    child.stdin.write('status\n');
    await waitFor('the status lines', 10_000, () => /demo-2: running \(pid \d+\)/.test(output));
    process.kill(Number(/demo-2: running \(pid (\d+)\)/.exec(output)![1]), 'SIGKILL');
    await waitFor('the demo to restart demo-2', 10_000, () =>
      /demo-2 exited \(signal SIGKILL\); restarting it \(1 of 5\)/.test(output),
    );
    await waitFor('demo-2 to answer again with its row', 30_000, async () => {
      const again = client();
      try {
        await again.connect();
        return (await again.query('SELECT count(*)::int AS n FROM demo_restart')).rows[0].n === 1;
      } catch {
        return false;
      } finally {
        await again.end().catch(() => undefined);
      }
    });
    child.kill('SIGINT');
    assert.equal(await exit, 0, output);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a demo that cannot start (a port in use) exits 2 and leaves no temporary directory behind', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const port = (blocker.address() as AddressInfo).port;
  const demoDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith('chorus-demo-'));
  const before = new Set(demoDirs());
  try {
    const child = spawn(process.execPath, [cliPath(), 'demo', '--pg-port-base', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 2, output);
    assert.match(output, new RegExp(`port ${port} is in use`));
    assert.deepEqual(
      demoDirs().filter((d) => !before.has(d)),
      [],
      'a temporary directory was left behind',
    );
  } finally {
    blocker.close();
  }
});
