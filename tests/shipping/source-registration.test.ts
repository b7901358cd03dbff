// Sources are registered by the host that offers them, by an explicit call: importing a source's
// module (as the fleet simulation imports UrlSource) adds no scheme to the registry.
import { describe, expect, it } from "vitest";
import { ociSource } from "../../host/delivery/source-oci.ts";
import { urlSource } from "../../host/delivery/source-url.ts";
import { registeredSchemes as delivered, sourceFor as deliveredFor } from "../../host/delivery/source.ts";

describe("policy source registration", () => {
  it("importing a source module registers nothing", () => {
    expect(typeof urlSource).toBe("function");
    expect(typeof ociSource).toBe("function");
    expect(delivered()).toEqual([]);
    expect(() => deliveredFor("https://cdn.example/policy.wasm")).toThrow(/"https:\/\/" is not supported/);
  });

  it("the Node agent registers its sources when it first asks for one", async () => {
    const { registeredSchemes, sourceFor } = await import("../../host/node/sources.ts");
    expect(delivered()).toEqual([]);
    expect(registeredSchemes()).toEqual(["file", "http", "https", "oci"]);
    expect(delivered()).toEqual(["file", "http", "https", "oci"]);
    expect(sourceFor("oci://registry.example/team/policy:v1").key).toMatch(/^oci:registry\.example\/team\/policy:v1$/);
  });
});
