"""Old-protocol producers for the Produce v0-2 tests (legacy message sets, magic 0 and 1).

Run by test/integration/kafka/produce-legacy-clients.test.ts with the system Python:
    python3 legacy_producers.py <command>   (a JSON request on stdin, one JSON answer on stdout)

Records cross the process boundary as [key, value] with bytes in base64. Commands:
    kafka-python   kafka-python 2.0.2 pinned to an old broker version with `api_version` (no
                   ApiVersions request): (0, 8, 2) sends Produce v0 and (0, 9) Produce v1 with
                   magic 0 message sets, (0, 10, 1) Produce v2 with magic 1 (timestamps).
    librdkafka     confluent-kafka-python with `api.version.request=false` and
                   `broker.version.fallback` 0.9.0: Produce v1, magic 0. (With a fallback of 0.10.0
                   or later, librdkafka 2.0.2 asks ApiVersions anyway and uses current versions.)
    consume        read a topic back with a current kafka-python consumer (Fetch v4: the v2 batches
                   the broker stored), by explicit assignment.
All producers use acks=all and send to the partition given; answers carry the acknowledged
[index, partition, offset] of every record.
"""

import base64
import json
import sys
import time


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return None if text is None else base64.b64decode(text)


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def kafka_python(req):
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=req['bootstrap'], acks='all', linger_ms=5,
                             api_version=tuple(req['api_version']),
                             compression_type=None if req['codec'] == 'none' else req['codec'])
    futures = []
    for key, value, timestamp in req['records']:
        futures.append(producer.send(req['topic'], key=unb64(key), value=unb64(value),
                                     partition=req['partition'], timestamp_ms=timestamp))
    producer.flush(60)
    acked = [[n, f.get(10).partition, f.get(10).offset] for n, f in enumerate(futures)]
    producer.close()
    say({'deliveries': acked})


def librdkafka(req):
    from confluent_kafka import Producer

    acked = []
    errors = []

    def on_delivery(index):
        def report(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                acked.append([index, msg.partition(), msg.offset()])
        return report

    producer = Producer({'bootstrap.servers': req['bootstrap'], 'acks': 'all', 'linger.ms': 5,
                         'api.version.request': False,
                         'broker.version.fallback': req['fallback'],
                         'compression.codec': req['codec']})
    for n, (key, value, timestamp) in enumerate(req['records']):
        producer.produce(req['topic'], key=unb64(key), value=unb64(value), partition=req['partition'],
                         timestamp=timestamp or 0, on_delivery=on_delivery(n))
        producer.poll(0)
    left = producer.flush(60)
    say({'deliveries': sorted(acked), 'errors': errors, 'unflushed': left})


def consume(req):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=req['bootstrap'], enable_auto_commit=False,
                             fetch_max_wait_ms=50)
    tp = TopicPartition(req['topic'], req['partition'])
    consumer.assign([tp])
    consumer.seek_to_beginning()
    end = consumer.end_offsets([tp])[tp]
    out = []
    deadline = time.monotonic() + 60
    while consumer.position(tp) < end:
        if time.monotonic() > deadline:
            raise RuntimeError('not every record read within 60 s')
        for msgs in consumer.poll(timeout_ms=1000).values():
            for m in msgs:
                out.append([m.offset, b64(m.key), b64(m.value), m.timestamp, m.timestamp_type])
    consumer.close()
    say({'consumed': out})


def main():
    req = json.loads(sys.stdin.readline())
    {'kafka-python': kafka_python, 'librdkafka': librdkafka, 'consume': consume}[sys.argv[1]](req)


if __name__ == '__main__':
    main()
