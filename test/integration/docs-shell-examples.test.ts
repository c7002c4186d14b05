// The shell examples of README.md and docs/ that are marked runnable (a ```sh runnable fence) run as
// written, in bash in an empty directory: `chorus` (or `node dist/src/cli/main.js`) is the built CLI,
// each port of the example is replaced by a free one (the same port everywhere it appears), and a
// `chorus server` line runs in the background until its PostgreSQL port answers. Every command must
// succeed and print no error; the servers are stopped with SIGTERM at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { cliPath, repoRoot } from '../support/launcher.js';
import { freePorts } from '../support/ports.js';

/** How long one example may run (servers started, commands run, servers stopped). */
const exampleTimeoutMs = 60_000;

interface ShellExample {
  file: string;
  line: number;
  text: string;
}

function shellExamples(): ShellExample[] {
  const files = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).map((f) => path.join('docs', f))];
  const out: ShellExample[] = [];
  for (const file of files.filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/```sh runnable\n([\s\S]*?)```/g)) {
      out.push({ file, line: text.slice(0, m.index).split('\n').length, text: m[1]! });
    }
  }
  return out;
}

const portPattern = /(127\.0\.0\.1:|localhost:|-p )(\d{4,5})\b/g;

/** The example as a bash script: ports replaced, servers in the background, stopped on exit. */
async function scriptOf(example: string): Promise<string> {
  const commands = example
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const written = [...new Set([...example.matchAll(portPattern)].map((m) => m[2]!))];
  const free = await freePorts(written.length);
  const portOf = new Map(written.map((p, i) => [p, free[i]!]));
  const lines = [
    'set -euo pipefail',
    `cli_node=${JSON.stringify(process.execPath)}`,
    `cli_js=${JSON.stringify(cliPath())}`,
    'chorus() { "$cli_node" "$cli_js" "$@"; }',
    // A server line runs node itself (not the function): $! is then the node's own process.
    "servers=''",
    'stop_servers() { for p in $servers; do kill "$p" 2>/dev/null || true; done; wait || true; }',
    'trap stop_servers EXIT',
    // Port $1 answering, while the server (process $2) runs.
    'wait_port() { until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do kill -0 "$2" || return 1; sleep 0.1; done; }',
  ];
  let servers = 0;
  for (const raw of commands) {
    const line = raw
      .replaceAll('node dist/src/cli/main.js', 'chorus')
      .replace(portPattern, (_, prefix: string, port: string) => `${prefix}${portOf.get(port)}`);
    if (!/\bchorus server\b/.test(line)) {
      lines.push(line);
      continue;
    }
    const listen = /--listen \S+:(\d+)/.exec(line)?.[1];
    assert.ok(listen, `a server line without --listen: ${raw}`);
    servers++;
    const started = line.replace(/\s+#.*$/, '').replace(/\bchorus server\b/, '"$cli_node" "$cli_js" server');
    lines.push(
      `${started} >> server-${servers}.log 2>&1 &`,
      'servers="$servers $!"',
      `wait_port ${listen} $!`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const hasCurl = spawnSync('curl', ['--version']).status === 0;

describe('runnable shell examples in the docs', () => {
  const found = shellExamples();
  test('there are runnable shell examples to check', () => {
    assert.ok(found.length >= 3, `found ${found.length}`);
  });
  for (const ex of found) {
    const needsCurl = /\bcurl\b/.test(ex.text);
    test(`${ex.file}:${ex.line}`, {
      skip: needsCurl && !hasCurl ? 'curl is not installed' : false,
    }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'chorus-docs-sh-'));
      try {
        const script = await scriptOf(ex.text);
        const env = Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith('CHORUS_') && !k.startsWith('PG')),
        );
        const child = spawn('bash', ['-c', script], {
          cwd: dir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: exampleTimeoutMs,
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
        const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
          (resolve, reject) => {
            child.once('error', reject);
            child.once('close', (c, s) => resolve([c, s]));
          },
        );
        const logs = await Promise.all(
          readdirSync(dir)
            .filter((f) => f.startsWith('server-'))
            .map(async (f) => `--- ${f}\n${(await readFile(path.join(dir, f), 'utf8')).slice(-3000)}`),
        );
        const shown = `${ex.file}:${ex.line}\nscript:\n${script}\nstdout:\n${stdout}\nstderr:\n${stderr}\n${logs.join('\n')}`;
        assert.equal(signal, null, shown);
        assert.equal(code, 0, shown);
        assert.doesNotMatch(stdout, /"error"|\bERROR\b/, shown);
        assert.doesNotMatch(stderr, /\bERROR\b|chorus: /, shown);
        // Every server the example started was stopped (by the script's exit trap) and closed cleanly.
        assert.ok(logs.length > 0, shown);
        for (const log of logs) assert.match(log, /"msg":"node closed"/, shown);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
