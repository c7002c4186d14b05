// A voter keeps the promise a lease asked for: a primary of the previous release asks for 3 s and
// counts its lease as running 2.7 s, so a voter of this release (whose own leases are 2 s) must not
// vote for a candidate before the 3 s are over, nor, after a restart, grant anything for as long.
// An in-process restart (a role change) hands its promise over instead: no quiet period.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haLeaseMs, Voter, type VoterCarry } from '../../src/replication/standby/lease.js';

function voter(now: { ms: number }, fresh: boolean | VoterCarry): Voter {
  let epoch = 1;
  return new Voter(
    {
      self: 'v',
      epoch: {
        get current() {
          return epoch;
        },
        raise(e: number) {
          if (e <= epoch) return false;
          epoch = e;
          return true;
        },
      },
      now: () => now.ms,
      position: () => ({ epoch: 1, count: 0 }),
      leads: () => false,
    },
    fresh,
  );
}

const leaseReq = (ttlMs: number) => ({ t: 'ha_lease_req', epoch: 1, req: 1, ttlMs, endpoint: null }) as const;
const voteReq = { t: 'ha_vote_req', epoch: 2, req: 1, position: { epoch: 1, count: 0 }, pre: false } as const;

test('a 3 s lease of an older primary is promised for its 3 s', () => {
  const now = { ms: 0 };
  const v = voter(now, true);
  assert.equal((v.onLeaseReq('old-primary', leaseReq(3_000)) as { granted: boolean }).granted, true);
  now.ms = 2_700; // the old primary still counts its lease (3000 - 300 drift margin)
  assert.equal((v.onVoteReq('candidate', voteReq) as { granted: boolean }).granted, false);
  now.ms = 3_001;
  assert.equal((v.onVoteReq('candidate', voteReq) as { granted: boolean }).granted, true);
});

test("this release's leases are promised for haLeaseMs; a restarted voter stays quiet for the longest grant", () => {
  const now = { ms: 0 };
  const v = voter(now, true);
  v.onLeaseReq('primary', leaseReq(haLeaseMs));
  now.ms = haLeaseMs + 1;
  assert.equal((v.onVoteReq('candidate', voteReq) as { granted: boolean }).granted, true);
  const t = { ms: 0 };
  const r = voter(t, false);
  t.ms = 2_800; // an older primary's 3 s promise from before the restart may still run
  assert.equal((r.onLeaseReq('other', leaseReq(haLeaseMs)) as { granted: boolean }).granted, false);
  t.ms = 3_001;
  assert.equal((r.onLeaseReq('other', leaseReq(haLeaseMs)) as { granted: boolean }).granted, true);
});

test('a voter replacing one in the same process keeps its promise and needs no quiet period', () => {
  const now = { ms: 0 };
  const before = voter(now, true);
  assert.equal((before.onLeaseReq('new-primary', leaseReq(haLeaseMs)) as { granted: boolean }).granted, true);
  now.ms = 500;
  const after = voter(now, before.carry());
  // The promise to the primary runs on: a candidate is refused, and says why.
  const refused = after.onVoteReq('candidate', voteReq) as { granted: boolean; reason?: string };
  assert.deepEqual([refused.granted, refused.reason], [false, 'promised-elsewhere']);
  // The primary it promised renews at once: no quiet period after the restart.
  assert.equal((after.onLeaseReq('new-primary', leaseReq(haLeaseMs)) as { granted: boolean }).granted, true);
  now.ms = 500 + haLeaseMs + 1;
  assert.equal((after.onVoteReq('candidate', voteReq) as { granted: boolean }).granted, true);
  assert.deepEqual([...after.refusals], [['promised-elsewhere', 1]]);
});
