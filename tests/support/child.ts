// Child processes for tests, on events only: every line of output is kept and can be waited
// for, the exit is watched from the moment of spawn (so waiting for it is safe after the child
// has already gone), every wait has a deadline that kills the child, and every child still
// running when the test file's process ends is killed with it.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  process: ChildProcess;
  /** The complete lines of stdout and stderr kept so far (all of them unless `keep` says otherwise), in order. */
  lines: string[];
  /** How many lines the child wrote (kept or not). */
  lineCount(): number;
  /** Settles when the process has exited, however early that was. */
  exited: Promise<Exit>;
  /** The first line (already seen or still to come) that matches; rejects at the deadline or when the child exits first. */
  waitForLine(match: RegExp | ((line: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  /** Sends the signal unless the child has exited, and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  output(): string;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export interface ChildOptions extends SpawnOptions {
  /** Which lines to keep in `lines` (a long run need not keep every request log); waits see every line. */
  keep?: (line: string) => boolean;
}

export function spawnChild(command: string, args: string[], o: ChildOptions = {}): Child {
  const { keep, ...options } = o;
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let count = 0;
  live.add(proc);
  const lines: string[] = [];
  const waiters = new Set<(line: string | null) => void>();
  const exited = new Promise<Exit>((resolve) => {
    proc.once("exit", (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
    // a command that cannot be started never emits "exit"
    proc.once("error", () => {
      live.delete(proc);
      resolve({ code: null, signal: null });
    });
  });
  void exited.then(() => {
    for (const w of waiters) w(null);
  });

  for (const stream of [proc.stdout, proc.stderr]) {
    let partial = "";
    stream?.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        count++;
        if (!keep || keep(line)) lines.push(line);
        for (const w of waiters) w(line);
      }
    });
  }

  const output = () => lines.join("\n");
  const waitForLine: Child["waitForLine"] = (match, what, timeoutMs = 30_000) => {
    const test = typeof match === "function" ? match : (l: string) => match.test(l);
    const seen = lines.find(test); // a line not kept was seen by no waiter either: ask before it can come
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const done = (err: Error | null, line?: string) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (err) reject(err);
        else resolve(line!);
      };
      const waiter = (line: string | null) => {
        if (line === null) done(new Error(`the process exited (${proc.exitCode ?? proc.signalCode}) before ${what}:\n${output()}`));
        else if (test(line)) done(null, line);
      };
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        done(new Error(`no ${what} within ${timeoutMs} ms (the process was killed):\n${output()}`));
      }, timeoutMs);
      waiters.add(waiter);
      if (!running(proc)) waiter(null);
    });
  };

  return {
    process: proc,
    lines,
    exited,
    waitForLine,
    output,
    lineCount: () => count,
    stop: (signal = "SIGKILL") => {
      if (running(proc)) proc.kill(signal);
      return exited;
    },
  };
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with standard input given and a deadline: past it the command is killed and the run rejects. */
export function runChild(command: string, args: string[], o: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  const { input, timeoutMs = 60_000, ...options } = o;
  const proc = spawn(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  live.add(proc);
  let stdout = "",
    stderr = "";
  proc.stdout!.on("data", (d) => {
    stdout += d;
  });
  proc.stderr!.on("data", (d) => {
    stderr += d;
  });
  proc.stdin!.on("error", () => {
    /* the command may exit without reading its input */
  });
  proc.stdin!.end(input ?? "");
  return new Promise<Ran>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    proc.once("error", (err) => {
      clearTimeout(timer);
      live.delete(proc);
      reject(err);
    });
    proc.once("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(proc);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
