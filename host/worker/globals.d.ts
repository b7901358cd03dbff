// Types `exports` of "cloudflare:workers" (used by tests/worker/) after this Worker's main module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
  }
}
