// The OCI client and source, and the statement's verification, are runtime-neutral: they
// typecheck under the Worker's types (@cloudflare/workers-types, no Node types), so a Worker could
// pull a policy and check its statement with them.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";

it("host/oci, the oci:// source and the statement checks typecheck with the Worker's types only", async () => {
  const dir = await mkdtemp(join(tmpdir(), "isoplace-oci-neutral-"));
  try {
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(PACKAGE_ROOT, "host", "worker", "tsconfig.json"),
      compilerOptions: { noEmit: true, typeRoots: [join(PACKAGE_ROOT, "node_modules", "@types"), join(PACKAGE_ROOT, "node_modules")] },
      include: [join(PACKAGE_ROOT, "host", "oci", "**", "*.ts"), ...["source-oci.ts", "statement.ts", "signing.ts", "predicate.ts"].map((f) => join(PACKAGE_ROOT, "host", "delivery", f))],
    }));
    const tsc = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")]).catch((e) => e as { code: number; stdout: string });
    expect(r.stdout).toBe("");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
