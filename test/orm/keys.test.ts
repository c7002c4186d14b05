// Unit tests of the ORM suite's generated-key labels (record.ts KeyLabels, keysInSlot): what makes the
// cluster comparison id-agnostic must still tell a wrong row, a missing row and a wrong foreign key apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyLabels, keysInSlot, Recorder } from './record.js';

test('keys are labelled by order of creation, per entity', () => {
  const k = new KeyLabels();
  assert.deepEqual(k.created('user', 2, 5), ['user#1', 'user#2']);
  assert.deepEqual(k.created('pet', 2), ['pet#1']);
  assert.equal(k.of('user', 5), 'user#2');
  assert.equal(k.of('user', '5'), 'user#2', 'a key read back as text (an error detail) is the same key');
  assert.equal(k.of('pet', 5), 'pet#?5', 'a key never generated for that entity shows as unknown');
  assert.equal(k.of('user', null), null);
  assert.deepEqual(k.values, { 'user#1': 2, 'user#2': 5, 'pet#1': 2 });
  assert.throws(() => k.created('user', 5), /generated twice/);
});

test("rows: a foreign key to another row gets that row's label, other fields stay", () => {
  const k = new KeyLabels();
  k.created('user', 1, 2);
  assert.deepEqual(k.row({ id: 7, owner_id: 2, name: 'Rex' }, { id: 'pet', owner_id: 'user' }), {
    id: 'pet#?7',
    owner_id: 'user#2',
    name: 'Rex',
  });
  assert.notDeepEqual(
    k.row({ owner_id: 1 }, { owner_id: 'user' }),
    k.row({ owner_id: 2 }, { owner_id: 'user' }),
  );
});

test('error details: failing rows and key tuples get labels', () => {
  const k = new KeyLabels();
  k.created('pet', 3);
  k.created('user', 8);
  assert.deepEqual(
    k.failingRow(
      { detail: 'Failing row contains (3, 8, Rex, null).', code: '23502' },
      { 0: 'pet', 1: 'user' },
    ),
    { detail: 'Failing row contains (pet#1, user#1, Rex, null).', code: '23502' },
  );
  assert.deepEqual(
    k.keyDetail({ detail: 'Key (author_id, title)=(8, Loops) already exists.' }, { author_id: 'user' }),
    {
      detail: 'Key (author_id, title)=(user#1, Loops) already exists.',
    },
  );
});

test("a recorder records the raw keys after its steps; the cluster expects them in the node's slot", async () => {
  const r = new Recorder();
  await r.step('insert', async () => r.keys.created('user', 1, 2, 3));
  assert.deepEqual(r.record, {
    insert: ['user#1', 'user#2', 'user#3'],
    generatedKeys: { 'user#1': 1, 'user#2': 2, 'user#3': 3 },
  });
  // Node 2 of 3 (slot 1) hands out 2, 5, 8; a bigint key read as text stays text.
  assert.deepEqual(keysInSlot(r.record, 1, 3).generatedKeys, { 'user#1': 2, 'user#2': 5, 'user#3': 8 });
  assert.deepEqual(keysInSlot({ generatedKeys: { 'a#1': '4' } }, 0, 3).generatedKeys, { 'a#1': '10' });
  assert.deepEqual(keysInSlot({ s: 1 }, 1, 3), { s: 1 }, 'a phase without generated keys is as it is');
  // One node (slot 0 of 1) is PostgreSQL itself.
  assert.deepEqual(keysInSlot(r.record, 0, 1), r.record);
});
