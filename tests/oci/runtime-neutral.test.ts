// Runtime-neutral rooms typecheck under the Worker's types (@cloudflare/workers-types, no Node
// types): the OCI client and source and the statement checks, so a Worker could pull a policy and
// verify its statement with them; and the client (isoplace/client, and the embedded fallback's
// shared part and Workers build).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";

async function typecheckWithWorkerTypes(files: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "isoplace-neutral-"));
  try {
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(PACKAGE_ROOT, "host", "worker", "tsconfig.json"),
      compilerOptions: { noEmit: true, typeRoots: [join(PACKAGE_ROOT, "node_modules", "@types"), join(PACKAGE_ROOT, "node_modules")] },
      include: files.map((f) => join(PACKAGE_ROOT, f)),
    }));
    const tsc = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")]).catch((e) => e as { code: number; stdout: string });
    return r.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it("host/oci, the oci:// source and the statement checks typecheck with the Worker's types only", async () => {
  const delivery = ["source-oci.ts", "statement.ts", "signing.ts", "predicate.ts"].map((f) => `host/delivery/${f}`);
  expect(await typecheckWithWorkerTypes(["host/oci/**/*.ts", ...delivery])).toBe("");
});

it("host/client (all but its Node entry) typechecks with the Worker's types only", async () => {
  expect(await typecheckWithWorkerTypes(["host/client/index.ts", "host/client/options.ts", "host/client/types.ts", "host/client/embedded.ts", "host/client/embedded.workerd.ts"])).toBe("");
});
