// Drives consumer-group member processes (the *group_consumer* / *-group-consumer.ts programs in
// this folder) for the groups-*.test.ts tests, and checks what they printed against the group
// guarantees: disjoint assignments per generation, every record delivered, and no committed
// record delivered again.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { CLIENTS_DIR, PYTHON } from '../../support/interop.ts';

export type ClientKind = 'kafkajs' | 'confluent' | 'kafka-python' | 'platformatic';

const PROGRAMS: Record<ClientKind, [string, string]> = {
  kafkajs: [process.execPath, 'kafkajs-group-consumer.ts'],
  platformatic: [process.execPath, 'platformatic-group-consumer.ts'],
  confluent: [PYTHON, 'confluent_group_consumer.py'],
  'kafka-python': [PYTHON, 'kafka_python_group_consumer.py'],
};

/** What a member program is asked to do (see confluent_group_consumer.py). */
export interface MemberRequest {
  readonly bootstrap: string;
  readonly topic: string;
  readonly group: string;
  readonly name: string;
  readonly session_timeout_ms?: number;
  readonly heartbeat_ms?: number;
  readonly strategy?: 'range' | 'roundrobin' | 'cooperative-sticky';
  readonly instance_id?: string;
  readonly max_batch?: number;
  readonly batch_delay_ms?: number;
}

/** One line a member printed; `t` is the wall clock in ms (same clock for every process here). */
export interface MemberEvent {
  readonly e: string;
  readonly t: number;
  readonly partitions?: number[];
  readonly generation?: number | null;
  readonly incremental?: boolean;
  readonly records?: [number, number, string, string][];
  readonly offsets?: [number, number][];
  readonly error?: string;
}

export interface Member {
  readonly name: string;
  /** Who the member is to the group: its static instance id, else its name. */
  readonly identity: string;
  readonly kind: ClientKind;
  readonly child: ChildProcess;
  readonly events: MemberEvent[];
  /** Exit code or signal name. */
  readonly exited: Promise<number | string>;
  /** When the test killed it with SIGKILL. */
  killedAt: number | undefined;
  stderr(): string;
  /** The partitions the member owns after its last assigned/revoked event. */
  owned(): Set<number>;
  /** Highest committed next-offset this member reported per partition. */
  committed(): Map<number, number>;
  /** SIGTERM: the program closes its consumer (leaving the group) and exits 0. */
  term(): Promise<number | string>;
  /** SIGKILL: no LeaveGroup, no last commit. */
  kill(): Promise<void>;
}

export function startMember(kind: ClientKind, request: MemberRequest): Member {
  const [cmd, script] = PROGRAMS[kind];
  const child = spawn(cmd, [join(CLIENTS_DIR, script)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: MemberEvent[] = [];
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    partial += s;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line) as MemberEvent);
      nl = partial.indexOf('\n');
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    // librdkafka's debug log can be long: keep the tail for failure messages.
    err = (err + s).slice(-20000);
  });
  child.stdin!.end(`${JSON.stringify(request)}\n`);
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string));
  const member: Member = {
    name: request.name,
    identity: request.instance_id ?? request.name,
    kind,
    child,
    events,
    exited,
    killedAt: undefined,
    stderr: () => err,
    owned: () => ownedAfter(events, events.length),
    committed() {
      const out = new Map<number, number>();
      for (const ev of events) {
        if (ev.e !== 'committed') continue;
        for (const [p, o] of ev.offsets!) out.set(p, Math.max(out.get(p) ?? 0, o));
      }
      return out;
    },
    async term() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      member.killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
    },
  };
  return member;
}

function ownedAfter(events: readonly MemberEvent[], upTo: number): Set<number> {
  let owned = new Set<number>();
  for (let i = 0; i < upTo; i++) {
    const ev = events[i]!;
    if (ev.e === 'assigned') {
      if (ev.incremental) for (const p of ev.partitions!) owned.add(p);
      else owned = new Set(ev.partitions);
    } else if (ev.e === 'revoked') {
      if (ev.incremental) for (const p of ev.partitions!) owned.delete(p);
      else owned = new Set();
    }
  }
  return owned;
}

/** Polls `condition` every 50 ms; fails with `what` and the members' recent events after `ms`. */
export async function waitUntil(
  what: string,
  condition: () => boolean,
  members: readonly Member[],
  ms = 45_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    for (const m of members) {
      if (m.child.exitCode !== null && m.child.exitCode !== 0 && m.killedAt === undefined) {
        assert.fail(
          `${m.name} (${m.kind}) exited ${m.child.exitCode} while waiting for ${what}:\n${m.stderr()}`,
        );
      }
    }
    if (Date.now() > deadline) {
      assert.fail(
        `timed out after ${ms} ms waiting for ${what} (all events: ${dumpEvents(members)})\n${describe(members)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes every event of every member to a temporary file, for reading a failure in full. */
export function dumpEvents(members: readonly Member[]): string {
  const path = join(tmpdir(), `sluice-groups-${members[0]?.name ?? 'x'}-${process.pid}-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(members.map((m) => ({ name: m.name, kind: m.kind, events: m.events }))));
  return path;
}

/** The members' group events (no records) and last error lines, for failure messages. */
export function describe(members: readonly Member[]): string {
  return members
    .map((m) => {
      const evs = m.events
        .filter((e) => e.e !== 'batch' && e.e !== 'committed')
        .slice(-12)
        .map((e) => JSON.stringify(e))
        .join('\n    ');
      return `  ${m.name} (${m.kind}) owned=[${[...m.owned()]}] committed=${JSON.stringify([...m.committed()])}\n    ${evs}\n    stderr tail: ${m.stderr().slice(-600)}`;
    })
    .join('\n');
}

export function recordKey(partition: number, offset: number): string {
  return `k-${partition}-${offset}`;
}

export function recordValue(partition: number, offset: number): string {
  return `v-${partition}-${offset}-${'x'.repeat(offset % 50)}`;
}

export function kafkaClient(port: number): Kafka {
  return new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'groups-it', logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }), true);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Appends `count` records to every partition, each keyed and valued by its partition and offset;
 * `ends` (the next offset per partition) is advanced and checked against what the broker assigned.
 */
export async function produceKnown(
  kafka: Kafka,
  topic: string,
  ends: number[],
  count: number,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let p = 0; p < ends.length; p++) {
      const base = ends[p]!;
      const messages = Array.from({ length: count }, (_, i) => ({
        key: recordKey(p, base + i),
        value: recordValue(p, base + i),
        partition: p,
      }));
      const [meta] = await producer.send({ topic, acks: -1, messages });
      assert.equal(Number(meta!.baseOffset), base, `partition ${p} appended at its expected offset`);
      ends[p] = base + count;
    }
  } finally {
    await producer.disconnect();
  }
}

/** The group's committed offsets as the broker reports them (OffsetFetch through kafkajs's admin). */
export async function brokerCommitted(
  kafka: Kafka,
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(res!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** True once the members' reported commits reach `ends` on every partition. */
export function allCommitted(members: readonly Member[], ends: readonly number[]): boolean {
  const best = new Map<number, number>();
  for (const m of members) for (const [p, o] of m.committed()) best.set(p, Math.max(best.get(p) ?? 0, o));
  return ends.every((end, p) => (best.get(p) ?? 0) >= end);
}

/** True when the live members' current assignments are disjoint, non-empty and cover every partition. */
export function settled(live: readonly Member[], partitions: number): boolean {
  const seen: number[] = [];
  for (const m of live) {
    const owned = [...m.owned()];
    if (owned.length === 0) return false;
    seen.push(...owned);
  }
  return seen.length === partitions && new Set(seen).size === partitions;
}

export interface HistorySummary {
  /** Records delivered more than once (the at-least-once window after a kill or a failed commit). */
  readonly redelivered: number;
  readonly generations: number[];
  /** Ownership periods checked (member × partition × assignment). */
  readonly epochs: number;
}

interface Epoch {
  readonly member: string;
  readonly partition: number;
  readonly assignedAt: number;
  /**
   * When the member got the partition, kept across later assignments that keep it: a client may
   * position a kept partition from the offsets it fetched then (platformatic does), and a commit
   * landing in between (another member's, sent late) need not be seen.
   */
  readonly ownedSince: number;
  first: number | undefined;
  last: number | undefined;
}

/**
 * Checks everything the members printed:
 * - per generation, no partition is assigned to two members;
 * - records arrive only from owned partitions, contiguous within one ownership period, with the
 *   key and value produced at that offset;
 * - an owner starts at or after the latest commit reported before it got the partition (nothing
 *   committed comes again) and no later than one past the highest offset consumed before its
 *   assignment (nothing skipped);
 * - every offset below `ends` was delivered.
 */
export function checkHistory(
  members: readonly Member[],
  ends: readonly number[],
  /** Offsets committed before these members ran (by earlier ones): the history starts there. */
  committedBefore: readonly number[] = [],
): HistorySummary {
  const problems: string[] = [];
  const epochs: Epoch[] = [];
  const byGeneration = new Map<number, Map<string, Set<number>>>();
  const commits = committedBefore.map((next, partition) => ({ partition, next, t: 0 }));
  const consumed = committedBefore.map((next, partition) => ({ partition, offset: next - 1, t: 0 }));
  const delivered = new Map<string, number>();
  for (const m of members) {
    const open = new Map<number, Epoch>();
    const since = new Map<number, number>();
    let owned = new Set<number>();
    for (const [i, ev] of m.events.entries()) {
      if (ev.e === 'assigned' || ev.e === 'revoked') {
        const before = owned;
        owned = ownedAfter(m.events, i + 1);
        for (const p of before) {
          if (!owned.has(p)) {
            open.delete(p);
            since.delete(p);
          }
        }
        for (const p of owned) if (!since.has(p)) since.set(p, ev.t);
        if (ev.e === 'assigned') {
          // Eager protocols start every partition of a new assignment again from the committed
          // offset; incremental ones only the added partitions.
          for (const p of ev.incremental ? ev.partitions! : owned) {
            const epoch: Epoch = {
              member: m.name,
              partition: p,
              assignedAt: ev.t,
              ownedSince: since.get(p) ?? ev.t,
              first: undefined,
              last: undefined,
            };
            open.set(p, epoch);
            epochs.push(epoch);
          }
          if (ev.generation !== null && ev.generation !== undefined) {
            const members = byGeneration.get(ev.generation) ?? new Map<string, Set<number>>();
            members.set(m.identity, new Set(owned));
            byGeneration.set(ev.generation, members);
          }
        }
      } else if (ev.e === 'batch') {
        for (const [p, o, key, value] of ev.records!) {
          consumed.push({ partition: p, offset: o, t: ev.t });
          const id = `${p}:${o}`;
          delivered.set(id, (delivered.get(id) ?? 0) + 1);
          if (key !== recordKey(p, o) || value !== recordValue(p, o)) {
            problems.push(`${m.name}: record ${p}:${o} has key ${key} / value ${value.slice(0, 30)}`);
          }
          const epoch = open.get(p);
          if (epoch === undefined) {
            problems.push(
              `${m.name}: record ${p}:${o} from a partition it does not own (owned ${[...owned]})`,
            );
            continue;
          }
          if (epoch.first === undefined) epoch.first = o;
          else if (o !== epoch.last! + 1)
            problems.push(`${m.name}: partition ${p}: ${o} after ${epoch.last}`);
          epoch.last = o;
        }
      } else if (ev.e === 'committed') {
        for (const [p, o] of ev.offsets!) commits.push({ partition: p, next: o, t: ev.t });
      }
    }
  }
  for (const [generation, assigned] of byGeneration) {
    const owner = new Map<number, string>();
    for (const [name, partitions] of assigned) {
      for (const p of partitions) {
        const other = owner.get(p);
        if (other !== undefined) {
          problems.push(`generation ${generation}: partition ${p} assigned to both ${other} and ${name}`);
        }
        owner.set(p, name);
      }
    }
  }
  for (const ep of epochs) {
    if (ep.first === undefined) continue;
    let lower = 0;
    for (const c of commits)
      if (c.partition === ep.partition && c.t < ep.ownedSince) lower = Math.max(lower, c.next);
    let upper = 0;
    for (const c of consumed) {
      if (c.partition === ep.partition && c.t < ep.assignedAt) upper = Math.max(upper, c.offset + 1);
    }
    if (ep.first < lower) {
      problems.push(
        `${ep.member}: partition ${ep.partition} assigned at ${ep.assignedAt} started at ${ep.first}, below the offset ${lower} committed before`,
      );
    }
    if (ep.first > Math.max(lower, upper)) {
      problems.push(
        `${ep.member}: partition ${ep.partition} assigned at ${ep.assignedAt} started at ${ep.first}, skipping from ${Math.max(lower, upper)}`,
      );
    }
  }
  for (const [p, end] of ends.entries()) {
    const missing: number[] = [];
    for (let o = committedBefore[p] ?? 0; o < end; o++) if (!delivered.has(`${p}:${o}`)) missing.push(o);
    if (missing.length > 0)
      problems.push(`partition ${p}: never delivered: ${missing.slice(0, 20).join(',')}`);
  }
  if (problems.length > 0) {
    assert.deepEqual(
      problems.slice(0, 30),
      [],
      `group history check failed (all events: ${dumpEvents(members)})\n${describe(members)}`,
    );
  }
  let redelivered = 0;
  for (const n of delivered.values()) redelivered += n - 1;
  return { redelivered, generations: [...byGeneration.keys()].sort((a, b) => a - b), epochs: epochs.length };
}

export const SESSION_TIMEOUT_MS = 6000;
export const PARTITIONS = 6;
export const PER_PHASE = 40;

/**
 * The scenario every client runs: three member processes share a 6-partition topic whose records
 * were produced up front; more records arrive while one member is stopped cleanly (SIGTERM: it
 * leaves the group) and while another is killed (SIGKILL: the group waits out its session); the
 * survivor ends up with every partition. Returns the check's summary and a few timings.
 */
export async function threeMemberScenario(
  kind: ClientKind,
  port: number,
  label: string,
  track: (m: Member) => void,
): Promise<{ summary: HistorySummary; leaveMs: number; expireMs: number }> {
  const kafka = kafkaClient(port);
  const topic = `groups-${label}`;
  const group = `group-${label}`;
  await createTopic(kafka, topic, PARTITIONS);
  const ends = Array.from({ length: PARTITIONS }, () => 0);
  await produceKnown(kafka, topic, ends, PER_PHASE);
  const request = (name: string): MemberRequest => ({
    bootstrap: `127.0.0.1:${port}`,
    topic,
    group,
    name,
    session_timeout_ms: SESSION_TIMEOUT_MS,
    heartbeat_ms: 500,
    max_batch: 8,
    batch_delay_ms: 30,
  });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => startMember(kind, request(`${label}-${n}`))) as [
    Member,
    Member,
    Member,
  ];
  for (const m of [a, b, c]) track(m);
  const all = [a, b, c];

  // Phase 1: three members share the partitions and consume what was produced up front.
  await waitUntil('three members with disjoint assignments', () => settled(all, PARTITIONS), all);
  await waitUntil('phase 1 committed', () => allCommitted(all, ends), all);

  // Phase 2: more records, and c leaves while they are being consumed.
  await produceKnown(kafka, topic, ends, PER_PHASE);
  await waitUntil(
    'c consuming phase 2',
    () => c.events.some((e) => e.e === 'batch' && e.records!.some(([, o]) => o >= PER_PHASE)),
    all,
  );
  const code = await c.term();
  assert.equal(code, 0, `c exits 0 after SIGTERM; stderr:\n${c.stderr()}`);
  assert.ok(
    c.events.some((e) => e.e === 'closed'),
    'c closed its consumer',
  );
  const closedAt = c.events.find((e) => e.e === 'closed')!.t;
  await waitUntil('a and b own every partition after c left', () => settled([a, b], PARTITIONS), all);
  const leaveMs = Math.max(...[a, b].map((m) => m.events.findLast((e) => e.e === 'assigned')!.t)) - closedAt;
  await waitUntil('phase 2 committed', () => allCommitted(all, ends), all);

  // Phase 3: more records, and b is killed in the middle of them.
  const before = b.events.length;
  await produceKnown(kafka, topic, ends, PER_PHASE);
  await waitUntil('b consuming phase 3', () => b.events.slice(before).some((e) => e.e === 'batch'), all);
  await b.kill();
  const killedAt = b.killedAt!;
  await waitUntil('a owns every partition after b died', () => a.owned().size === PARTITIONS, all);
  const expireMs = a.events.findLast((e) => e.e === 'assigned')!.t - killedAt;
  await waitUntil('phase 3 committed', () => allCommitted(all, ends), all);

  assert.equal(await a.term(), 0, `a exits 0 after SIGTERM; stderr:\n${a.stderr()}`);
  const summary = checkHistory(all, ends);
  const committed = await brokerCommitted(kafka, group, topic);
  assert.deepEqual(
    [...committed].sort((x, y) => x[0] - y[0]),
    ends.map((e, p) => [p, e]),
    'the broker holds the last commits (OffsetFetch)',
  );
  // A LeaveGroup rebalances at once; a dead member is noticed once its session times out.
  assert.ok(leaveMs < SESSION_TIMEOUT_MS, `the survivors were reassigned ${leaveMs} ms after c left`);
  assert.ok(
    expireMs < SESSION_TIMEOUT_MS + 5000,
    `a got b's partitions ${expireMs} ms after the kill (session timeout ${SESSION_TIMEOUT_MS} ms)`,
  );
  return { summary, leaveMs, expireMs };
}
