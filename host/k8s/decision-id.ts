// An admission's decision id: a UUID-shaped digest of the review's uid (version 8, "custom"),
// so the API server's second call for the same admission gets the same id and the same patch.
// WebCrypto only: runtime-neutral.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const utf8 = new TextEncoder();

export async function admissionDecisionId(uid: string): Promise<string> {
  const b = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(`isoplace.io/admission:${uid}`)));
  b[6] = (b[6] & 0x0f) | 0x80;   // version 8
  b[8] = (b[8] & 0x3f) | 0x80;   // RFC 9562 variant
  const h = Array.from(b.subarray(0, 16), (x) => HEX[x]).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
