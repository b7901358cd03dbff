// `policy build` runs the AssemblyScript compiler, which the agent's production install leaves
// out (it is ~100 MB with Binaryen; an optional peer dependency of the package). Without it,
// the command says how to get it instead of failing on a module that cannot be found.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../package.ts";
import { UsageError } from "./errors.ts";

function wantedVersion(name = "assemblyscript"): string {
  try {
    return JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).peerDependencies?.[name] ?? "";
  } catch {
    return "";
  }
}

const missingCompiler = (err: unknown) =>
  (err as NodeJS.ErrnoException)?.code === "ERR_MODULE_NOT_FOUND" && /['"]assemblyscript['"/]/.test(String((err as Error).message));
const WASI_SHIM = "@assemblyscript/wasi-shim";

/** Imports host/policy/compile.ts, or throws a UsageError (exit 2) saying how to install the compiler. */
export async function loadCompiler(command = "policy build"): Promise<typeof import("../policy/compile.ts")> {
  try {
    return await import("../policy/compile.ts");
  } catch (err) {
    if (!missingCompiler(err)) throw err;
    const v = wantedVersion();
    throw new UsageError(
      `${command} needs the AssemblyScript compiler, which the agent's install leaves out (~100 MB). ` +
        `Install it beside isoplace (${PACKAGE_ROOT}): npm install assemblyscript${v ? `@${v}` : ""} ` +
        `(with -g for a global isoplace), or run ${command} from a development checkout after npm ci${command.endsWith("of a source") ? "; a built module (.wasm) needs no compiler" : ""}`,
    );
  }
}

/** Imports host/policy/wasi.ts (policy build --wasi), or says how to install the WASI shim it compiles with. */
export async function loadWasiBuilder(): Promise<typeof import("../policy/wasi.ts")> {
  try {
    return await import("../policy/wasi.ts");
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== "MODULE_NOT_FOUND" || !String((err as Error).message).includes(WASI_SHIM)) throw err;
    const v = wantedVersion(WASI_SHIM);
    throw new UsageError(
      `policy build --wasi needs ${WASI_SHIM} beside the compiler: npm install ${WASI_SHIM}${v ? `@${v}` : ""} (with -g for a global isoplace)`,
    );
  }
}
