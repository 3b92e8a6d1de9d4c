import type { EpochEndOffset } from './log.ts';

/** Kafka's `leader-epoch-checkpoint` file name, one per partition directory. */
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/**
 * Leader epoch → first offset written in that epoch, ascending in both. Kept in memory; the owner
 * persists `format()` whenever `assign`/`truncate*` report a change.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(entries: EpochEntry[] = []) {
    this.entries = entries.slice();
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Ignored for an epoch not above the latest one;
   * returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false;
    const last = this.entries.at(-1);
    if (last && epoch <= last.epoch) return false;
    // A new epoch cannot start before an older one: drop entries it overtakes (after a truncation).
    while (this.entries.length > 0 && this.entries.at(-1)!.startOffset >= startOffset) this.entries.pop();
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** Removes epochs starting at or after `endOffset` (log truncated to `endOffset`). */
  truncateFromEnd(endOffset: number): boolean {
    const before = this.entries.length;
    while (this.entries.length > 0 && this.entries.at(-1)!.startOffset >= endOffset) this.entries.pop();
    return this.entries.length !== before;
  }

  /** Log start moved to `startOffset`: older epochs go, the one covering it now starts there. */
  truncateFromStart(startOffset: number): boolean {
    let drop = 0;
    while (drop + 1 < this.entries.length && this.entries[drop + 1]!.startOffset <= startOffset) drop++;
    const first = this.entries[drop];
    let changed = drop > 0;
    this.entries.splice(0, drop);
    if (first && first.startOffset < startOffset) {
      first.startOffset = startOffset;
      changed = true;
    }
    return changed;
  }

  clear(): boolean {
    const changed = this.entries.length > 0;
    this.entries = [];
    return changed;
  }

  /**
   * End offset of `requestedEpoch`: the start of the next higher epoch, or the log end for the latest
   * epoch; paired with the largest epoch <= the requested one. Kafka's rules, including the answer
   * (requestedEpoch, first start offset) for an epoch older than every entry.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    const next = this.entries[higher]!;
    const floor = higher > 0 ? this.entries[higher - 1]! : null;
    return floor
      ? { leaderEpoch: floor.epoch, endOffset: next.startOffset }
      : { leaderEpoch: requestedEpoch, endOffset: next.startOffset };
  }

  /** Kafka's checkpoint text: version line `0`, count line, then `epoch startOffset` lines. */
  format(): string {
    const lines = ['0', String(this.entries.length)];
    for (const e of this.entries) lines.push(`${e.epoch} ${e.startOffset}`);
    return `${lines.join('\n')}\n`;
  }

  /** Parses a checkpoint; returns null when the text is malformed (the caller rebuilds from the log). */
  static parse(text: string): LeaderEpochCache | null {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines[0]?.trim() !== '0') return null;
    const count = Number(lines[1]);
    if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) return null;
    const entries: EpochEntry[] = [];
    for (let i = 0; i < count; i++) {
      const parts = lines[i + 2]!.trim().split(/\s+/);
      const epoch = Number(parts[0]);
      const startOffset = Number(parts[1]);
      if (parts.length !== 2 || !Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset))
        return null;
      const prev = entries.at(-1);
      if (epoch < 0 || startOffset < 0 || (prev && (epoch <= prev.epoch || startOffset < prev.startOffset))) {
        return null;
      }
      entries.push({ epoch, startOffset });
    }
    return new LeaderEpochCache(entries);
  }
}
