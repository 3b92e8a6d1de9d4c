// Child process of crash.test.ts: appends deterministic batches to a SegmentLog opened with
// flushBeforeAck, and prints `ack <id> <baseOffset> <lastOffset>` once each append has resolved
// (so it is fsynced). The parent SIGKILLs it at a random moment. Usage: crash-writer.ts <dir> <firstId>
import { SegmentLog } from '../../../src/storage/index.ts';
import { crashBatch } from './crash-batches.ts';

const [dir, firstIdText] = process.argv.slice(2);
if (!dir || !firstIdText) throw new Error('usage: crash-writer.ts <dir> <firstId>');
const log = await SegmentLog.open(dir, { config: { flushBeforeAck: true, segmentBytes: 48 * 1024 } });
process.stdout.write(`ready ${log.logEndOffset}\n`);
for (let id = Number(firstIdText); ; id++) {
  const batches = id % 4 === 0 ? Buffer.concat([crashBatch(id), crashBatch(id + 0.5)]) : crashBatch(id);
  const r = await log.append(batches);
  // Pipes are written synchronously on Linux: once this returns, the parent will see the line.
  process.stdout.write(`ack ${id} ${r.baseOffset} ${r.lastOffset}\n`);
}
