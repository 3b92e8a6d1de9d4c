import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SluiceProcess, startBroker } from './sluice-process.ts';

/**
 * The system Python has python3-confluent-kafka and python3-kafka (Debian packages); a pyenv shim
 * earlier on PATH may not.
 */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Directory of the client scripts the interoperability tests run (`clients/*.py`). */
export const CLIENTS_DIR = fileURLToPath(new URL('../kafka/clients/', import.meta.url));

/** Runs a command with `input` on stdin; resolves with its output, rejects with stderr on a non-zero exit. */
export function runWithInputAndStderr(
  cmd: string,
  args: readonly string[],
  input: string,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    // 'close', not 'exit': it comes after stdout and stderr are fully read.
    child.on('close', (code) =>
      code === 0 ? resolve({ stdout: out, stderr: err }) : reject(new Error(`${cmd} exited ${code}: ${err}`)),
    );
    child.stdin.end(input);
  });
}

/** Runs a command with `input` on stdin; resolves with stdout, rejects with stderr on a non-zero exit. */
export async function runWithInput(cmd: string, args: readonly string[], input: string): Promise<string> {
  return (await runWithInputAndStderr(cmd, args, input)).stdout;
}

/** One record as produced: raw key, value and headers (header order kept, names as strings). */
export interface InteropRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: readonly (readonly [string, Buffer])[];
}

/** Where the producing client said a record went (delivery report / send result), in produce order. */
export interface Delivery {
  /** Index of the record in the produced list. */
  readonly index: number;
  readonly partition: number;
  readonly offset: number;
}

/** One record as the consuming client returned it. */
export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: readonly (readonly [string, Buffer])[];
}

/** A small deterministic generator (xorshift32), so a failing run can be reproduced exactly. */
function generator(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function seedOf(label: string): number {
  let h = 2166136261;
  for (const c of Buffer.from(label)) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h;
}

const PRINTABLE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=+/';

export interface RecordShape {
  /** Printable bytes only (no ':', '|' or newline), for clients fed through text (kcat). */
  readonly printable?: boolean;
  /** Per-record headers: none, or a varying set (some records none, some an empty value). */
  readonly headers?: boolean;
}

/**
 * `count` records labelled `label`: unique keys, values from 0 to ~700 bytes mixing random bytes
 * (incompressible) and repeated runs (compressible), so every codec does real work and batches
 * hold records of very different sizes.
 */
export function makeRecords(label: string, count: number, shape: RecordShape = {}): InteropRecord[] {
  const next = generator(seedOf(label));
  const bytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    if (shape.printable) {
      for (let i = 0; i < n; i++) b[i] = PRINTABLE.charCodeAt(next() % PRINTABLE.length);
    } else {
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
    }
    return b;
  };
  const out: InteropRecord[] = [];
  for (let i = 0; i < count; i++) {
    const key = shape.printable
      ? Buffer.from(`${label}-${i}-${bytes(4).toString('latin1')}`)
      : Buffer.concat([Buffer.from(`${label}-${i}-`), bytes(3)]);
    const len = next() % 700;
    const value =
      i % 3 === 0
        ? Buffer.from(
            bytes(Math.min(len, 7))
              .toString('latin1')
              .repeat(1 + (len >> 3))
              .slice(0, len),
            'latin1',
          )
        : bytes(len);
    const headers: [string, Buffer][] = [];
    if (shape.headers && i % 5 !== 0) {
      headers.push(['seq', Buffer.from(String(i))]);
      headers.push(['blob', bytes(next() % 40)]);
      if (i % 7 === 0) headers.push(['empty', Buffer.alloc(0)]);
    }
    out.push({ key, value, headers });
  }
  return out;
}

/** Records as JSON for the Python client scripts: key, value and header values in base64. */
export function recordsToJson(records: readonly InteropRecord[]): unknown[] {
  return records.map((r) => [
    r.key.toString('base64'),
    r.value.toString('base64'),
    r.headers.map(([k, v]) => [k, v.toString('base64')]),
  ]);
}

/** Consumed records as the Python client scripts print them: [partition, offset, key, value, headers]. */
export function consumedFromJson(rows: readonly unknown[]): ConsumedRecord[] {
  return (rows as [number, number, string | null, string | null, [string, string | null][] | null][]).map(
    ([partition, offset, key, value, headers]) => ({
      partition,
      offset,
      key: Buffer.from(key ?? '', 'base64'),
      value: Buffer.from(value ?? '', 'base64'),
      headers: (headers ?? []).map(([k, v]) => [k, Buffer.from(v ?? '', 'base64')] as const),
    }),
  );
}

function describeRecord(r: {
  key: Buffer;
  value: Buffer;
  headers: readonly (readonly [string, Buffer])[];
}): string {
  const hs = r.headers.map(([k, v]) => `${k}=${v.toString('hex')}`).join(',');
  return `key=${r.key.toString('hex')} value(${r.value.length})=${r.value.toString('hex').slice(0, 80)} headers=[${hs}]`;
}

function sameRecord(a: InteropRecord, b: ConsumedRecord, withHeaders: boolean): boolean {
  if (!a.key.equals(b.key) || !a.value.equals(b.value)) return false;
  if (!withHeaders) return true;
  if (a.headers.length !== b.headers.length) return false;
  return a.headers.every(([k, v], i) => b.headers[i]![0] === k && v.equals(b.headers[i]![1]));
}

export interface RoundTripOptions {
  readonly partitions: number;
  /** Compare headers too (false for clients that do not return them). */
  readonly headers: boolean;
  /** The partition the client's partitioner chose for record `index`, where known separately. */
  readonly chosenPartition?: (index: number) => number;
  /** Every partition must get at least one record (keys spread), true unless said otherwise. */
  readonly spread?: boolean;
}

/**
 * The interoperability check: every produced record was acknowledged once, at the partition the
 * client reported (and chose), with offsets increasing in produce order within each partition; the
 * consumer returned, per partition and in offset order, exactly those records with the same bytes
 * at the same offsets, and nothing else; each partition's offsets run 0..n-1 without a gap.
 */
export function assertRoundTrip(
  name: string,
  records: readonly InteropRecord[],
  deliveries: readonly Delivery[],
  consumed: readonly ConsumedRecord[],
  options: RoundTripOptions,
): void {
  assert.equal(deliveries.length, records.length, `${name}: one delivery report per record`);
  const byIndex = new Map<number, Delivery>();
  for (const d of deliveries) {
    assert.ok(!byIndex.has(d.index), `${name}: record ${d.index} reported twice`);
    assert.ok(d.partition >= 0 && d.partition < options.partitions, `${name}: partition ${d.partition}`);
    byIndex.set(d.index, d);
  }
  const expected = new Map<number, { offset: number; index: number }[]>();
  for (let i = 0; i < records.length; i++) {
    const d = byIndex.get(i);
    assert.ok(d !== undefined, `${name}: record ${i} has no delivery report`);
    if (options.chosenPartition) {
      assert.equal(
        d.partition,
        options.chosenPartition(i),
        `${name}: record ${i} went where the partitioner chose`,
      );
    }
    const list = expected.get(d.partition) ?? [];
    const prev = list.at(-1);
    assert.ok(
      prev === undefined || d.offset > prev.offset,
      `${name}: partition ${d.partition}: record ${i} acknowledged at ${d.offset}, not after record ${prev?.index} at ${prev?.offset}`,
    );
    list.push({ offset: d.offset, index: i });
    expected.set(d.partition, list);
  }
  if (options.spread !== false) {
    assert.equal(expected.size, options.partitions, `${name}: keys spread over every partition`);
  }
  const got = new Map<number, ConsumedRecord[]>();
  for (const c of consumed) {
    const list = got.get(c.partition) ?? [];
    list.push(c);
    got.set(c.partition, list);
  }
  for (let p = 0; p < options.partitions; p++) {
    const want = expected.get(p) ?? [];
    const have = got.get(p) ?? [];
    assert.equal(have.length, want.length, `${name}: partition ${p} holds exactly the acknowledged records`);
    for (let j = 0; j < want.length; j++) {
      const w = want[j]!;
      const h = have[j]!;
      assert.equal(h.offset, j, `${name}: partition ${p}: offsets run 0..n-1 in consumption order`);
      assert.equal(
        h.offset,
        w.offset,
        `${name}: partition ${p}: record ${w.index} at its acknowledged offset`,
      );
      const r = records[w.index]!;
      if (!sameRecord(r, h, options.headers)) {
        assert.fail(
          `${name}: partition ${p} offset ${h.offset}: record ${w.index} differs\n  produced ${describeRecord(r)}\n  consumed ${describeRecord(h)}`,
        );
      }
    }
  }
}

/** A client process spoken to in JSON lines: write requests to its stdin, read answers from stdout. */
export interface LineClient {
  send(line: string): void;
  /** The next stdout line parsed as JSON; rejects if the process exits first. */
  next(): Promise<Record<string, unknown>>;
  /** Resolves once the process exits 0; rejects with its stderr otherwise. */
  readonly exited: Promise<void>;
  /** Kills the process if it is still running (cleanup after a failure). */
  kill(): void;
}

export function startLineClient(cmd: string, args: readonly string[]): LineClient {
  const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  let err = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    // Answers can be megabytes on one line: look for newlines in the new chunk only.
    let start = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
      lines.push(buffered + s.slice(start, nl));
      buffered = '';
      start = nl + 1;
    }
    buffered += s.slice(start);
    wake?.();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      wake?.();
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${err}`));
    });
  });
  exited.catch(() => {});
  return {
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    async next() {
      for (;;) {
        const line = lines.shift();
        if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
        if (ended) {
          await exited;
          throw new Error(`${cmd} exited without answering; stderr:\n${err}`);
        }
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = null;
            resolve();
          };
        });
      }
    },
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs a client script that reads one JSON request and prints one JSON answer. */
export async function runJsonClient(
  cmd: string,
  args: readonly string[],
  request: unknown,
): Promise<Record<string, unknown>> {
  const out = await runWithInput(cmd, args, `${JSON.stringify(request)}\n`);
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

/**
 * Stops `proc` with SIGTERM (asserting a clean exit) and starts a broker on the same data
 * directory and the same port, so clients that know the old address reconnect to the new process.
 */
export async function restartOnSamePort(
  proc: SluiceProcess,
  port: number,
  dataDir: string,
): Promise<SluiceProcess> {
  const code = await proc.stop();
  assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  const next = await startBroker([
    '--override',
    `log.dirs=${dataDir}`,
    '--override',
    `listeners=PLAINTEXT://127.0.0.1:${port}`,
  ]);
  assert.equal(next.port, port, 'restarted on the same port');
  return next.proc;
}
