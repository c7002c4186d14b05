// Config loading: file < flags < environment, strict keys with the key named, unsafe combinations refused.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, standbyServes } from '../../src/config/load.js';

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
    [{ flags: { haMode: 'primary' } }, /cluster_secret/],
    [{ flags: { haMode: 'standby' }, env: { CHORUS_CLUSTER_SECRET: 'x' } }, /--ha-primary/],
    [
      { flags: { haMode: 'primary', haPeers: '127.0.0.1:1' }, env: { CHORUS_CLUSTER_SECRET: 'x' } },
      /standbys dial/,
    ],
    [{ flags: { haSyncMode: 'sync' } }, /primary\/standby mode/],
    [
      { flags: { haMode: 'primary' }, env: { CHORUS_CLUSTER_SECRET: 'x', HA_SYNC_MODE: 'bogus' } },
      /"ha\.sync_mode"/,
    ],
    [
      {
        flags: {
          haMode: 'primary',
          config: file('[ha]\nsync_mode = "sync"\nsynchronous_standby_names = "ANY 3 (a)"\n'),
        },
        env: { CHORUS_CLUSTER_SECRET: 'x' },
      },
      /synchronous_standby_names/,
    ],
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

test('primary and standby: the seed CLI lines, HA_SYNC_MODE as in its docker-compose, [ha] in TOML', () => {
  const env = { CHORUS_CLUSTER_SECRET: 'x' };
  const p = loadConfig({
    flags: { haMode: 'primary', haBind: '127.0.0.1:5433' },
    env: { ...env, HA_SYNC_MODE: 'synchronous' },
  });
  assert.equal(p.haMode, 'primary');
  assert.equal(p.syncMode, 'sync');
  const s = loadConfig({ flags: { haMode: 'standby', haPrimary: 'primary.example.com:5433' }, env });
  assert.equal(s.replication.primary, 'primary.example.com:5433');
  assert.equal(s.syncMode, 'async');
  const t = loadConfig({
    flags: {
      haMode: 'primary',
      config: file('[ha]\nsync_mode = "semi-sync"\nstrict = true\nsync_timeout_ms = 250\n'),
    },
    env: { ...env, CHORUS_HA_SYNC_MODE: 'sync' },
  });
  assert.equal(t.syncMode, 'sync'); // the environment wins over the file
  assert.equal(t.ha.strict, true);
  assert.equal(t.ha.sync_timeout_ms, 250);
});

test('cascading: a standby given --ha-bind serves standbys; naming its own --ha-bind as upstream is refused', () => {
  const env = { CHORUS_CLUSTER_SECRET: 'x' };
  const plain = loadConfig({ flags: { haMode: 'standby', haPrimary: '127.0.0.1:5433' }, env });
  assert.equal(standbyServes(plain), false);
  const serving = loadConfig({
    flags: { haMode: 'standby', haPrimary: '127.0.0.1:5433', haBind: '127.0.0.1:5434' },
    env,
  });
  assert.equal(standbyServes(serving), true);
  assert.equal(
    standbyServes(loadConfig({ flags: { haMode: 'primary', haBind: '127.0.0.1:5433' }, env })),
    false,
  );
  assert.throws(
    () =>
      loadConfig({
        flags: { haMode: 'standby', haPrimary: '127.0.0.1:5434', haBind: '127.0.0.1:5434' },
        env,
      }),
    /cannot follow itself/,
  );
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
