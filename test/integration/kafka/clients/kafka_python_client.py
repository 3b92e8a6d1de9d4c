"""kafka-python 2.0.2 side of the interoperability tests (Debian's python3-kafka).

Run by test/integration/kafka/interop-kafka-python.test.ts with the system Python:
    python3 kafka_python_client.py <command>   (a JSON request on stdin, one JSON answer on stdout)

Records cross the process boundary as [key, value, [[header name, header value]...]] with bytes in
base64. Commands:
    codecs      which codecs this installation can produce (snappy, lz4 and zstd need python3-snappy,
                python3-lz4 and python3-zstandard).
    roundtrip   create the topic (KafkaAdminClient), produce each run with its codec to its topic,
                read the topics listed in 'read' back by explicit assignment.
    admin       the KafkaAdminClient calls and the consumer's offset queries.
"""

import base64
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import codec as kafka_codec
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import KafkaError


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return base64.b64decode(text)


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def codecs():
    available = ['none', 'gzip']
    if kafka_codec.has_snappy():
        available.append('snappy')
    if kafka_codec.has_lz4():
        available.append('lz4')
    if kafka_codec.has_zstd():
        available.append('zstd')
    say({'codecs': available})


def consume_all(bootstrap, topic, partitions):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             fetch_max_wait_ms=50, max_poll_records=5000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(tps)
    out = []
    deadline = time.monotonic() + 60
    while any(consumer.position(tp) < ends[tp] for tp in tps):
        if time.monotonic() > deadline:
            raise RuntimeError('not every record read within 60 s')
        for tp, msgs in consumer.poll(timeout_ms=1000).items():
            for m in msgs:
                out.append([m.partition, m.offset, b64(m.key), b64(m.value),
                            [[k, b64(v)] for k, v in (m.headers or [])]])
    consumer.close()
    return out


def roundtrip(req):
    bootstrap, partitions = req['bootstrap'], req['partitions']
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    topics = sorted({run['topic'] for run in req['runs']})
    admin.create_topics([NewTopic(t, partitions, 1) for t in topics])
    admin.close()
    acked = []
    timings = {}
    index = 0
    for run in req['runs']:
        started = time.monotonic()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5,
                                 compression_type=None if run['codec'] == 'none' else run['codec'])
        futures = []
        for key, value, headers in run['records']:
            futures.append(producer.send(run['topic'], key=unb64(key), value=unb64(value),
                                         headers=[(k, unb64(v)) for k, v in headers]))
        producer.flush(60)
        for n, f in enumerate(futures):
            md = f.get(10)
            acked.append([index + n, md.partition, md.offset])
        producer.close()
        timings['produce ' + run['codec']] = round((time.monotonic() - started) * 1000)
        index += len(run['records'])
    consumed = {}
    for topic in req['read']:
        started = time.monotonic()
        consumed[topic] = consume_all(bootstrap, topic, partitions)
        timings['consume ' + topic] = round((time.monotonic() - started) * 1000)
    say({'deliveries': acked, 'consumed': consumed, 'timings': timings})


def admin_ops(req):
    bootstrap, topic = req['bootstrap'], req['topic']
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    out = {}
    admin.create_topics([NewTopic(topic, 2, 1, topic_configs={'retention.ms': '3600000'})])
    try:
        admin.create_topics([NewTopic(topic, 2, 1)])
        out['create_again'] = 'ok'
    except KafkaError as e:
        out['create_again'] = type(e).__name__
    out['listed'] = topic in admin.list_topics()
    described = admin.describe_topics([topic])
    out['described'] = [[t['topic'], sorted(p['partition'] for p in t['partitions'])] for t in described]
    res = admin.create_partitions({topic: NewPartitions(4)})
    out['create_partitions'] = [[t[0], t[1]] for t in res.topic_errors]
    out['described_after'] = [sorted(p['partition'] for p in t['partitions'])
                              for t in admin.describe_topics([topic])]

    def topic_configs():
        res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        entries = res[0].resources[0][4]
        # (name, value, read_only, is_default | config_source, is_sensitive[, synonyms])
        return {e[0]: [e[1], e[3]] for e in entries}

    configs = topic_configs()
    out['configs'] = {k: configs[k] for k in ('retention.ms', 'cleanup.policy', 'max.message.bytes')}
    out['config_count'] = len(configs)
    res = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                              configs={'retention.ms': '7200000'})])
    out['alter'] = [[r[0], r[2], r[3]] for r in res.resources]
    configs = topic_configs()
    out['configs_after'] = {k: configs[k] for k in ('retention.ms',)}

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all')
    futures = [producer.send(topic, key=b'k%d' % i, value=b'v%d' % i, partition=i % 4,
                             timestamp_ms=2000000 + i) for i in range(20)]
    producer.flush(30)
    out['acked'] = [[f.get(10).partition, f.get(10).offset] for f in futures]
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(4)]
    out['beginning'] = [consumer.beginning_offsets(tps)[tp] for tp in tps]
    out['end'] = [consumer.end_offsets(tps)[tp] for tp in tps]
    times = consumer.offsets_for_times({tp: 2000000 + 8 for tp in tps})
    out['for_times'] = [None if times[tp] is None else [times[tp].offset, times[tp].timestamp] for tp in tps]
    consumer.close()

    res = admin.delete_topics([topic])
    out['delete'] = [[t[0], t[1]] for t in res.topic_error_codes]
    out['listed_after_delete'] = topic in admin.list_topics()
    admin.close()
    say(out)


def main():
    command = sys.argv[1]
    if command == 'codecs':
        codecs()
        return
    req = json.loads(sys.stdin.readline())
    {'roundtrip': roundtrip, 'admin': admin_ops}[command](req)


if __name__ == '__main__':
    main()
