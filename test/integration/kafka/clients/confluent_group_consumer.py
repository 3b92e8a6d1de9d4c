"""One confluent-kafka-python (librdkafka) consumer-group member, for the groups-*.test.ts tests.

    python3 confluent_group_consumer.py        (one JSON request on stdin, JSON lines on stdout)

Request: bootstrap, topic, group, name, session_timeout_ms, heartbeat_ms, strategy (range,
roundrobin or cooperative-sticky), instance_id (optional: static membership), max_batch,
batch_delay_ms (time spent "processing" each batch, so that rebalances happen mid-stream).

The member subscribes, consumes batches of at most max_batch records and commits each batch
synchronously before taking the next. It prints, with `t` the wall clock in ms:
    {"e": "assigned", "partitions": [...], "generation": g, "incremental": bool}
    {"e": "revoked", "partitions": [...], "incremental": bool}
    {"e": "batch", "records": [[partition, offset, key, value], ...]}   (before the commit)
    {"e": "committed", "offsets": [[partition, next offset], ...]}       (after it succeeded)
    {"e": "commit_failed", "error": "..."}
    {"e": "closed"}   on SIGTERM, after close() (which leaves the group unless static)
The generation comes from librdkafka's cgrp debug log ("JoinGroup response: GenerationId N").
"""

import json
import logging
import re
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


def now_ms():
    return int(time.time() * 1000)


def say(obj):
    obj['t'] = now_ms()
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class GenerationLog(logging.Handler):
    """Keeps the last generation id librdkafka logged for a JoinGroup response."""

    PATTERN = re.compile(r'JoinGroup response: GenerationId (-?\d+)')

    def __init__(self):
        super().__init__()
        self.generation = None

    def emit(self, record):
        m = self.PATTERN.search(record.getMessage())
        if m:
            self.generation = int(m.group(1))


def main():
    req = json.loads(sys.stdin.readline())
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    gen_log = GenerationLog()
    logger = logging.getLogger('rdkafka-' + req['name'])
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(gen_log)

    conf = {
        'bootstrap.servers': req['bootstrap'],
        'group.id': req['group'],
        'client.id': req['name'],
        'session.timeout.ms': req.get('session_timeout_ms', 6000),
        'heartbeat.interval.ms': req.get('heartbeat_ms', 500),
        'max.poll.interval.ms': req.get('max_poll_interval_ms', 20000),
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'partition.assignment.strategy': req.get('strategy', 'range'),
        'fetch.wait.max.ms': 50,
        'topic.metadata.refresh.interval.ms': 2000,
        'debug': 'cgrp',
        'logger': logger,
    }
    if req.get('instance_id'):
        conf['group.instance.id'] = req['instance_id']
    consumer = Consumer(conf)
    incremental = req.get('strategy') == 'cooperative-sticky'

    def on_assign(c, partitions):
        say({'e': 'assigned', 'partitions': sorted(tp.partition for tp in partitions),
             'generation': gen_log.generation, 'incremental': incremental})

    def on_revoke(c, partitions):
        say({'e': 'revoked', 'partitions': sorted(tp.partition for tp in partitions),
             'incremental': incremental})

    consumer.subscribe([req['topic']], on_assign=on_assign, on_revoke=on_revoke)
    say({'e': 'subscribed'})
    max_batch = req.get('max_batch', 10)
    delay = req.get('batch_delay_ms', 20) / 1000.0
    while not stopping:
        # poll(), not consume(): librdkafka 2.0.2's batch consume API can skip records of a kept
        # partition across the pause/resume of an incremental rebalance (librdkafka PR #4208,
        # fixed in 2.1.0), which would show here as records never delivered.
        msgs = []
        m = consumer.poll(0.2)
        while m is not None:
            msgs.append(m)
            if len(msgs) >= max_batch:
                break
            m = consumer.poll(0)
        records = []
        for m in msgs:
            if m.error():
                say({'e': 'error', 'error': str(m.error())})
                continue
            records.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
        if not records:
            continue
        say({'e': 'batch', 'records': records})
        time.sleep(delay)
        nexts = {}
        for p, o, _, _ in records:
            nexts[p] = max(nexts.get(p, 0), o + 1)
        offsets = [TopicPartition(req['topic'], p, o) for p, o in sorted(nexts.items())]
        try:
            result = consumer.commit(offsets=offsets, asynchronous=False)
            failed = [tp for tp in result if tp.error is not None]
            if failed:
                say({'e': 'commit_failed', 'error': str(failed[0].error)})
            else:
                say({'e': 'committed', 'offsets': [[tp.partition, tp.offset] for tp in result]})
        except KafkaException as e:
            say({'e': 'commit_failed', 'error': str(e.args[0])})
    consumer.close()
    say({'e': 'closed'})


if __name__ == '__main__':
    main()
