// The caller Worker's bindings (wrangler.toml, and STALLED_URL from vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    ISOPLACE: Fetcher;
    /** A Node-side server that takes requests and never answers (global-setup.ts). */
    STALLED_URL: string;
  }
}
