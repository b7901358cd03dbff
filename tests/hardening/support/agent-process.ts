// `isoplace serve` as a real child process on 127.0.0.1 (ephemeral port), for the crash test,
// the log test and the soak script: started from dist/ when it is built and not older than the
// sources (it starts in ~0.6 s, the TypeScript sources in ~1 s), else from the sources
// (ISOPLACE_AGENT_ENTRY=source forces them); its output captured.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../../host/node/paths.ts";

const DIST_MAIN = join(PACKAGE_ROOT, "dist/host/cli/main.js");
const SOURCE_MAIN = join(PACKAGE_ROOT, "host/cli/main.ts");

function distIsCurrent(): boolean {
  let built: number;
  try { built = statSync(DIST_MAIN).mtimeMs; } catch { return false; }
  const host = join(PACKAGE_ROOT, "host");
  return readdirSync(host, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.startsWith("worker"))
    .every((f) => statSync(join(host, f)).mtimeMs <= built);
}

let entry: string | undefined;
export const agentEntry = (): string =>
  (entry ??= process.env.ISOPLACE_AGENT_ENTRY !== "source" && distIsCurrent() ? DIST_MAIN : SOURCE_MAIN);

export interface AgentProcessOptions {
  /** Extra environment (the parent's ISOPLACE_* and LOG_LEVEL are not passed on). */
  env?: Record<string, string>;
  /** Keep the lines of output (default); false keeps only the lines that are not request logs. */
  keepRequestLogs?: boolean;
  /** Called with every chunk of stdout and stderr as it arrives. */
  onOutput?: (chunk: string) => void;
  startTimeoutMs?: number;
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
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function spawnAgent(args: string[], o: AgentProcessOptions = {}): Promise<AgentProcess> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ISOPLACE_") && k !== "LOG_LEVEL") env[k] = v;
  const started = performance.now();
  const child = spawn(process.execPath, [agentEntry(), "serve", "--port", "0", ...args], {
    cwd: PACKAGE_ROOT, env: { ...env, ...o.env }, stdio: ["ignore", "pipe", "pipe"],
  });
  const kept: string[] = [];
  let lineCount = 0, partial = "";
  let resolveUrl: (u: { url: string; at: number }) => void;
  const listening = new Promise<{ url: string; at: number }>((r) => { resolveUrl = r; });
  const take = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    o.onOutput?.(text);
    const parts = (partial + text).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lineCount++;
      if (o.keepRequestLogs !== false || !line.includes('"msg":"request"')) kept.push(line);
      if (line.includes('"msg":"isoplace agent listening"')) resolveUrl({ url: JSON.parse(line).url, at: performance.now() });
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const output = () => kept.concat(partial ? [partial] : []).join("\n");

  const timeoutMs = o.startTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const up = await Promise.race([
    listening,
    exited.then((code) => { throw new Error(`the agent exited (${code}) before listening:\n${output()}`); }),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the agent did not listen within ${timeoutMs} ms:\n${output()}`)), timeoutMs); }),
  ]).catch((err) => {
    child.kill("SIGKILL");
    throw err;
  }).finally(() => clearTimeout(timer));

  return {
    url: up.url, child, startMs: up.at - started, output, lines: () => lineCount, exited,
    kill: (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
