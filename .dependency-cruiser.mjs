// The arrows of host/ point one way, down: host/engine at the bottom; the
// runtime-neutral rooms (http, k8s, delivery, oci, net) import nothing of Node's and nothing from
// the Node adapter; the OCI client knows nothing of delivery, delivery nothing of HTTP; the answer
// schemas load with /openapi.json only. `npm run lint:deps` checks them, and so does
// tests/arch/dependencies.test.ts (which also proves each rule can fail). Type-only imports count:
// a type drags its module's meaning along even when the import is erased.
const NEUTRAL = "^host/(http|k8s|delivery|oci|engine|net)/";

/** @type {import("dependency-cruiser").IConfiguration} */
export default {
  forbidden: [
    {
      name: "neutral-not-node-adapter",
      comment: "host/http, k8s, delivery, oci, engine and net are runtime-neutral: nothing from host/node (the Node adapter uses them, not the other way)",
      severity: "error",
      from: { path: NEUTRAL },
      to: { path: "^host/node/" },
    },
    {
      name: "neutral-not-node-builtins",
      comment: "the runtime-neutral rooms run on Workers too: no node: modules (a Node-only reader belongs in host/node and is handed in)",
      severity: "error",
      from: { path: NEUTRAL },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "oci-not-delivery",
      comment: "the OCI client is a registry client and knows nothing of policy delivery (what both need lives in host/net)",
      severity: "error",
      from: { path: "^host/oci/" },
      to: { path: "^host/delivery/" },
    },
    {
      name: "delivery-not-http",
      comment: "policy delivery knows nothing of HTTP serving: host/http imports delivery's types, not the other way",
      severity: "error",
      from: { path: "^host/delivery/" },
      to: { path: "^host/http/" },
    },
    {
      name: "engine-at-the-bottom",
      comment: "host/engine imports nothing of the rooms above it (http, k8s, delivery, oci, net, node, worker, cli, client, policy …)",
      severity: "error",
      from: { path: "^host/engine/" },
      to: { path: "^host/", pathNot: "^host/engine/" },
    },
    {
      name: "answer-schemas-with-openapi",
      comment:
        'host/http/schemas.ts is loaded with /openapi.json (host/http/openapi.ts), not at start: elsewhere a route names its answer schema (ResponseSpec.schema: "problem") or imports its type only',
      severity: "error",
      from: { path: "^host/", pathNot: "^host/http/openapi\\.ts$" },
      to: { path: "^host/http/schemas\\.ts$", dependencyTypesNot: ["type-only", "type-import"] },
    },
    {
      name: "openapi-on-demand",
      comment: "host/http/openapi.ts (and the answer schemas with it) is imported dynamically, on the first GET /openapi.json",
      severity: "error",
      from: { path: "^host/" },
      to: { path: "^host/http/openapi\\.ts$", dependencyTypesNot: ["dynamic-import", "type-only", "type-import"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // host/worker has its own tsconfig (workers types); its imports resolve the same way
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
