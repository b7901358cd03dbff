// What an agent remembers about its policies, and the store interface the manager persists it
// through (host/node/store.ts writes it to the data directory, atomically). Runtime-neutral.

/** A kept policy: the active one or one of the previous ones kept for rollback. */
export interface StoredEntry {
  moduleSha256: string;
  name: string;
  version: string;
  /** The policy source's SHA-256 (as in the module's metadata). */
  sha256: string;
  abi: number;
  source: string;
  activatedAt: string;
  /** The default policy of the package: not stored, loaded from the package again. */
  builtIn?: boolean;
  /** The trusted key that signed it. */
  keyId?: string | null;
  /** Its signed statement's serial, issue time and expiry. */
  serial?: number;
  issuedAt?: string;
  expires?: string;
  /** Set when the admin rollback activated it: what it replaced. */
  rollback?: { from: { name: string; version: string; serial?: number; moduleSha256: string } };
  /** Set when its statement staged it: how this agent came to adopt it. */
  adoption?: Adoption;
}

/** How an agent adopted a staged candidate (rollout.ts): its bucket, its step, and what the guard said. */
export interface Adoption {
  bucket: number;
  percent: number;
  opensAt: string;
  /** none: the statement has no guard; passed; silent: too little traffic for the guard to speak. */
  guard: "none" | "passed" | "silent";
  decisions: number;
  changed: number;
  message: string;
}

/** A change seen in the shadow: from the active policy's placement to the candidate's, how often, and the first request that showed it. */
export interface Transition {
  from: string;
  to: string;
  count: number;
  example: string;
}

/** What the shadow evaluation of a pending candidate has seen (shadow.ts). */
export interface ShadowCounts {
  decisions: number;
  changed: number;
  /** Live decisions not decided in the shadow (over the budget, or while the request schemas loaded). */
  unsampled: number;
  /** The transitions seen, most frequent first. */
  transitions: Transition[];
}

/** A staged candidate held until its step opens and its guard has spoken; its module is kept beside the others. */
export interface PendingEntry {
  name: string;
  version: string;
  serial: number;
  moduleSha256: string;
  source: string;
  /** When this agent first held it (the bake counts from here when that is after its step opened). */
  since: string;
  /** The shadow counts so far (saved as they grow, at most every review period, and at a stop). */
  shadow: ShadowCounts;
}

/** A serial the guard refused: never tried again. */
export interface RefusedMark {
  serial: number;
  moduleSha256: string;
  at: string;
}

/** Per policy name: the highest serial activated, and for which module. */
export interface SerialMark {
  serial: number;
  moduleSha256: string;
  /** The admin rolled back from this statement: re-delivering it does not undo the rollback. */
  rolledBack?: boolean;
}

export interface StoredState {
  format: 1;
  /** Newest first: kept[0] is the active policy, the rest are the rollback history. */
  kept: StoredEntry[];
  /** Per source, the tag (ETag or content digest) of what it last delivered, so a restart does not refetch it. */
  sources: Record<string, { tag: string; moduleSha256: string }>;
  /** Per policy name, the highest serial activated (never lowered, rollback included). */
  serials: Record<string, SerialMark>;
  /** The staged candidate held, if any. */
  pending?: PendingEntry;
  /** Per policy name, the serials its guard refused (the latest few). */
  refused?: Record<string, RefusedMark[]>;
}

/**
 * A table keyed by names from data (policy names, source keys): no prototype, so a name such as
 * "constructor" or "__proto__" is looked up among its own entries only and set as one.
 */
export function table<T>(from?: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  if (from && typeof from === "object") for (const key of Object.keys(from)) out[key] = from[key];
  return out;
}

export const emptyState = (): StoredState => ({ format: 1, kept: [], sources: table(), serials: table() });

/** Where the manager keeps its state and the kept modules with their signature envelopes. */
export interface PolicyStoreLike {
  /** Shown in logs. */
  readonly dir: string;
  init(): Promise<void>;
  /** The saved state; empty when there is none. Throws when it exists but is unreadable. */
  load(): Promise<StoredState>;
  /** A kept module's bytes and envelope; null when it is gone. */
  readModule(sha: string): Promise<{ bytes: Uint8Array; envelope: string | null } | null>;
  /** Saves a module (when given) and then the state that refers to it, each atomically. */
  save(state: StoredState, module?: { sha: string; bytes: Uint8Array; envelope: string | null }): Promise<void>;
}
