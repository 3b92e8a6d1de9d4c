"""One kafka-python 2.0.2 consumer-group member, for the groups-*.test.ts tests.

    python3 kafka_python_group_consumer.py     (one JSON request on stdin, JSON lines on stdout)

Same request and output as confluent_group_consumer.py: the member subscribes with a rebalance
listener, polls at most max_batch records, "processes" them for batch_delay_ms, commits them
synchronously, and prints assigned/revoked/batch/committed/commit_failed/closed events with the
wall clock `t` in ms. The generation is the coordinator's (kafka-python keeps it in
`_coordinator._generation`; read, never written).
"""

import json
import signal
import sys
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata


def now_ms():
    return int(time.time() * 1000)


def say(obj):
    obj['t'] = now_ms()
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def main():
    req = json.loads(sys.stdin.readline())
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    assignor = {'range': RangePartitionAssignor, 'roundrobin': RoundRobinPartitionAssignor}[
        req.get('strategy', 'range')]
    consumer = KafkaConsumer(
        bootstrap_servers=req['bootstrap'],
        group_id=req['group'],
        client_id=req['name'],
        session_timeout_ms=req.get('session_timeout_ms', 6000),
        heartbeat_interval_ms=req.get('heartbeat_ms', 500),
        max_poll_interval_ms=req.get('max_poll_interval_ms', 20000),
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        partition_assignment_strategy=[assignor],
        fetch_max_wait_ms=50,
        metadata_max_age_ms=2000,
    )

    def generation():
        gen = getattr(consumer._coordinator, '_generation', None)
        return None if gen is None else gen.generation_id

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            say({'e': 'revoked', 'partitions': sorted(tp.partition for tp in revoked), 'incremental': False})

        def on_partitions_assigned(self, assigned):
            say({'e': 'assigned', 'partitions': sorted(tp.partition for tp in assigned),
                 'generation': generation(), 'incremental': False})

    consumer.subscribe([req['topic']], listener=Listener())
    say({'e': 'subscribed'})
    max_batch = req.get('max_batch', 10)
    delay = req.get('batch_delay_ms', 20) / 1000.0
    while not stopping:
        polled = consumer.poll(timeout_ms=200, max_records=max_batch)
        records = []
        for tp, msgs in polled.items():
            for m in msgs:
                records.append([m.partition, m.offset, m.key.decode(), m.value.decode()])
        if not records:
            continue
        say({'e': 'batch', 'records': records})
        time.sleep(delay)
        nexts = {}
        for p, o, _, _ in records:
            nexts[p] = max(nexts.get(p, 0), o + 1)
        offsets = {TopicPartition(req['topic'], p): OffsetAndMetadata(o, '') for p, o in nexts.items()}
        try:
            consumer.commit(offsets)
            say({'e': 'committed', 'offsets': sorted([p, o] for p, o in nexts.items())})
        except KafkaError as e:
            say({'e': 'commit_failed', 'error': repr(e)})
    consumer.close()
    say({'e': 'closed'})


if __name__ == '__main__':
    main()
