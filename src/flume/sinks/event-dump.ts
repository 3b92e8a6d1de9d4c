import type { FlumeEvent } from '../api/event.ts';

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

/**
 * The text Flume's logger sink writes for an event (EventHelper.dumpEvent):
 * `{ headers:{k=v, k2=v2} body: 31 32 ...  12 }`. The body part is a hex dump of at most
 * `maxBytes` bytes, 16 per row (`00000000 ` offset, hex bytes padded to 16 columns, then the
 * printable characters); the first row's offset and the final line break are left out.
 */
export function dumpEvent(event: FlumeEvent, maxBytes = 16): string {
  const headers = `{${Object.entries(event.headers)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;
  const data = event.body.subarray(0, Math.max(0, maxBytes));
  let dump = '';
  for (let row = 0; row < data.length; row += 16) {
    const n = Math.min(16, data.length - row);
    let line = `${row.toString(16).toUpperCase().padStart(8, '0')} `;
    for (let k = 0; k < 16; k++) line += k < n ? `${hex2(data[row + k]!)} ` : '   ';
    for (let k = 0; k < n; k++) {
      const b = data[row + k]!;
      line += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    dump += `${line}\n`;
  }
  if (dump.startsWith('00000000')) dump = dump.slice(8);
  if (dump.endsWith('\n') && dump.length > 1) dump = dump.slice(0, -1);
  return `{ headers:${headers} body:${dump} }`;
}
