"""Drives kafka-python through the requests the capture tool records.

Usage: /usr/bin/python3 kafka-python.py BOOTSTRAP
snappy/lz4/zstd need python3-snappy, python3-lz4, python3-zstandard; a missing library skips that codec.
"""

import sys
import time

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

bootstrap = sys.argv[1]
VALUE = ' '.join(['sluice'] * 20)


def log(msg):
    print(f'kafka-python: {msg}', file=sys.stderr, flush=True)


def step(name, fn):
    log(name)
    try:
        fn()
    except Exception as e:  # keep going: a failed step only loses its captures
        log(f'{name} failed: {e!r}')


def produce(codec):
    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id='capture-kafka-python',
        compression_type=None if codec == 'none' else codec,
        linger_ms=50,
        request_timeout_ms=10000,
        max_block_ms=10000,
    )
    for i in range(3):
        p.send(f'capture-{codec}', key=f'key-{i}'.encode(), value=f'value {i} {VALUE}'.encode(),
               headers=[('source', b'kafka-python')])
    p.flush(10)
    p.close(5)


for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    step(f'produce {codec}', lambda c=codec: produce(c))


def consume():
    c = KafkaConsumer(
        'capture-none',
        bootstrap_servers=bootstrap,
        group_id='capture-group-kafka-python',
        auto_offset_reset='earliest',
        enable_auto_commit=False,
        heartbeat_interval_ms=100,
        session_timeout_ms=6000,
        consumer_timeout_ms=3000,
        request_timeout_ms=10000,
    )
    got = 0
    deadline = time.time() + 15
    while got < 3 and time.time() < deadline:
        for batch in c.poll(timeout_ms=500).values():
            got += len(batch)
    log(f'consumed {got} records')
    time.sleep(0.5)  # past one heartbeat interval
    c.poll(timeout_ms=100)
    if got:
        c.commit()
    c.close()


step('group consumer', consume)


def admin():
    a = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    a.create_topics([NewTopic('capture-admin', 2, 1)], timeout_ms=5000)
    a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'capture-admin')])
    a.close()


step('admin', admin)
