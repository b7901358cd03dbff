// Decision ids: random (version 4) UUIDs, as crypto.randomUUID() makes them, from a larger pool
// of randomness. Node's randomUUID() refills its pool every 128 calls, and on a small machine
// that refill costs several times a whole decision, so it would set engine.decide's tail latency.
// One refill of 64 KiB (the most getRandomValues gives at once) serves 4096 ids.
const POOL = new Uint8Array(65536);
let next = POOL.length;

// The character codes of each byte's two hex digits. The id is made by one String.fromCharCode
// call: a flat string at once, where a template of 20 pieces would build a rope piece by piece.
const DIGITS = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const HIGH = Uint8Array.from({ length: 256 }, (_, x) => DIGITS[x >> 4]);
const LOW = Uint8Array.from({ length: 256 }, (_, x) => DIGITS[x & 15]);
const DASH = 45;

export function decisionId(): string {
  if (next === POOL.length) {
    crypto.getRandomValues(POOL);
    next = 0;
  }
  const i = next;
  next += 16;
  return uuidOf(POOL, i, 4);
}

/** The 16 bytes of `b` at `i` as a UUID string of `version`, its variant RFC 9562's (the bytes' own bits otherwise). */
export function uuidOf(b: Uint8Array, i: number, version: number): string {
  const v = (b[i + 6] & 0x0f) | (version << 4),
    variant = (b[i + 8] & 0x3f) | 0x80;
  return String.fromCharCode(
    HIGH[b[i]],
    LOW[b[i]],
    HIGH[b[i + 1]],
    LOW[b[i + 1]],
    HIGH[b[i + 2]],
    LOW[b[i + 2]],
    HIGH[b[i + 3]],
    LOW[b[i + 3]],
    DASH,
    HIGH[b[i + 4]],
    LOW[b[i + 4]],
    HIGH[b[i + 5]],
    LOW[b[i + 5]],
    DASH,
    HIGH[v],
    LOW[v],
    HIGH[b[i + 7]],
    LOW[b[i + 7]],
    DASH,
    HIGH[variant],
    LOW[variant],
    HIGH[b[i + 9]],
    LOW[b[i + 9]],
    DASH,
    HIGH[b[i + 10]],
    LOW[b[i + 10]],
    HIGH[b[i + 11]],
    LOW[b[i + 11]],
    HIGH[b[i + 12]],
    LOW[b[i + 12]],
    HIGH[b[i + 13]],
    LOW[b[i + 13]],
    HIGH[b[i + 14]],
    LOW[b[i + 14]],
    HIGH[b[i + 15]],
    LOW[b[i + 15]],
  );
}
