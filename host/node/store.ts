// The agent's data directory (--data-dir): the active policy module, its signature and the
// previous ones kept for rollback, so that after a crash or restart the agent serves the last
// policy it activated. Every file is written atomically: a temporary file, fsync, rename, fsync
// of the directory — a crash leaves either the old file or the new one, never half of one.
//
//   DATA/state.json                   which modules are kept, newest (the active one) first; per
//                                     source what it last delivered; per policy name the highest
//                                     serial activated (the downgrade guard); a staged candidate
//                                     held (pending, with its shadow counts) and refused serials
//   DATA/modules/<sha256>.wasm        a kept module, named by the SHA-256 of its bytes
//   DATA/modules/<sha256>.wasm.sig    its signed statement (DSSE envelope), when it has one. A module
//                                     re-delivered with a newer statement gets the new one; a crash
//                                     before the state is written leaves a kept entry whose .sig is
//                                     that newer statement for the same bytes — still valid for them,
//                                     and what a rollback or restart re-verifies and then shows.
import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crashPoint, saveBegins } from "./crash-point.ts";
import { emptyState, table, type PolicyStoreLike, type SerialMark, type StoredState } from "../delivery/state.ts";

export type { StoredState } from "../delivery/state.ts";

const SHA = /^[0-9a-f]{64}$/;
const STATE_TEMP = /^state\.json\.[0-9a-f-]{36}\.tmp$/;

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync dir. `point`: the crash test's name for this write. */
async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644, point?: string): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  if (point) crashPoint(`${point}.synced`);
  await rename(tmp, path);
  if (point) crashPoint(`${point}.renamed`);
  await syncDir(dirname(path));
}

export class PolicyStore implements PolicyStoreLike {
  readonly dir: string;
  private readonly modules: string;

  constructor(dir: string) {
    this.dir = dir;
    this.modules = join(dir, "modules");
  }

  async init(): Promise<void> {
    await mkdir(this.modules, { recursive: true });
  }

  private modulePath(sha: string): string {
    if (!SHA.test(sha)) throw new Error(`not a SHA-256: ${sha}`);
    return join(this.modules, `${sha}.wasm`);
  }

  /** The saved state; empty when there is none. Throws when state.json exists but is unreadable. */
  async load(): Promise<StoredState> {
    let text: string;
    try {
      text = await readFile(join(this.dir, "state.json"), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw err;
    }
    const s = JSON.parse(text) as StoredState;
    if (s?.format !== 1 || !Array.isArray(s.kept)) throw new Error(`${join(this.dir, "state.json")} is not an isoplace state file (format 1)`);
    return {
      format: 1,
      kept: s.kept.filter((e) => e && SHA.test(e.moduleSha256)),
      sources: table(s.sources),
      serials: validSerials(s.serials),
      // a staged candidate and the guard's refusals (the manager checks the candidate again before it holds it)
      ...(s.pending && SHA.test(s.pending.moduleSha256) ? { pending: s.pending } : {}),
      ...(s.refused && typeof s.refused === "object" ? { refused: table(s.refused) } : {}),
    };
  }

  /** A kept module's bytes and signed statement; null when its file is gone. */
  async readModule(sha: string): Promise<{ bytes: Uint8Array; envelope: string | null } | null> {
    const path = this.modulePath(sha);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    let envelope: string | null = null;
    try {
      envelope = (await readFile(`${path}.sig`, "utf8")).trim();
    } catch {
      /* unsigned: the built-in default */
    }
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), envelope };
  }

  /** Saves a module (when given) and then the state that refers to it; removes modules no longer kept and temporary files a crash left. */
  async save(state: StoredState, module?: { sha: string; bytes: Uint8Array; envelope: string | null }): Promise<void> {
    saveBegins();
    crashPoint("save.start");
    await this.init();
    if (module) {
      const path = this.modulePath(module.sha);
      if (module.envelope) await writeFileAtomic(`${path}.sig`, `${module.envelope}\n`, 0o644, "sig");
      await writeFileAtomic(path, module.bytes, 0o644, "module");
    }
    await writeFileAtomic(join(this.dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`, 0o644, "state");
    const keep = new Set([...state.kept.filter((e) => !e.builtIn), ...(state.pending ? [state.pending] : [])].map((e) => `${e.moduleSha256}.wasm`));
    for (const f of await readdir(this.modules)) {
      const base = f.replace(/\.sig$/, "");
      if (!keep.has(base)) await rm(join(this.modules, f), { force: true });
    }
    // a crash inside writeFileAtomic(state.json) leaves its temporary file: nothing reads it, but it would stay forever
    for (const f of await readdir(this.dir)) if (STATE_TEMP.test(f)) await rm(join(this.dir, f), { force: true });
    crashPoint("save.done");
  }
}

/** The serial marks of a state file, keeping only well-formed ones (a hand-edited file cannot lower a mark to a non-number). */
function validSerials(v: unknown): Record<string, SerialMark> {
  const out = table<SerialMark>();
  if (!v || typeof v !== "object") return out;
  for (const [name, m] of Object.entries(v as Record<string, SerialMark>)) {
    if (m && Number.isSafeInteger(m.serial) && m.serial > 0 && typeof m.moduleSha256 === "string")
      out[name] = { serial: m.serial, moduleSha256: m.moduleSha256, ...(m.rolledBack ? { rolledBack: true } : {}) };
  }
  return out;
}
