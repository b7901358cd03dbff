// Reading a response body with a cap: stops at the first byte over it (a registry, or whoever
// answers in its name, cannot make the client buffer more than it asked for).
import { OciError } from "./errors.ts";

export async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw new OciError("size", `${what} is ${declared} bytes; the limit is ${max}`);
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
      throw new OciError("size", `${what} is over the ${max}-byte limit`);
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

export async function discard(res: Response): Promise<void> {
  try { await res.body?.cancel(); } catch { /* already closed */ }
}
