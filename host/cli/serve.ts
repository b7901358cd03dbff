// isoplace serve: the agent, until SIGTERM/SIGINT (then it drains and exits 0).
import type { Command } from "commander";
import { startAgent } from "../node/agent.ts";
import { list, number } from "./input.ts";

export function registerServe(program: Command): void {
  program.command("serve")
    .description("run the agent: the HTTP API on this node")
    .option("--host <address>", "address to listen on (env HOST)", process.env.HOST ?? "127.0.0.1")
    .option("--port <n>", "port (env PORT)", number("--port"), process.env.PORT ? Number(process.env.PORT) : 8787)
    .option("--runtimes <ids>", "this node's runtimes, comma-separated (env ISOPLACE_RUNTIMES)", list, process.env.ISOPLACE_RUNTIMES ? list(process.env.ISOPLACE_RUNTIMES) : undefined)
    .option("--detect", "probe this machine for runtimes (/dev/kvm, containerd's socket, shims on PATH)")
    .option("--host-root <dir>", "where the host's file system is mounted, for --detect (env ISOPLACE_HOST_ROOT)", process.env.ISOPLACE_HOST_ROOT ?? "/")
    .action(async (o) => {
      const agent = await startAgent({ host: o.host, port: o.port, runtimes: o.runtimes, detect: o.detect, hostRoot: o.hostRoot });
      const stop = async (signal: string) => {
        agent.logger.info({ signal }, "stopping: draining in-flight requests");
        await agent.close();
        agent.logger.info("stopped");
        process.exit(0);
      };
      process.once("SIGTERM", () => void stop("SIGTERM"));
      process.once("SIGINT", () => void stop("SIGINT"));
    });
}
