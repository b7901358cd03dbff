// Certificates for the webhook where cert-manager is not installed: a CA and a serving
// certificate for NAME.NS.svc, made with the openssl command (OpenSSL 3; Node's crypto can make
// keys but cannot sign X.509). Keys are EC P-256, written mode 0600.
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CertificateRequest {
  service: string;
  namespace: string;
  outDir: string;
  /** Days the serving certificate is valid (default 365; the CA: 10 years). */
  days?: number;
  /** Extra subject alternative names: DNS names or IP addresses (e.g. 127.0.0.1 for a local test). */
  extraNames?: string[];
  /** Sign with this existing CA instead of making one (a renewal: the caBundle stays). */
  ca?: { cert: string; key: string };
}

export interface CertificateFiles {
  caCert: string;
  caKey?: string;
  cert: string;
  key: string;
  caBundle: string;
  /** The names the serving certificate is for. */
  names: string[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i;

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("the openssl command is needed to make certificates (e.g. apt-get install openssl)");
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split("\n").slice(-2).join(" ")}`);
  }
}

const newKey = (path: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);

function serviceNames(service: string, namespace: string): string[] {
  for (const [flag, v] of [
    ["--service", service],
    ["--namespace", namespace],
  ]) {
    if (!DNS_LABEL.test(v)) throw new RangeError(`${flag} must be a DNS label (lower-case letters, digits, '-', ≤ 63), got "${v}"`);
  }
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** A random positive 127-bit serial (RFC 5280: unique per CA, ≤ 20 octets). */
function serial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f;
  return `0x${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;
}

export async function makeCertificates(r: CertificateRequest): Promise<CertificateFiles> {
  const names = [...serviceNames(r.service, r.namespace), ...(r.extraNames ?? [])];
  await mkdir(r.outDir, { recursive: true });
  const path = (f: string) => join(r.outDir, f);
  let caCert = path("ca.crt"),
    caKey: string | undefined = path("ca.key");
  if (r.ca) {
    caCert = r.ca.cert;
    caKey = r.ca.key;
  } else {
    await newKey(caKey);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      caKey,
      "-sha256",
      "-days",
      "3650",
      "-subj",
      `/CN=${r.service}.${r.namespace} admission CA`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      caCert,
    ]);
  }
  const key = path("tls.key"),
    cert = path("tls.crt"),
    csr = path("tls.csr"),
    ext = path("tls.ext");
  await newKey(key);
  await openssl(["req", "-new", "-key", key, "-subj", `/CN=${r.service}.${r.namespace}.svc`, "-out", csr]);
  const san = names.map((n) => (IP.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  await writeFile(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
  try {
    await openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      caCert,
      "-CAkey",
      caKey,
      "-set_serial",
      serial(),
      "-days",
      String(r.days ?? 365),
      "-sha256",
      "-extfile",
      ext,
      "-out",
      cert,
    ]);
  } finally {
    await rm(csr, { force: true });
    await rm(ext, { force: true });
  }
  for (const k of r.ca ? [key] : [key, caKey]) await chmod(k, 0o600);
  const caBundle = path("ca-bundle.txt");
  await writeFile(caBundle, `${(await readFile(caCert)).toString("base64")}\n`);
  return { caCert, ...(r.ca ? {} : { caKey }), cert, key, caBundle, names };
}
