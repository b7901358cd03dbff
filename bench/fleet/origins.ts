// Where the simulated fleet polls: the bundle server (URL sources: ETag/304 on a plain HTTP
// server) or a real OCI registry (OCI sources: HEAD + If-None-Match on the tag, then the
// manifest, the module and the signature by digest). Both count what they served in the same
// shape: full module downloads, 304s, signatures, failures.
import type { PollOptions } from "../../host/delivery/poller.ts";
import type { PolicySource } from "../../host/delivery/source.ts";
import { UrlSource } from "../../host/delivery/source-url.ts";
import { OciSource } from "../../host/delivery/source-oci.ts";
import { META_SECTION } from "../../host/engine/abi.ts";
import { customSections, readMeta } from "../../host/engine/meta.ts";
import { CAPS, parseManifest, parseReference, pushPolicy, Repository, signatureTag } from "../../host/oci/index.ts";
import { BundleServer, type BundleCounts } from "./bundle-server.ts";
import { RegistryServer } from "./registry-server.ts";

export type PolledSource = PolicySource & { readonly stats: { polls: number; notModified: number; downloads: number; errors: number } };

export interface Origin {
  readonly kind: "url" | "registry";
  readonly counts: BundleCounts;
  resetCounts(): void;
  publish(v: { bytes: Uint8Array; signature: string }): Promise<void>;
  source(o: PollOptions): PolledSource;
  /** The first request in a process loads the HTTP client: made before any agent polls. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

export async function bundleOrigin(): Promise<Origin> {
  const server = await BundleServer.start();
  return {
    kind: "url",
    get counts() {
      return { ...server.counts };
    },
    resetCounts: () => {
      server.resetCounts();
    },
    publish: async (v) => server.publish(v.bytes, v.signature),
    source: (o) => new UrlSource({ url: server.url, ...o }),
    warm: async () => {
      await (await fetch(server.url)).arrayBuffer();
    },
    close: () => server.close(),
  };
}

export async function registryOrigin(): Promise<Origin> {
  const registry = await RegistryServer.start();
  const ref = `oci://${registry.host}/fleet/policy:live`;
  const modules = new Set<string>(),
    envelopes = new Set<string>();
  let from = registry.mark();
  return {
    kind: "registry",
    get counts(): BundleCounts {
      const c: BundleCounts = { full: 0, notModified: 0, sigFull: 0, sigNotModified: 0, failed: 0 };
      for (const r of registry.responses(from)) {
        const blob = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(r.uri)?.[1];
        if (r.status >= 500) c.failed++;
        else if (r.method === "HEAD" && r.uri.endsWith("/manifests/live") && r.status === 304) c.notModified++;
        else if (r.method === "GET" && r.status === 200 && blob && modules.has(blob)) c.full++;
        else if (r.method === "GET" && r.status === 200 && blob && envelopes.has(blob)) c.sigFull++;
      }
      return c;
    },
    resetCounts: () => {
      from = registry.mark();
    },
    async publish(v) {
      const meta = readMeta(customSections(v.bytes, META_SECTION));
      const r = parseReference(ref);
      const pushed = await pushPolicy(r, {
        module: v.bytes,
        envelope: v.signature,
        name: meta.name,
        version: meta.version,
        title: "policy.wasm",
        created: new Date().toISOString(),
      });
      // which blobs are modules and which signatures, to count the registry's log by
      const repo = new Repository(r);
      modules.add(parseManifest((await repo.getManifest(pushed.digest, CAPS.manifest))!.bytes, "policy").layers[0].digest);
      envelopes.add(parseManifest((await repo.getManifest(signatureTag(pushed.digest), CAPS.manifest))!.bytes, "signature").layers[0].digest);
    },
    source: (o) => new OciSource({ ref, ...o }),
    warm: async () => {
      await (await fetch(`http://${registry.host}/v2/`)).arrayBuffer();
    },
    close: () => registry.destroy(),
  };
}
