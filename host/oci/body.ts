// Reading a response body with a cap (readLimited stops at the first byte over it): a registry,
// or whoever answers in its name, cannot make the client buffer more than it asked for.
import { readLimited } from "../net/response.ts";
import { OciError } from "./errors.ts";

export async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const bytes = await readLimited(res, max);
  if (!bytes) throw new OciError("size", `${what} is over the ${max}-byte limit`);
  return bytes;
}

export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    /* already closed */
  }
}
