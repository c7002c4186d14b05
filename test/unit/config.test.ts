// Config loading: file < flags < environment, strict keys with the key named, unsafe combinations refused.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'chorus-cfg-'));
  const p = join(dir, 'chorus.toml');
  writeFileSync(p, text);
  return p;
}

test('defaults: loopback listeners, FULL durability, standalone', () => {
  const c = loadConfig();
  assert.equal(c.server.listen_address, '127.0.0.1');
  assert.equal(c.server.port, 5432);
  assert.equal(c.server.http_port, 8080);
  assert.equal(c.server.synchronous, 'full');
  assert.equal(c.haMode, 'standalone');
  assert.equal(c.replication.ha_bind, '127.0.0.1:5433');
  assert.ok(Object.isFrozen(c.server));
});

test('the seed config sections are accepted; flags override the file; env overrides flags', () => {
  const path = file(`
[server]
node_id = "us-east-1"
port = 6000
[replication]
mode = "standalone"
batch_size = 500
heartbeat_interval_ms = 50
[replication.buffers]
wal_buffer_size_mb = 64
[[replication.masters]]
master_id = "us-east-1"
endpoint = "us.db.company.com:5432"
priority = 10
`);
  const c = loadConfig({
    flags: { config: path, listen: '127.0.0.1:6001' },
    env: { CHORUS_SERVER__WRITER_LOCK_TIMEOUT_MS: '250' },
  });
  assert.equal(c.server.node_id, 'us-east-1');
  assert.equal(c.server.port, 6001);
  assert.equal(c.server.writer_lock_timeout_ms, 250);
  assert.equal(c.replication.batch_size, 500);
  assert.equal(c.replication.buffers.wal_buffer_size_mb, 64);
  assert.equal(c.replication.masters[0]?.priority, 10);
  const e = loadConfig({ flags: { config: path, nodeId: 'from-flag' }, env: { CHORUS_NODE_ID: 'from-env' } });
  assert.equal(e.server.node_id, 'from-env');
});

test('unknown keys, bad values and unknown variables are refused with the key named', () => {
  const cases: [Parameters<typeof loadConfig>[0], RegExp][] = [
    [{ flags: { config: file('[server]\nbogus = 1\n') } }, /"server\.bogus"/],
    [{ flags: { config: file('[server]\nport = "x"\n') } }, /"server\.port"/],
    [{ flags: { config: file('[replication]\nbatch_size = -3\n') } }, /"replication\.batch_size"/],
    [{ flags: { config: file('[nope]\n') } }, /"nope"/],
    [{ flags: { config: file('not toml [') } }, /not valid TOML/],
    [{ flags: { listen: 'nonsense' } }, /--listen/],
    [{ env: { CHORUS_FOO: '1' } }, /CHORUS_FOO/],
    [{ env: { CHORUS_SERVER__PORT: 'abc' } }, /"server\.port"/],
    [{ flags: { haMode: 'primary' } }, /not available/],
    [{ flags: { haMode: 'multi-primary' } }, /cluster_secret/],
  ];
  for (const [opts, re] of cases) {
    assert.throws(
      () => loadConfig(opts),
      (e: Error & { sqlstate?: string }) => re.test(e.message) && e.sqlstate === 'F0000',
      String(re),
    );
  }
});

test('listening beyond loopback requires SCRAM users; trust is refused there', () => {
  assert.throws(() => loadConfig({ flags: { listen: '0.0.0.0:5432' } }), /requires SCRAM-SHA-256/);
  assert.throws(
    () => loadConfig({ flags: { listen: '0.0.0.0:5432', config: file('[auth]\nmethod = "trust"\n') } }),
    /"trust" is refused/,
  );
  const ok = loadConfig({
    flags: { listen: '0.0.0.0:5432', config: file('[[auth.users]]\nname = "alice"\npassword = "pw"\n') },
  });
  assert.equal(ok.auth.users[0]?.name, 'alice');
  assert.throws(
    () => loadConfig({ flags: { config: file('[auth]\nmethod = "scram-sha-256"\n') } }),
    /needs at least one/,
  );
});
