// The source document (docs/SOURCE.md), transcribed by hand into literal tables, independently of
// policies/default.yaml, so the suites can catch a wrong figure in the policy.
// Units as docs/API.md fixes them: cold start ms, memory MB, CPU %, stars 1–5, density scale 1–4.

export type Level = "L0" | "L1" | "L2" | "L3" | "L4";
export type Placeable = Exclude<Level, "L0">;
export type Metric =
  | "isolation"
  | "coldStart"
  | "memory"
  | "cpu"
  | "utilization"
  | "density"
  | "network"
  | "storage"
  | "compatibility"
  | "portability"
  | "compliance"
  | "operability";

/** [min, max]; max null = open upper end ("128 MB +"); the whole figure null = N/A. */
export type Range = [number, number | null] | null;

export const UNITS: Record<Metric, string> = {
  isolation: "stars",
  coldStart: "ms",
  memory: "MB",
  cpu: "%",
  utilization: "stars",
  density: "scale",
  network: "stars",
  storage: "stars",
  compatibility: "stars",
  portability: "stars",
  compliance: "stars",
  operability: "stars",
};

/** Cold start, memory and CPU are better lower; every other metric higher (docs/API.md). */
export const LOWER_IS_BETTER: ReadonlySet<Metric> = new Set(["coldStart", "memory", "cpu"]);

const s = (n: number): Range => [n, n];

// Core attribute matrix, columns L0..L4.
export const CORE: Record<Metric, [Range, Range, Range, Range, Range]> = {
  isolation: [s(5), s(5), s(4), s(3), s(5)],
  coldStart: [null, [5000, 30000], [3000, 10000], [1000, 5000], [0, 10]],
  memory: [null, [128, null], [64, 128], [10, 50], [1, 5]],
  cpu: [
    [0, 1],
    [5, 10],
    [2, 5],
    [1, 3],
    [0, 1],
  ],
  utilization: [null, s(2), s(3), s(5), s(5)],
  density: [null, s(1), s(2), s(3), s(4)], // low, medium, high, very high
  network: [null, s(3), s(5), s(4), s(5)],
  storage: [null, s(3), s(4), s(5), s(5)],
  compatibility: [null, s(5), s(4), s(5), s(3)],
  portability: [null, s(4), s(3), s(5), s(5)],
  compliance: [s(5), s(5), s(4), s(3), s(5)],
  operability: [s(4), s(3), s(3), s(5), s(4)],
};

/** The source's own wording of the range figures (the `text` of a figure). */
export const RANGE_TEXT: Partial<Record<Metric, [string | null, string, string, string, string]>> = {
  coldStart: [null, "5–30 s", "3–10 s", "1–5 s", "< 10 ms"],
  memory: [null, "128 MB +", "64–128 MB", "10–50 MB", "1–5 MB"],
  cpu: ["< 1 %", "5–10 %", "2–5 %", "1–3 %", "< 1 %"],
};
export const DENSITY_WORDS = [null, "low", "medium", "high", "very high"] as const;

export const LEVELS: Record<Level, { name: string; zh: string; examples: string[] }> = {
  L0: { name: "hardware-assisted", zh: "硬件辅助", examples: ["VT-x", "AMD-V", "SEV", "TPM"] },
  L1: { name: "full virtualization", zh: "全虚拟化", examples: ["KVM", "ESXi", "Hyper-V", "Xen HVM"] },
  L2: { name: "paravirtualization", zh: "半虚拟化", examples: ["Xen PV", "virtio", "Hyper-V enlightenments"] },
  L3: { name: "container", zh: "容器化", examples: ["runc", "containerd", "Docker", "Podman"] },
  L4: { name: "sandbox", zh: "沙盒化", examples: ["gVisor", "Firecracker", "WASM (WasmEdge)", "Windows Sandbox"] },
};

/** Technical implementation matrix: dimension (zh) → L0..L4. */
export const TECHNICAL: [string, [string, string, string, string, string]][] = [
  ["核心技术", ["VT-x/AMD-V/SEV", "KVM/QEMU", "virtio/Xen PV", "namespace/cgroup", "syscall filtering / bytecode VM"]],
  ["隔离机制", ["CPU mode switch", "VMCS/EPT", "grant table", "namespace", "seccomp/WASI"]],
  ["资源限制", ["hardware features", "vCPU/vMEM", "shared memory", "cgroup", "capability model"]],
  ["网络实现", ["hardware passthrough", "vNIC/TAP", "virtio-net", "veth pair", "user-space network stack"]],
  ["存储实现", ["hardware passthrough", "vmdk/qcow2", "virtio-blk", "overlayfs", "virtual file system"]],
  ["调度机制", ["hardware scheduling", "vCPU scheduling", "event channels", "cgroup scheduling", "user-space scheduling"]],
];

/** Metric ids of docs/API.md with the source's Chinese term. */
export const METRIC_ZH: Record<Metric, string> = {
  isolation: "隔离强度",
  coldStart: "冷启动时间",
  memory: "内存开销",
  cpu: "CPU开销",
  utilization: "资源利用率",
  density: "部署密度",
  network: "网络性能",
  storage: "存储性能",
  compatibility: "兼容性",
  portability: "可移植性",
  compliance: "安全合规",
  operability: "运维复杂度",
};

export interface Need {
  id: string;
  group: "performance" | "security" | "cost";
  zh: string;
  levels: Placeable[];
  reason: string;
}

/** Selection by need: 15 needs with the source's level(s) and reason. */
export const NEEDS: Need[] = [
  { id: "fast-cold-start", group: "performance", zh: "极致启动速度", levels: ["L4"], reason: "< 10 ms cold start" },
  { id: "high-utilization", group: "performance", zh: "高资源利用率", levels: ["L3"], reason: "high-density deployment" },
  { id: "high-network", group: "performance", zh: "高网络性能", levels: ["L2"], reason: "near bare-metal networking" },
  { id: "high-storage", group: "performance", zh: "高存储性能", levels: ["L3"], reason: "direct file-system access" },
  { id: "low-cpu-overhead", group: "performance", zh: "低CPU开销", levels: ["L4"], reason: "< 1 % CPU overhead" },
  { id: "low-memory-overhead", group: "performance", zh: "低内存开销", levels: ["L4"], reason: "1–5 MB memory" },
  { id: "strongest-isolation", group: "security", zh: "最强隔离", levels: ["L1", "L4"], reason: "full isolation, or syscall filtering" },
  { id: "compliance", group: "security", zh: "合规要求", levels: ["L1"], reason: "own kernel, complete isolation" },
  { id: "zero-trust", group: "security", zh: "零信任架构", levels: ["L4"], reason: "capability model, least privilege" },
  { id: "multi-tenant", group: "security", zh: "多租户隔离", levels: ["L1"], reason: "complete VM isolation" },
  { id: "supply-chain", group: "security", zh: "供应链安全", levels: ["L4"], reason: "bytecode verification, sandboxed execution" },
  { id: "lowest-infrastructure-cost", group: "cost", zh: "最低基础设施成本", levels: ["L3"], reason: "high density, shared resources" },
  { id: "lowest-operations-cost", group: "cost", zh: "最低运维成本", levels: ["L3"], reason: "standardized, easy to manage" },
  { id: "lowest-migration-cost", group: "cost", zh: "最低迁移成本", levels: ["L3"], reason: "standard images, easy to move" },
  { id: "best-tco", group: "cost", zh: "最优TCO", levels: ["L3"], reason: "best overall cost" },
];

export type Fit = "❌" | "⚠️" | "✅" | "✅✅" | "✅✅✅";

export interface Scenario {
  id: string;
  zh: string;
  recommended: Placeable;
  /** Suitability and the source's stack (without versions) per level; null: the source has none. */
  levels: Record<Placeable, { fit: Fit; stack: string | null }> | null;
  first?: { level: Placeable; stack: string };
  second?: { level: Placeable; stack: string };
}

export const SCENARIOS: Scenario[] = [
  {
    id: "edge",
    zh: "边缘计算",
    recommended: "L4",
    levels: {
      L1: { fit: "❌", stack: null },
      L2: { fit: "⚠️", stack: "KVM + virtio" },
      L3: { fit: "✅✅", stack: "K3s + containerd" },
      L4: { fit: "✅✅✅", stack: "K3s + WasmEdge" },
    },
    first: { level: "L4", stack: "K3s + WasmEdge 0.14.1" },
    second: { level: "L3", stack: "K3s + containerd 2.0" },
  },
  {
    id: "microservices",
    zh: "微服务",
    recommended: "L3",
    levels: {
      L1: { fit: "⚠️", stack: "K8s + KVM" },
      L2: { fit: "⚠️", stack: "K8s + KVM + virtio" },
      L3: { fit: "✅✅✅", stack: "K8s + containerd" },
      L4: { fit: "✅✅", stack: "K8s + WasmEdge" },
    },
    first: { level: "L3", stack: "K8s + containerd 2.0" },
    second: { level: "L4", stack: "K8s + WasmEdge 0.14.1" },
  },
  {
    id: "serverless",
    zh: "Serverless",
    recommended: "L4",
    levels: {
      L1: { fit: "❌", stack: null },
      L2: { fit: "❌", stack: null },
      L3: { fit: "✅", stack: "Knative + containerd" },
      L4: { fit: "✅✅✅", stack: "Knative + WasmEdge" },
    },
    first: { level: "L4", stack: "Knative + WasmEdge 0.14.1" },
    second: { level: "L3", stack: "Knative + containerd 2.0" },
  },
  { id: "ai-inference", zh: "AI推理", recommended: "L4", levels: null },
];

export const VERSIONS = { wasmedge: "0.14.1", containerd: "2.0", kubernetes: "1.30" };

/** docs/API.md: the runtimes that provide each level (L4 by firecracker only together with kvm). */
export const PROVIDERS: Record<Placeable, string[][]> = {
  L1: [["kvm"], ["kata"]],
  L2: [["kvm"], ["kata"]],
  L3: [["containerd"]],
  L4: [["wasmedge"], ["wasmtime"], ["gvisor"], ["firecracker", "kvm"]],
};

/** The source comparator's single numbers (cold start in s, memory MB, CPU %). */
export const SOURCE_COMPARATOR: Record<"isolation" | "coldStart" | "memory" | "cpu" | "utilization" | "density", [number, number, number, number]> = {
  isolation: [5, 4, 3, 5],
  coldStart: [5, 6.5, 3, 0.01],
  memory: [128, 96, 30, 3],
  cpu: [7.5, 3.5, 2, 0.5],
  utilization: [2, 3, 5, 5],
  density: [1, 2, 4, 5],
};

export const METRICS = Object.keys(CORE) as Metric[];
export const levelIndex = (l: Level): number => Number(l[1]);

/** A range compares by its midpoint, an open upper end by its known end (docs/API.md). */
export function midpoint(r: Range): number | null {
  if (!r) return null;
  return r[1] === null ? r[0] : (r[0] + r[1]) / 2;
}

/** The worst case of a "lower is better" figure: its upper end (Infinity when open). */
export const upper = (r: Range): number => (r ? (r[1] ?? Infinity) : NaN);

export type Artifact = "container" | "wasm" | "vm";
export const ARTIFACTS: Artifact[] = ["container", "wasm", "vm"];

/**
 * API.md rule 1(c) and the runtime figures the integrator researched (notes/runtime-figures.md),
 * transcribed by hand: what each runtime provides, needs and runs, and its own figures where
 * they differ from its level's ([min, max], max null = open). In policy order.
 */
export const RUNTIMES: {
  id: string;
  levels: Placeable[];
  requires: string[];
  runs: Artifact[];
  figures: Partial<Record<"coldStart" | "memory" | "cpu", Range>>;
}[] = [
  { id: "kvm", levels: ["L1", "L2"], requires: [], runs: ["vm"], figures: {} },
  { id: "kata", levels: ["L1", "L2"], requires: [], runs: ["container"], figures: { coldStart: [850, 950] } },
  { id: "containerd", levels: ["L3"], requires: [], runs: ["container"], figures: {} },
  { id: "wasmedge", levels: ["L4"], requires: [], runs: ["wasm"], figures: { coldStart: [0, 10] } },
  { id: "wasmtime", levels: ["L4"], requires: [], runs: ["wasm"], figures: { coldStart: [0, 10] } },
  { id: "gvisor", levels: ["L4"], requires: [], runs: ["container"], figures: { coldStart: [81, 280] } },
  { id: "firecracker", levels: ["L4"], requires: ["kvm"], runs: ["container"], figures: { coldStart: [0, 125], memory: [0, 5], cpu: [0, 5] } },
];
