/*
 * sluice-perf: a small Kafka load generator on librdkafka, so the client is never the bottleneck
 * of the broker benchmarks (a JavaScript client would saturate a core long before the broker).
 *
 *   sluice-perf produce --bootstrap H:P --topic T --records N --size S
 *                       [--partition 0] [--acks 1] [--linger-ms 5] [--batch-bytes 1048576]
 *                       [--rate RECORDS_PER_S]
 *   sluice-perf consume --bootstrap H:P --topic T --records N [--partition 0]
 *   sluice-perf create  --bootstrap H:P --topic NAME --partitions P [--topics K]
 *
 * produce: N records with an S-byte value and no key to one partition, as fast as possible or at
 * --rate, compression none. Latency is librdkafka's per-message figure: from the produce() call
 * to the delivery report (so it includes time spent lingering in the client's batch).
 * consume: the legacy (group-less) consumer from the first offset until N records arrived.
 * create: one topic, or K topics NAME-0..NAME-(K-1), through CreateTopics.
 *
 * Output: one JSON object on stdout. Errors go to stderr with a non-zero exit.
 * Build: cc -O2 -o sluice-perf sluice-perf.c -lrdkafka   (Debian: librdkafka-dev)
 */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct options {
  const char *mode;
  const char *bootstrap;
  const char *topic;
  long long records;
  long size;
  int partition;
  int acks;
  int linger_ms;
  long batch_bytes;
  double rate;
  int partitions;
  int topics;
};

static void die(const char *what, const char *detail) {
  fprintf(stderr, "sluice-perf: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die(key, err);
}

static rd_kafka_conf_t *base_conf(const struct options *o) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o->bootstrap);
  set(conf, "socket.nagle.disable", "true");
  set(conf, "log_level", "3");
  return conf;
}

/* ---- produce ---- */

struct produce_state {
  uint32_t *latency_us; /* one slot per delivered record */
  long long delivered;
  long long failed;
  const char *first_error;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  struct produce_state *st = opaque;
  if (m->err) {
    if (st->failed++ == 0) st->first_error = rd_kafka_err2str(m->err);
    return;
  }
  int64_t us = rd_kafka_message_latency(m);
  st->latency_us[st->delivered++] = us < 0 ? 0 : (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us);
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double percentile_ms(const uint32_t *sorted, long long n, double p) {
  if (n == 0) return 0;
  long long i = (long long)(p * (double)(n - 1) + 0.5);
  return sorted[i] / 1000.0;
}

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

static int produce(const struct options *o) {
  char value[32];
  rd_kafka_conf_t *conf = base_conf(o);
  snprintf(value, sizeof value, "%d", o->acks);
  set(conf, "acks", value);
  snprintf(value, sizeof value, "%d", o->linger_ms);
  set(conf, "linger.ms", value);
  snprintf(value, sizeof value, "%ld", o->batch_bytes);
  set(conf, "batch.size", value);
  /* librdkafka also caps a batch by count (default 10,000) and by message.max.bytes; lift both so
   * batch.size is the limit, as in the Java producer. */
  set(conf, "batch.num.messages", "1000000");
  snprintf(value, sizeof value, "%ld", o->batch_bytes + 4096);
  set(conf, "message.max.bytes", value);
  set(conf, "compression.codec", "none");
  set(conf, "enable.idempotence", "false");
  set(conf, "queue.buffering.max.messages", "2000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");

  struct produce_state st = {0};
  st.latency_us = malloc(sizeof(uint32_t) * (size_t)o->records);
  if (!st.latency_us) die("out of memory", NULL);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);

  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);

  /* Metadata first, so connection set-up is not timed. */
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (merr) die("metadata", rd_kafka_err2str(merr));
  rd_kafka_metadata_destroy(md);

  char *payload = malloc((size_t)o->size);
  if (!payload) die("out of memory", NULL);
  for (long i = 0; i < o->size; i++) payload[i] = (char)('a' + i % 26);

  double start = now_s();
  for (long long i = 0; i < o->records; i++) {
    if (o->rate > 0) {
      double due = start + (double)i / o->rate;
      double ahead = due - now_s();
      /* Sleep only when ahead by more than 0.2 ms: records leave in small bursts, which the
       * linger window aggregates anyway, and the generator does not spin on a shared core. */
      if (ahead > 0.0002) {
        rd_kafka_poll(rk, 0);
        sleep_s(ahead);
      }
    }
    /* The payload is shared and outlives the producer: no copy, no free. */
    while (rd_kafka_produce(rkt, o->partition, 0, payload, (size_t)o->size, NULL, 0, NULL) != 0) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(e));
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 50);
  double seconds = now_s() - start;

  if (st.failed > 0) {
    fprintf(stderr, "sluice-perf: %lld records failed, first error: %s\n", st.failed, st.first_error);
  }
  qsort(st.latency_us, (size_t)st.delivered, sizeof(uint32_t), compare_u32);
  double rps = (double)st.delivered / seconds;
  printf("{\"mode\":\"produce\",\"records\":%lld,\"failed\":%lld,\"seconds\":%.4f,"
         "\"records_per_s\":%.1f,\"mb_per_s\":%.2f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
         "\"p999_ms\":%.3f,\"max_ms\":%.3f}\n",
         st.delivered, st.failed, seconds, rps, rps * (double)o->size / 1e6,
         percentile_ms(st.latency_us, st.delivered, 0.50),
         percentile_ms(st.latency_us, st.delivered, 0.99),
         percentile_ms(st.latency_us, st.delivered, 0.999),
         st.delivered ? st.latency_us[st.delivered - 1] / 1000.0 : 0.0);

  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(payload);
  free(st.latency_us);
  return st.failed > 0 ? 1 : 0;
}

/* ---- consume ---- */

struct consume_state {
  long long records;
  long long bytes;
  long long errors;
};

static void on_message(rd_kafka_message_t *m, void *opaque) {
  struct consume_state *st = opaque;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && st->errors++ == 0) {
      fprintf(stderr, "sluice-perf: consume error: %s\n", rd_kafka_message_errstr(m));
    }
    return;
  }
  st->records++;
  st->bytes += (long long)m->len;
}

static int consume(const struct options *o) {
  rd_kafka_conf_t *conf = base_conf(o);
  /* Kafka's consumer perf test fetches 1 MiB per partition; keep up to 256 MiB queued locally. */
  set(conf, "fetch.message.max.bytes", "1048576");
  set(conf, "queued.max.messages.kbytes", "262144");
  set(conf, "queued.min.messages", "1000000");
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
  if (rd_kafka_topic_conf_set(tconf, "auto.commit.enable", "false", err, sizeof err) != RD_KAFKA_CONF_OK) {
    die("auto.commit.enable", err);
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, tconf);
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (merr) die("metadata", rd_kafka_err2str(merr));
  rd_kafka_metadata_destroy(md);

  struct consume_state st = {0};
  double start = now_s();
  if (rd_kafka_consume_start(rkt, o->partition, RD_KAFKA_OFFSET_BEGINNING) != 0) {
    die("consume_start", rd_kafka_err2str(rd_kafka_last_error()));
  }
  double deadline = start + 120;
  while (st.records < o->records && st.errors == 0) {
    rd_kafka_consume_callback(rkt, o->partition, 100, on_message, &st);
    if (now_s() > deadline) die("consume", "timed out after 120 s");
  }
  double seconds = now_s() - start;
  rd_kafka_consume_stop(rkt, o->partition);
  double rps = (double)st.records / seconds;
  printf("{\"mode\":\"consume\",\"records\":%lld,\"seconds\":%.4f,\"records_per_s\":%.1f,"
         "\"mb_per_s\":%.2f}\n",
         st.records, seconds, rps, (double)st.bytes / seconds / 1e6);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return st.errors > 0 ? 1 : 0;
}

/* ---- create ---- */

static int create(const struct options *o) {
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, base_conf(o), err, sizeof err);
  if (!rk) die("rd_kafka_new", err);
  int count = o->topics > 0 ? o->topics : 1;
  rd_kafka_NewTopic_t **topics = calloc((size_t)count, sizeof *topics);
  char name[256];
  for (int i = 0; i < count; i++) {
    if (o->topics > 0) snprintf(name, sizeof name, "%s-%d", o->topic, i);
    else snprintf(name, sizeof name, "%s", o->topic);
    topics[i] = rd_kafka_NewTopic_new(name, o->partitions, 1, err, sizeof err);
    if (!topics[i]) die("NewTopic", err);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  double start = now_s();
  rd_kafka_CreateTopics(rk, topics, (size_t)count, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
  if (!ev) die("CreateTopics", "no answer in 60 s");
  if (rd_kafka_event_error(ev)) die("CreateTopics", rd_kafka_event_error_string(ev));
  size_t n;
  const rd_kafka_topic_result_t **results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    if (rd_kafka_topic_result_error(results[i])) {
      if (failed++ == 0) {
        fprintf(stderr, "sluice-perf: create %s: %s\n", rd_kafka_topic_result_name(results[i]),
                rd_kafka_topic_result_error_string(results[i]));
      }
    }
  }
  printf("{\"mode\":\"create\",\"topics\":%zu,\"failed\":%d,\"seconds\":%.4f}\n", n, failed,
         now_s() - start);
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy_array(topics, (size_t)count);
  free(topics);
  rd_kafka_destroy(rk);
  return failed > 0 ? 1 : 0;
}

int main(int argc, char **argv) {
  struct options o = {0};
  o.acks = 1;
  o.linger_ms = 5;
  o.batch_bytes = 1048576;
  o.size = 100;
  o.partitions = 1;
  if (argc < 2) die("usage", "sluice-perf produce|consume|create --bootstrap H:P --topic T ...");
  o.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) die("missing value for", k);
    const char *v = argv[++i];
    if (!strcmp(k, "--bootstrap")) o.bootstrap = v;
    else if (!strcmp(k, "--topic")) o.topic = v;
    else if (!strcmp(k, "--records")) o.records = atoll(v);
    else if (!strcmp(k, "--size")) o.size = atol(v);
    else if (!strcmp(k, "--partition")) o.partition = atoi(v);
    else if (!strcmp(k, "--acks")) o.acks = atoi(v);
    else if (!strcmp(k, "--linger-ms")) o.linger_ms = atoi(v);
    else if (!strcmp(k, "--batch-bytes")) o.batch_bytes = atol(v);
    else if (!strcmp(k, "--rate")) o.rate = atof(v);
    else if (!strcmp(k, "--partitions")) o.partitions = atoi(v);
    else if (!strcmp(k, "--topics")) o.topics = atoi(v);
    else die("unknown option", k);
  }
  if (!o.bootstrap || !o.topic) die("usage", "--bootstrap and --topic are required");
  if (!strcmp(o.mode, "produce")) {
    if (o.records <= 0 || o.size <= 0) die("usage", "--records and --size must be positive");
    return produce(&o);
  }
  if (!strcmp(o.mode, "consume")) {
    if (o.records <= 0) die("usage", "--records must be positive");
    return consume(&o);
  }
  if (!strcmp(o.mode, "create")) return create(&o);
  die("unknown mode", o.mode);
  return 1;
}
