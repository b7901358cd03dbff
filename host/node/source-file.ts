// --policy FILE (or file://…): a local module and FILE.sig (its signed statement) beside it,
// watched. This is how a Kubernetes (K3s) ConfigMap delivers: the kubelet writes a new
// timestamped directory and swaps the `..data` symlink, so the file's own inode never changes.
// Hence the watch is on the directory (any event there re-reads FILE and FILE.sig, after a short
// debounce), with a slow poll (the shared Poller) as a fallback for file systems where fs.watch
// says nothing (NFS, some overlay mounts). A delivery is offered only when the bytes or the
// statement changed since the last offer.
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../engine/digest.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { MAX_ENVELOPE_BYTES, MAX_MODULE_BYTES } from "../delivery/limits.ts";
import type { LoggerLike } from "../delivery/logger.ts";
import { CheckCount, Poller } from "../delivery/poller.ts";
import type { Delivery, OfferResult, PolicySink, PolicySource, SourceFactory } from "../delivery/source.ts";

export interface FileSourceOptions {
  path: string;
  /** Wait this long after the last change event before reading (writers touch several files). */
  debounceMs?: number;
  /** Re-read this often whatever the watcher says. */
  pollMs?: number;
  maxBytes?: number;
  logger?: LoggerLike;
}

export type FileCheck = OfferResult | { status: "same" | "missing" };

type Read = { delivery: Delivery; digest: string } | { tooBig: number; digest: string };

export class FileSource implements PolicySource {
  readonly path: string;
  readonly key: string;
  /** Finished checks (watch events and fallback polls alike). */
  readonly checks = new CheckCount();
  private readonly o: FileSourceOptions;
  private readonly poller: Poller;
  private sink: PolicySink | undefined;
  private lastDigest: string | undefined;
  private watcher: FSWatcher | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<FileCheck> | undefined;
  private again = false;
  private missingNoted = false;
  private watchWarned = false;

  constructor(o: FileSourceOptions) {
    this.o = o;
    this.path = resolve(o.path);
    this.key = `file:${this.path}`;
    this.poller = new Poller(
      async () => {
        if (!this.watcher) this.watchDir();
        return (await this.check()).status !== "missing";
      },
      { intervalMs: o.pollMs ?? 10_000, jitter: 0, maxBackoffMs: o.pollMs ?? 10_000, firstDelayMs: 0 },
    );
  }

  /** Reads FILE and FILE.sig as the delivery to consider at start. Throws when FILE cannot be read or is too big. */
  async initial(): Promise<Delivery> {
    let read: Read | null;
    try {
      read = await this.read();
    } catch (err) {
      this.missingNoted = true;
      throw new PolicyRejectedError("source", `cannot read the policy ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!read) {
      this.missingNoted = true;
      throw new PolicyRejectedError(
        "source",
        `the policy ${this.path} does not exist (check --policy); serving the built-in or last activated policy until it appears`,
      );
    }
    this.lastDigest = read.digest;
    if ("tooBig" in read) throw new PolicyRejectedError("size", `${this.path} is ${read.tooBig} bytes; the limit is ${this.maxBytes}`);
    return read.delivery;
  }

  start(sink: PolicySink): void {
    this.sink = sink;
    this.lastDigest ??= sink.tag(this.key);
    this.watchDir();
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
    this.watcher?.close();
    this.watcher = undefined;
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
        this.checks.bump();
      } while (this.again);
      return result;
    };
    this.running = run().finally(() => {
      this.running = undefined;
    });
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
      this.watchWarned = false;
    } catch (err) {
      // retried on every poll, said once; a missing directory is the missing file, already said
      if (!this.watchWarned && (err as NodeJS.ErrnoException).code !== "ENOENT")
        this.o.logger?.warn({ path: this.path, err: (err as Error).message }, "cannot watch the policy file's directory; polling only");
      this.watchWarned = true;
      this.watcher = undefined;
    }
  }

  private async checkOnce(): Promise<FileCheck> {
    const sink = this.sink;
    if (!sink) return { status: "same" };
    let read: Read | null;
    try {
      read = await this.read();
    } catch (err) {
      sink.noteSourceError(this.key, `cannot read ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return { status: "missing" };
    }
    if (!read) {
      if (!this.missingNoted) sink.noteSourceError(this.key, `the policy ${this.path} does not exist (check --policy)`);
      this.missingNoted = true;
      return { status: "missing" };
    }
    this.missingNoted = false;
    if (read.digest === this.lastDigest) {
      sink.noteCheck(this.key);
      return { status: "same" };
    }
    this.lastDigest = read.digest;
    if ("tooBig" in read) return sink.reject(this.key, "size", `${this.path} is ${read.tooBig} bytes; the limit is ${this.maxBytes}`);
    return sink.offer(read.delivery);
  }

  private get maxBytes(): number {
    return this.o.maxBytes ?? MAX_MODULE_BYTES;
  }

  private async read(): Promise<Read | null> {
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
    let envelope: string | null = null;
    try {
      const sig = `${this.path}.sig`;
      if ((await stat(sig)).size > MAX_ENVELOPE_BYTES) throw new Error(`${sig} is over the ${MAX_ENVELOPE_BYTES}-byte limit of a signature envelope`);
      envelope = (await readFile(sig, "utf8")).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const digest = `${await sha256Hex(bytes)}:${await sha256Hex(new TextEncoder().encode(envelope ?? ""))}`;
    return { delivery: { bytes, envelope, source: this.key, tag: { key: this.key, value: digest } }, digest };
  }
}

/** The source of a file:// reference or a bare path, for the agent to register (host/node/sources.ts). */
export const fileSource: SourceFactory = (ref, ctx) =>
  new FileSource({
    path: ref.toLowerCase().startsWith("file://") ? fileURLToPath(ref) : ref,
    ...ctx.watch,
    maxBytes: ctx.maxBytes,
    logger: ctx.logger,
  });
