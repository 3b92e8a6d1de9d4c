import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileJodaPattern, JodaPatternError } from './joda-date-pattern.ts';

const local = (y: number, mo: number, d = 1, h = 0, mi = 0, s = 0, ms = 0) => {
  const date = new Date(2000, 0, 1, h, mi, s, ms);
  date.setFullYear(y, mo - 1, d);
  return date.getTime();
};

describe('compileJodaPattern', () => {
  const now = new Date(2024, 5, 1);
  const cases: [string, string, number | undefined][] = [
    ['yyyy-MM-dd HH:mm', '2012-10-18 18:47', local(2012, 10, 18, 18, 47)],
    ['yyyy-MM-dd HH:mm:ss.SSS', '2012-10-18 18:47:57.614', local(2012, 10, 18, 18, 47, 57, 614)],
    ['yyyy-MM-dd HH:mm:ss,SSS', '2012-10-18 18:47:57,6', local(2012, 10, 18, 18, 47, 57, 600)],
    ['yyyyMMddHHmm', '201210181847', local(2012, 10, 18, 18, 47)],
    ['dd/MMM/yyyy:HH:mm:ss Z', '10/Oct/2000:13:55:36 -0700', Date.UTC(2000, 9, 10, 20, 55, 36)],
    ["yyyy-MM-dd'T'HH:mm:ssZZ", '2000-10-10T13:55:36+02:00', Date.UTC(2000, 9, 10, 11, 55, 36)],
    ["yyyy-MM-dd'T'HH:mm:ssZ", '2000-10-10T13:55:36Z', Date.UTC(2000, 9, 10, 13, 55, 36)],
    ['MMMM d, yyyy h:mm a', 'january 5, 2020 1:05 PM', local(2020, 1, 5, 13, 5)],
    ['EEE MMM dd HH:mm:ss yyyy', 'Wed Oct 11 04:05:06 2023', local(2023, 10, 11, 4, 5, 6)],
    ['yy-MM-dd', '99-01-02', local(1999, 1, 2)],
    ['yy-MM-dd', '30-01-02', local(2030, 1, 2)],
    ['yy-MM-dd', '2030-01-02', local(2030, 1, 2)],
    ['HH:mm', '07:30', local(1970, 1, 1, 7, 30)],
    ["''yyyy''", "'2020'", local(2020, 1)],
    ['yyyy-MM-dd', '2012-02-30', undefined],
    ['yyyy-MM-dd', '2012-13-01', undefined],
    ['yyyy-MM-dd', '2012-10-18 trailing', undefined],
    ['yyyy-MM-dd', 'not a date', undefined],
    ['HH:mm', '24:00', undefined],
  ];
  for (const [pattern, text, expected] of cases) {
    it(`${pattern} reads ${JSON.stringify(text)}`, () => {
      assert.equal(compileJodaPattern(pattern, now).parse(text), expected);
    });
  }

  it('refuses letters it cannot parse', () => {
    for (const p of ['yyyy zzz', 'G yyyy', 'ww', "'open"])
      assert.throws(() => compileJodaPattern(p), JodaPatternError);
  });

  it('reads back what it would print for any instant (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1900, 0, 1)),
          max: new Date(Date.UTC(2200, 0, 1)),
          noInvalidDate: true,
        }),
        (d) => {
          const p = (n: number, w = 2) => String(n).padStart(w, '0');
          const text = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}Z`;
          assert.equal(compileJodaPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").parse(text), d.getTime());
        },
      ),
    );
  });

  it('never throws on arbitrary text (fuzz)', () => {
    const p = compileJodaPattern('yyyy-MM-dd HH:mm:ss.SSS Z a EEE');
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const v = p.parse(s);
        assert.ok(v === undefined || Number.isFinite(v));
      }),
    );
  });
});
