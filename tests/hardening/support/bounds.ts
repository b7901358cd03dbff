// The requests that cost the most answer (issue 22): batches of bad items filling a 64 KiB body,
// and AdmissionReviews of up to 3 MiB full of unknown isoplace.io/ annotations. Shared by the
// tests that hold the bounds (tests/hardening/bounds.test.ts, tests/k8s/bounds.test.ts) and the
// bench section that measures them (bench/sections/bounds.ts).

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const xs = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);

/** Bad items of every shape that costs errors. */
export const BAD_ITEMS: Record<string, unknown> = {
  "not an object": 0,
  "an unknown field": { a: 1 },
  "an unknown scenario": { workload: { scenario: "x" } },
  "an unknown scenario, 64 characters": { workload: { scenario: "s".repeat(64) } },
  "10 ids of the wrong type": { workload: { performance: zeros(10) } },
  "32 unknown ids (the probe)": { workload: { performance: xs(32) } },
  "32 unknown ids in 4 lists": { workload: { scenario: 0, performance: xs(32), security: xs(32), cost: xs(32) }, node: { runtimes: xs(32) } },
  "10 unknown metrics": { workload: { weights: Object.fromEntries(xs(10).map((k) => [k, 1])) } },
  "every field wrong": { workload: { scenario: 1, performance: 1, security: 1, cost: 1, constraints: 1, weights: 1, artifact: 1 }, node: 1 },
};

/** As many copies of `item` as a body of `bytes` holds (at most `max` items). */
export function batchOf(item: unknown, bytes = 64 * 1024, max = 1000): { items: unknown[] } {
  const one = JSON.stringify(item).length + 1;
  return { items: Array.from({ length: Math.min(max, Math.floor((bytes - 16) / one)) }, () => item) };
}

/** An AdmissionReview (as the API server sends it) of a pod with as many unknown isoplace.io/ annotations as fit in `bytes`. */
export function floodedReview(bytes: number): { review: Record<string, any>; count: number } {
  const annotations: Record<string, string> = {};
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      operation: "CREATE",
      namespace: "apps",
      userInfo: { username: "admin", groups: ["system:authenticated"] },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "flood", labels: { app: "web" }, annotations },
        spec: { containers: [{ name: "app", image: "registry.example/app:1.0" }] },
      },
      oldObject: null,
      dryRun: false,
    },
  };
  let size = JSON.stringify(review).length,
    count = 0;
  for (;;) {
    const key = `isoplace.io/u${count.toString(36)}`;
    const add = key.length + 3 + 3 + 1; // "key":"x",
    if (size + add > bytes) break;
    annotations[key] = "x";
    size += add;
    count++;
  }
  return { review, count };
}
