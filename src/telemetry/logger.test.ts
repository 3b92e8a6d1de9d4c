import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, formatTextLine, MemoryLogger, silentLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) } };
}

describe('createLogger', () => {
  it('writes JSON lines with message, fields, name and child bindings', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'broker', destination });
    log.child({ conn: 7 }).warn('closing connection', { remote: '127.0.0.1:5000' });
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(rec.msg, 'closing connection');
    assert.equal(rec.level, 40);
    assert.equal(rec.name, 'broker');
    assert.equal(rec.conn, 7);
    assert.equal(rec.remote, '127.0.0.1:5000');
  });

  it('filters by level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'warn', destination });
    log.info('hidden');
    log.error('shown');
    assert.equal(lines.length, 1);
    assert.equal(log.isLevelEnabled('info'), false);
    assert.equal(log.isLevelEnabled('error'), true);
  });

  it('writes readable text lines in text format, with error stacks', () => {
    const { lines, destination } = capture();
    const log = createLogger({ format: 'text', destination, name: 'sluice' });
    log.info('listening', { host: '127.0.0.1', port: 9092, note: 'two words' });
    log.error('failed', { err: new Error('boom') });
    assert.match(
      lines[0]!,
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[sluice\] listening host=127\.0\.0\.1 port=9092 note="two words"\n$/,
    );
    assert.match(lines[1]!, /ERROR \[sluice\] failed\nError: boom\n {4}at /);
  });

  it('passes through a line that is not JSON', () => {
    assert.equal(formatTextLine('plain'), 'plain');
  });
});

describe('MemoryLogger', () => {
  it('captures records with bindings and respects its level', () => {
    const log = new MemoryLogger('info');
    log.debug('dropped');
    log.child({ conn: 1 }).warn('kept', { a: 2 });
    assert.deepEqual(log.records, [{ level: 'warn', message: 'kept', fields: { conn: 1, a: 2 } }]);
    assert.equal(log.atLeast('error').length, 0);
  });

  it('silentLogger records nothing', () => {
    const log = silentLogger();
    log.error('x');
    assert.equal(log.isLevelEnabled('fatal'), false);
  });
});
