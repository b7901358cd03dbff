// npm run schema: policies/policy.schema.json from the zod schema that `policy build` validates
// with (host/policy/schema.ts), so editors can check a policy source as it is typed.
// --check: exit 1 when the file on disk differs from what would be generated (for CI).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { policySchema } from "../host/policy/schema.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "policies", "policy.schema.json");

// "input": what a source may say (defaults may be left out), not what the parser returns
const generated = z.toJSONSchema(policySchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>;
const schema = {
  $schema: generated.$schema,
  title: "isoplace policy source",
  description:
    "A policy source (YAML or JSON) for `isoplace policy build`. Generated from host/policy/schema.ts by `npm run schema`; documented in docs/POLICY.md. Cross-field rules (order of metrics and levels, unique ids, references, ranges) are checked by the build, which names the line and field.",
  ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
};
const text = `${JSON.stringify(schema, null, 2)}\n`;

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(out, "utf8");
  } catch {
    /* missing */
  }
  if (current !== text) {
    console.error("policies/policy.schema.json is out of date: run npm run schema");
    process.exit(1);
  }
  console.log("policies/policy.schema.json is up to date");
} else {
  writeFileSync(out, text);
  console.log(`wrote policies/policy.schema.json (${text.length} bytes)`);
}
