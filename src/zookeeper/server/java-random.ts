/**
 * The 16-byte session password ZooKeeper derives from the session id:
 * `new java.util.Random(sessionId ^ 0xB3415C00L).nextBytes(16)`. Reproducing Java's generator
 * (48-bit LCG) gives the same password any ZooKeeper server would compute for the same id.
 */
const MULTIPLIER = 0x5deece66dn;
const ADDEND = 0xbn;
const MASK = (1n << 48n) - 1n;
const SUPER_SECRET = 0xb3415c00n;

export function sessionPassword(sessionId: bigint): Buffer {
  let seed = (BigInt.asUintN(64, sessionId ^ SUPER_SECRET) ^ MULTIPLIER) & MASK;
  const nextInt = (): number => {
    seed = (seed * MULTIPLIER + ADDEND) & MASK;
    return Number(BigInt.asIntN(32, seed >> 16n));
  };
  const out = Buffer.alloc(16);
  let i = 0;
  while (i < out.length) {
    let rnd = nextInt();
    for (let n = Math.min(out.length - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}
