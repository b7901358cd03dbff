// The fallback in-process: an engine served by the same HTTP app the agent and the Worker run,
// so a fallback answer (or problem) is the one the agent would give for the same policy. The
// platform entries (embedded.node.ts, embedded.workerd.ts) say where the built-in policy comes
// from; this is the part they share.
import type { Engine } from "../engine/engine.ts";
import { createApp } from "../http/app.ts";
import { createClient as createBareClient, type ClientOptions, type Fetcher, type IsoplaceClient } from "./index.ts";
import { isFetcher, refuse } from "./options.ts";

/** "embedded": the policy built into the package; an engine the caller loaded; or any fetcher. */
export type FallbackOption = "embedded" | Engine | Fetcher;

export type EmbeddedClientOptions = Omit<ClientOptions, "fallback"> & { fallback?: FallbackOption };

/** An engine as a fetcher, through the HTTP app. The engine is loaded on the first call; a load that fails is tried again on the next. */
export function inProcess(engine: Engine | (() => Promise<Engine>)): Fetcher {
  let app: Promise<ReturnType<typeof createApp>> | undefined;
  const load = () => Promise.resolve(typeof engine === "function" ? engine() : engine).then((e) => createApp({ engine: () => e }));
  return {
    async fetch(request) {
      app ??= load().catch((err) => {
        app = undefined;
        throw err;
      });
      return (await app).fetch(request);
    },
  };
}

/** createClient with `fallback: "embedded" | engine` for a platform whose built-in policy `loadDefault` loads. */
export function withEmbedded(loadDefault: () => Promise<Engine>): (options: EmbeddedClientOptions) => IsoplaceClient {
  let builtIn: Fetcher | undefined;
  return (options) => {
    const f = options?.fallback;
    if (f === undefined || isFetcher(f)) return createBareClient(options as ClientOptions);
    if (f !== "embedded" && typeof (f as Engine | null)?.decide !== "function") {
      throw refuse("fallback", '"embedded", an engine (loadPolicy, createEngine) or a fetcher (an object with a fetch(request) method)', f);
    }
    return createBareClient({ ...options, fallback: f === "embedded" ? (builtIn ??= inProcess(loadDefault)) : inProcess(f) } as ClientOptions);
  };
}
