// data.json for the Rego placement rules (placement.rego): the policy's catalogue, needs,
// scenarios, runtimes and figures as one OPA data document, generated from a policy source
// (default: policies/default.yaml) with the project's own parser, id tables and figure
// derivation — nothing typed by hand. Everything that depends only on the policy is computed
// here once, so that the Rego computes per request only what depends on the request: per level,
// each runtime that provides it with the level's normalised figures there, the constraint ends,
// the equal-weight score (already in units of 1e-9) and sum, and each need's score; per scenario
// the levels it rules out.
//   node bench/peers/opa/generate.ts [policy.yaml] [--out FILE] [--check]
// --check: exit 1 when FILE (default bench/peers/opa/data.json) is not what the policy gives.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { requestTables, type IdTable } from "../../../host/engine/request.ts";
import { METRIC_IDS, PLACEABLE_LEVELS, levelIndex } from "../../../host/engine/vocabulary.ts";
import { buildCatalogue } from "../../../host/policy/generate.ts";
import { FIT_SYMBOLS, type PolicySource } from "../../../host/policy/schema.ts";
import { parsePolicySource } from "../../../host/policy/source.ts";
import { figureTables, scoreUnits, type FigureRow } from "../../baseline.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const DATA_PATH = join(here, "data.json");
export const REGO_PATH = join(here, "placement.rego");
/** The decision's path: `opa build -e`, the server's /v1/data/…, `opa eval`. */
export const ENTRYPOINT = "isoplace/placement/decision";
const DEFAULT_POLICY = join(here, "../../../policies/default.yaml");

/** Every id and alias of a table → its id. */
const aliases = (table: IdTable): Record<string, string> => Object.fromEntries([...table.index].map(([name, i]) => [name, table.ids[i]]));

/** What constraints are checked against: the upper end (null: open) and, for isolation, the lower end. */
const CONSTRAINED = { coldStart: METRIC_IDS.indexOf("coldStart"), memory: METRIC_IDS.indexOf("memory"), cpu: METRIC_IDS.indexOf("cpu") };
const ISOLATION = METRIC_IDS.indexOf("isolation");

function opaData(policy: PolicySource): { policy: Record<string, unknown> } {
  const catalogue = buildCatalogue(policy);
  const tables = requestTables(catalogue);
  const figures = figureTables(policy);
  // Each need spreads one unit evenly over its own metrics.
  const needMetrics = policy.needs.map((n) => ({ id: n.id, metrics: METRIC_IDS.flatMap((id, m) => (n.metrics.includes(id) ? [m] : [])) }));
  // A level on a runtime: the runtime's own figure where it has one, else the level's (rule 6).
  const on = (level: FigureRow, runtime: FigureRow, m: number, row: keyof FigureRow) => (Number.isNaN(runtime.best[m]) ? level[row][m] : runtime[row][m]);
  const placement = (l: number, r: number) => {
    const level = figures.levels[l],
      runtime = figures.runtimes[r];
    const norms = METRIC_IDS.map((_, m) => on(level, runtime, m, "norm"));
    // summed in metric order, as the module sums it: the same number
    const balanced = norms.reduce((a, b) => a + b, 0);
    return {
      runtime: r,
      norms: Object.fromEntries(METRIC_IDS.map((id, m) => [id, norms[m]])),
      // the score without needs or weights (every metric counts the same), as the module rounds it
      equal_units: scoreUnits(balanced / METRIC_IDS.length),
      // a need's score: its metrics' mean; with needs only, a score is the mean of theirs
      need_score: Object.fromEntries(needMetrics.map((n) => [n.id, n.metrics.reduce((sum, m) => sum + (1 / n.metrics.length) * norms[m], 0)])),
      balanced,
      max: Object.fromEntries(
        Object.entries(CONSTRAINED).map(([metric, m]) => {
          const worst = on(level, runtime, m, "worst");
          return [metric, worst === Infinity ? null : worst];
        }),
      ),
      isolation: on(level, runtime, ISOLATION, "best"),
    };
  };
  return {
    policy: {
      name: policy.name,
      version: policy.version,
      placeable: [...PLACEABLE_LEVELS],
      default_level: policy.defaultLevel,
      levels: Object.fromEntries(PLACEABLE_LEVELS.map((id) => [id, { name: policy.levels[levelIndex(id)].name }])),
      scenarios: Object.fromEntries(
        policy.scenarios.map((s) => [
          s.id,
          {
            first: s.first,
            ...(s.second ? { second: s.second } : {}),
            unsuitable: PLACEABLE_LEVELS.filter((l) => s.levels[l].fit === FIT_SYMBOLS[0]),
          },
        ]),
      ),
      needs: Object.fromEntries(policy.needs.map((n) => [n.id, { levels: n.levels }])),
      runtimes: catalogue.runtimes.map((r) => ({ id: r.id, runtimeClassName: r.runtimeClassName, runs: r.runs, requires: r.requires })),
      // Per level, each runtime that provides it (policy order: rule 6's tie-break), with what
      // the level is decided by on it.
      placements: Object.fromEntries(
        PLACEABLE_LEVELS.map((id) => [id, catalogue.runtimes.flatMap((r, k) => ((r.levels as string[]).includes(id) ? [placement(levelIndex(id), k)] : []))]),
      ),
      aliases: {
        scenario: aliases(tables.scenario),
        performance: aliases(tables.performance),
        security: aliases(tables.security),
        cost: aliases(tables.cost),
        metric: aliases(tables.metric),
        runtime: aliases(tables.runtime),
        artifact: aliases(tables.artifact),
      },
    },
  };
}

/** data.json's text for a policy source's text. */
export function opaDataText(sourceText: string, file = "policy"): string {
  return `${JSON.stringify(opaData(parsePolicySource(sourceText, file)), null, 1)}\n`;
}

/** data.json's text for policies/default.yaml. */
export const defaultOpaDataText = (): string => opaDataText(readFileSync(DEFAULT_POLICY, "utf8"), "policies/default.yaml");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: "string" }, check: { type: "boolean", default: false } } });
  const source = positionals[0] ?? DEFAULT_POLICY,
    out = values.out ?? DATA_PATH;
  const text = opaDataText(readFileSync(source, "utf8"), source);
  if (values.check) {
    let current = "";
    try {
      current = readFileSync(out, "utf8");
    } catch {
      /* missing: stale */
    }
    if (current !== text) {
      console.error(`${out} is not what ${source} gives: run node bench/peers/opa/generate.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(out, text);
    console.log(`wrote ${out} from ${source}`);
  }
}
