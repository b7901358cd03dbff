// The isoplace command line: a thin layer over the engine (and, for serve, the agent).
import { Command, CommanderError } from "commander";
import { InvalidRequestError, PolicyRejectedError } from "../engine/errors.ts";
import { PolicySourceError } from "../policy/source-error.ts";
import { PACKAGE_VERSION } from "../package.ts";
import { EXIT, UsageError } from "./errors.ts";
import { registerOci } from "./oci.ts";
import { registerPlan } from "./plan.ts";
import { registerPolicy } from "./policy.ts";
import { registerPolicyCheck } from "./policy-check.ts";
import { registerQueries } from "./query.ts";
import { registerServe } from "./serve.ts";
import { registerWebhook } from "./webhook.ts";

// installed as kubectl-isoplace too, so kubectl runs it as a plugin: `kubectl isoplace plan …`
const name = /(^|[\\/])kubectl-isoplace(\.[cm]?js)?$/.test(process.argv[1] ?? "") ? "kubectl isoplace" : "isoplace";
const program = new Command(name)
  .description("placement policy for edge fleets: which isolation level and runtime a workload gets")
  .version(PACKAGE_VERSION)
  .exitOverride()
  .showHelpAfterError(`(${name} --help lists the commands)`);

registerQueries(program);
registerPlan(program);
registerServe(program);
registerOci(registerPolicy(program));
registerWebhook(program);
registerPolicyCheck(program);

function fail(code: number, message: string): void {
  console.error(`isoplace: ${message}`);
  process.exitCode = code;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version end here with code 0; every other commander error is a usage error
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (err instanceof UsageError) fail(EXIT.usage, err.message);
  else if (err instanceof InvalidRequestError) {
    fail(EXIT.usage, `invalid input:\n${err.errors.map((e) => `  ${e.path || "(request)"}: ${e.message}`).join("\n")}`);
  } else if (err instanceof PolicySourceError) fail(EXIT.usage, err.message);
  else if (err instanceof PolicyRejectedError) fail(EXIT.failed, `policy rejected (${err.reason}): ${err.message}`);
  else fail(EXIT.failed, err instanceof Error ? err.message : String(err));
}
