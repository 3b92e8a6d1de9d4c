/**
 * What the group coordinator needs from a group of either protocol: the classic one
 * (JoinGroup/SyncGroup/Heartbeat) and KIP-848's consumer protocol (ConsumerGroupHeartbeat). One
 * group id names one group of one type; offsets are kept by the coordinator for both.
 */
export interface Group {
  readonly groupId: string;
  /** ListGroups `group_type` (KIP-848): "classic" or "consumer". */
  readonly type: 'classic' | 'consumer';
  /** ListGroups/DescribeGroups `protocol_type`: "consumer" for both, or a classic group's own. */
  readonly protocolType: string;
  /**
   * The state as ListGroups and DescribeGroups report it: classic "Empty", "PreparingRebalance",
   * "CompletingRebalance", "Stable", "Dead"; KIP-848 "Empty", "Assigning", "Reconciling",
   * "Stable", "Dead".
   */
  state(): string;
  /** True when the group has no members (offsets may still exist). */
  isEmpty(): boolean;
  /**
   * Kafka's checks of an OffsetCommit (or TxnOffsetCommit) against the group: 0 when it may
   * commit, else the error code (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION / STALE_MEMBER_EPOCH,
   * FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS...). `generation` is the classic generation id or the
   * KIP-848 member epoch; -1 with an empty member id is a standalone commit.
   */
  validateOffsetCommit(
    memberId: string,
    groupInstanceId: string | null,
    generation: number,
    apiVersion: number,
  ): number;
  /** OffsetFetch v9+ member checks (KIP-848); 0 when allowed. */
  validateOffsetFetch(memberId: string | null, memberEpoch: number): number;
  /** Stops timers; the group is being deleted or the broker is stopping. */
  close(): void;
}
