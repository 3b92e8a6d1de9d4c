import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer } from '@platformatic/kafka';
import { type Metrics, metricsWhen } from '../support/flume.ts';
import { type SluiceProcess, startBroker, startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/**
 * Sluice's exactly-once Kafka sink, end to end with real processes: netcat (each line carries its
 * id, extracted into `sluice.eventId`) → file channel → kafka sink into a 2-partition topic. The
 * agent is SIGKILLed 6 times at random moments and restarted each time; the sender re-sends every
 * line it has no OK for. Afterwards the topic holds every event exactly once, and a channel
 * drained twice (a copy taken before the first drain) writes its events once.
 */

const N = 600;
const KILLS = 6;
const hasFileChannel = existsSync(new URL('../../../src/flume/channels/file-channel.ts', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('netcat → file channel → kafka sink: exactly once across SIGKILL', { skip: !hasFileChannel }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-kafka-eo-'));
  let broker: { proc: SluiceProcess; port: number };

  before(async () => {
    broker = await startBroker();
    const admin = new Admin({ clientId: 'setup', bootstrapBrokers: [`127.0.0.1:${broker.port}`] });
    await admin.createTopics({ topics: ['eo'], partitions: 2, replicas: 1 });
    await admin.close();
  });
  after(async () => {
    await broker?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`delivers ${N} events exactly once while the agent is killed ${KILLS} times`, async () => {
    const port = await freePort();
    const file = join(dir, 'agent.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = id',
        'a1.sources.r1.interceptors.id.type = regex_extractor',
        'a1.sources.r1.interceptors.id.regex = ^(e\\\\d+) ',
        'a1.sources.r1.interceptors.id.serializers = s1',
        'a1.sources.r1.interceptors.id.serializers.s1.name = sluice.eventId',
        'a1.channels.c1.type = file',
        `a1.channels.c1.checkpointDir = ${join(dir, 'cp')}`,
        `a1.channels.c1.dataDirs = ${join(dir, 'data')}`,
        'a1.channels.c1.minimumRequiredSpace = 0',
        'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
        `a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.sinks.k1.kafka.topic = eo',
        'a1.sinks.k1.flumeBatchSize = 20',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const start = () => startSluice(['agent', '-n', 'a1', '-f', file]);
    let agent = start();
    let acked = 0; // lines 0..acked-1 have their OK
    let stopSending = false;

    /** Sends lines from `acked` on, 10 at a time, counting OKs; reconnects after any failure. */
    const sender = (async () => {
      while (acked < N && !stopSending) {
        let socket: Socket | undefined;
        try {
          socket = await new Promise<Socket>((resolve, reject) => {
            const s = connect(port, '127.0.0.1', () => resolve(s));
            s.once('error', reject);
          });
          const s = socket;
          let buffered = '';
          let waiting: (() => void) | undefined;
          let closed = false;
          s.setEncoding('utf8');
          s.on('data', (d: string) => {
            buffered += d;
            waiting?.();
          });
          s.on('close', () => {
            closed = true;
            waiting?.();
          });
          s.on('error', () => {});
          while (acked < N) {
            const from = acked;
            const to = Math.min(N, from + 10);
            const lines = Array.from({ length: to - from }, (_, k) => `e${from + k} payload ${from + k}\n`);
            s.write(lines.join(''));
            while (acked < to) {
              const nl = buffered.indexOf('\n');
              if (nl >= 0) {
                const reply = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                assert.equal(reply, 'OK', `netcat reply for line ${acked}`);
                acked++;
                continue;
              }
              if (closed) throw new Error('connection closed');
              await new Promise<void>((r) => {
                waiting = r;
              });
            }
          }
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          await sleep(50); // the agent is down or restarting
        } finally {
          socket?.destroy();
        }
      }
    })();

    try {
      for (let k = 0; k < KILLS; k++) {
        await agent.waitForOutput(() => /agent started/.test(agent.stderr()));
        await sleep(150 + Math.floor(Math.random() * 700));
        agent.child.kill('SIGKILL');
        await agent.exited;
        agent = start();
      }
      await sender;
      assert.equal(acked, N);

      // Let the last agent drain the channel into the topic.
      const consumer = new Consumer({
        clientId: 'check',
        groupId: 'check-eo',
        bootstrapBrokers: [`127.0.0.1:${broker.port}`],
      });
      try {
        const total = async () => {
          const ends = await consumer.listOffsets({ topics: ['eo'], timestamp: -1n });
          return [...(ends.get('eo') ?? [])].reduce((n, o) => n + Number(o), 0);
        };
        for (let i = 0; i < 600 && (await total()) < N; i++) await sleep(100);
        await sleep(1000); // any duplicate the sink would still write comes now
        const records = await total();
        const stream = await consumer.consume({ topics: ['eo'], mode: 'earliest', autocommit: false });
        const seen = new Map<string, number>();
        let read = 0;
        for await (const m of stream) {
          const id = [...m.headers].find(([key]) => key.toString() === 'sluice.eventId')?.[1]?.toString();
          const body = m.value.toString();
          assert.equal(id, body.split(' ')[0], 'the id header travels with its event');
          seen.set(body, (seen.get(body) ?? 0) + 1);
          if (++read === records) break;
        }
        await stream.close();
        const twice = [...seen].filter(([, n]) => n > 1).map(([b]) => b);
        const missing = Array.from({ length: N }, (_, i) => `e${i} payload ${i}`).filter((b) => !seen.has(b));
        assert.deepEqual(twice, [], 'no event written twice');
        assert.deepEqual(missing, [], 'no event missing');
        assert.equal(records, N);

        assert.equal(await agent.stop(), 0, agent.stderr().slice(-3000));

        // The crash between Kafka's acknowledgement and the channel's commit, made certain: a
        // channel holding 50 more events is copied, drained into the topic, and the copy is
        // drained again. The second drain must add nothing.
        const extra = 50;
        const fill = join(dir, 'fill.properties');
        const drain = join(dir, 'drain.properties');
        const channel = [
          'a1.channels.c1.type = file',
          `a1.channels.c1.checkpointDir = ${join(dir, 'cp2')}`,
          `a1.channels.c1.dataDirs = ${join(dir, 'data2')}`,
          'a1.channels.c1.minimumRequiredSpace = 0',
        ];
        writeFileSync(
          fill,
          [
            'a1.sources = r1',
            'a1.channels = c1 c2',
            'a1.sinks = k1',
            'a1.sources.r1.type = seq',
            `a1.sources.r1.totalEvents = ${extra}`,
            'a1.sources.r1.channels = c1',
            'a1.sources.r1.interceptors = id',
            'a1.sources.r1.interceptors.id.type = regex_extractor',
            'a1.sources.r1.interceptors.id.regex = ^(\\\\d+)$',
            'a1.sources.r1.interceptors.id.serializers = s1',
            'a1.sources.r1.interceptors.id.serializers.s1.name = sluice.eventId',
            'a1.channels.c2.type = memory',
            'a1.sinks.k1.type = null',
            'a1.sinks.k1.channel = c2',
            ...channel,
            '',
          ].join('\n'),
        );
        writeFileSync(
          drain,
          [
            'a1.channels = c1',
            'a1.sinks = k1',
            ...channel,
            'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
            `a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
            'a1.sinks.k1.kafka.topic = eo',
            'a1.sinks.k1.channel = c1',
            '',
          ].join('\n'),
        );
        const run = async (conf: string, done: (m: Metrics) => boolean): Promise<SluiceProcess> => {
          const monitor = await freePort();
          agent = startSluice([
            'agent',
            '-n',
            'a1',
            '-f',
            conf,
            '-Dflume.monitoring.type=http',
            `-Dflume.monitoring.port=${monitor}`,
          ]);
          await metricsWhen(agent, monitor, done);
          return agent;
        };
        const drained = (m: Metrics) =>
          m['CHANNEL.c1']?.EventTakeSuccessCount === String(extra) && m['CHANNEL.c1']?.ChannelSize === '0';
        const filler = await run(fill, (m) => m['CHANNEL.c1']?.EventPutSuccessCount === String(extra));
        assert.equal(await filler.stop(), 0, filler.stderr().slice(-3000));
        for (const d of ['cp2', 'data2']) cpSync(join(dir, d), join(dir, `snap-${d}`), { recursive: true });

        const first = await run(drain, drained);
        for (let i = 0; i < 100 && (await total()) < N + extra; i++) await sleep(100);
        assert.equal(await first.stop(), 0, first.stderr().slice(-3000));
        assert.equal(await total(), N + extra, 'the filled channel reached the topic');

        for (const d of ['cp2', 'data2']) {
          rmSync(join(dir, d), { recursive: true, force: true });
          cpSync(join(dir, `snap-${d}`), join(dir, d), { recursive: true });
        }
        const second = await run(drain, drained);
        assert.match(second.stderr(), /read back recent event ids/);
        await sleep(1000); // a duplicate the sink would write comes now
        assert.equal(await total(), N + extra, 'the replayed channel adds nothing to the topic');
      } finally {
        await consumer.close().catch(() => {});
      }
    } finally {
      stopSending = true;
      await sender.catch(() => {});
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-3000));
    }
  });
});
