// --policy FILE: a local module and FILE.sig beside it, watched. This is how a Kubernetes (K3s)
// ConfigMap delivers: the kubelet writes a new timestamped directory and swaps the `..data`
// symlink, so the file's own inode never changes. Hence the watch is on the directory (any event
// there re-reads FILE and FILE.sig, after a short debounce), with a slow poll as a fallback for
// file systems where fs.watch says nothing (NFS, some overlay mounts). A candidate is offered
// only when the bytes or the signature changed since the last offer.
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { sha256Hex } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import type { OfferResult, PolicyManager, SourceTag } from "./manager.ts";
import { MAX_MODULE_BYTES, type Candidate } from "./pipeline.ts";

export interface FileSourceOptions {
  path: string;
  manager: () => PolicyManager | undefined;
  /** Wait this long after the last change event before reading (writers touch several files). */
  debounceMs?: number;
  /** Re-read this often whatever the watcher says. */
  pollMs?: number;
  maxBytes?: number;
  logger?: Logger;
}

export type FileCheck = OfferResult | { status: "same" | "missing" };

export class FileSource {
  readonly path: string;
  readonly key: string;
  private readonly o: FileSourceOptions;
  private lastDigest: string | undefined;
  private watcher: FSWatcher | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<FileCheck> | undefined;
  private again = false;
  private missingNoted = false;

  constructor(o: FileSourceOptions) {
    this.o = o;
    this.path = resolve(o.path);
    this.key = `file:${this.path}`;
  }

  /** Reads FILE and FILE.sig as a candidate, remembering it as offered (used at start). Null when FILE is missing. */
  async readCandidate(): Promise<{ candidate: Candidate; tag: SourceTag } | null> {
    const read = await this.read();
    if (!read) return null;
    this.lastDigest = read.digest;
    if ("tooBig" in read) throw new PolicyRejectedError("size", `${this.path} is ${read.tooBig} bytes; the limit is ${this.maxBytes}`);
    return { candidate: read.candidate, tag: { key: this.key, value: read.digest } };
  }

  start(): void {
    this.lastDigest ??= this.o.manager()?.tag(this.key);
    this.watchDir();
    this.pollTimer = setInterval(() => {
      if (!this.watcher) this.watchDir();
      void this.check();
    }, this.o.pollMs ?? 10_000);
    this.pollTimer.unref();
    void this.check();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.pollTimer);
    clearTimeout(this.debounce);
  }

  /** Reads the file now and offers it when it changed. Concurrent calls coalesce into one more run. */
  check(): Promise<FileCheck> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<FileCheck> => {
      let result: FileCheck;
      do {
        this.again = false;
        result = await this.checkOnce();
      } while (this.again);
      return result;
    };
    this.running = run().finally(() => { this.running = undefined; });
    return this.running;
  }

  private watchDir(): void {
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        // ConfigMaps change `..data`, plain updates change FILE or FILE.sig; other files are not ours
        const n = name?.toString();
        if (n && !n.startsWith("..") && !n.startsWith(basename(this.path))) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.check(), this.o.debounceMs ?? 200);
      });
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.o.logger?.warn({ path: this.path, err: (err as Error).message }, "cannot watch the policy file's directory; polling only");
      this.watcher = undefined;
    }
  }

  private async checkOnce(): Promise<FileCheck> {
    const manager = this.o.manager();
    if (!manager) return { status: "same" };
    let read: Awaited<ReturnType<FileSource["read"]>>;
    try {
      read = await this.read();
    } catch (err) {
      manager.noteSourceError(this.key, `cannot read ${this.path}: ${(err as Error).message}`);
      return { status: "missing" };
    }
    if (!read) {
      if (!this.missingNoted) manager.noteSourceError(this.key, `${this.path} does not exist`);
      this.missingNoted = true;
      return { status: "missing" };
    }
    this.missingNoted = false;
    if (read.digest === this.lastDigest) {
      manager.noteCheck();
      return { status: "same" };
    }
    this.lastDigest = read.digest;
    if ("tooBig" in read) return manager.reject(this.key, "size", `${this.path} is ${read.tooBig} bytes; the limit is ${this.maxBytes}`);
    return manager.offer(read.candidate, { key: this.key, value: read.digest });
  }

  private get maxBytes(): number { return this.o.maxBytes ?? MAX_MODULE_BYTES; }

  private async read(): Promise<{ candidate: Candidate; digest: string } | { tooBig: number; digest: string } | null> {
    let bytes: Uint8Array;
    try {
      const size = (await stat(this.path)).size;
      if (size > this.maxBytes) return { tooBig: size, digest: `size:${size}` };
      const buf = await readFile(this.path);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    let signature: string | null = null;
    try {
      signature = (await readFile(`${this.path}.sig`, "utf8")).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const digest = `${await sha256Hex(bytes)}:${await sha256Hex(new TextEncoder().encode(signature ?? ""))}`;
    return { candidate: { bytes, signature, source: this.key }, digest };
  }
}
