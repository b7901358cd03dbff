// isoplace and the ecosystem's OCI tools on three registry implementations: what `isoplace policy
// push` writes, oras and crane read as a CNCF Wasm artifact; its statement is a referrer of the
// module's manifest where the registry serves the referrers API (go-containerregistry's registry)
// and is tagged sha256-<hex>.sig where it does not (Debian's distribution 2.8, distribution v3);
// a module pushed by `oras push` with its statement attached by `oras attach` (a referrer, or
// OCI 1.1's referrers tag schema) or pushed under the .sig tag is pulled and served by isoplace.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnChild } from "../support/child.ts";
import { havePeers, needsPeers } from "../support/peers.ts";
import { build, DEFAULT_VERSION, defaultSource, keyFiles, sign, tempDir, variantSource, type KeyFiles } from "../shipping/support/fixtures.ts";
import { freePort, haveImpl, REGISTRIES, startRegistry, type TestRegistry } from "./support/registry.ts";
import { isoplace, MAIN, ok, peer } from "./support/tools.ts";

const SIGNATURE_TYPE = "application/vnd.isoplace.policy.signature.v1+json";
const ORAS_VERSION = "v2025.11.15-oras";

for (const impl of REGISTRIES) {
  describe.skipIf(!haveImpl(impl) || !havePeers("oras", "crane"))(
    needsPeers(`isoplace, oras and crane on ${impl.title}`, ...[impl.peer, "oras", "crane"].filter((p): p is string => Boolean(p))),
    () => {
      let registry: TestRegistry, dir: string, keys: KeyFiles, wasm: string, module: Uint8Array;
      const repo = (name: string) => `${registry.host}/interop/${name}`;
      const plain = ["--plain-http"];

      beforeAll(async () => {
        dir = await tempDir(`isoplace-interop-${impl.kind}-`);
        [registry, module, keys] = await Promise.all([startRegistry(impl), defaultSource().then(build), keyFiles(join(dir, "keys"))]);
        wasm = join(dir, "policy.wasm");
        await writeFile(wasm, module);
        await writeFile(`${wasm}.sig`, `${await sign(module, keys)}\n`);
      });
      afterAll(async () => {
        await registry?.destroy();
      });

      it(`policy push puts the statement ${impl.referrersApi ? "as a referrer (no .sig tag)" : "under sha256-<hex>.sig (the referrers API answers 404)"}; policy pull finds it there`, async () => {
        const from = registry.mark();
        const push = ok(await isoplace(["policy", "push", wasm, `oci://${repo("pushed")}:v1`]), "policy push");
        const digest = push.stdout.trim().split("@")[1];
        expect(push.stderr).toMatch(impl.referrersApi ? /signature \(a referrer of the policy's manifest\)/ : /signature \(tagged sha256-<hex>\.sig\)/);
        const asked = registry.responses(from).filter((r) => r.uri.startsWith(`/v2/interop/pushed/referrers/${digest}`));
        if (!impl.referrersApi) expect(asked.map((r) => r.status)).toEqual([404]);
        const tags = ok(await peer("crane", ["ls", "--insecure", repo("pushed")]), "crane ls")
          .stdout.split("\n")
          .filter(Boolean)
          .sort();
        expect(tags).toEqual(impl.referrersApi ? ["v1"] : [`${digest.replace(":", "-")}.sig`, "v1"]);

        const pull = ok(await isoplace(["policy", "pull", `oci://${repo("pushed")}:v1`, "--out", join(dir, "pulled.wasm"), "--pub", keys.pub]), "policy pull");
        expect(pull.stderr).toMatch(impl.referrersApi ? /signature \(a referrer of the policy's manifest\)/ : /signature \(tagged sha256-<hex>\.sig\)/);
        expect(pull.stderr).toMatch(/valid statement by key/);
        expect(new Uint8Array(await readFile(join(dir, "pulled.wasm")))).toEqual(module);
        if (impl.referrersApi) {
          // oras sees it as a referrer too
          const found = JSON.parse(ok(await peer("oras", ["discover", ...plain, "--format", "json", `${repo("pushed")}@${digest}`]), "oras discover").stdout);
          expect(found.referrers.map((r: { artifactType: string }) => r.artifactType)).toEqual([SIGNATURE_TYPE]);
        }
      });

      it("oras manifest fetch, crane manifest, crane config and oras pull read what policy push wrote as a CNCF Wasm artifact", async () => {
        const pinned = ok(await isoplace(["policy", "push", wasm, `oci://${repo("layout")}:v1`]), "policy push").stdout.trim();
        const byOras = ok(await peer("oras", ["manifest", "fetch", ...plain, repo("layout") + ":v1"]), "oras manifest fetch").stdout;
        const byCrane = ok(await peer("crane", ["manifest", "--insecure", repo("layout") + ":v1"]), "crane manifest").stdout;
        expect(byCrane).toBe(byOras);
        const m = JSON.parse(byOras);
        expect(m).toMatchObject({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.wasm.config.v0+json" },
        });
        expect(m.layers).toEqual([
          {
            mediaType: "application/wasm",
            digest: expect.stringMatching(/^sha256:/),
            size: module.length,
            annotations: { "org.opencontainers.image.title": "policy.wasm" },
          },
        ]);
        expect(m.annotations).toMatchObject({
          "org.opencontainers.image.version": DEFAULT_VERSION,
          "org.opencontainers.image.title": "policy.wasm",
          "io.isoplace.policy.name": "default",
        });
        expect(Date.parse(m.annotations["org.opencontainers.image.created"])).not.toBeNaN();
        const config = JSON.parse(ok(await peer("crane", ["config", "--insecure", repo("layout") + ":v1"]), "crane config").stdout);
        expect(config).toEqual({ architecture: "wasm", os: "wasip1", layerDigests: [m.layers[0].digest] });
        const digest = ok(await peer("crane", ["digest", "--insecure", repo("layout") + ":v1"]), "crane digest").stdout.trim();
        expect(`oci://${repo("layout")}@${digest}`).toBe(pinned);

        const out = join(dir, "oras-pull");
        ok(await peer("oras", ["pull", ...plain, "-o", out, repo("layout") + ":v1"]), "oras pull");
        expect(new Uint8Array(await readFile(join(out, "policy.wasm")))).toEqual(module);
      });

      /** oras push of a module in the CNCF Wasm layout (config and annotations as an operator writes them); its digest. */
      async function orasPush(name: string, bytes: Uint8Array, version: string): Promise<string> {
        const at = join(dir, name);
        await mkdir(at, { recursive: true });
        await writeFile(join(at, "policy.wasm"), bytes);
        await writeFile(join(at, "config.json"), JSON.stringify({ architecture: "wasm", os: "wasip1" }));
        const r = ok(
          await peer(
            "oras",
            [
              "push",
              ...plain,
              "--format",
              "json",
              "--config",
              "config.json:application/vnd.wasm.config.v0+json",
              "--annotation",
              `org.opencontainers.image.version=${version}`,
              `${repo(name)}:live`,
              "policy.wasm:application/wasm",
            ],
            { cwd: at },
          ),
          "oras push",
        );
        return JSON.parse(r.stdout).digest;
      }

      it("a module pushed by oras push, its statement pushed by oras under sha256-<hex>.sig (no subject), is pulled by isoplace through the tag", async () => {
        const digest = await orasPush("tagged", module, ORAS_VERSION);
        await writeFile(join(dir, "tagged", "policy.wasm.sig"), await readFile(`${wasm}.sig`));
        ok(
          await peer(
            "oras",
            [
              "push",
              ...plain,
              "--artifact-type",
              SIGNATURE_TYPE,
              `${repo("tagged")}:${digest.replace(":", "-")}.sig`,
              "policy.wasm.sig:application/vnd.dsse.envelope.v1+json",
            ],
            { cwd: join(dir, "tagged") },
          ),
          "oras push (signature)",
        );
        const pull = ok(
          await isoplace(["policy", "pull", `oci://${repo("tagged")}:live`, "--out", join(dir, "tagged.wasm"), "--pub", keys.pub]),
          "policy pull",
        );
        expect(pull.stderr).toMatch(/signature \(tagged sha256-<hex>\.sig\)/);
        expect(pull.stderr).toMatch(/valid statement by key/);
      });

      it(`a module pushed by oras push, its statement attached by oras attach (${impl.referrersApi ? "a referrer" : "the referrers tag schema"}), is followed by isoplace serve --policy oci://…`, async () => {
        const v2 = await variantSource("2025.11.15-oras2", "K3s + WasmEdge 0.15.0 (oras)").then(build);
        const digest = await orasPush("attached", v2, "2025.11.15-oras2");
        await writeFile(join(dir, "attached", "policy.wasm.sig"), `${await sign(v2, keys)}\n`);
        ok(
          await peer(
            "oras",
            [
              "attach",
              ...plain,
              ...(impl.referrersApi ? ["--distribution-spec", "v1.1-referrers-api"] : []),
              "--artifact-type",
              SIGNATURE_TYPE,
              `${repo("attached")}@${digest}`,
              "policy.wasm.sig:application/vnd.dsse.envelope.v1+json",
            ],
            { cwd: join(dir, "attached") },
          ),
          "oras attach",
        );
        const port = await freePort();
        const agent = spawnChild(
          process.execPath,
          [
            MAIN,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--policy",
            `oci://${repo("attached")}:live`,
            "--trusted-key",
            keys.pub,
            "--poll-interval",
            "1",
          ],
          { cwd: dir },
        );
        try {
          await agent.waitForLine(/"msg":"policy activated"/, "the policy activated", 60_000);
          const status = await (await fetch(`http://127.0.0.1:${port}/v1/policy`)).json();
          expect(status.active).toMatchObject({ version: "2025.11.15-oras2", source: `oci:${repo("attached")}:live`, keyId: keys.trusted[0].id });
          const pull = ok(await isoplace(["policy", "pull", `oci://${repo("attached")}:live`, "--out", join(dir, "attached.wasm")]), "policy pull");
          expect(pull.stderr).toMatch(impl.referrersApi ? /signature \(a referrer/ : /signature \(in the referrers index tagged sha256-<hex>\)/);
        } finally {
          await agent.stop("SIGTERM");
        }
      });
    },
  );
}
