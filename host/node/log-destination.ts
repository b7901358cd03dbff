// Where the agent's pino logs go: standard output through sonic-boom, asynchronously, the lines
// collected and handed over together: at most FLUSH_MS after the first of them, or as soon as
// FLUSH_BYTES are waiting. Under load that is one write per many requests instead of one per
// event-loop turn, as each write runs on libuv's thread pool, which on a small node competes with
// the agent for its cores. No line is lost: stop() makes every later line a synchronous write, after flushing what is buffered and waiting for the write in flight; and at
// process exit the buffer goes to sonic-boom first, which pino then flushes synchronously.
import pino from "pino";

type SonicBoom = ReturnType<typeof pino.destination> & { sync: boolean; _writing?: boolean };

export interface LogDestination {
  /** For pino: what it writes lines to. */
  stream: { write(line: string): boolean; flush(cb?: (err?: Error) => void): void };
  /** Every line so far written out; every later line written synchronously. */
  stop(): Promise<void>;
}

/** The longest a line waits before it is handed to sonic-boom. */
const FLUSH_MS = 20;
/** How much may wait before it is handed over at once. */
const FLUSH_BYTES = 64 * 1024;

function logDestination(fd = 1): LogDestination {
  const boom = pino.destination({ dest: fd, sync: false }) as SonicBoom;
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let direct = false;
  const handOver = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending) {
      const lines = pending;
      pending = "";
      boom.write(lines);
    }
  };
  // before pino's own exit handler (registered when the destination was made), which flushes sonic-boom synchronously
  process.prependListener("exit", handOver);
  const stream = {
    write(line: string): boolean {
      if (direct) return boom.write(line);
      pending += line;
      if (pending.length >= FLUSH_BYTES) handOver();
      // unref'd: a waiting line never keeps the process alive; at exit it is handed over (above)
      else if (!timer) timer = setTimeout(handOver, FLUSH_MS).unref();
      return true;
    },
    flush(cb?: (err?: Error) => void): void {
      handOver();
      boom.flush(cb);
    },
  };
  const stop = () =>
    new Promise<void>((resolve) => {
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
