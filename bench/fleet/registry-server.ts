// A real OCI registry for the OCI tests and the fleet simulation: Debian's docker-registry (CNCF distribution 2.8) started on
// 127.0.0.1 at a free port with a generated config (filesystem storage in a temp dir, delete
// enabled; optionally htpasswd Basic auth with a bcrypt file made here), stopped after. Its
// access log is kept, so tests can count what it served and wait on what it logged.
// The same for two other implementations, given their binary (the peers of npm run peers):
// "distribution" — the CNCF distribution registry v3, same configuration as Debian's 2.8;
// "ggcr" — go-containerregistry's registry with the OCI 1.1 referrers API on (--address, --disk).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

/** Whether the registry binary is installed (the tests that claim OCI need it: .ci/run installs it). */
export const haveRegistry = () => spawnSync(REGISTRY_BIN, ["--version"]).status === 0;

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export type RegistryKind = "docker-registry" | "distribution" | "ggcr";

export interface RegistryOptions {
  htpasswd?: { user: string; password: string };
  root?: string;
  port?: number;
  /** Which implementation (default: Debian's docker-registry), and its binary for the others. */
  kind?: RegistryKind;
  bin?: string;
}

export class RegistryServer {
  /** host:port, as written in oci:// references. */
  readonly host: string;
  readonly root: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private log = "";
  private readonly dir: string;
  private readonly o: RegistryOptions;

  private constructor(dir: string, root: string, port: number, o: RegistryOptions) {
    this.dir = dir;
    this.root = root;
    this.port = port;
    this.host = `127.0.0.1:${port}`;
    this.o = o;
  }

  /** Starts a registry; `root` reuses another's storage (a restart), `port` its address. */
  static async start(o: RegistryOptions = {}): Promise<RegistryServer> {
    const dir = await mkdtemp(join(tmpdir(), "isoplace-registry-"));
    const r = new RegistryServer(dir, o.root ?? join(dir, "storage"), o.port ?? (await freePort()), o);
    await r.run();
    return r;
  }

  get kind(): RegistryKind {
    return this.o.kind ?? "docker-registry";
  }

  private command(config: string): [string, string[]] {
    if (this.kind === "docker-registry") return [REGISTRY_BIN, ["serve", config]];
    if (!this.o.bin) throw new Error(`a ${this.kind} registry needs its binary (bin)`);
    return this.kind === "ggcr" ? [this.o.bin, ["--address", this.host, "--disk", join(this.root, "blobs")]] : [this.o.bin, ["serve", config]];
  }

  private async run(): Promise<void> {
    if (this.kind === "ggcr" && this.o.htpasswd) throw new Error("go-containerregistry's registry has no authentication");
    if (this.kind === "ggcr") await mkdir(join(this.root, "blobs"), { recursive: true });
    let auth = "";
    if (this.o.htpasswd) {
      const file = join(this.dir, "htpasswd");
      await writeFile(file, `${this.o.htpasswd.user}:${bcrypt.hashSync(this.o.htpasswd.password, 5)}\n`);
      auth = `auth:\n  htpasswd:\n    realm: isoplace-test\n    path: ${file}\n`;
    }
    const config = join(this.dir, "config.yml");
    await writeFile(
      config,
      [
        "version: 0.1",
        "log:",
        "  level: info",
        "  formatter: text",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${this.root}`,
        "  delete:",
        "    enabled: true",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        `  addr: ${this.host}`,
        "  secret: isoplace-test-secret",
        auth,
      ].join("\n"),
    );
    if (this.kind === "docker-registry" && !haveRegistry())
      throw new Error(`no ${REGISTRY_BIN}: the OCI tests and bench:fleet --registry need Debian's docker-registry (apt-get install -y docker-registry)`);
    const [bin, args] = this.command(config);
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    // never outlive the process that started it (a bench or test killed before its finally)
    const orphan = () => child.kill("SIGKILL");
    process.once("exit", orphan);
    child.once("exit", () => process.removeListener("exit", orphan));
    const from = this.log.length; // a restart: only this run's lines count
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        if (/listening on/.test(this.log.slice(from))) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`${this.kind} exited (${code}) before listening:\n${this.log.slice(-2000)}`)));
    });
    await listening;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Everything the registry has logged so far. */
  logs(): string {
    return this.log;
  }

  /** Where the log is now: responses(mark()) are those after this point. */
  mark(): number {
    return this.log.length;
  }

  /**
   * The access log: every response's method, path and status (from a position in the log on).
   * Distribution's combined format; go-containerregistry's log names the status of errors only (others are 2xx, shown as 200).
   */
  responses(from = 0): { method: string; uri: string; status: number }[] {
    const out: { method: string; uri: string; status: number }[] = [];
    const line = this.kind === "ggcr" ? /^\S+ \S+ ([A-Z]+) (\S+)(?: (\d{3}) )?/gm : /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /g;
    for (const m of this.log.slice(from).matchAll(line)) out.push({ method: m[1], uri: m[2], status: Number(m[3] ?? 200) });
    return out;
  }

  /** The file a blob (or manifest) is stored in, by digest. */
  blobFile(digest: string): string {
    const hex = digest.replace(/^sha256:/, "");
    return join(this.root, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
  }

  /** Changes one byte of a stored blob in place (same length): a compromised registry's disk. */
  async tamper(digest: string, at = -1): Promise<void> {
    const file = this.blobFile(digest);
    const bytes = await readFile(file);
    const i = at < 0 ? bytes.length + at : at;
    bytes[i] ^= 0x01;
    await writeFile(file, bytes);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
  }

  /** Stops it and removes its temp dir (storage too, unless it was another's). */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Starts it again on the same port and storage (after stop()). */
  async restart(): Promise<void> {
    await this.run();
  }
}
