#!/usr/bin/env bash
# Drives kcat (librdkafka) through the requests the capture tool records.
# Usage: kcat.sh BOOTSTRAP   (e.g. 127.0.0.1:19092). Every step is bounded by `timeout`.
set -u
b="$1"
step() { echo "kcat: $*" >&2; }
run() { timeout --kill-after=2 15 "$@" || echo "kcat: step exited with $?" >&2; }

# Compressible values: librdkafka sends a batch uncompressed when compression does not shrink it.
records() { for i in 0 1 2; do echo "key-$i:value $i $(printf 'sluice %.0s' {1..20})"; done; }

step 'metadata (-L)'
run kcat -b "$b" -L -m 5

for codec in none gzip snappy lz4 zstd; do
  step "produce $codec"
  records | run kcat -b "$b" -P -t "capture-$codec" -K : -z "$codec" -H source=kcat -X linger.ms=50
done

step 'idempotent produce'
records | run kcat -b "$b" -P -t capture-idempotent -K : -X enable.idempotence=true -X linger.ms=50

step 'simple consumer (ListOffsets + Fetch, no group)'
run kcat -b "$b" -C -t capture-none -o beginning -e -q

step 'query offsets by timestamp (ListOffsets)'
run kcat -b "$b" -Q -t capture-none:0:-1

step 'group consumer'
# Short heartbeat/commit intervals so Heartbeat and OffsetCommit are sent before the consumer exits.
run kcat -b "$b" -C -G capture-group-kcat -q -e -c 3 \
  -X auto.offset.reset=earliest -X heartbeat.interval.ms=100 -X auto.commit.interval.ms=100 \
  -X session.timeout.ms=6000 capture-none
