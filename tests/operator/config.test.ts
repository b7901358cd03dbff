// Each configuration mistake of `serve` ends it with exit 2 and a message naming the flag or
// variable and what is allowed, before any policy is loaded or port opened (nothing logged).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startServe } from "./support/run.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "isoplace-config-"));
  await writeFile(join(dir, "a-file"), "not a directory\n");
  await writeFile(join(dir, "short-token"), "short\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  args?: string[];
  env?: Record<string, string>;
  names: string;
  says: RegExp[];
}
const cases: Case[] = [
  { name: "--port out of range", args: ["--port", "99999"], names: "--port", says: [/integer from 0 to 65535/, /"99999"/] },
  { name: "PORT not a number", env: { PORT: "abc" }, names: "PORT", says: [/integer from 0 to 65535/, /"abc"/] },
  { name: "--port not an integer", args: ["--port", "80.5"], names: "--port", says: [/integer/] },
  { name: "--host not an address", args: ["--host", "bad_host!"], names: "--host", says: [/IP address .* or a host name/, /"bad_host!"/] },
  { name: "HOST not an address", env: { HOST: "http://0.0.0.0" }, names: "HOST", says: [/IP address/] },
  {
    name: "ISOPLACE_RUNTIMES with a typo",
    env: { ISOPLACE_RUNTIMES: "containerd,wasm-edge" },
    names: "ISOPLACE_RUNTIMES",
    says: [/unknown runtime "wasm-edge"/, /allowed: .*containerd.*wasmedge/],
  },
  { name: "--runtimes with a typo", args: ["--runtimes", "kvm,cantainerd"], names: "--runtimes", says: [/unknown runtime "cantainerd"/, /allowed: /] },
  { name: "--runtimes naming none", args: ["--runtimes", ","], names: "--runtimes", says: [/names no runtime/] },
  { name: "--poll-interval zero", args: ["--poll-interval", "0"], names: "--poll-interval", says: [/more than 0/] },
  { name: "--poll-interval not a number", args: ["--poll-interval", "soon"], names: "--poll-interval", says: [/number of seconds/] },
  { name: "LOG_LEVEL unknown", env: { LOG_LEVEL: "loud" }, names: "LOG_LEVEL", says: [/one of fatal, error, warn, info, debug, trace, silent/] },
  { name: "--host-root missing", args: ["--detect", "--host-root", "/nonexistent/isoplace"], names: "--host-root", says: [/existing directory/] },
  {
    name: "ISOPLACE_HOST_ROOT missing",
    args: ["--detect"],
    env: { ISOPLACE_HOST_ROOT: "/nonexistent/isoplace" },
    names: "ISOPLACE_HOST_ROOT",
    says: [/existing directory/],
  },
  { name: "--data-dir a file", args: ["--data-dir", "@/a-file"], names: "--data-dir", says: [/must be a directory/] },
  { name: "ISOPLACE_DATA_DIR a file", env: { ISOPLACE_DATA_DIR: "@/a-file" }, names: "ISOPLACE_DATA_DIR", says: [/must be a directory/] },
  { name: "--trusted-key missing", args: ["--trusted-key", "@/nope.pub"], names: "--trusted-key", says: [/cannot read the trusted key/, /ENOENT/] },
  { name: "ISOPLACE_TRUSTED_KEYS not a key", env: { ISOPLACE_TRUSTED_KEYS: "@/a-file" }, names: "ISOPLACE_TRUSTED_KEYS", says: [/a-file/] },
  { name: "--admin-token-file too short", args: ["--admin-token-file", "@/short-token"], names: "--admin-token-file", says: [/at least 16 characters/] },
  { name: "ISOPLACE_ADMIN_TOKEN too short", env: { ISOPLACE_ADMIN_TOKEN: "short" }, names: "ISOPLACE_ADMIN_TOKEN", says: [/at least 16 characters/] },
  { name: "--rollout-bucket 100", args: ["--rollout-bucket", "100"], names: "--rollout-bucket", says: [/from 0 up to \(not including\) 100/, /"100"/] },
  { name: "--rollout-bucket not a number", args: ["--rollout-bucket", "canary"], names: "--rollout-bucket", says: [/a number from 0/, /"canary"/] },
  { name: "ISOPLACE_NODE_NAME blank", env: { ISOPLACE_NODE_NAME: " " }, names: "ISOPLACE_NODE_NAME", says: [/non-empty name/] },
  {
    name: "--policy of an unknown scheme",
    args: ["--policy", "ftp://example.invalid/p.wasm"],
    names: "--policy",
    says: [/the scheme "ftp:\/\/" is not supported/, /supported: .*http/],
  },
  {
    name: "--policy without a trusted key",
    args: ["--policy", "@/policy.wasm"],
    names: "--policy",
    says: [/needs a key to verify what it delivers: give --trusted-key FILE \(or ISOPLACE_TRUSTED_KEYS\)/],
  },
  {
    name: "ISOPLACE_POLICY without a trusted key",
    env: { ISOPLACE_POLICY: "oci://registry.example/isoplace/policy:stable" },
    names: "ISOPLACE_POLICY",
    says: [/--trusted-key/, /every module from oci:\/\/registry\.example\/isoplace\/policy:stable would be rejected/],
  },
  { name: "--require-policy without --policy", args: ["--require-policy"], names: "--require-policy", says: [/waits for a policy from --policy/] },
];

const at = (s: string) => s.replace("@", dir);

describe("serve: configuration mistakes", () => {
  it.each(cases)("$name: exit 2 naming it", async (c) => {
    const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, at(v)]));
    const port = c.env?.PORT || c.args?.includes("--port") ? [] : ["--port", "0"];
    const r = await run(["serve", ...port, ...(c.args ?? []).map(at)], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^isoplace: invalid configuration:\n/);
    expect(r.stderr).toContain(`  ${c.names}: `);
    for (const re of c.says) expect(r.stderr).toMatch(re);
    expect(r.stdout).toBe(""); // nothing loaded, nothing listening
  });

  it("a port in use: exit 2 naming --port (or PORT) and what to do, and the process ends", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = String((busy.address() as AddressInfo).port);
    try {
      const [flag, env] = await Promise.all([run(["serve", "--port", port]), run(["serve"], { env: { PORT: port } })]);
      expect(flag.code, flag.stderr).toBe(2);
      expect(flag.stderr).toBe(
        `isoplace: invalid configuration:\n  --port: 127.0.0.1:${port} is already in use (another isoplace, or another server): choose another with --port N (or PORT=N), or 0 for any free port\n`,
      );
      expect(env.code, env.stderr).toBe(2);
      expect(env.stderr).toContain(`  PORT: 127.0.0.1:${port} is already in use`);
      expect(env.stderr).toContain("choose another with PORT=N, or 0 for any free port");
    } finally {
      busy.close();
    }
  });

  it("reports every mistake at once", async () => {
    const r = await run(["serve", "--host", "no such host", "--poll-interval", "-1", "--rollout-bucket", "-3"], {
      env: { PORT: "70000", LOG_LEVEL: "verbose" },
    });
    expect(r.code).toBe(2);
    for (const name of ["--host", "--poll-interval", "PORT", "LOG_LEVEL", "--rollout-bucket"]) expect(r.stderr).toContain(`  ${name}: `);
  });

  it("a good configuration from the environment starts, runtimes given by id, normalised", async () => {
    const agent = await startServe([], { env: { ISOPLACE_RUNTIMES: " containerd , wasmedge,containerd", HOST: "127.0.0.1", LOG_LEVEL: "info" } });
    try {
      const profile = agent
        .output()
        .split("\n")
        .find((l) => l.includes("node profile: configured"));
      expect(JSON.parse(profile!).runtimes).toEqual(["containerd", "wasmedge"]);
      const res = await fetch(`${agent.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect((await res.json()).node).toEqual({ source: "configured", runtimes: ["containerd", "wasmedge"] });
    } finally {
      await agent.stop();
    }
  });
});
