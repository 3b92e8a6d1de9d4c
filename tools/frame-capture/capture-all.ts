// Re-captures the Kafka request fixtures: for each client, starts the capture tool (main.ts) on a
// free port, runs that client's driver script against it, then stops the tool.
//
//   node tools/frame-capture/capture-all.ts [--out test/fixtures/kafka] [--clients kcat,kafkajs]
//
// Each client's folder is emptied first, so a run replaces that client's fixtures entirely.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readManifest } from './capture-store.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const node = process.execPath;

interface ClientSpec {
  name: string;
  version: () => string;
  command: (bootstrap: string) => [string, ...string[]];
}

function packageVersion(pkg: string): string {
  const json = JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  return json.version;
}

function output(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  }).trim();
}

function makeClients(python: string): ClientSpec[] {
  return [
    {
      name: 'kcat',
      version: () => {
        const m = /Version (\S+) .*librdkafka (\S+)/.exec(output('kcat', ['-V']));
        return m ? `${m[1]} (librdkafka ${m[2]})` : 'unknown';
      },
      command: (b) => ['bash', join(here, 'clients', 'kcat.sh'), b],
    },
    {
      name: 'confluent-kafka-python',
      version: () =>
        output(python, [
          '-c',
          'import confluent_kafka as c; print(f"{c.version()[0]} (librdkafka {c.libversion()[0]})")',
        ]),
      command: (b) => [python, join(here, 'clients', 'confluent-kafka-python.py'), b],
    },
    {
      name: 'kafka-python',
      version: () => output(python, ['-c', 'import kafka; print(kafka.__version__)']),
      command: (b) => [python, join(here, 'clients', 'kafka-python.py'), b],
    },
    {
      name: 'kafkajs',
      version: () => packageVersion('kafkajs'),
      command: (b) => [node, join(here, 'clients', 'kafkajs.ts'), b],
    },
    {
      name: 'platformatic-kafka',
      version: () => packageVersion('@platformatic/kafka'),
      command: (b) => [node, join(here, 'clients', 'platformatic-kafka.ts'), b],
    },
  ];
}

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string): void {
  let pending = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) console.log(`${prefix}${line}`);
  });
}

/** Resolves with the exit code, killing the whole process group after `timeoutMs`. */
function waitExit(child: ChildProcess, timeoutMs: number, what: string): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.log(`[capture-all] ${what} overran ${timeoutMs} ms; killing it`);
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function startTool(
  out: string,
  client: string,
  version: string,
): Promise<{ tool: ChildProcess; port: number }> {
  const tool = spawn(
    node,
    [
      join(here, 'main.ts'),
      '--port',
      '0',
      '--out',
      out,
      '--client',
      client,
      '--client-version',
      version,
      '--fresh',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  prefixLines(tool.stderr, `[tool ${client}] `);
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('capture tool did not start within 10 s')), 10_000);
    tool.stdout?.setEncoding('utf8');
    tool.stdout?.on('data', (chunk: string) => {
      seen += chunk;
      const m = /listening on [\d.]+:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
      for (const line of chunk.split('\n')) if (line) console.log(`[tool ${client}] ${line}`);
    });
    tool.once('exit', (code) => reject(new Error(`capture tool exited early (${code})`)));
  });
  return { tool, port };
}

async function captureClient(spec: ClientSpec, out: string, timeoutMs: number): Promise<void> {
  let version: string;
  try {
    version = spec.version();
  } catch (err) {
    console.log(`[capture-all] ${spec.name}: not available (${String(err).split('\n')[0]}); skipped`);
    return;
  }
  console.log(`[capture-all] ${spec.name} ${version}`);
  const { tool, port } = await startTool(out, spec.name, version);
  const toolExit = waitExit(tool, timeoutMs + 20_000, 'capture tool');
  const [cmd, ...args] = spec.command(`127.0.0.1:${port}`);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: repo });
  prefixLines(child.stdout, `[${spec.name}] `);
  prefixLines(child.stderr, `[${spec.name}] `);
  const code = await waitExit(child, timeoutMs, spec.name);
  console.log(`[capture-all] ${spec.name} driver exited with ${code}`);
  killGroup(child, 'SIGKILL'); // stray grandchildren (kcat under timeout)
  killGroup(tool, 'SIGTERM');
  await toolExit;
  const files = Object.keys(readManifest(join(out, spec.name)));
  console.log(`[capture-all] ${spec.name}: ${files.length} fixtures: ${files.join(' ')}`);
}

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(repo, 'test', 'fixtures', 'kafka') },
    clients: { type: 'string' },
    python: { type: 'string', default: process.env.PYTHON ?? '/usr/bin/python3' },
    'timeout-ms': { type: 'string', default: '120000' },
  },
});
const all = makeClients(values.python);
const wanted = values.clients ? values.clients.split(',') : all.map((c) => c.name);
for (const name of wanted) {
  const spec = all.find((c) => c.name === name);
  if (!spec) throw new Error(`unknown client ${name}; known: ${all.map((c) => c.name).join(', ')}`);
  await captureClient(spec, values.out, Number(values['timeout-ms']));
}
