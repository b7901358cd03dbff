// Runtime-neutral rooms typecheck under the Worker's types (@cloudflare/workers-types, no Node
// types): the OCI client and source and the statement checks, so a Worker could pull a policy and
// verify its statement with them; the admission webhook's logic and plan's (host/k8s); and the
// client (isoplace/client, and the embedded fallback's shared part and Workers build).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";

async function typecheckWithWorkerTypes(files: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "isoplace-neutral-"));
  try {
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(PACKAGE_ROOT, "host", "worker", "tsconfig.json"),
        compilerOptions: { noEmit: true, typeRoots: [join(PACKAGE_ROOT, "node_modules", "@types"), join(PACKAGE_ROOT, "node_modules")] },
        include: files.map((f) => join(PACKAGE_ROOT, f)),
      }),
    );
    const tsc = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")]).catch((e) => e as { code: number; stdout: string });
    return r.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it("host/oci, the oci:// source and the statement checks typecheck with the Worker's types only", async () => {
  const delivery = ["source-oci.ts", "statement.ts", "signing.ts", "predicate.ts"].map((f) => `host/delivery/${f}`);
  expect(await typecheckWithWorkerTypes(["host/oci/**/*.ts", "host/net/**/*.ts", ...delivery])).toBe("");
});

it("the OCI client knows nothing of delivery: host/oci imports only host/oci, host/net and host/engine", async () => {
  const dir = join(PACKAGE_ROOT, "host", "oci");
  const imports: string[] = [];
  for (const f of await readdir(dir)) {
    for (const m of (await readFile(join(dir, f), "utf8")).matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm)) imports.push(`${f}: ${m[1]}`);
  }
  expect(imports.length).toBeGreaterThan(10);
  expect(imports.filter((i) => !/: \.\/|: \.\.\/(net|engine)\//.test(i))).toEqual([]);
});

it("host/k8s (the webhook's admission logic, plan's Planner and the kinds that make pods) reaches nothing from Node, host/node or host/cli, through any import", async () => {
  // bundled as for a Worker (the engine it reaches compiles modules at run time, which the
  // Worker's types leave out, so this room is checked by its imports rather than typechecked)
  const entryPoints = (await readdir(join(PACKAGE_ROOT, "host/k8s"))).filter((f) => f.endsWith(".ts")).map((f) => join(PACKAGE_ROOT, "host/k8s", f));
  const r = await build({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    outdir: "out",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    external: ["node:*"],
    logLevel: "silent",
  });
  const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
  expect(entryPoints.length).toBeGreaterThanOrEqual(8);
  expect(imports.filter((p) => p.startsWith("node:"))).toEqual([]);
  expect(Object.keys(r.metafile.inputs).filter((p) => /^host\/(node|cli)\//.test(p))).toEqual([]);
});

it("host/client (all but its Node entry) typechecks with the Worker's types only", async () => {
  expect(
    await typecheckWithWorkerTypes([
      "host/client/index.ts",
      "host/client/options.ts",
      "host/client/types.ts",
      "host/client/embedded.ts",
      "host/client/embedded.workerd.ts",
    ]),
  ).toBe("");
});
