// isoplace/client/embedded on Node (and Deno, Bun): the client, and for `fallback: "embedded"`
// the default policy module shipped in the package, read from disk and verified on the first
// fallback (not at import).
import { loadPolicy } from "../index.ts";
import { withEmbedded } from "./embedded.ts";

export const createClient = withEmbedded(() => loadPolicy());
export { inProcess, type EmbeddedClientOptions, type FallbackOption } from "./embedded.ts";
export * from "./index.ts";
