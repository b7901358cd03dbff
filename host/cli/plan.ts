// isoplace plan: what the admission webhook would do to every workload of a set of manifests,
// before anything is applied or installed (as `kyverno apply` and `terraform plan` show theirs):
// the level, runtime and RuntimeClass each pod template would get, the webhook's warnings and
// denials, decided by the webhook's own code (host/k8s/plan.ts over admit.ts). `-o yaml` writes
// the manifests back with the webhook's changes made, for clusters that want the decision in Git
// rather than a webhook in the path of every pod. Exit 0; 1 when a --fail-on condition is met;
// 2 for bad input, naming the file, line and field.
import type { Command } from "commander";
import { list } from "./input.ts";
import { addPolicyOptions } from "./policy-option.ts";
import type { PlanFlags } from "./plan-run.ts";

export function registerPlan(program: Command): void {
  addPolicyOptions(
    program
      .command("plan")
      .description(
        "what the admission webhook would do to every workload in a set of manifests, before kubectl apply: level, runtime and RuntimeClass per pod template, its warnings and denials; -o yaml writes the manifests back with the RuntimeClasses set. Exit 0; 1 when a --fail-on condition is met; 2 for bad input (file, line and field named)",
      )
      .requiredOption(
        "-f, --filename <path>",
        "a manifest (YAML or JSON, multi-document), a directory of them (.yaml, .yml, .json), or - for stdin; repeatable or comma-separated",
        list,
      )
      .option("-R, --recursive", "read the subdirectories of a -f directory too")
      .option("--runtime-classes <names>", "the cluster's RuntimeClasses, comma-separated, as for the webhook (default: every class the policy names)", list)
      .option("--mode <mode>", "as the webhook's: fill (set a class where a pod has none), override (replace one), advise (never change it)", "fill")
      .option("--deny-infeasible", "as the webhook's: a pod with no feasible level is denied (default: allowed with a warning)")
      .option("-n, --namespace <ns>", "the namespace of objects that name none", "default")
      .option("-o, --output <format>", "table, json (a stable shape for CI: docs/API.md) or yaml (the manifests with the webhook's changes made)", "table")
      .option(
        "--fail-on <conditions>",
        "exit 1 when a workload is denied (deny), would get another RuntimeClass (change) or has no feasible level (infeasible); comma-separated",
        list,
        [],
      ),
  )
    // the planner, the YAML reader and zod are loaded by this command only
    .action(async (o: PlanFlags) => (await import("./plan-run.ts")).runPlan(o));
}
