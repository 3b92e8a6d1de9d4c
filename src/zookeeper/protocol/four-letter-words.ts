/**
 * Four-letter words: admin commands sent as the first 4 bytes of a new connection, with no framing.
 * ZooKeeper reads those bytes as the first packet's length and checks them against this list before
 * anything else; as ASCII letters they read as lengths above 0x60000000, far beyond jute.maxbuffer,
 * so they cannot be mistaken for a real ConnectRequest length. The server decides which are enabled
 * (4lw.commands.whitelist) and writes the answer; `stmk` is followed by an 8-byte trace mask.
 */
export const FOUR_LETTER_WORDS = Object.freeze([
  'conf',
  'cons',
  'crst',
  'dirs',
  'dump',
  'envi',
  'gtmk',
  'hash',
  'isro',
  'mntr',
  'ruok',
  'srst',
  'srvr',
  'stat',
  'stmk',
  'wchc',
  'wchp',
  'wchs',
] as const);

export type FourLetterWord = (typeof FOUR_LETTER_WORDS)[number];

const byValue = new Map<number, FourLetterWord>(
  FOUR_LETTER_WORDS.map((word) => [Buffer.from(word, 'latin1').readInt32BE(0), word]),
);

/**
 * The command spelled by the first 4 bytes of a connection, or null when they are an ordinary
 * length prefix (or fewer than 4 bytes are given).
 */
export function recognizeFourLetterWord(first: Uint8Array): FourLetterWord | null {
  if (first.length < 4) return null;
  const value = (first[0]! << 24) | (first[1]! << 16) | (first[2]! << 8) | first[3]! | 0;
  return byValue.get(value) ?? null;
}

/** The same check on the length prefix already read as an int32. */
export function fourLetterWordOfLength(length: number): FourLetterWord | null {
  return byValue.get(length | 0) ?? null;
}
