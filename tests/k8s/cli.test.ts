// `isoplace webhook` and `isoplace webhook certs` as a user runs them (the built CLI).
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { runChild } from "../support/child.ts";

const CLI = join(PACKAGE_ROOT, "dist/host/cli/main.js");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "isoplace-webhook-cli-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const isoplace = (...args: string[]) => runChild(process.execPath, [CLI, ...args], { timeoutMs: 30_000 });

describe("isoplace webhook certs", () => {
  it("writes a CA, a serving certificate for NAME.NS.svc signed by it, its key (0600) and the caBundle", async () => {
    const out = tmp();
    const r = await isoplace("webhook", "certs", "--service", "placer", "--namespace", "platform", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const ca = new X509Certificate(readFileSync(join(out, "ca.crt")));
    const cert = new X509Certificate(readFileSync(join(out, "tls.crt")));
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe("DNS:placer, DNS:placer.platform, DNS:placer.platform.svc, DNS:placer.platform.svc.cluster.local");
    expect(cert.checkHost("placer.platform.svc")).toBe("placer.platform.svc");
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(out, "tls.key"))))).toBe(true);
    for (const key of ["tls.key", "ca.key"]) expect(statSync(join(out, key)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(out, "ca-bundle.txt"), "utf8").trim(), "base64").equals(readFileSync(join(out, "ca.crt")))).toBe(true);
    expect(r.stdout).toContain("kubectl -n platform create secret tls placer-tls");
  });

  it("a name that is not a DNS label is a usage error (exit 2) naming the flag", async () => {
    const r = await isoplace("webhook", "certs", "--service", "Bad_Name", "--namespace", "ns", "--out", tmp());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--service must be a DNS label/);
  });
});

describe("isoplace webhook", () => {
  it("without a certificate and key: exit 2, saying why", async () => {
    const r = await isoplace("webhook", "--port", "0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tls-cert: is required: the API server calls webhooks over HTTPS only/);
    expect(r.stderr).toMatch(/--tls-key: is required/);
  });

  it("an unknown --mode: exit 2 naming the allowed modes", async () => {
    const r = await isoplace("webhook", "--tls-cert", "x", "--tls-key", "y", "--mode", "force");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mode: must be one of fill, override, advise, got "force"/);
  });

  it("a certificate file that cannot be read, or a key that is not its own: exit 2 naming the file", async () => {
    const a = tmp(),
      b = tmp();
    await isoplace("webhook", "certs", "--service", "s", "--namespace", "n", "--out", a);
    await isoplace("webhook", "certs", "--service", "s", "--namespace", "n", "--out", b);
    let r = await isoplace("webhook", "--tls-cert", join(a, "missing.crt"), "--tls-key", join(a, "tls.key"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read the TLS certificate .*missing\.crt/);
    r = await isoplace("webhook", "--tls-cert", join(a, "tls.crt"), "--tls-key", join(b, "tls.key"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a usable pair/);
  });
});
