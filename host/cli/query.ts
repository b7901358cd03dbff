// isoplace decide | rank | compare | levels | scenarios: the engine, from the terminal; the
// built-in policy or --policy's module (policy-option.ts).
import type { Command } from "commander";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { EXIT } from "./errors.ts";
import { formatComparison, formatDecision, formatLevels, formatRank } from "./format.ts";
import { collect, defined, list, number, readJsonInput, weights } from "./input.ts";
import { addPolicyOptions, policyEngine, type PolicyOptions } from "./policy-option.ts";

const print = (json: boolean, value: unknown, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());

/** ISOPLACE_RUNTIMES configures the node profile, as for the agent. */
async function engine(o: PolicyOptions): Promise<Engine> {
  const env = process.env.ISOPLACE_RUNTIMES;
  const node: NodeProfile | undefined = env ? { source: "configured", runtimes: list(env) } : undefined;
  return policyEngine(o, node);
}

function constraintFlags(cmd: Command): Command {
  return cmd
    .option("--max-cold-start-ms <n>", "worst-case cold start allowed, ms", number("--max-cold-start-ms"))
    .option("--max-memory-mb <n>", "worst-case memory overhead allowed, MB", number("--max-memory-mb"))
    .option("--max-cpu-overhead-pct <n>", "worst-case CPU overhead allowed, %", number("--max-cpu-overhead-pct"))
    .option("--min-isolation <n>", "isolation strength required, 1–5 stars", number("--min-isolation"))
    .option("--runtimes <ids>", "the node's runtimes, comma-separated (default: planning mode, every runtime)", list);
}

interface ConstraintOptions {
  maxColdStartMs?: number;
  maxMemoryMb?: number;
  maxCpuOverheadPct?: number;
  minIsolation?: number;
  runtimes?: string[];
}
const constraintsOf = (o: ConstraintOptions) => {
  const c = defined({ maxColdStartMs: o.maxColdStartMs, maxMemoryMb: o.maxMemoryMb, maxCpuOverheadPct: o.maxCpuOverheadPct, minIsolation: o.minIsolation });
  return Object.keys(c).length ? c : undefined;
};

export function registerQueries(program: Command): void {
  addPolicyOptions(
    constraintFlags(
      program
        .command("decide")
        .description("which isolation level and runtime for a workload")
        .option("--scenario <id>", "edge, microservices, serverless, ai-inference (or the Chinese term)")
        .option("--artifact <kind>", "what the workload ships as: container, wasm or vm (default: any)")
        .option("--performance <ids>", "performance need(s), comma-separated, first one counts most", list)
        .option("--security <ids>", "security need(s)", list)
        .option("--cost <ids>", "cost need(s)", list)
        .option("--weight <metric=n>", "weight of a metric in scoring, repeatable", collect),
    ),
  )
    .option("--input <file>", "a decide request as JSON (- for stdin); flags override its fields")
    .option("--json", "print the HTTP answer's JSON")
    .action(async (o) => {
      const base = o.input ? await readJsonInput(o.input) : {};
      const workload = {
        ...(base.workload as object | undefined),
        ...defined({
          scenario: o.scenario,
          artifact: o.artifact,
          performance: o.performance,
          security: o.security,
          cost: o.cost,
          constraints: constraintsOf(o),
          weights: weights(o.weight),
        }),
      };
      const request = { ...base, workload, ...(o.runtimes ? { node: { runtimes: o.runtimes } } : {}) };
      const decision = (await engine(o)).decide(request);
      print(o.json, decision, () => formatDecision(decision));
      if (decision.level === null) process.exitCode = EXIT.infeasible;
    });

  addPolicyOptions(
    constraintFlags(
      program
        .command("rank")
        .description("the best feasible level by weighted, direction-aware, normalised score")
        .requiredOption("--weight <metric=n>", "weight of a metric, repeatable (e.g. --weight coldStart=0.4)", collect),
    ),
  )
    .option("--artifact <kind>", "what the workload ships as: container, wasm or vm (default: any)")
    .option("--json", "print the HTTP answer's JSON")
    .action(async (o) => {
      const request = {
        weights: weights(o.weight),
        ...defined({ artifact: o.artifact, constraints: constraintsOf(o), node: o.runtimes ? { runtimes: o.runtimes } : undefined }),
      };
      const answer = (await engine(o)).rank(request);
      print(o.json, answer, () => formatRank(answer));
      if (answer.best === null) process.exitCode = EXIT.infeasible;
    });

  addPolicyOptions(program.command("compare"))
    .description("two levels, metric by metric, with the better one marked")
    .argument("<a>", "a level, L0–L4")
    .argument("<b>", "a level, L0–L4")
    .option("--json", "print the HTTP answer's JSON")
    .action(async (a: string, b: string, o) => {
      const c = (await engine(o)).compare(a, b);
      print(o.json, c, () => formatComparison(c));
    });

  addPolicyOptions(program.command("levels"))
    .description("the core and technical matrices of L0–L4")
    .option("--json", "print the HTTP answer's JSON")
    .action(async (o) => {
      const levels = (await engine(o)).levels();
      print(o.json, levels, () => formatLevels(levels));
    });

  addPolicyOptions(program.command("scenarios"))
    .description("scenarios with suitability, stacks and first/second choices (JSON)")
    .action(async (o) => console.log(JSON.stringify((await engine(o)).scenarios(), null, 2)));
}
