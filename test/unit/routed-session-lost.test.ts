// A standby's routed session that the primary dropped (a link of that standby closed there, e.g. an
// old link timing out after the standby already reconnected) is never silently replaced: a request
// that continues it is refused with nothing run — inside a block the client gets 08006 (the rest of
// the block must not commit without its start); between transactions the standby opens a new
// session upstream, with the client's startup values and every setting, and runs it there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimerHandle, Timers } from '../../src/clock/timers.js';
import type { PeerMessage } from '../../src/replication/link/link.js';
import type { PeerHandle } from '../../src/replication/link/peer-extension.js';
import {
  ForwardClient,
  type ForwardedSession,
  ForwardServer,
  type UpstreamStatus,
} from '../../src/replication/standby/write-forward.js';
import { SessionRouter } from '../../src/session/write-routing/write-route.js';

const timers: Timers = { nowMs: () => 0, after: (): TimerHandle => ({ cancel: () => undefined }) };
const epoch = { current: 1, refusedStale: 0, compare: () => 'same' as const };

interface Upstream {
  startup: Record<string, string>;
  settings: Map<string, string>;
  ran: string[];
  status: UpstreamStatus;
  closed: boolean;
}

function setup() {
  const upstreams: Upstream[] = [];
  const server = new ForwardServer(
    () => true,
    epoch,
    () => undefined,
  );
  const toClient: PeerHandle = {
    peerId: 'standby',
    send: (m: PeerMessage) => {
      queueMicrotask(() => client.onMessage(toServer, m));
      return true;
    },
    closed: false,
  };
  const toServer: PeerHandle = {
    peerId: 'primary',
    send: (m: PeerMessage) => {
      queueMicrotask(() => server.onMessage(toClient, m));
      return true;
    },
    closed: false,
  };
  server.runner = {
    open(_user, startup): ForwardedSession {
      const u: Upstream = { startup, settings: new Map(), ran: [], status: 'I', closed: false };
      upstreams.push(u);
      return {
        applySettings(settings) {
          for (const [k, v] of settings) u.settings.set(k, v);
        },
        async run(stmt, _limit, onResult) {
          u.ran.push(stmt.text);
          if (stmt.text === 'BEGIN') u.status = 'T';
          if (stmt.text === 'COMMIT') u.status = 'I';
          onResult({ tag: stmt.text, columns: null, notices: [] }, []);
        },
        get txStatus() {
          return u.status;
        },
        get lastCommitLsn() {
          return null;
        },
        cancel() {},
        close() {
          u.closed = true;
          u.status = 'I';
        },
      };
    },
  };
  const client = new ForwardClient({ primaryLink: () => toServer, position: () => 0, timers, epoch });
  const settings = new Map([['search_path', 'app']]);
  const router = new SessionRouter(
    { client, enabled: () => true },
    'alice',
    { application_name: 'app1' },
    () => settings,
    () => undefined,
  );
  return { server, router, upstreams };
}

const st = (text: string) => ({ text, simple: true, params: [], oids: [] });

test('inside a routed block: the primary lost the session, the next statement is refused and runs nowhere', async () => {
  const { server, router, upstreams } = setup();
  await router.run([st('BEGIN'), st('INSERT a')], 1);
  assert.equal(router.open, true);
  server.onClose('standby'); // the primary drops the standby's sessions; the standby's link lives on
  await new Promise((r) => setImmediate(r));
  assert.equal(upstreams[0]!.closed, true, 'the block was rolled back upstream');
  await assert.rejects(router.run([st('INSERT b')], 0), (e: { sqlstate?: string }) => e.sqlstate === '08006');
  assert.equal(upstreams.length, 1, 'no new session upstream');
  assert.deepEqual(upstreams[0]!.ran, ['BEGIN', 'INSERT a']);
  assert.equal(router.open, false);
});

test('between transactions: the standby reopens the session upstream with its startup values and settings', async () => {
  const { server, router, upstreams } = setup();
  await router.run([st('INSERT a')], 0);
  server.onClose('standby');
  await router.run([st('INSERT b')], 0);
  assert.equal(upstreams.length, 2);
  assert.deepEqual(upstreams[1]!.ran, ['INSERT b']);
  assert.equal(upstreams[1]!.startup.application_name, 'app1');
  assert.equal(upstreams[1]!.settings.get('search_path'), 'app');
});
