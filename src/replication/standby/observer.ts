// An observer of primary/standby failover (`chorus observer`): a process that holds no data and
// votes — it grants the primary its lease and candidates their votes under the same rules as a data
// node (lease.ts Voter). Its epoch is kept in a small file, so a restarted observer never votes twice
// in one epoch; a promise it made before a restart is honoured by its quiet period.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Timers } from '../../clock/timers.js';
import type { Link, PeerMessage, PeerNetwork } from '../link/link.js';
import { initialEpoch } from './epoch.js';
import { type EpochStore, type HaMessage, positionOf, Voter } from './lease.js';

/** The observer's epoch, in a file of its data directory (written and renamed: never torn). */
export class FileEpochStore implements EpochStore {
  private value: number;
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'observer-epoch');
    const n = existsSync(this.file) ? Number(readFileSync(this.file, 'utf8').trim()) : Number.NaN;
    this.value = Number.isSafeInteger(n) && n > 0 ? n : initialEpoch;
  }

  get current(): number {
    return this.value;
  }

  raise(epoch: number): boolean {
    if (epoch <= this.value) return false;
    writeFileSync(`${this.file}.tmp`, String(epoch));
    renameSync(`${this.file}.tmp`, this.file);
    this.value = epoch;
    return true;
  }
}

export class ObserverServer {
  readonly voter: Voter;

  constructor(
    id: string,
    private readonly network: PeerNetwork,
    timers: Timers,
    readonly epoch: EpochStore,
    private readonly logger: Logger,
  ) {
    this.voter = new Voter({
      self: id,
      epoch,
      now: () => timers.monotonicMs?.() ?? timers.nowMs(),
      position: () => null,
      leads: () => false,
    });
  }

  async start(): Promise<void> {
    await this.network.start((link) => {
      link.send({ t: 'ha_voter', kind: 'observer' });
      return { onMessage: (l, msg) => this.onMessage(l, msg), onClose: () => undefined };
    });
  }

  stop(): Promise<void> {
    return this.network.stop();
  }

  private onMessage(link: Link, msg: PeerMessage): void {
    if (msg.t === 'ha_lease_req') {
      const r = this.voter.onLeaseReq(
        link.peerId,
        msg as unknown as Extract<HaMessage, { t: 'ha_lease_req' }>,
      );
      link.send(r as unknown as PeerMessage);
    } else if (msg.t === 'ha_vote_req') {
      const m = msg as unknown as Extract<HaMessage, { t: 'ha_vote_req' }>;
      const position = positionOf(m.position);
      if (!position) return;
      const r = this.voter.onVoteReq(link.peerId, { ...m, position, pre: m.pre === true });
      if (r.t === 'ha_vote_reply' && r.granted && !m.pre)
        this.logger.warn({ candidate: link.peerId, epoch: m.epoch }, 'observer voted');
      link.send(r as unknown as PeerMessage);
    }
  }
}
