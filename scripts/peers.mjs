#!/usr/bin/env node
// npm run peers [-- NAME…]: builds the real peers the integration suites run against into
// .peers/bin (git-ignored), from source: Go modules through the Go module proxy, wasmtime from
// PyPI. Nothing downloads a prebuilt binary. Each peer's version is pinned in its own module under
// scripts/peers/ (go.mod + go.sum) or requirements file; .peers/versions.json records what was
// built from which inputs, so a peer already built from the same inputs is skipped.
//
// --list prints the peers and their pinned versions without building.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MODULES = join(ROOT, "scripts/peers");
const PEERS = join(ROOT, ".peers");
const BIN = join(PEERS, "bin");
const STAMPS = join(PEERS, "versions.json");
const LOCK = join(PEERS, ".lock");

/** kube-apiserver and kubectl report the release they were built from, as the release's own build does. */
const kubeVersionFlags = (v) => {
  const [major, minor] = v.replace(/^v/, "").split(".");
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${v}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
};

// In build order: the control plane first (other developers wait on it), then the rest.
// `module` is the Go module whose pinned version (in dir's go.mod) is the peer's version.
const GO_PEERS = [
  { name: "kube-apiserver", dir: "kube", module: "k8s.io/kubernetes", pkg: "k8s.io/kubernetes/cmd/kube-apiserver", flags: kubeVersionFlags },
  { name: "etcd", dir: "etcd", module: "go.etcd.io/etcd/server/v3", pkg: "." },
  { name: "kubectl", dir: "kube", module: "k8s.io/kubernetes", pkg: "k8s.io/kubernetes/cmd/kubectl", flags: kubeVersionFlags },
  { name: "opa", dir: "opa", module: "github.com/open-policy-agent/opa", pkg: "github.com/open-policy-agent/opa" },
  { name: "oras", dir: "oras", module: "oras.land/oras", pkg: "oras.land/oras/cmd/oras" },
  {
    name: "crane",
    dir: "crane",
    module: "github.com/google/go-containerregistry",
    pkg: "github.com/google/go-containerregistry/cmd/crane",
    flags: (v) => [`-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=${v}`],
  },
  { name: "ggcr-registry", dir: "ggcr-registry", module: "github.com/google/go-containerregistry", pkg: "." },
  {
    name: "registry",
    dir: "registry",
    module: "github.com/distribution/distribution/v3",
    pkg: "github.com/distribution/distribution/v3/cmd/registry",
    flags: (v) => [`-X github.com/distribution/distribution/v3/version.version=${v}`],
  },
  {
    name: "cosign",
    dir: "cosign",
    module: "github.com/sigstore/cosign/v3",
    pkg: "github.com/sigstore/cosign/v3/cmd/cosign",
    flags: (v) => [`-X sigs.k8s.io/release-utils/version.gitVersion=${v}`],
  },
];

const WASMTIME = { name: "python-wasmtime", requirements: join(MODULES, "wasmtime/requirements.txt") };
const ALL = [...GO_PEERS.map((p) => p.name), WASMTIME.name];

const die = (message) => {
  console.error(`peers: ${message}`);
  process.exit(2);
};

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 16);
};

const pinnedVersion = (dir, module) => {
  const gomod = readFileSync(join(MODULES, dir, "go.mod"), "utf8");
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const m = gomod.match(new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, "m"));
  if (!m) die(`scripts/peers/${dir}/go.mod pins no version of ${module}`);
  return m[1];
};

let goVersionCache;
const goVersion = () => {
  goVersionCache ??= execFileSync("go", ["env", "GOVERSION"], { env: goEnv(), encoding: "utf8" }).trim();
  return goVersionCache;
};

// GOTOOLCHAIN=local: the machine's own Go builds every peer (go.mod's go lines stay within it).
// GOFLAGS is set whole so a developer's own flags cannot change what gets built. CGO is left at
// the Go command's default: these are test tools run on the machine that built them, and the
// build cache a plain `go build` of the same modules filled stays usable.
const goEnv = () => ({ ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly -buildvcs=false" });

const readStamps = () => {
  try {
    return JSON.parse(readFileSync(STAMPS, "utf8"));
  } catch {
    return {};
  }
};

const writeStamp = (name, stamp) => {
  const stamps = readStamps();
  stamps[name] = stamp;
  const tmp = `${STAMPS}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(stamps, null, 2) + "\n");
  renameSync(tmp, STAMPS);
};

const isExecutable = (path) => {
  try {
    return (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
};

const realpathOr = (path) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

const run = (cmd, args, opts) =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${signal ?? code}`))));
  });

const goPlan = (peer) => {
  const version = pinnedVersion(peer.dir, peer.module);
  const dir = join(MODULES, peer.dir);
  const ldflags = ["-s", "-w", ...(peer.flags?.(version) ?? [])].join(" ");
  const inputs = [readFileSync(join(dir, "go.mod")), readFileSync(join(dir, "go.sum")), peer.pkg, ldflags];
  if (peer.pkg === ".") inputs.push(readFileSync(join(dir, "main.go")));
  return {
    name: peer.name,
    version,
    key: () => sha256(goVersion(), ...inputs),
    build: async (out) => {
      await run("go", ["build", "-trimpath", "-ldflags", ldflags, "-o", out, peer.pkg], { cwd: dir, env: goEnv() });
    },
  };
};

const wasmtimePlan = () => {
  const requirements = readFileSync(WASMTIME.requirements, "utf8");
  const m = requirements.match(/^wasmtime==(\S+)/m);
  if (!m) die("scripts/peers/wasmtime/requirements.txt pins no wasmtime==VERSION");
  const venv = join(PEERS, "venv");
  return {
    name: WASMTIME.name,
    version: m[1],
    key: () => sha256(requirements),
    // the venv's python is a symlink to the python3 that made it: gone (an upgrade), the venv is remade
    usable: () => isExecutable(realpathOr(join(venv, "bin/python"))),
    build: async (out) => {
      rmSync(venv, { recursive: true, force: true });
      await run("python3", ["-m", "venv", venv]);
      await run(join(venv, "bin/pip"), ["install", "--quiet", "--disable-pip-version-check", "-r", WASMTIME.requirements]);
      // a wrapper, not a symlink: the venv is found from the path its own python was started by
      writeFileSync(out, `#!/bin/sh\nexec "$(dirname "$0")/../venv/bin/python" "$@"\n`);
      chmodSync(out, 0o755);
      await run(out, ["-c", "import wasmtime"]);
    },
  };
};

const plans = () => [...GO_PEERS.map(goPlan), wasmtimePlan()];

/** One build at a time per .peers: a second `npm run peers` waits for the first, then finds its work done. */
const withLock = async (fn) => {
  mkdirSync(PEERS, { recursive: true });
  let waited = false;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const holder = Number(readFileSync(LOCK, "utf8"));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {}
      if (!alive) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (!waited) console.log(`peers: waiting for another build (pid ${holder})`);
      waited = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const release = () => rmSync(LOCK, { force: true });
  process.on("exit", release);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
  try {
    return await fn();
  } finally {
    release();
  }
};

const fmtSeconds = (s) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`);

const main = async () => {
  const args = process.argv.slice(2);
  const list = args.includes("--list");
  const names = args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !ALL.includes(n));
  if (unknown.length) die(`unknown peer ${unknown.join(", ")}; allowed: ${ALL.join(", ")}`);
  const wanted = plans().filter((p) => names.length === 0 || names.includes(p.name));
  if (list) {
    for (const p of wanted) console.log(`${p.name.padEnd(16)} ${p.version}`);
    return;
  }
  const started = performance.now();
  await withLock(async () => {
    mkdirSync(BIN, { recursive: true });
    for (const plan of wanted) {
      const out = join(BIN, plan.name);
      const key = plan.key();
      const stamp = readStamps()[plan.name];
      if (stamp?.key === key && isExecutable(out) && (plan.usable?.() ?? true)) {
        console.log(`${plan.name.padEnd(16)} ${plan.version.padEnd(10)} cached (built ${stamp.builtAt} in ${fmtSeconds(stamp.seconds)})`);
        continue;
      }
      const t0 = performance.now();
      const tmp = `${out}.building`;
      rmSync(tmp, { force: true });
      try {
        await plan.build(tmp);
      } catch (err) {
        rmSync(tmp, { force: true });
        die(`${plan.name} ${plan.version} failed: ${err.message}`);
      }
      renameSync(tmp, out);
      const seconds = (performance.now() - t0) / 1000;
      writeStamp(plan.name, { version: plan.version, key, builtAt: new Date().toISOString(), seconds: Math.round(seconds * 10) / 10 });
      console.log(`${plan.name.padEnd(16)} ${plan.version.padEnd(10)} built in ${fmtSeconds(seconds)}`);
    }
  });
  console.log(`peers: ${wanted.length} in .peers/bin, ${fmtSeconds((performance.now() - started) / 1000)} in all`);
};

await main();
