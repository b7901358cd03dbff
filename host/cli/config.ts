// `serve`'s configuration, checked before the agent loads any policy or opens any port: each
// mistake names the flag or environment variable it came from and what is allowed, all of them
// at once, exit 2. Runtimes are checked with the request schema itself (POST /v1/decide's
// node.runtimes), so a typo gets the same message here as in a request.
import { statSync } from "node:fs";
import { isIP } from "node:net";
import type { Engine } from "../engine/engine.ts";
import { InvalidRequestError } from "../engine/errors.ts";
import { loadValidation } from "../engine/validation.ts";
import { UsageError } from "./errors.ts";

/** One mistake: the flag or variable (`--port`, `PORT`) and what is wrong with it. */
export interface ConfigProblem {
  name: string;
  message: string;
}

export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.name}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** A raw value and where it came from: the flag, or the variable when it was read from the environment. */
export interface Given<T = string> {
  value: T;
  name: string;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const shown = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

// Plain checks, not zod: `serve` runs them at every start, and zod is loaded only once the agent
// answers (engine/validation.ts). Each gives the value read, or undefined when it is not allowed.
const port = (s: string) => (/^\d{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
const host = (s: string) => (isIP(s) !== 0 || HOSTNAME.test(s) ? s : undefined);
const seconds = (s: string) => {
  const n = s.trim() === "" ? NaN : Number(s.trim());
  return Number.isFinite(n) && n > 0 && n <= 86_400 ? n : undefined;
};
const logLevel = (s: string) => ((LOG_LEVELS as readonly string[]).includes(s) ? s : undefined);
const count = (s: string) => (/^\d{1,5}$/.test(s.trim()) && Number(s) >= 1 && Number(s) <= 65535 ? Number(s) : undefined);
const timeout = (s: string) => {
  const n = s.trim() === "" ? NaN : Number(s.trim());
  return Number.isFinite(n) && n >= 0.1 && n <= 3600 ? n : undefined;
};

/** Each check: how the value is read and the message when it is not allowed (the value is appended). */
const CHECKS = {
  port: [port, "must be an integer from 0 to 65535 (0: any free port)"],
  host: [host, "must be an IP address (127.0.0.1, 0.0.0.0, ::1, ::) or a host name"],
  pollInterval: [seconds, "must be a number of seconds, more than 0 and at most 86400"],
  logLevel: [logLevel, `must be one of ${LOG_LEVELS.join(", ")}`],
  maxConnections: [count, "must be an integer from 1 to 65535"],
  timeout: [timeout, "must be a number of seconds, at least 0.1 and at most 3600"],
} as const;

export interface RawServeConfig {
  host: Given;
  port: Given;
  pollInterval: Given;
  logLevel?: Given;
  /** The server's limits (--max-connections, --headers-timeout, --request-timeout). */
  maxConnections?: Given;
  headersTimeout?: Given;
  requestTimeout?: Given;
  runtimes?: Given<string[]>;
  hostRoot?: Given;
  dataDir?: Given;
}

export interface ServeConfig {
  host: string;
  port: number;
  pollIntervalS: number;
  logLevel?: string;
  runtimes?: string[];
  /** What was given of the server's limits (the agent's defaults fill in the rest). */
  limits: { maxConnections?: number; headersTimeoutMs?: number; requestTimeoutMs?: number };
}

function kindOf(path: string): "dir" | "file" | "other" | "missing" {
  try {
    const st = statSync(path);
    return st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
  } catch {
    return "missing";
  }
}

/**
 * Checks everything that needs no policy. Runtimes are checked after, against the policy
 * (checkRuntimes). Throws ConfigError listing every problem.
 */
export function checkServeConfig(raw: RawServeConfig): ServeConfig {
  const problems: ConfigProblem[] = [];
  const check = <K extends keyof typeof CHECKS>(key: K, given: Given | undefined): ReturnType<(typeof CHECKS)[K][0]> | undefined => {
    if (!given) return undefined;
    const [read, message] = CHECKS[key];
    const value = read(given.value) as ReturnType<(typeof CHECKS)[K][0]>;
    if (value !== undefined) return value;
    problems.push({ name: given.name, message: `${message}, got ${shown(given.value)}` });
    return undefined;
  };
  const config = {
    host: check("host", raw.host) ?? "",
    port: check("port", raw.port) ?? 0,
    pollIntervalS: check("pollInterval", raw.pollInterval) ?? 0,
    logLevel: check("logLevel", raw.logLevel),
    runtimes: raw.runtimes?.value,
    limits: {} as ServeConfig["limits"],
  };
  const maxConnections = check("maxConnections", raw.maxConnections);
  const headers = check("timeout", raw.headersTimeout),
    request = check("timeout", raw.requestTimeout);
  if (maxConnections !== undefined) config.limits.maxConnections = maxConnections;
  if (headers !== undefined) config.limits.headersTimeoutMs = Math.round(headers * 1000);
  if (request !== undefined) config.limits.requestTimeoutMs = Math.round(request * 1000);
  if (headers !== undefined && request !== undefined && headers > request) {
    problems.push({
      name: raw.headersTimeout!.name,
      message: `must not be longer than ${raw.requestTimeout!.name} (${raw.requestTimeout!.value} s: the whole request, headers included), got ${shown(raw.headersTimeout!.value)}`,
    });
  }
  if (raw.runtimes && raw.runtimes.value.length === 0)
    problems.push({ name: raw.runtimes.name, message: "names no runtime; give ids separated by commas (e.g. containerd,wasmedge)" });
  if (raw.hostRoot && kindOf(raw.hostRoot.value) !== "dir") {
    problems.push({
      name: raw.hostRoot.name,
      message: `must be an existing directory (where the host's file system is mounted), got ${shown(raw.hostRoot.value)}`,
    });
  }
  if (raw.dataDir) {
    const kind = kindOf(raw.dataDir.value);
    if (raw.dataDir.value.trim() === "" || (kind !== "dir" && kind !== "missing")) {
      problems.push({
        name: raw.dataDir.name,
        message: `must be a directory (created when missing), got ${shown(raw.dataDir.value)}${kind === "file" ? ", a file" : ""}`,
      });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/**
 * The node's runtimes as the request schema reads `node.runtimes`: ids or aliases of the given
 * policies' runtimes (the built-in one, and the one a data directory restores), normalised to
 * ids. Throws ConfigError naming the flag or variable, the bad ids and the allowed ones.
 */
export async function checkRuntimes(given: Given<string[]>, engines: Engine[]): Promise<string[]> {
  const { parseOrThrow } = await loadValidation();
  const errors: string[] = [];
  for (const engine of engines) {
    try {
      const parsed = parseOrThrow(engine.schemas.decide, { node: { runtimes: given.value } });
      return [...new Set((parsed.runtimes ?? []).map((i) => engine.catalogue.runtimes[i].id))];
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      if (!errors.length) errors.push(...err.errors.map((e) => e.message));
    }
  }
  throw new ConfigError(errors.map((message) => ({ name: given.name, message })));
}
