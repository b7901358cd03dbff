// Decision ids: random (version 4) UUIDs, as crypto.randomUUID() makes them, from a larger pool
// of randomness. Node's randomUUID() refills its pool every 128 calls, and on a small machine
// that refill costs several times a whole decision: it alone was engine.decide's p99 (bench/).
// One refill of 64 KiB (the most getRandomValues gives at once) serves 4096 ids.
const POOL = new Uint8Array(65536);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
let next = POOL.length;

export function decisionId(): string {
  if (next === POOL.length) {
    crypto.getRandomValues(POOL);
    next = 0;
  }
  const b = POOL, i = next;
  next += 16;
  const h = (k: number) => HEX[b[i + k]];
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${HEX[(b[i + 6] & 0x0f) | 0x40]}${h(7)}-${HEX[(b[i + 8] & 0x3f) | 0x80]}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
