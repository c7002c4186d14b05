// RoleState: who ships to whom and takes from whom, with cascading standbys (role.ts links):
// a primary ships to every peer and takes from none; a standby takes only from its upstream and
// ships only to standbys of its own, and only when it serves any.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleState } from '../../src/replication/standby/role.js';

const upstreamIs = (id: string, serves: boolean) => ({ isUpstream: (p: string) => p === id, serves });

test('a primary ships to every peer and takes from none', () => {
  const r = new RoleState('primary', () => 0);
  assert.equal(r.shipsTo('a'), true);
  assert.equal(r.acceptsFrom('a'), false);
});

test('a standby without links takes from any peer and ships to none (before its machinery is set)', () => {
  const r = new RoleState('standby', () => 0);
  assert.equal(r.acceptsFrom('p'), true);
  assert.equal(r.shipsTo('p'), false);
});

test('a standby that serves nobody takes from its upstream only and ships to nobody', () => {
  const r = new RoleState('standby', () => 0);
  r.links = upstreamIs('p', false);
  assert.equal(r.acceptsFrom('p'), true);
  assert.equal(r.acceptsFrom('x'), false);
  assert.equal(r.shipsTo('x'), false);
});

test('a cascading standby ships to its own standbys, never to its upstream; promoted, it ships to all', () => {
  const r = new RoleState('standby', () => 0);
  r.links = upstreamIs('p', true);
  assert.equal(r.shipsTo('b'), true);
  assert.equal(r.shipsTo('p'), false);
  assert.equal(r.acceptsFrom('b'), false);
  assert.equal(r.acceptsFrom('p'), true);
  r.transition('primary', 'test');
  assert.equal(r.shipsTo('p'), true);
  assert.equal(r.acceptsFrom('p'), false);
});
