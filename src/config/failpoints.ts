// Planted bugs, to prove that the chaos suite's checkers catch what they claim to (issue 7). A node
// started with CHORUS_TEST_FAILPOINTS=<name>[,<name>] misbehaves on purpose; without the variable
// every failpoint is off and costs one boolean test.

export const failpointNames = [
  'drop-replicated-change',
  'apply-remote-twice',
  'lww-arrival-order',
  'ack-sync-commit-early',
  'truncate-removes-all',
  'delta-as-last-write-wins',
  'foreign-keys-per-statement',
  'old-shape-ignores-renames',
] as const;
export type FailpointName = (typeof failpointNames)[number];

/**
 * drop-replicated-change skips one applied row INSERT in this many. Inserts only: a dropped UPDATE of
 * a CRDT column or an LWW register is healed by the next change of the same row, so the planted bug
 * would be invisible whenever it hit one (and a chaos test proving it is caught would be a coin toss).
 */
export const dropOneInInserts = 5_000;
/** apply-remote-twice applies one replicated transaction in this many a second time. */
export const applyTwiceOneInTxs = 1_000;

export interface Failpoints {
  /** Skip every dropOneInInserts-th replicated row INSERT (the transaction still counts as applied). */
  dropReplicatedChange: boolean;
  /** Apply every applyTwiceOneInTxs-th replicated transaction twice. */
  applyRemoteTwice: boolean;
  /** Last-write-wins decided by arrival order: a remote write always beats the local value. */
  lwwArrivalOrder: boolean;
  /** A primary in semi-sync / sync mode acknowledges a commit without waiting for its standbys. */
  ackSyncCommitEarly: boolean;
  /** A replicated TRUNCATE of a keyless table removes every row, also rows inserted concurrently elsewhere. */
  truncateRemovesAll: boolean;
  /** Delta columns are ordinary last-write-wins columns: concurrent increments are lost. */
  deltaAsLastWriteWins: boolean;
  /** Foreign keys checked per replicated statement, no orphans settled: each node keeps what its order allowed. */
  foreignKeysPerStatement: boolean;
  /**
   * A row change written before a RENAME COLUMN it had not seen keeps the old column name, which the
   * table no longer has, so its value for that column is dropped where the rename came first.
   */
  oldShapeIgnoresRenames: boolean;
}

export function parseFailpoints(spec: string | undefined): Failpoints {
  const names = new Set(
    (spec ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
  for (const n of names) {
    if (!(failpointNames as readonly string[]).includes(n))
      throw new Error(`unknown failpoint ${n} (known: ${failpointNames.join(', ')})`);
  }
  return {
    dropReplicatedChange: names.has('drop-replicated-change'),
    applyRemoteTwice: names.has('apply-remote-twice'),
    lwwArrivalOrder: names.has('lww-arrival-order'),
    ackSyncCommitEarly: names.has('ack-sync-commit-early'),
    truncateRemovesAll: names.has('truncate-removes-all'),
    deltaAsLastWriteWins: names.has('delta-as-last-write-wins'),
    foreignKeysPerStatement: names.has('foreign-keys-per-statement'),
    oldShapeIgnoresRenames: names.has('old-shape-ignores-renames'),
  };
}

/** The failpoints of this process, from its environment. */
export const failpoints: Failpoints = parseFailpoints(process.env.CHORUS_TEST_FAILPOINTS);
