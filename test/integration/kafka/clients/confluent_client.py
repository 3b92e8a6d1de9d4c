"""confluent-kafka-python (librdkafka) side of the interoperability tests.

Run by test/integration/kafka/interop-confluent.test.ts with the system Python:
    python3 confluent_client.py <command>   (a JSON request on stdin, one JSON answer on stdout)

Records cross the process boundary as [key, value, [[header name, header value]...]] with bytes in
base64. Commands:
    roundtrip   create the topic (AdminClient), produce every run with its codec, read everything
                back by explicit assignment; answer deliveries [index, partition, offset] and the
                consumed records [partition, offset, key, value, headers].
    consume     read a topic by explicit assignment (for topics other clients wrote).
    admin       the AdminClient calls and offset queries; answers what each call returned.
    idempotent  an idempotent producer (acks=all) across a broker restart, driven by stdin lines.
"""

import base64
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return base64.b64decode(text)


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    futures[topic].result(30)
    # Returned so the caller holds it: destroying a librdkafka handle can take up to a second.
    return admin


class Deliveries:
    """Collects delivery reports; records [index, partition, offset] or the error."""

    def __init__(self):
        self.acked = []
        self.errors = []

    def callback(self, index):
        def report(err, msg):
            if err is not None:
                self.errors.append([index, str(err)])
            else:
                self.acked.append([index, msg.partition(), msg.offset()])
        return report


def produce(producer, topic, records, first_index, deliveries):
    for n, (key, value, headers) in enumerate(records):
        args = {
            'key': unb64(key),
            'value': unb64(value),
            'on_delivery': deliveries.callback(first_index + n),
        }
        if headers:
            args['headers'] = [(k, unb64(v)) for k, v in headers]
        while True:
            try:
                producer.produce(topic, **args)
                break
            except BufferError:
                producer.poll(0.05)
        if n % 500 == 0:
            producer.poll(0)


def consume_all(bootstrap, topic, partitions):
    """Everything in the partitions up to their high watermarks, by explicit assignment."""
    consumer = Consumer({
        'bootstrap.servers': bootstrap,
        # Required by the Python binding; no group is joined with assign().
        'group.id': 'interop-assign-only',
        'enable.auto.commit': False,
        'fetch.wait.max.ms': 50,
    })
    ends = {}
    for p in range(partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = high
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    pending = {p for p in range(partitions) if ends[p] > 0}
    out = []
    while pending:
        msgs = consumer.consume(num_messages=2000, timeout=10)
        if not msgs:
            raise RuntimeError('no records within 10 s; still waiting for partitions %s' % sorted(pending))
        for m in msgs:
            if m.error():
                raise KafkaException(m.error())
            headers = m.headers()
            out.append([m.partition(), m.offset(), b64(m.key()), b64(m.value()),
                        None if headers is None else [[k, b64(v)] for k, v in headers]])
            if m.offset() + 1 >= ends[m.partition()]:
                pending.discard(m.partition())
    consumer.close()
    return out, ends


def roundtrip(req):
    bootstrap, topic, partitions = req['bootstrap'], req['topic'], req['partitions']
    admin = create_topic(bootstrap, topic, partitions)
    deliveries = Deliveries()
    timings = {}
    index = 0
    # Destroying a librdkafka handle can take up to a second (its threads wake once a second):
    # keep every producer until the end, so the figures measure producing only.
    producers = [admin]
    for run in req['runs']:
        started = time.monotonic()
        producer = Producer({
            'bootstrap.servers': bootstrap,
            'compression.type': run['codec'],
            'linger.ms': 5,
        })
        producers.append(producer)
        produce(producer, topic, run['records'], index, deliveries)
        left = producer.flush(60)
        if left:
            raise RuntimeError('%d records not delivered within 60 s' % left)
        timings['produce ' + run['codec']] = round((time.monotonic() - started) * 1000)
        index += len(run['records'])
    started = time.monotonic()
    consumed, _ = consume_all(bootstrap, topic, partitions)
    timings['consume'] = round((time.monotonic() - started) * 1000)
    say({'deliveries': deliveries.acked, 'errors': deliveries.errors, 'consumed': consumed,
         'timings': timings})


def consume(req):
    consumed, _ = consume_all(req['bootstrap'], req['topic'], req['partitions'])
    say({'consumed': consumed})


def admin_ops(req):
    bootstrap = req['bootstrap']
    admin = AdminClient({'bootstrap.servers': bootstrap})
    out = {}
    topic = req['topic']
    fs = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                                       config={'retention.ms': '3600000', 'cleanup.policy': 'delete'})])
    fs[topic].result(30)
    # Creating it again is an error carrying Kafka's code.
    try:
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(30)
        out['create_again'] = 'ok'
    except KafkaException as e:
        out['create_again'] = e.args[0].name()
    try:
        admin.create_topics([NewTopic(topic + '-bad', num_partitions=1, replication_factor=1,
                                      config={'no.such.config': '1'})])[topic + '-bad'].result(30)
        out['create_bad_config'] = 'ok'
    except KafkaException as e:
        out['create_bad_config'] = e.args[0].name()
    md = admin.list_topics(topic, timeout=10)
    out['described'] = {t: sorted(md.topics[t].partitions) for t in md.topics}
    admin.create_partitions([NewPartitions(topic, 5)])[topic].result(30)
    md = admin.list_topics(topic, timeout=10)
    out['partitions_after'] = sorted(md.topics[topic].partitions)

    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([res])[res].result(30)
    out['configs'] = {k: [v.value, v.is_default, v.source] for k, v in configs.items()}
    alter = ConfigResource(ConfigResource.Type.TOPIC, topic,
                           set_config={'retention.ms': '7200000', 'segment.bytes': '1048576'})
    admin.alter_configs([alter])[alter].result(30)
    configs = admin.describe_configs([res])[res].result(30)
    out['configs_after'] = {k: [v.value, v.is_default] for k, v in configs.items()
                            if k in ('retention.ms', 'segment.bytes', 'cleanup.policy')}
    broker = ConfigResource(ConfigResource.Type.BROKER, '1')
    bconfigs = admin.describe_configs([broker])[broker].result(30)
    out['broker_num_partitions'] = bconfigs['num.partitions'].value if 'num.partitions' in bconfigs else None

    # List offsets: earliest/latest watermarks and offsets_for_times after a few records.
    producer = Producer({'bootstrap.servers': bootstrap})
    deliveries = Deliveries()
    for i in range(30):
        producer.produce(topic, key=b'k%d' % i, value=b'v%d' % i, partition=i % 5, timestamp=1000000 + i,
                         on_delivery=deliveries.callback(i))
    producer.flush(30)
    out['admin_deliveries'] = deliveries.acked
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'interop-assign-only'})
    out['watermarks'] = [list(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10))
                         for p in range(5)]
    times = consumer.offsets_for_times([TopicPartition(topic, p, 1000000 + 10) for p in range(5)], timeout=10)
    later = consumer.offsets_for_times([TopicPartition(topic, 0, 5000000)], timeout=10)
    out['offsets_for_times'] = [[tp.partition, tp.offset] for tp in times + later]
    consumer.close()

    admin.delete_topics([topic])[topic].result(30)
    out['after_delete'] = topic in admin.list_topics(timeout=10).topics
    try:
        admin.delete_topics([topic])[topic].result(30)
        out['delete_again'] = 'ok'
    except KafkaException as e:
        out['delete_again'] = e.args[0].name()
    say(out)


def idempotent(req):
    """
    Phase 1: the producer writes run 1 and flushes. It then says 'restart' and keeps producing
    run 2 with short polls while the test stops and restarts the broker; once stdin says
    'restarted' it flushes (retries reach the new broker process). Phase 3: a new idempotent
    producer writes run 3. Everything is then read back.
    """
    bootstrap, topic, partitions = req['bootstrap'], req['topic'], req['partitions']
    create_topic(bootstrap, topic, partitions)
    conf = {
        'bootstrap.servers': bootstrap,
        'enable.idempotence': True,
        'acks': 'all',
        'linger.ms': 2,
        'batch.num.messages': 200,
        'compression.type': req.get('codec', 'none'),
        'message.timeout.ms': 120000,
        'reconnect.backoff.ms': 20,
        'reconnect.backoff.max.ms': 200,
    }
    errors = []
    fatal = []

    def on_error(err):
        if err.fatal():
            fatal.append(str(err))

    conf['error_cb'] = on_error
    deliveries = Deliveries()
    runs = req['runs']
    producer = Producer(conf)
    produce(producer, topic, runs[0], 0, deliveries)
    left = producer.flush(60)
    first_acked = len(deliveries.acked)
    say({'phase': 'restart', 'acked': first_acked, 'left': left})
    index = len(runs[0])
    for n in range(0, len(runs[1]), 50):
        produce(producer, topic, runs[1][n:n + 50], index + n, deliveries)
        producer.poll(0.005)
    index += len(runs[1])
    line = sys.stdin.readline().strip()
    assert line == 'restarted', line
    left = producer.flush(120)
    if left:
        errors.append('%d records of run 2 not delivered' % left)
    producer2 = Producer(conf)
    produce(producer2, topic, runs[2], index, deliveries)
    left = producer2.flush(60)
    if left:
        errors.append('%d records of run 3 not delivered' % left)
    consumed, ends = consume_all(bootstrap, topic, partitions)
    say({'phase': 'done', 'deliveries': deliveries.acked, 'errors': deliveries.errors + errors,
         'fatal': fatal, 'consumed': consumed, 'ends': ends})


def main():
    command = sys.argv[1]
    req = json.loads(sys.stdin.readline())
    {'roundtrip': roundtrip, 'consume': consume, 'admin': admin_ops, 'idempotent': idempotent}[command](req)


if __name__ == '__main__':
    main()
