// Where the agent's pino logs go: standard output through sonic-boom, asynchronously, with the
// lines of one event-loop turn handed over together (one write for a busy turn's many requests
// instead of one system call per line). No line is lost: stop() makes every later line a
// synchronous write, after flushing what is buffered and waiting for the write in flight; and at
// process exit the buffer goes to sonic-boom first, which pino then flushes synchronously.
import pino from "pino";

type SonicBoom = ReturnType<typeof pino.destination> & { sync: boolean; _writing?: boolean };

export interface LogDestination {
  /** For pino: what it writes lines to. */
  stream: { write(line: string): boolean; flush(cb?: (err?: Error) => void): void };
  /** Every line so far written out; every later line written synchronously. */
  stop(): Promise<void>;
}

export function logDestination(fd = 1): LogDestination {
  const boom = pino.destination({ dest: fd, sync: false }) as SonicBoom;
  let pending = "";
  let scheduled = false;
  let direct = false;
  const handOver = () => {
    scheduled = false;
    if (pending) { const lines = pending; pending = ""; boom.write(lines); }
  };
  // before pino's own exit handler (registered when the destination was made), which flushes sonic-boom synchronously
  process.prependListener("exit", handOver);
  const stream = {
    write(line: string): boolean {
      if (direct) return boom.write(line);
      pending += line;
      if (!scheduled) { scheduled = true; setImmediate(handOver); }
      return true;
    },
    flush(cb?: (err?: Error) => void): void {
      handOver();
      boom.flush(cb);
    },
  };
  const stop = () => new Promise<void>((resolve) => {
    handOver();
    const finish = () => {
      boom.sync = true;
      direct = true;
      boom.flushSync();
      resolve();
    };
    if (boom._writing) boom.once("drain", finish);
    else finish();
  });
  return { stream, stop };
}

let stdout: LogDestination | undefined;
/** The one standard-output destination of this process (agents started in one process share it). */
export const stdoutDestination = (): LogDestination => (stdout ??= logDestination(1));
