// `chorus demo`: three masters from one command, connect instructions printed, a write on one node
// read on another, and Ctrl-C (SIGINT) stopping every node and removing the temporary data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
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

test('chorus demo starts three masters that replicate, and Ctrl-C stops them all', {
  timeout: 120_000,
}, async () => {
  const child = spawn(process.execPath, [cliPath(), 'demo', '--pg-port-base', '0', '--http-port-base', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
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
    child.kill('SIGINT');
    assert.equal(await exit, 0, output);
    for (const port of ports) assert.ok(await refused(port), `port ${port} still answers after Ctrl-C`);
    assert.equal(existsSync(dataDir), false, 'the temporary data directory was not removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
