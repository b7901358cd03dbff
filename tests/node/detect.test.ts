// --detect on a fake host root: real files, a real unix socket, nothing run.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../host/index.ts";
import { detectRuntimes } from "../../host/node/detect.ts";
import type { Catalogue } from "../../host/engine/catalogue.ts";

let root: string, catalogue: Catalogue, socket: Server;

function executable(path: string) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
}

beforeAll(async () => {
  catalogue = (await loadPolicy()).catalogue;
  root = mkdtempSync(join(tmpdir(), "isoplace-host-"));
  executable(join(root, "usr/local/bin/containerd-shim-wasmedge-v1"));
  executable(join(root, "var/lib/rancher/k3s/data/abc123/bin/runsc"));
  writeFileSync(join(root, "usr/local/bin/firecracker"), "not executable");
  mkdirSync(join(root, "run/k3s/containerd"), { recursive: true });
  socket = createServer();
  await new Promise<void>((r) => socket.listen(join(root, "run/k3s/containerd/containerd.sock"), r));
});
afterAll(() => new Promise<void>((r) => socket.close(() => r())));

describe("detectRuntimes", () => {
  it("finds shims on the host's PATH dirs, K3s's bundled bin and containerd's socket", () => {
    const found = detectRuntimes(catalogue, root, "");
    // /dev/kvm is also checked at its own path (where a pod gets the device): this machine's counts
    const kvm = existsSync("/dev/kvm") ? ["kvm"] : [];
    expect(found.runtimes.sort()).toEqual(["containerd", "gvisor", ...kvm, "wasmedge"]);
    expect(found.evidence.gvisor).toBe(join(root, "var/lib/rancher/k3s/data/abc123/bin/runsc"));
    expect(found.evidence.containerd).toBe(join(root, "run/k3s/containerd/containerd.sock"));
  });

  it("ignores a file that is not executable, and searches PATH as given", () => {
    const bin = mkdtempSync(join(tmpdir(), "isoplace-path-"));
    executable(join(bin, "wasmtime"));
    const found = detectRuntimes(catalogue, root, bin);
    expect(found.runtimes).toContain("wasmtime");
    expect(found.runtimes).not.toContain("firecracker");
  });
});
