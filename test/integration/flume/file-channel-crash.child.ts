// Driven by file-channel-crash.test.ts, run as its own process so the test can SIGKILL it at any
// moment. Reads "<root dir> <run number>" on stdin, opens a file channel under the root (two data
// dirs, 1 MiB log files, checkpoints every 20 ms so they race the kill), then puts and takes
// forever from concurrent transactions. It prints, each line written before the next step starts:
//   "putting <ids>"  before a put commit;   "put <ids>"  after it resolved;
//   "taking <ids>"   before a take commit;  "took <ids>" after it resolved.
import { join } from 'node:path';
import { flumeEvent } from '../../../src/flume/api/event.ts';
import { FileChannel } from '../../../src/flume/channels/file-channel.ts';

export function crashChannel(root: string): FileChannel {
  return new FileChannel('crash', {
    checkpointDir: join(root, 'checkpoint'),
    dataDirs: [join(root, 'data1'), join(root, 'data2')],
    useDualCheckpoints: true,
    backupCheckpointDir: join(root, 'backup'),
    capacity: 100_000,
    transactionCapacity: 50,
    checkpointIntervalMs: 20,
    maxFileSize: 1,
    minimumRequiredSpace: 0,
    keepAliveMs: 5,
  });
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(line: string): Promise<void> {
  const [root, run] = line.split(' ') as [string, string];
  const channel = crashChannel(root);
  await channel.start();
  out('ready');
  let next = 0;
  const producer = async () => {
    for (;;) {
      const ids = Array.from({ length: 1 + (next % 7) }, () => `${run}-${next++}`);
      const tx = channel.getTransaction();
      tx.begin();
      // Bodies of up to ~6 KiB so the 1 MiB log files roll and get deleted during the run.
      for (const id of ids) tx.put(flumeEvent(`${id}|${'x'.repeat((next * 37) % 6000)}`, { id }));
      if (next % 11 === 0) {
        tx.rollback();
      } else {
        out(`putting ${ids.join(',')}`);
        await tx.commit();
        out(`put ${ids.join(',')}`);
      }
      tx.close();
    }
  };
  const consumer = async (n: number) => {
    for (let i = 0; ; i++) {
      const tx = channel.getTransaction();
      tx.begin();
      const ids: string[] = [];
      for (let k = 0; k < n; k++) {
        const e = await tx.take();
        if (e === null) break;
        ids.push(e.headers.id!);
      }
      if (i % 5 === 0) {
        tx.rollback();
      } else {
        out(`taking ${ids.join(',')}`);
        await tx.commit();
        out(`took ${ids.join(',')}`);
      }
      tx.close();
    }
  };
  await Promise.all([producer(), producer(), producer(), consumer(5), consumer(3)]);
}

async function readLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  throw new Error('file-channel-crash.child.ts: expected "<root> <run>" on stdin');
}

if (import.meta.main) await main(await readLine());
