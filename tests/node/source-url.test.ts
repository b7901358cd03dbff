// A policy URL with a query (a pre-signed URL): the signature is fetched beside the module with
// the query kept, and the query never reaches what the agent shows (source key, errors, logs).
import { describe, expect, it } from "vitest";
import { UrlSource } from "../../host/delivery/source-url.ts";
import type { PolicySink } from "../../host/delivery/source.ts";

describe("UrlSource with a query in the URL", () => {
  it("fetches path + .sig with the same query, and shows the URL without it", async () => {
    const asked: string[] = [];
    const errors: string[] = [];
    const sink = {
      offer: async () => ({ status: "unchanged" }),
      tag: () => undefined,
      noteCheck: () => undefined,
      noteSourceError: (_key: string, message: string) => {
        errors.push(message);
      },
      reject: () => ({ status: "rejected" }),
    } as unknown as PolicySink;
    const source = new UrlSource({
      url: "https://bundles.example/p/policy.wasm?X-Token=secret123",
      fetch: (async (url: string) => {
        asked.push(String(url));
        return String(url).includes(".sig")
          ? new Response("c2ln", { status: 200 })
          : new Response(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), { status: 200 });
      }) as typeof fetch,
    });
    await source.poll(sink);
    expect(asked).toContain("https://bundles.example/p/policy.wasm?X-Token=secret123");
    expect(asked).toContain("https://bundles.example/p/policy.wasm.sig?X-Token=secret123");
    expect(source.key).toBe("url:https://bundles.example/p/policy.wasm?…");
    expect(JSON.stringify(errors)).not.toContain("secret123");
  });
});
