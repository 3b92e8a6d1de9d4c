"""Drives confluent-kafka-python (librdkafka) through the requests the capture tool records.

Usage: /usr/bin/python3 confluent-kafka-python.py BOOTSTRAP
Every blocking call has a timeout; the driver also kills this process if it overruns.
"""

import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

bootstrap = sys.argv[1]
VALUE = ' '.join(['sluice'] * 20)


def log(msg):
    print(f'confluent-kafka-python: {msg}', file=sys.stderr, flush=True)


def produce(topic, extra):
    conf = {'bootstrap.servers': bootstrap, 'linger.ms': 50, 'client.id': 'capture-confluent'}
    conf.update(extra)
    p = Producer(conf)
    for i in range(3):
        p.produce(topic, key=f'key-{i}', value=f'value {i} {VALUE}', headers=[('source', b'confluent')])
    left = p.flush(10)
    log(f'produced to {topic} ({left} left)')


def step(name, fn):
    log(name)
    try:
        fn()
    except Exception as e:  # keep going: a failed step only loses its captures
        log(f'{name} failed: {e!r}')


for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    step(f'produce {codec}', lambda c=codec: produce(f'capture-{c}', {'compression.type': c}))

step('idempotent produce', lambda: produce('capture-idempotent', {'enable.idempotence': True}))


def consume():
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'capture-group-confluent',
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'heartbeat.interval.ms': 100,
        'session.timeout.ms': 6000,
    })
    c.subscribe(['capture-none'])
    got = 0
    deadline = time.time() + 15
    while got < 3 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got += 1
    log(f'consumed {got} records')
    # Stay in the group past one heartbeat interval so a Heartbeat is sent.
    end = time.time() + 0.5
    while time.time() < end:
        c.poll(0.1)
    if got:
        c.commit(asynchronous=False)
    c.close()


step('group consumer', consume)


def admin():
    a = AdminClient({'bootstrap.servers': bootstrap})
    for f in a.create_topics([NewTopic('capture-admin', 2, 1)], operation_timeout=5, request_timeout=10).values():
        f.result(timeout=10)
    md = a.list_topics(timeout=10)
    log(f'topics: {sorted(md.topics)}')
    for f in a.describe_configs([ConfigResource('topic', 'capture-admin')], request_timeout=10).values():
        f.result(timeout=10)


step('admin', admin)
