import assert from 'node:assert/strict';
import { it, describe as suite } from 'node:test';
import {
  allCommitted,
  checkHistory,
  createTopic,
  describe,
  kafkaClient,
  type MemberEvent,
  PARTITIONS,
  produceKnown,
  SESSION_TIMEOUT_MS,
  settled,
  startMember,
  waitUntil,
} from './clients/group-harness.ts';
import { itSharesAndSurvives, useGroupBroker } from './clients/group-suite.ts';

/** Consumer groups with confluent-kafka-python 1.7 on librdkafka 2.0.2 (range, and cooperative-sticky). */
suite('consumer groups: confluent-kafka-python (librdkafka 2.0.2)', () => {
  const broker = useGroupBroker();
  const members = broker.members;
  itSharesAndSurvives(
    broker,
    'confluent',
    'three member processes (range): share a topic, survive a clean leave and a kill -9',
  );

  it('cooperative-sticky: a third member joining moves only its partitions (incremental rebalance)', async (t) => {
    const port = broker.port();
    const kafka = kafkaClient(port);
    const topic = 'groups-cooperative';
    await createTopic(kafka, topic, PARTITIONS);
    const ends = Array.from({ length: PARTITIONS }, () => 0);
    await produceKnown(kafka, topic, ends, 30);
    const start = (name: string) => {
      const m = startMember('confluent', {
        bootstrap: `127.0.0.1:${port}`,
        topic,
        group: 'group-cooperative',
        name,
        session_timeout_ms: SESSION_TIMEOUT_MS,
        heartbeat_ms: 500,
        strategy: 'cooperative-sticky',
        max_batch: 8,
        batch_delay_ms: 30,
      });
      members.push(m);
      return m;
    };
    const x = start('coop-x');
    const y = start('coop-y');
    await waitUntil('x and y share the partitions', () => settled([x, y], PARTITIONS), [x, y]);
    await waitUntil('the first records committed', () => allCommitted([x, y], ends), [x, y]);
    const before = new Map([x, y].map((m) => [m, { owned: m.owned(), events: m.events.length }]));

    await produceKnown(kafka, topic, ends, 30);
    const z = start('coop-z');
    await waitUntil('x, y and z share the partitions', () => settled([x, y, z], PARTITIONS), [x, y, z]);
    await waitUntil('everything committed', () => allCommitted([x, y, z], ends), [x, y, z]);

    const moved: number[] = [];
    for (const m of [x, y]) {
      const { owned, events } = before.get(m)!;
      const later: MemberEvent[] = m.events
        .slice(events)
        .filter((e) => e.e === 'assigned' || e.e === 'revoked');
      for (const e of later) {
        assert.equal(e.incremental, true, `${m.name}: callbacks are incremental`);
        if (e.e === 'assigned') {
          assert.deepEqual(
            e.partitions,
            [],
            `${m.name} gains nothing: ${JSON.stringify(e)}\n${describe([x, y, z])}`,
          );
        }
        if (e.e === 'revoked') {
          for (const p of e.partitions!)
            assert.ok(owned.has(p), `${m.name} only gives up partitions it owned`);
          moved.push(...e.partitions!);
        }
      }
      const kept = [...m.owned()];
      assert.ok(kept.length > 0, `${m.name} keeps partitions`);
      for (const p of kept) assert.ok(owned.has(p), `${m.name} keeps partition ${p} it already owned`);
      assert.equal(
        kept.length + later.filter((e) => e.e === 'revoked').flatMap((e) => e.partitions!).length,
        owned.size,
      );
    }
    assert.deepEqual(
      [...z.owned()].sort(),
      moved.sort(),
      'z owns exactly the partitions x and y gave up, and nothing else moved',
    );
    assert.equal(moved.length, 2, 'two of six partitions moved to the third member');
    for (const m of [x, y, z]) assert.equal(m.owned().size, 2, `${m.name} owns two partitions`);
    const final = new Map([x, y, z].map((m) => [m, [...m.owned()]]));
    for (const m of [x, y, z]) assert.equal(await m.term(), 0, `${m.name} exits 0; stderr:\n${m.stderr()}`);
    const summary = checkHistory([x, y, z], ends);
    t.diagnostic(
      `cooperative-sticky: x ${[...before.get(x)!.owned]} → ${final.get(x)}, y ${[...before.get(y)!.owned]} → ${final.get(y)}, z ${final.get(z)}; generations ${summary.generations.join(',')}`,
    );
  });
});
