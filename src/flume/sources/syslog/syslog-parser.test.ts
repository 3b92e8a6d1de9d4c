import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SyslogFramer } from './syslog-framer.ts';
import { parseKeepFields, STATUS_HEADER, SyslogParser } from './syslog-parser.ts';

const NOW = new Date(2026, 5, 15, 12, 0, 0).getTime();
const parse = (line: string | Buffer, keepFields?: string, incomplete = false) => {
  const buf = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  const e = new SyslogParser({ keepFields: parseKeepFields(keepFields), now: () => NOW }).parse(
    buf,
    0,
    buf.length,
    incomplete,
  );
  return { headers: e.headers, body: e.body.toString('latin1') };
};

describe('syslog parser', () => {
  it('RFC 3164: Facility, Severity, priority, timestamp (this year, local time), host; body after the host', () => {
    assert.deepEqual(parse('<13>Jun  2 10:04:05 web-1.example app[42]: hello world'), {
      headers: {
        Facility: '1',
        Severity: '5',
        priority: '13',
        timestamp: String(new Date(2026, 5, 2, 10, 4, 5).getTime()),
        host: 'web-1.example',
      },
      body: 'app[42]: hello world',
    });
    // A date more than a month ahead is last year's; more than eleven months back is next year's.
    assert.equal(
      parse('<13>Dec 24 10:00:00 h x').headers.timestamp,
      String(new Date(2025, 11, 24, 10).getTime()),
    );
    assert.equal(parse('<13>Jul  1 00:00:00 h x').headers.timestamp, String(new Date(2026, 6, 1).getTime()));
  });

  it('RFC 5424: version, zoned and local timestamps, fractions as fractions of a second, nil host', () => {
    const e = parse('<165>1 2003-08-24T05:14:15.5-07:00 192.0.2.1 myproc 8710 - - %% It');
    assert.deepEqual(e.headers, {
      Facility: '20',
      Severity: '5',
      priority: '165',
      version: '1',
      timestamp: String(Date.UTC(2003, 7, 24, 12, 14, 15, 500)),
      host: '192.0.2.1',
    });
    assert.equal(e.body, 'myproc 8710 - - %% It');
    assert.equal(
      parse('<34>1 2003-10-11T22:14:15.003123Z mymachine su - ID47 - m').headers.timestamp,
      String(Date.UTC(2003, 9, 11, 22, 14, 15, 3)),
    );
    assert.equal(
      parse('<34>1 2003-10-11T22:14:15 h m').headers.timestamp,
      String(new Date(2003, 9, 11, 22, 14, 15).getTime()),
    );
    assert.deepEqual(parse('<34>1 - - body'), {
      headers: { Facility: '4', Severity: '2', priority: '34', version: '1' },
      body: 'body',
    });
  });

  it('no valid <PRI>: Facility 0, Severity 0, status Invalid, the raw line as body', () => {
    for (const line of ['no pri at all', '<>x', '<1000>x', '<1a>x', '<13', '\u0000\u00ff<13>x']) {
      assert.deepEqual(parse(line), {
        headers: { Facility: '0', Severity: '0', [STATUS_HEADER]: 'Invalid' },
        body: line,
      });
    }
  });

  it('a valid <PRI> with neither format keeps the raw line; up to 3 digits are valid, as in Flume', () => {
    assert.deepEqual(parse('<999>free text'), {
      headers: { Facility: '124', Severity: '7' },
      body: '<999>free text',
    });
    // Java's `.` refuses a carriage return: such a line matches no format.
    assert.equal(parse('<13>Jun  2 10:04:05 h body\r').body, '<13>Jun  2 10:04:05 h body\r');
    // An empty message keeps the raw line too.
    assert.equal(parse('<13>Jun  2 10:04:05 h ').body, '<13>Jun  2 10:04:05 h ');
  });

  it('keepFields: all keeps the whole message; a list prepends the named fields', () => {
    const line = '<13>1 2003-10-11T22:14:15Z host app msg';
    assert.equal(parse(line, 'all').body, line);
    assert.equal(parse(line, 'true').body, line);
    assert.equal(parse(line, 'none').body, 'app msg');
    assert.equal(parse(line, 'priority hostname').body, '<13>host app msg');
    assert.equal(
      parse(line, 'priority,version,timestamp,hostname').body,
      `<13>1 2003-10-11T22:14:15Z host app msg`,
    );
  });

  it('a message with newlines (an octet-counted frame) keeps its headers and its lines in the body', () => {
    assert.deepEqual(parse('<13>1 2003-10-11T22:14:15Z h app - - line one\nline two'), {
      headers: {
        Facility: '1',
        Severity: '5',
        priority: '13',
        version: '1',
        timestamp: String(Date.UTC(2003, 9, 11, 22, 14, 15)),
        host: 'h',
      },
      body: 'app - - line one\nline two',
    });
  });

  it('marks a message cut at the event size Incomplete', () => {
    assert.equal(parse('<13>Jun  2 10:04:05 h cut', undefined, true).headers[STATUS_HEADER], 'Incomplete');
    assert.equal(parse('cut', undefined, true).headers[STATUS_HEADER], 'Invalid');
  });

  it('property: well-formed RFC 3164 lines give their fields back', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 1, max: 28 }),
        fc.tuple(
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
          fc.integer({ min: 0, max: 59 }),
        ),
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
        fc.stringMatching(/^[\x20-\x7e]{1,80}$/),
        (pri, month, day, [h, m, s], host, msg) => {
          const p2 = (n: number) => String(n).padStart(2, '0');
          const line = `<${pri}>${months[month]} ${String(day).padStart(2, ' ')} ${p2(h)}:${p2(m)}:${p2(s)} ${host} ${msg}`;
          const e = parse(line);
          assert.equal(e.headers.Facility, String(pri >> 3));
          assert.equal(e.headers.Severity, String(pri & 7));
          assert.equal(e.headers.host, host);
          assert.equal(e.body, msg);
          const t = new Date(Number(e.headers.timestamp));
          assert.deepEqual(
            [t.getMonth(), t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()],
            [month, day, h, m, s],
          );
        },
      ),
    );
  });

  it('property: well-formed RFC 5424 lines give their fields back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.date({
          min: new Date(Date.UTC(1990, 0, 1)),
          max: new Date(Date.UTC(2090, 0, 1)),
          noInvalidDate: true,
        }),
        fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9_.@-]{0,30}$/),
        fc.stringMatching(/^[\x20-\x7e]{1,80}$/),
        (pri, date, host, msg) => {
          const e = parse(`<${pri}>1 ${date.toISOString()} ${host} ${msg}`);
          assert.equal(e.headers.priority, String(pri));
          assert.equal(e.headers.version, '1');
          assert.equal(e.headers.timestamp, String(date.getTime()));
          assert.equal(e.headers.host, host);
          assert.equal(e.body, msg);
        },
      ),
    );
  });

  it('fuzz: any bytes give an event with string headers and a body no larger than the message', () => {
    const parser = new SyslogParser({ keepFields: parseKeepFields('priority timestamp hostname') });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 200 }).map((s) => Buffer.from(`<13>${s}`)),
          fc.string({ maxLength: 200 }).map((s) => Buffer.from(`<34>1 2003-10-11T22:14:15Z ${s}`)),
        ),
        fc.boolean(),
        (bytes, incomplete) => {
          const buf = Buffer.from(bytes);
          const e = parser.parse(buf, 0, buf.length, incomplete);
          for (const v of Object.values(e.headers)) assert.equal(typeof v, 'string');
          // Kept fields come from the message itself, plus separators (at most 2) and "-" for nil ones.
          assert.ok(e.body.length <= buf.length + 4);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('syslog TCP framing', () => {
  const frame_ = (chunks: Buffer[], eventSize: number) => {
    const f = new SyslogFramer(eventSize);
    const out: { text: string; incomplete: boolean }[] = [];
    for (const c of chunks) {
      f.push(c, (buf, s, e, incomplete) => out.push({ text: buf.toString('latin1', s, e), incomplete }));
    }
    return out;
  };

  /** What the framer must give for each message, by the rules it documents. */
  const expected = (messages: readonly { text: string; counted: boolean }[], eventSize: number) => {
    const want: { text: string; incomplete: boolean }[] = [];
    for (const m of messages) {
      let rest = m.text;
      while (rest.length >= eventSize) {
        want.push({ text: rest.slice(0, eventSize), incomplete: true });
        rest = rest.slice(eventSize);
      }
      if (m.counted && rest.endsWith('\n')) rest = rest.slice(0, -1);
      if (rest.length > 0) want.push({ text: rest, incomplete: false });
    }
    return want;
  };
  const splitAt = (all: Buffer, cuts: readonly number[]) => {
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < all.length; i++) {
      const n = cuts[i % cuts.length]!;
      chunks.push(all.subarray(at, at + n));
      at += n;
    }
    return chunks;
  };
  const latin1 = fc
    .array(
      fc.oneof(
        fc.constantFrom('\n', '<', ' ', '7'),
        fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
      ),
      { maxLength: 70 },
    )
    .map((a) => a.join(''));
  const countedPrefix = /^[1-9][0-9]{0,8} </;
  // Lines, some starting with a number (not followed by "<": still newline-framed).
  const line = fc
    .oneof(
      fc.stringMatching(/^[^\n]{0,60}$/),
      latin1.map((t) => t.replaceAll('\n', '')),
      fc.tuple(fc.nat(99999), fc.stringMatching(/^[^\n]{0,30}$/)).map(([n, t]) => `${n} ${t}`),
    )
    .filter((l) => !countedPrefix.test(l))
    .map((text) => ({ text, counted: false }));
  // RFC 6587 frames: a message starting with "<", newlines allowed, sometimes a trailing one.
  const frame = fc
    .tuple(latin1, fc.boolean())
    .map(([t, nl]) => ({ text: `<${t}${nl ? '\n' : ''}`, counted: true }));

  it('property: lines and octet-counted frames split anywhere come out whole; long ones in eventSize pieces marked Incomplete', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(line, line, frame), { maxLength: 30 }),
        fc.integer({ min: 10, max: 40 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (messages, eventSize, cuts, newlineAfterFrames) => {
          const wire = messages
            .map((m) => {
              if (!m.counted) return `${m.text}\n`;
              const n = Buffer.byteLength(m.text, 'latin1');
              return `${n} ${m.text}${newlineAfterFrames ? '\n' : ''}`;
            })
            .join('');
          const all = Buffer.from(wire, 'latin1');
          assert.deepEqual(frame_(splitAt(all, cuts), eventSize), expected(messages, eventSize));
        },
      ),
    );
  });

  it('octet-counted frames (RFC 6587): multi-line messages, lengths split across reads, long frames cut', () => {
    const msg = '<13>1 2003-10-11T22:14:15Z h app - - line one\nline two';
    const wire = Buffer.from(`${msg.length} ${msg}12 <13>x hello\n9 <1>a\nb\nc\nplain line\n`, 'latin1');
    const want = [
      { text: msg, incomplete: false },
      { text: '<13>x hello', incomplete: false },
      { text: '<1>a\nb\nc', incomplete: false },
      { text: 'plain line', incomplete: false },
    ];
    for (let cut = 1; cut < wire.length; cut++) {
      assert.deepEqual(frame_([wire.subarray(0, cut), wire.subarray(cut)], 1000), want, `cut at ${cut}`);
    }
    // A frame longer than eventSize: cut into Incomplete pieces, the frame's end still honoured.
    assert.deepEqual(frame_([Buffer.from('25 <13>abcdefghijklmnopqrstu<2>next\n')], 10), [
      { text: '<13>abcdef', incomplete: true },
      { text: 'ghijklmnop', incomplete: true },
      { text: 'qrstu', incomplete: false },
      { text: '<2>next', incomplete: false },
    ]);
    // The rest of a line cut at eventSize is never read as a length, even when it looks like one.
    assert.deepEqual(frame_([Buffer.from('abcdefghij5 <13>x\n')], 10), [
      { text: 'abcdefghij', incomplete: true },
      { text: '5 <13>x', incomplete: false },
    ]);
  });

  it('fuzz: arbitrary bytes in arbitrary reads: no exception, pieces within eventSize, no more bytes out than in', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            fc.nat(200).map((n) => new TextEncoder().encode(`${n} <`)),
            fc.constant(new Uint8Array([0x0a])),
          ),
          { maxLength: 30 },
        ),
        fc.integer({ min: 10, max: 40 }),
        (parts, eventSize) => {
          const f = new SyslogFramer(eventSize);
          let inBytes = 0;
          let outBytes = 0;
          for (const p of parts) {
            inBytes += p.length;
            f.push(Buffer.from(p), (buf, s, e) => {
              assert.ok(s >= 0 && e <= buf.length && e > s && e - s <= eventSize);
              outBytes += e - s;
            });
            assert.ok(f.pending <= eventSize + 10);
          }
          assert.ok(outBytes + f.pending <= inBytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('holds at most eventSize bytes of an unfinished line', () => {
    const f = new SyslogFramer(100);
    const pieces: number[] = [];
    for (let i = 0; i < 50; i++) f.push(Buffer.alloc(33, 0x61), (_b, s, e) => pieces.push(e - s));
    assert.ok(f.pending < 100);
    assert.ok(pieces.every((n) => n === 100));
    assert.equal(pieces.length, Math.floor((50 * 33) / 100));
  });
});
