// Test helper for wal-crash.test.ts, run as its own process so the test can SIGKILL it at any
// moment. Reads "<log directory> <preallocateBytes>" as one line on stdin, opens the log there, then
// appends forever from several concurrent appenders,
// printing "ack <seq>" once each append is acknowledged (durable) and "trunc <seq>" before each
// truncateBefore(seq). Payloads are a pure function of the seq, so the test can verify every byte.
import { WriteAheadLog } from './write-ahead-log.ts';

export function crashPayload(seq: number): Buffer {
  let x = (seq * 2654435761) >>> 0;
  const length = x % 1500;
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const crashOptions = { fileBytesMax: 64 * 1024, recordBytesMax: 1500 } as const;

async function main(line: string): Promise<void> {
  const at = line.lastIndexOf(' ');
  const dir = line.slice(0, at);
  const wal = await WriteAheadLog.open(dir, {
    ...crashOptions,
    preallocateBytes: Number(line.slice(at + 1)),
  });
  process.stdout.write(`ready ${wal.nextSeq}\n`);
  let acked = 0;
  const appender = async () => {
    for (;;) {
      const expected = wal.nextSeq;
      const seq = await wal.append(crashPayload(expected));
      if (seq !== expected) throw new Error(`seq ${seq}, expected ${expected}`);
      process.stdout.write(`ack ${seq}\n`);
      if (++acked % 400 === 0) {
        const before = seq - 300;
        process.stdout.write(`trunc ${before}\n`);
        await wal.truncateBefore(before);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, appender));
}

async function readLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  throw new Error('wal-crash.child.ts: expected the log directory on stdin');
}

if (import.meta.main) await main(await readLine());
