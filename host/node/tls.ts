// The serving certificate and key of an HTTPS server, re-read when their files change
// (cert-manager renews the Secret; the kubelet swaps the mounted files with a symlink rename).
// A change is seen by fs.watch on the files' directories, and by a poll in case the watch misses
// it (network file systems, some overlay mounts). A new pair is checked (a certificate and a key
// that belong together) before server.setSecureContext swaps it in: new connections get it, open
// ones keep theirs, nothing is dropped. A half-written pair (a new certificate, the old key) is
// left for the next event or poll.
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createSecureContext, type Server } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Logger } from "pino";

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

export interface CertificateInfo {
  fingerprint256: string;
  subject: string;
  validTo: string;
  serialNumber: string;
}

export interface CertificateFilesOptions {
  certFile: string;
  keyFile: string;
  /** The fallback poll period (default 10 s). */
  pollMs?: number;
  /** Watch the directories for changes (default true); false: the poll alone (a file system without change events). */
  watchFiles?: boolean;
  /** Wait after a change event before reading, so a pair written in two steps is read whole (default 50 ms). */
  debounceMs?: number;
  logger?: Logger;
}

/** Reads and checks a certificate and its key: throws, naming the file, when they are unusable. */
export async function readKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  const [cert, key] = await Promise.all([
    readFile(certFile).catch((err) => {
      throw new Error(`cannot read the TLS certificate ${certFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }),
    readFile(keyFile).catch((err) => {
      throw new Error(`cannot read the TLS key ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }),
  ]);
  try {
    createSecureContext({ cert, key }); // throws on a bad PEM or a key that is not the certificate's
  } catch (err) {
    throw new Error(`the TLS certificate ${certFile} and key ${keyFile} are not a usable pair: ${(err as Error).message}`);
  }
  return { cert, key };
}

export function certificateInfo(cert: Buffer): CertificateInfo {
  const x = new X509Certificate(cert);
  return { fingerprint256: x.fingerprint256, subject: x.subject, validTo: x.validTo, serialNumber: x.serialNumber };
}

const digest = (p: KeyPair) => createHash("sha256").update(p.cert).update("\0").update(p.key).digest("hex");

/**
 * Events: "reload" (CertificateInfo) after a new pair is served; "rejected" (Error) when a changed
 * pair cannot be used (the previous one stays).
 */
export class CertificateFiles extends EventEmitter {
  private current: KeyPair | undefined;
  private currentDigest = "";
  private server: Server | undefined;
  private watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;

  readonly options: CertificateFilesOptions;

  constructor(options: CertificateFilesOptions) {
    super();
    this.options = options;
  }

  /** The first pair: read and checked, else throws. */
  async load(): Promise<KeyPair> {
    this.current = await readKeyPair(this.options.certFile, this.options.keyFile);
    this.currentDigest = digest(this.current);
    return this.current;
  }

  get pair(): KeyPair | undefined {
    return this.current;
  }

  /** Starts watching; changed pairs are swapped into `server`. */
  watch(server: Server): void {
    this.server = server;
    const dirs = this.options.watchFiles === false ? [] : [dirname(this.options.certFile), dirname(this.options.keyFile)];
    for (const dir of new Set(dirs)) {
      try {
        const w = watch(dir, { persistent: false }, () => this.changed());
        w.on("error", () => w.close()); // the directory went away: the poll still covers it
        this.watchers.push(w);
      } catch {
        // no watch support here: the poll covers it
      }
    }
    this.poll = setInterval(() => void this.check(), this.options.pollMs ?? 10_000);
    this.poll.unref();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  private changed(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.options.debounceMs ?? 50);
    this.debounce.unref();
  }

  /** Reads the files; a new, usable pair is swapped in. One check at a time; a change meanwhile re-checks. */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = this.read().finally(() => {
      this.checking = undefined;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    });
    return this.checking;
  }

  private async read(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await readKeyPair(this.options.certFile, this.options.keyFile);
    } catch (err) {
      // mid-update (a new certificate, the old key) or gone: the served pair stays; the next event or poll retries
      this.options.logger?.warn({ err: (err as Error).message }, "TLS certificate change not applied; the previous certificate is still served");
      this.emit("rejected", err);
      return;
    }
    const d = digest(pair);
    if (d === this.currentDigest) return;
    this.server?.setSecureContext({ cert: pair.cert, key: pair.key });
    this.current = pair;
    this.currentDigest = d;
    const info = certificateInfo(pair.cert);
    this.options.logger?.info({ certificate: info }, "TLS certificate reloaded");
    this.emit("reload", info);
  }
}
