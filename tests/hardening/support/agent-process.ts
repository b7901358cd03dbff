// `isoplace serve` as a real child process on 127.0.0.1 (ephemeral port), for the crash test,
// the log test and the soak script: started from dist/ when it is built and not older than the
// sources (it starts in ~0.6 s, the TypeScript sources in ~1 s), else from the sources
// (ISOPLACE_AGENT_ENTRY=source forces them); its output captured.
import type { ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../../host/package.ts";
import { spawnChild } from "../../support/child.ts";

const DIST_MAIN = join(PACKAGE_ROOT, "dist/host/cli/main.js");
const SOURCE_MAIN = join(PACKAGE_ROOT, "host/cli/main.ts");

function distIsCurrent(): boolean {
  let built: number;
  try {
    built = statSync(DIST_MAIN).mtimeMs;
  } catch {
    return false;
  }
  const host = join(PACKAGE_ROOT, "host");
  return readdirSync(host, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.startsWith("worker"))
    .every((f) => statSync(join(host, f)).mtimeMs <= built);
}

let entry: string | undefined;
export const agentEntry = (): string => (entry ??= process.env.ISOPLACE_AGENT_ENTRY !== "source" && distIsCurrent() ? DIST_MAIN : SOURCE_MAIN);

export interface AgentProcessOptions {
  /** Extra environment (the parent's ISOPLACE_* and LOG_LEVEL are not passed on). */
  env?: Record<string, string>;
  /** Keep the lines of output (default); false keeps only the lines that are not request logs. */
  keepRequestLogs?: boolean;
  /** Called with every chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string) => void;
  startTimeoutMs?: number;
  /** The command (default: serve). */
  command?: string;
}

export interface AgentProcess {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the "listening" line. */
  startMs: number;
  /** The output so far (stdout and stderr, interleaved as they arrived). */
  output(): string;
  /** How many lines the agent wrote. */
  lines(): number;
  /** The first line of output (seen or to come) that matches; rejects at the deadline or at exit. */
  waitForLine(match: RegExp | ((line: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function spawnAgent(args: string[], o: AgentProcessOptions = {}): Promise<AgentProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ISOPLACE_") && k !== "LOG_LEVEL") env[k] = v;
  const started = performance.now();
  const c = spawnChild(process.execPath, [agentEntry(), o.command ?? "serve", "--port", "0", ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...env, ...o.env },
    keep: o.keepRequestLogs === false ? (l) => !l.includes('"msg":"request"') : undefined,
  });
  if (o.onOutput) {
    c.process.stdout!.on("data", (d: Buffer) => o.onOutput!(d.toString("utf8")));
    c.process.stderr!.on("data", (d: Buffer) => o.onOutput!(d.toString("utf8")));
  }
  const exited = c.exited.then((e) => e.code ?? e.signal ?? "unknown");
  const output = c.output;

  let listening: string;
  try {
    listening = await c.waitForLine((l) => l.includes('"msg":"isoplace agent listening"'), "listening", o.startTimeoutMs ?? 30_000);
  } catch (err) {
    await c.stop("SIGKILL");
    throw err;
  }
  const at = performance.now();
  return {
    url: JSON.parse(listening).url,
    child: c.process,
    startMs: at - started,
    output,
    lines: c.lineCount,
    waitForLine: c.waitForLine,
    exited,
    kill: (signal = "SIGKILL") => c.stop(signal).then((e) => e.code ?? e.signal ?? "unknown"),
  };
}
