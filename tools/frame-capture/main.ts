// Frame-capture tool: a fake single-node Kafka broker that records the request frames real clients
// send, as fixture files for codec tests.
//
//   node tools/frame-capture/main.ts --port 19092 --out test/fixtures/kafka --client kcat \
//     [--client-version 1.7.1] [--partitions 1] [--fresh]
//
// Writes <out>/<client>/<api-kebab-name>-v<version>[-<variant>].bin and <out>/<client>/manifest.json.
// `--port 0` picks a free port; the chosen one is printed as `listening on 127.0.0.1:PORT`.
import { parseArgs } from 'node:util';
import { startCaptureServer } from './capture-server.ts';
import { CaptureStore } from './capture-store.ts';
import { FakeBroker } from './fake-broker.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '19092' },
    out: { type: 'string' },
    client: { type: 'string' },
    'client-version': { type: 'string', default: 'unknown' },
    partitions: { type: 'string', default: '1' },
    fresh: { type: 'boolean', default: false },
  },
});
if (!values.out || !values.client) {
  console.error(
    'usage: main.ts --port P --out DIR --client NAME [--client-version V] [--partitions N] [--fresh]',
  );
  process.exit(2);
}

const host = values.host;
const store = new CaptureStore(values.out, values.client, values['client-version'], values.fresh);
const server = await startCaptureServer({
  host,
  port: Number(values.port),
  store,
  makeBroker: (port) => new FakeBroker({ host, port, partitions: Number(values.partitions) }),
  log: (line) => console.error(line),
});
console.log(`listening on ${host}:${server.port}; writing to ${store.dir}`);

const stop = (): void => {
  void server.close().then(() => {
    console.log(`stopped; ${store.files().length} fixtures in ${store.dir}`);
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
