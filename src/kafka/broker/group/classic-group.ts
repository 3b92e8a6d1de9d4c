import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../telemetry/index.ts';
import { ErrorCode } from '../../protocol/index.ts';
import type { Group } from './group.ts';
import type { StoredClassicGroup, StoredClassicMember } from './group-store.ts';

/**
 * A classic-protocol group (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), Kafka's state machine:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *     ▲                  ▲      ▲                                    │ leader's SyncGroup
 *     └── no member left ┘      └──── join, leave, expiry ─── Stable ◀┘
 *
 * Each completed join starts a new generation; the leader (first member to join, or the next one
 * if it leaves) receives every member's metadata and sends the assignment in SyncGroup. Joins and
 * syncs are answered when the rebalance reaches them, so their promises stay pending meanwhile.
 *
 * Timers: every member has a session timer (reset by join, sync and heartbeat), except while it is
 * awaiting a join response — during PreparingRebalance only the rebalance timer (the largest
 * member rebalance timeout) bounds it, and members that have not rejoined when it fires are
 * removed. An Empty group's first rebalance waits `group.initial.rebalance.delay.ms`, extended by
 * that much while new members keep joining, up to the rebalance timeout (Kafka's InitialDelayedJoin).
 *
 * Static members (KIP-345, `group.instance.id`): a known instance joining with an unknown member id
 * takes a new member id and replaces the old one, whose requests then get FENCED_INSTANCE_ID. If
 * the group is Stable and the selected protocol would not change, it gets the current generation
 * and its old assignment back without a rebalance (v9+: the leader is told so with
 * `skipAssignment`; older versions are told the old leader id so that no member runs the assignor).
 */

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Timer functions, injectable so tests drive time by hand. */
export interface GroupTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: GroupTimers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface ClassicGroupContext {
  readonly timers: GroupTimers;
  now(): number;
  readonly logger: Logger;
  /** `group.initial.rebalance.delay.ms`. */
  readonly initialRebalanceDelayMs: number;
  /** `group.max.size`. */
  readonly maxSize: number;
  /** Writes the group's metadata durably (GroupStore.storeClassicGroup). */
  persist(group: StoredClassicGroup): Promise<void>;
}

export interface JoinProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinRequest {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly JoinProtocol[];
  readonly apiVersion: number;
  readonly reason?: string | null;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  readonly members: readonly { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncRequest {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface LeavingMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** What DescribeGroups shows of a member. */
export interface ClassicMemberSummary {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinProtocol[];
  assignment: Buffer;
  joinWaiter: ((r: JoinResult) => void) | null;
  syncWaiter: ((r: SyncResult) => void) | null;
  sessionTimer: unknown;
}

const EMPTY = Buffer.alloc(0);

function joinError(errorCode: number, memberId = ''): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

/** The error code a failed store write answers with (the durable store says which; else 15). */
export function storeErrorCode(err: unknown): number {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'number' && code !== 0 ? code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/**
 * Copies of the request's metadata: decoded fields may be views of the request frame, and the
 * group keeps them for as long as the member lives.
 */
function ownProtocols(protocols: readonly JoinProtocol[]): JoinProtocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
}

/** Reads the topics of a ConsumerProtocolSubscription (int16 version, then an array of strings). */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  try {
    if (metadata.length < 6) return null;
    let at = 2;
    const count = metadata.readInt32BE(at);
    at += 4;
    if (count < 0 || count > metadata.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) return null;
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return null;
  }
}

export class ClassicGroup implements Group {
  readonly groupId: string;
  readonly type = 'classic' as const;
  private ctx: ClassicGroupContext;
  private currentState: ClassicGroupState = 'Empty';
  private stateTimestamp: number | null;
  private protocolTypeValue: string | null = null;
  private generation = 0;
  private protocol: string | null = null;
  private leaderId: string | null = null;
  private readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not joined yet → their expiry timer. */
  private readonly pending = new Map<string, unknown>();
  /** group.instance.id → member id. */
  private readonly staticMembers = new Map<string, string>();
  private rebalanceTimer: unknown = null;
  /** Members that have not sent SyncGroup for the current generation, and the timer removing them. */
  private readonly pendingSync = new Set<string>();
  private pendingSyncTimer: unknown = null;
  /** The generation whose leader assignment is being stored (a repeated leader sync is not stored twice). */
  private assignmentStoring = -1;
  /** During an Empty group's initial delay the join does not complete early. */
  private initialDelayActive = false;
  private newMemberAdded = false;
  private closed = false;

  constructor(groupId: string, ctx: ClassicGroupContext) {
    this.groupId = groupId;
    this.ctx = ctx;
    this.stateTimestamp = ctx.now();
  }

  /**
   * A group as stored: with members it comes back Stable in its generation and every member's
   * session timer starts now (members that are gone expire; static ones may rejoin); without
   * members, Empty.
   */
  static fromStored(stored: StoredClassicGroup, ctx: ClassicGroupContext): ClassicGroup {
    const g = new ClassicGroup(stored.groupId, ctx);
    g.generation = stored.generationId;
    g.protocolTypeValue = stored.protocolType === '' ? null : stored.protocolType;
    g.protocol = stored.protocolName;
    g.stateTimestamp = stored.currentStateTimestamp;
    if (stored.members.length === 0 || stored.protocolName === null) return g;
    for (const s of stored.members) {
      const m: Member = {
        memberId: s.memberId,
        groupInstanceId: s.groupInstanceId,
        clientId: s.clientId,
        clientHost: s.clientHost,
        sessionTimeoutMs: s.sessionTimeoutMs,
        rebalanceTimeoutMs: s.rebalanceTimeoutMs,
        protocolType: stored.protocolType,
        protocols: [{ name: stored.protocolName, metadata: s.subscription }],
        assignment: s.assignment,
        joinWaiter: null,
        syncWaiter: null,
        sessionTimer: null,
      };
      g.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
      g.armSession(m);
    }
    g.leaderId = stored.leader !== null && g.members.has(stored.leader) ? stored.leader : g.firstMemberId();
    g.currentState = 'Stable';
    return g;
  }

  get protocolType(): string {
    return this.protocolTypeValue ?? '';
  }

  get generationId(): number {
    return this.generation;
  }

  get protocolName(): string | null {
    return this.protocol;
  }

  get leader(): string | null {
    return this.leaderId;
  }

  /** When the group entered its current state (offset expiry of Empty groups counts from it). */
  get currentStateTimestamp(): number | null {
    return this.stateTimestamp;
  }

  state(): ClassicGroupState {
    return this.currentState;
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.pending.size === 0;
  }

  get size(): number {
    return this.members.size;
  }

  memberIds(): string[] {
    return [...this.members.keys()];
  }

  /** DescribeGroups: metadata and assignment only when Stable (Kafka's summary). */
  describeMembers(): ClassicMemberSummary[] {
    const stable = this.currentState === 'Stable';
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? this.metadataOf(m, this.protocol ?? '') : EMPTY,
      assignment: stable ? m.assignment : EMPTY,
    }));
  }

  /**
   * The topics the members subscribe to, from their `consumer` protocol metadata; null when not
   * known (another protocol type, no members, or metadata that does not parse).
   */
  subscribedTopics(): Set<string> | null {
    if (this.protocolTypeValue !== 'consumer' || this.protocol === null || this.members.size === 0)
      return null;
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscriptionTopics(this.metadataOf(m, this.protocol));
      if (topics === null) return null;
      for (const t of topics) out.add(t);
    }
    return out;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics()?.has(topic) ?? false;
  }

  toStored(): StoredClassicGroup {
    const protocol = this.protocol ?? '';
    const members: StoredClassicMember[] = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      subscription: this.metadataOf(m, protocol),
      assignment: m.assignment,
    }));
    return {
      groupId: this.groupId,
      protocolType: this.protocolType,
      generationId: this.generation,
      protocolName: this.protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.stateTimestamp ?? this.ctx.now(),
      members,
    };
  }

  // ---------------------------------------------------------------- JoinGroup

  join(req: JoinRequest): Promise<JoinResult> {
    if (this.currentState === 'Dead') return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    if (req.memberId === '') return this.joinUnknownMember(req);
    return this.joinKnownMember(req);
  }

  private joinUnknownMember(req: JoinRequest): Promise<JoinResult> {
    const instance = req.groupInstanceId;
    if (instance !== null && this.staticMembers.has(instance)) return this.replaceStaticMember(req);
    if (this.members.size + this.pending.size >= this.ctx.maxSize) {
      return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const memberId = `${req.clientId}-${randomUUID()}`;
    // v4+ dynamic members first get an id and must come back with it (KIP-394): a client that
    // dies between the two requests leaves only a pending id behind, which expires.
    if (instance === null && req.apiVersion >= 4) {
      this.pending.set(
        memberId,
        this.ctx.timers.set(() => this.expirePending(memberId), req.sessionTimeoutMs),
      );
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.addMemberAndRebalance(req, memberId);
  }

  private joinKnownMember(req: JoinRequest): Promise<JoinResult> {
    const pendingTimer = this.pending.get(req.memberId);
    if (pendingTimer !== undefined) {
      this.ctx.timers.clear(pendingTimer);
      this.pending.delete(req.memberId);
      return this.addMemberAndRebalance(req, req.memberId);
    }
    const error = this.memberError(req.memberId, req.groupInstanceId);
    if (error !== 0) return Promise.resolve(joinError(error, req.memberId));
    const m = this.members.get(req.memberId)!;
    switch (this.currentState) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(m, req);
      case 'CompletingRebalance':
        if (this.sameProtocols(m, req.protocols)) {
          // A retry of a join already answered: answer it the same way again.
          this.armSession(m);
          return Promise.resolve(this.joinResultFor(m));
        }
        return this.updateMemberAndRebalance(m, req);
      case 'Stable':
        if (m.memberId === this.leaderId || !this.sameProtocols(m, req.protocols)) {
          // The leader rejoining means its subscription may have changed: rebalance.
          return this.updateMemberAndRebalance(m, req);
        }
        this.armSession(m);
        return Promise.resolve(this.joinResultFor(m));
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private addMemberAndRebalance(req: JoinRequest, memberId: string): Promise<JoinResult> {
    const m: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: ownProtocols(req.protocols),
      assignment: EMPTY,
      joinWaiter: null,
      syncWaiter: null,
      sessionTimer: null,
    };
    if (this.members.size === 0) this.protocolTypeValue = req.protocolType;
    this.members.set(memberId, m);
    if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, memberId);
    this.leaderId ??= memberId;
    this.newMemberAdded = true;
    const result = this.awaitJoin(m);
    this.maybePrepareRebalance(`member ${memberId} joined`);
    this.tryCompleteJoin();
    return result;
  }

  private updateMemberAndRebalance(m: Member, req: JoinRequest): Promise<JoinResult> {
    m.protocols = ownProtocols(req.protocols);
    m.protocolType = req.protocolType;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    const result = this.awaitJoin(m);
    this.maybePrepareRebalance(`member ${m.memberId} rejoined`);
    this.tryCompleteJoin();
    return result;
  }

  private replaceStaticMember(req: JoinRequest): Promise<JoinResult> {
    const instance = req.groupInstanceId!;
    const oldId = this.staticMembers.get(instance)!;
    const old = this.members.get(oldId)!;
    const newId = `${req.clientId}-${randomUUID()}`;
    const previousLeader = this.leaderId;
    // The old member's outstanding requests are answered as fenced; the new one inherits its place.
    this.ctx.timers.clear(old.sessionTimer);
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.joinWaiter = null;
    old.syncWaiter = null;
    const m: Member = {
      ...old,
      memberId: newId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: ownProtocols(req.protocols),
      sessionTimer: null,
    };
    // Keep the member's position (join order decides the next leader).
    const entries = [...this.members.entries()].map(([id, x]): [string, Member] =>
      id === oldId ? [newId, m] : [id, x],
    );
    this.members.clear();
    for (const [id, x] of entries) this.members.set(id, x);
    this.staticMembers.set(instance, newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    switch (this.currentState) {
      case 'Stable': {
        const selected = this.selectProtocol();
        if (selected === this.protocol) {
          this.armSession(m);
          const persisted = this.toStored();
          return this.ctx.persist(persisted).then(
            () => {
              if (req.apiVersion >= 9) {
                const isLeader = this.leaderId === newId;
                return {
                  errorCode: 0,
                  generationId: this.generation,
                  protocolType: this.protocolTypeValue,
                  protocolName: this.protocol,
                  leader: this.leaderId ?? '',
                  skipAssignment: isLeader,
                  memberId: newId,
                  members: isLeader ? this.memberMetadataList() : [],
                };
              }
              return {
                errorCode: 0,
                generationId: this.generation,
                protocolType: this.protocolTypeValue,
                protocolName: this.protocol,
                leader: previousLeader ?? '',
                skipAssignment: false,
                memberId: newId,
                members: [],
              };
            },
            (err: unknown) => {
              this.ctx.logger.warn('could not persist a static member replacement', {
                group: this.groupId,
                err: String(err),
              });
              return joinError(storeErrorCode(err), newId);
            },
          );
        }
        const result = this.awaitJoin(m);
        this.maybePrepareRebalance(`static member ${instance} rejoined with other protocols`);
        return result;
      }
      case 'CompletingRebalance': {
        const result = this.awaitJoin(m);
        this.maybePrepareRebalance(`static member ${instance} rejoined during the sync phase`);
        return result;
      }
      default: {
        const result = this.awaitJoin(m);
        this.tryCompleteJoin();
        return result;
      }
    }
  }

  private awaitJoin(m: Member): Promise<JoinResult> {
    // While it awaits the join, the rebalance timeout bounds it, not its session.
    this.ctx.timers.clear(m.sessionTimer);
    m.sessionTimer = null;
    // A member repeating its join (a client retry): every copy gets the same answer.
    const earlier = m.joinWaiter;
    return new Promise((resolve) => {
      m.joinWaiter =
        earlier === null
          ? resolve
          : (r) => {
              earlier(r);
              resolve(r);
            };
    });
  }

  private maybePrepareRebalance(reason: string): void {
    if (
      this.currentState === 'Stable' ||
      this.currentState === 'CompletingRebalance' ||
      this.currentState === 'Empty'
    ) {
      this.prepareRebalance(reason);
    }
  }

  private prepareRebalance(reason: string): void {
    if (this.currentState === 'CompletingRebalance') {
      // Members waiting for the assignment of the generation that is being abandoned.
      for (const m of this.members.values()) {
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.syncWaiter = null;
      }
    }
    const wasEmpty = this.currentState === 'Empty';
    this.transition('PreparingRebalance');
    this.ctx.logger.info('preparing to rebalance group', {
      group: this.groupId,
      generation: this.generation,
      reason,
    });
    this.clearRebalanceTimer();
    const timeout = this.rebalanceTimeoutMs();
    if (wasEmpty && this.ctx.initialRebalanceDelayMs > 0) {
      const delay = Math.min(this.ctx.initialRebalanceDelayMs, timeout);
      this.newMemberAdded = false;
      this.initialDelayActive = true;
      this.initialDelay(delay, Math.max(timeout - delay, 0));
    } else {
      this.rebalanceTimer = this.ctx.timers.set(() => {
        this.rebalanceTimer = null;
        this.completeJoin();
      }, timeout);
    }
  }

  private initialDelay(delay: number, remaining: number): void {
    this.rebalanceTimer = this.ctx.timers.set(() => {
      this.rebalanceTimer = null;
      if (this.newMemberAdded && remaining > 0) {
        this.newMemberAdded = false;
        const next = Math.min(this.ctx.initialRebalanceDelayMs, remaining);
        this.initialDelay(next, remaining - next);
      } else {
        this.completeJoin();
      }
    }, delay);
  }

  /** The rebalance completes early once every known member has rejoined (not during the initial delay). */
  private tryCompleteJoin(): void {
    if (this.currentState !== 'PreparingRebalance') return;
    if (this.initialDelayActive) return;
    for (const m of this.members.values()) if (m.joinWaiter === null) return;
    if (this.pending.size > 0) return;
    this.clearRebalanceTimer();
    this.completeJoin();
  }

  private completeJoin(): void {
    if (this.currentState !== 'PreparingRebalance') return;
    this.initialDelayActive = false;
    for (const m of [...this.members.values()]) {
      if (m.joinWaiter === null) this.removeMember(m, 'did not rejoin before the rebalance timeout');
    }
    this.generation += 1;
    if (this.members.size === 0) {
      this.protocol = null;
      this.transition('Empty');
      this.ctx.logger.info('group is empty', { group: this.groupId, generation: this.generation });
      this.persistInBackground();
      return;
    }
    this.protocol = this.selectProtocol();
    this.transition('CompletingRebalance');
    // Members get the rebalance timeout to sync; those that do not are removed (Kafka 3.2+).
    for (const id of this.members.keys()) this.pendingSync.add(id);
    const generation = this.generation;
    this.pendingSyncTimer = this.ctx.timers.set(() => {
      this.pendingSyncTimer = null;
      this.expirePendingSync(generation);
    }, this.rebalanceTimeoutMs());
    this.ctx.logger.info('group rebalanced', {
      group: this.groupId,
      generation: this.generation,
      protocol: this.protocol ?? '',
      members: this.members.size,
    });
    for (const m of this.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      m.assignment = EMPTY;
      this.armSession(m);
      waiter?.(this.joinResultFor(m));
    }
  }

  private joinResultFor(m: Member): JoinResult {
    const isLeader = m.memberId === this.leaderId;
    return {
      errorCode: 0,
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocol,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      memberId: m.memberId,
      members: isLeader ? this.memberMetadataList() : [],
    };
  }

  private memberMetadataList(): JoinResult['members'] {
    const protocol = this.protocol ?? '';
    return [...this.members.values()].map((x) => ({
      memberId: x.memberId,
      groupInstanceId: x.groupInstanceId,
      metadata: this.metadataOf(x, protocol),
    }));
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(req: SyncRequest): Promise<SyncResult> {
    if (this.currentState === 'Dead') return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const error = this.memberError(req.memberId, req.groupInstanceId);
    if (error !== 0) return Promise.resolve(syncError(error));
    if (req.generationId !== this.generation) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (req.protocolType !== null && req.protocolType !== this.protocolType) ||
      (req.protocolName !== null && req.protocolName !== this.protocol)
    ) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const m = this.members.get(req.memberId)!;
    if (this.currentState === 'CompletingRebalance' || this.currentState === 'Stable') {
      this.markSynced(m.memberId);
    }
    switch (this.currentState) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.armSession(m);
        return Promise.resolve(this.syncResult(m));
      default: {
        this.armSession(m);
        // A repeated sync (client retry) gets the same answer as the first.
        const earlier = m.syncWaiter;
        const result = new Promise<SyncResult>((resolve) => {
          m.syncWaiter =
            earlier === null
              ? resolve
              : (r) => {
                  earlier(r);
                  resolve(r);
                };
        });
        if (m.memberId === this.leaderId && this.assignmentStoring !== this.generation) {
          this.acceptAssignment(req.assignments);
        }
        return result;
      }
    }
  }

  private acceptAssignment(assignments: SyncRequest['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, Buffer.from(a.assignment)]));
    const generation = this.generation;
    this.assignmentStoring = generation;
    const stored = this.toStoredWith(byMember);
    this.ctx.persist(stored).then(
      () => {
        if (this.currentState !== 'CompletingRebalance' || this.generation !== generation) return;
        for (const m of this.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY;
        this.transition('Stable');
        for (const m of this.members.values()) {
          const waiter = m.syncWaiter;
          m.syncWaiter = null;
          waiter?.(this.syncResult(m));
        }
      },
      (err: unknown) => {
        this.ctx.logger.warn('could not persist the group assignment', {
          group: this.groupId,
          err: String(err),
        });
        if (this.currentState !== 'CompletingRebalance' || this.generation !== generation) return;
        for (const m of this.members.values()) {
          m.syncWaiter?.(syncError(storeErrorCode(err)));
          m.syncWaiter = null;
        }
        this.prepareRebalance('the assignment could not be stored');
      },
    );
  }

  private syncResult(m: Member): SyncResult {
    return {
      errorCode: 0,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocol,
      assignment: m.assignment,
    };
  }

  // ---------------------------------------------------------------- Heartbeat, LeaveGroup

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.currentState === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.currentState === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.memberError(memberId, groupInstanceId);
    if (error !== 0) return error;
    if (generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    const m = this.members.get(memberId)!;
    if (m.joinWaiter === null) this.armSession(m);
    return this.currentState === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  /** Removes the members (by member id, or by instance id when the member id is empty); per-member error codes. */
  leave(leaving: readonly LeavingMember[]): number[] {
    if (this.currentState === 'Dead') return leaving.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return leaving.map((l) => {
      let memberId = l.memberId;
      if (l.groupInstanceId !== null) {
        const current = this.staticMembers.get(l.groupInstanceId);
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
        if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
        memberId = current;
      }
      const pendingTimer = this.pending.get(memberId);
      if (pendingTimer !== undefined) {
        this.ctx.timers.clear(pendingTimer);
        this.pending.delete(memberId);
        this.tryCompleteJoin();
        return 0;
      }
      const m = this.members.get(memberId);
      if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMemberAndUpdate(m, 'left the group');
      return 0;
    });
  }

  // ---------------------------------------------------------------- offsets

  validateOffsetCommit(
    memberId: string,
    groupInstanceId: string | null,
    generation: number,
    _apiVersion: number,
  ): number {
    if (this.currentState === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generation < 0 && this.currentState === 'Empty') return 0;
    if (generation >= 0 || memberId !== '' || groupInstanceId !== null) {
      const error = this.memberError(memberId, groupInstanceId);
      if (error !== 0) return error;
      if (generation !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    } else if (this.currentState !== 'Empty') {
      // No member id and no generation (v0, or an admin tool): only while nobody is in the group.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (this.currentState === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    const m = this.members.get(memberId);
    if (m !== undefined && m.joinWaiter === null) this.armSession(m);
    return 0;
  }

  validateOffsetFetch(_memberId: string | null, _memberEpoch: number): number {
    return this.currentState === 'Dead' ? ErrorCode.GROUP_ID_NOT_FOUND : 0;
  }

  /** The group is being deleted or the broker stops: timers stop, waiting requests are told to go elsewhere. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRebalanceTimer();
    this.clearPendingSync();
    for (const t of this.pending.values()) this.ctx.timers.clear(t);
    this.pending.clear();
    for (const m of this.members.values()) {
      this.ctx.timers.clear(m.sessionTimer);
      m.sessionTimer = null;
      m.joinWaiter?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
      m.syncWaiter?.(syncError(ErrorCode.NOT_COORDINATOR));
      m.joinWaiter = null;
      m.syncWaiter = null;
    }
  }

  /** Marks a group being deleted (DeleteGroups): it no longer takes requests. */
  markDead(): void {
    this.transition('Dead');
    this.close();
  }

  // ---------------------------------------------------------------- internals

  private transition(state: ClassicGroupState): void {
    this.currentState = state;
    this.stateTimestamp = this.ctx.now();
    if (state === 'PreparingRebalance') this.initialDelayActive = false;
    if (state === 'PreparingRebalance' || state === 'Empty' || state === 'Dead') this.clearPendingSync();
  }

  /** 0, or why this member may not act: unknown, or fenced by a newer member of its instance. */
  private memberError(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return 0;
    }
    return this.members.has(memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    let out: string[] | null = null;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      out = out === null ? [...names] : out.filter((n: string) => names.has(n));
    }
    return new Set(out ?? []);
  }

  /** Each member votes for its most preferred candidate; most votes wins (ties: join order's preference). */
  private selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = 0;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  private sameProtocols(m: Member, protocols: readonly JoinProtocol[]): boolean {
    if (m.protocols.length !== protocols.length) return false;
    return m.protocols.every(
      (p, i) => p.name === protocols[i]!.name && p.metadata.equals(protocols[i]!.metadata),
    );
  }

  private metadataOf(m: Member, protocol: string): Buffer {
    return m.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  private rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  private firstMemberId(): string | null {
    return this.members.keys().next().value ?? null;
  }

  private armSession(m: Member): void {
    this.ctx.timers.clear(m.sessionTimer);
    m.sessionTimer = this.ctx.timers.set(() => {
      m.sessionTimer = null;
      if (this.members.get(m.memberId) === m && m.joinWaiter === null) {
        this.removeMemberAndUpdate(m, `session timeout (${m.sessionTimeoutMs} ms) expired`);
      }
    }, m.sessionTimeoutMs);
  }

  private expirePending(memberId: string): void {
    if (!this.pending.delete(memberId)) return;
    this.tryCompleteJoin();
  }

  private removeMember(m: Member, why: string): void {
    this.ctx.timers.clear(m.sessionTimer);
    m.sessionTimer = null;
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    m.joinWaiter = null;
    m.syncWaiter = null;
    this.members.delete(m.memberId);
    this.markSynced(m.memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === m.memberId) {
      this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.leaderId === m.memberId) this.leaderId = this.firstMemberId();
    this.ctx.logger.info('member removed from group', { group: this.groupId, member: m.memberId, why });
  }

  private removeMemberAndUpdate(m: Member, why: string): void {
    this.removeMember(m, why);
    if (this.currentState === 'Stable' || this.currentState === 'CompletingRebalance') {
      this.prepareRebalance(`member ${m.memberId} ${why}`);
    }
    this.tryCompleteJoin();
  }

  private markSynced(memberId: string): void {
    if (this.pendingSync.delete(memberId) && this.pendingSync.size === 0) this.clearPendingSync();
  }

  private clearPendingSync(): void {
    this.pendingSync.clear();
    if (this.pendingSyncTimer !== null) this.ctx.timers.clear(this.pendingSyncTimer);
    this.pendingSyncTimer = null;
  }

  private expirePendingSync(generation: number): void {
    if (generation !== this.generation) return;
    if (this.currentState !== 'CompletingRebalance' && this.currentState !== 'Stable') return;
    const late = [...this.pendingSync].flatMap((id) => this.members.get(id) ?? []);
    this.pendingSync.clear();
    if (late.length === 0) return;
    for (const m of late) this.removeMember(m, 'did not sync before the rebalance timeout');
    this.prepareRebalance(`${late.length} member(s) did not sync in time`);
    this.tryCompleteJoin();
  }

  private clearRebalanceTimer(): void {
    if (this.rebalanceTimer !== null) this.ctx.timers.clear(this.rebalanceTimer);
    this.rebalanceTimer = null;
  }

  private toStoredWith(assignments: ReadonlyMap<string, Buffer>): StoredClassicGroup {
    const base = this.toStored();
    return {
      ...base,
      currentStateTimestamp: this.ctx.now(),
      members: base.members.map((m) => ({ ...m, assignment: assignments.get(m.memberId) ?? EMPTY })),
    };
  }

  private persistInBackground(): void {
    this.ctx.persist(this.toStored()).catch((err: unknown) => {
      this.ctx.logger.warn('could not persist the group', { group: this.groupId, err: String(err) });
    });
  }
}
