import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { SLUICE_BIN, type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/** What a finished `bin/sluice` run left behind. */
export interface ToolRun {
  readonly code: number | string;
  /** Raw bytes, for byte-for-byte comparisons. */
  readonly stdoutBytes: Buffer;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/sluice <args>` to completion, feeding `stdin` (closed at its end) when given. */
export function runSluice(args: readonly string[], stdin?: Buffer | string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(SLUICE_BIN, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({
        code: code ?? String(signal),
        stdoutBytes: bytes,
        stdout: bytes.toString('utf8'),
        stderr: err,
      });
    });
    child.stdin.on('error', () => {
      // the tool may exit before reading all of its input (for example on a usage error)
    });
    child.stdin.end(stdin ?? '');
  });
}

/** Kafka API names the broker advertises in ApiVersions. */
export async function advertisedApis(bootstrap: string): Promise<Set<string>> {
  const admin = new Admin({ clientId: 'api-probe', bootstrapBrokers: [bootstrap], retries: 0 });
  try {
    return new Set((await admin.listApis()).map((a) => a.name));
  } finally {
    await admin.close();
  }
}

/** A broker per test file, with helpers for the tool tests. */
export interface ToolBroker {
  /** `['--bootstrap-server', '127.0.0.1:<port>']`. */
  bootstrapArgs(): string[];
  /** Skips the test (saying why) unless the broker advertises every API named; true when all are there. */
  needs(t: TestContext, ...names: string[]): boolean;
  /** Whether the broker advertises an API. */
  has(name: string): boolean;
  /** `sluice topics --create`, asserting Kafka's "Created topic" line. */
  createTopic(topic: string, partitions?: number, extra?: string[]): Promise<void>;
}

/** Registers before/after hooks that run a `bin/sluice broker` with its own data directory. */
export function useBroker(): ToolBroker {
  let broker: SluiceProcess;
  let bootstrap = '';
  let dataDir = '';
  let apis = new Set<string>();

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-tools-'));
    const started = await startBroker(['--override', `log.dirs=${dataDir}`]);
    broker = started.proc;
    bootstrap = `127.0.0.1:${started.port}`;
    apis = await advertisedApis(bootstrap);
  });

  after(async () => {
    const code = await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${broker.stderr()}`);
  });

  const bootstrapArgs = () => ['--bootstrap-server', bootstrap];
  return {
    bootstrapArgs,
    has: (name) => apis.has(name),
    needs(t, ...names) {
      const missing = names.filter((n) => !apis.has(n));
      if (missing.length > 0) t.skip(`needs ${missing.join(', ')} in the broker`);
      return missing.length === 0;
    },
    async createTopic(topic, partitions = 1, extra = []) {
      const r = await runSluice([
        'topics',
        ...bootstrapArgs(),
        '--create',
        '--topic',
        topic,
        '--partitions',
        String(partitions),
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Created topic ${topic}.\n`);
    },
  };
}
