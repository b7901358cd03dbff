// Size limits of what a source may hand to the pipeline, and a reader that enforces them on a
// fetch Response without buffering past the limit.
export const MAX_MODULE_BYTES = 1024 * 1024;
/** A signature file (a DSSE envelope with a few signatures) is small; anything bigger is not one. */
export const MAX_ENVELOPE_BYTES = 16 * 1024;

/** The body, or null when it is over `max` bytes (reading stops there; a declared length over it is not read at all). */
export async function readLimited(res: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
